import SwitchyardCore
import SwitchyardHTTP

/// AWS Signature Version 4 for requests sent with an `HTTPTransport`.
///
/// Signs every header already on the request plus `host` and `x-amz-date` (and
/// `x-amz-security-token` for temporary credentials), so callers decide what is covered by
/// adding headers before signing. Checked against AWS's published SigV4 test suite.
public struct SigV4Signer: Sendable {
    public var credentials: AWSCredentials
    public var region: String
    public var service: String

    public init(credentials: AWSCredentials, region: String, service: String) {
        self.credentials = credentials
        self.region = region
        self.service = service
    }

    /// S3 signs the path as sent and wants the payload hash in a header; every other service
    /// encodes the path a second time.
    private var isS3: Bool { service == "s3" }

    /// Adds `Host`, `X-Amz-Date`, the security token and `Authorization` to `request`.
    public func sign(_ request: inout HTTPRequest, epochSeconds: Int64 = WallClock.nowMilliseconds() / 1000)
        throws(AWSError)
    {
        guard let url = HTTPURL(request.url) else { throw .invalidRequest("cannot sign an invalid URL") }
        let time = AWSTimestamp(epochSeconds: epochSeconds)
        if !request.headers.contains("host") { request.headers.set("Host", url.hostHeader) }
        request.headers.set("X-Amz-Date", time.amzDate)
        if let token = credentials.sessionToken { request.headers.set("X-Amz-Security-Token", token) }
        let payloadHash = Digest.hex(Digest.sha256(request.body))
        if isS3 { request.headers.set("X-Amz-Content-SHA256", payloadHash) }

        let canonical = canonicalRequest(
            method: request.method.rawValue, url: url, headers: request.headers, payloadHash: payloadHash)
        let scope = "\(time.dateStamp)/\(region)/\(service)/aws4_request"
        let toSign = stringToSign(amzDate: time.amzDate, scope: scope, canonicalRequest: canonical.text)
        let signature = Digest.hex(Digest.hmacSHA256(key: signingKey(dateStamp: time.dateStamp), string: toSign))
        request.headers.set(
            "Authorization",
            "AWS4-HMAC-SHA256 Credential=\(credentials.accessKeyID)/\(scope), SignedHeaders=\(canonical.signedHeaders), Signature=\(signature)"
        )
    }

    /// The canonical request (task 1 of the signing process) and its signed-header list.
    public func canonicalRequest(method: String, url: HTTPURL, headers: HTTPHeaders, payloadHash: String) -> (
        text: String, signedHeaders: String
    ) {
        let path = isS3 ? url.path : URIEncoding.encode(url.path, keepingSlash: true)

        // Lowercase names, values trimmed with inner runs of spaces collapsed, repeats joined by ",".
        var merged: [(name: String, value: String)] = []
        for field in headers.fields {
            let name = field.name.lowercased()
            let value = Self.collapseSpaces(field.value)
            if let i = merged.firstIndex(where: { $0.name == name }) {
                merged[i].value += "," + value
            } else {
                merged.append((name, value))
            }
        }
        merged.sort { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }
        let signedHeaders = merged.map(\.name).joinedText(separator: ";")
        var text = method + "\n" + path + "\n" + Self.canonicalQuery(url.query) + "\n"
        for header in merged { text += header.name + ":" + header.value + "\n" }
        text += "\n" + signedHeaders + "\n" + payloadHash
        return (text, signedHeaders)
    }

    public func stringToSign(amzDate: String, scope: String, canonicalRequest: String) -> String {
        "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n" + Digest.hex(Digest.sha256(canonicalRequest))
    }

    func signingKey(dateStamp: String) -> [UInt8] {
        let kDate = Digest.hmacSHA256(key: Array(("AWS4" + credentials.secretAccessKey).utf8), string: dateStamp)
        let kRegion = Digest.hmacSHA256(key: kDate, string: region)
        let kService = Digest.hmacSHA256(key: kRegion, string: service)
        return Digest.hmacSHA256(key: kService, string: "aws4_request")
    }

    /// Parameters decoded, re-encoded strictly, and sorted by name then value.
    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        var pairs: [(String, String)] = []
        for part in query.split(separator: "&", omittingEmptySubsequences: true) {
            let key: Substring, value: Substring
            if let eq = part.firstIndex(of: "=") {
                key = part[..<eq]
                value = part[part.index(after: eq)...]
            } else {
                key = part
                value = ""
            }
            pairs.append(
                (
                    URIEncoding.encode(URIEncoding.decode(String(key))),
                    URIEncoding.encode(URIEncoding.decode(String(value)))
                ))
        }
        pairs.sort { a, b in
            a.0 == b.0 ? a.1.utf8.lexicographicallyPrecedes(b.1.utf8) : a.0.utf8.lexicographicallyPrecedes(b.0.utf8)
        }
        return pairs.map { "\($0.0)=\($0.1)" }.joinedText(separator: "&")
    }

    static func collapseSpaces(_ value: String) -> String {
        var out = ""
        var lastWasSpace = false
        for ch in value.trimmingSpaces() {
            if ch == " " {
                if !lastWasSpace { out.append(ch) }
                lastWasSpace = true
            } else {
                out.append(ch)
                lastWasSpace = false
            }
        }
        return out
    }
}

extension String {
    func trimmingSpaces() -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return "" }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}
