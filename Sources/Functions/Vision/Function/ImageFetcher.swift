import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardVision

/// Fetches referenced images with a byte cap and a time limit: S3 objects through a SigV4-signed
/// GetObject, URLs through a plain GET. Hosts that are loopback, private or link-local literals
/// (the instance metadata service among them) are refused unless explicitly allowed for local use.
public struct ImageFetcher: Sendable {
    public var transport: any HTTPTransport
    /// Signs S3 GetObject; nil when no credentials are configured (s3:// then fails with FetchFailed).
    public var s3Signer: SigV4Signer?
    /// `https://s3.<region>.amazonaws.com`, or a local S3 endpoint (path-style addressing either way).
    public var s3BaseURL: String
    public var maxBytes: Int
    public var timeout: Duration
    /// Allow `http://` and loopback/private hosts (local development and tests only).
    public var allowPrivateHosts: Bool

    public init(
        transport: any HTTPTransport, s3Signer: SigV4Signer?, s3BaseURL: String, maxBytes: Int, timeout: Duration,
        allowPrivateHosts: Bool
    ) {
        self.transport = transport
        self.s3Signer = s3Signer
        self.s3BaseURL = s3BaseURL
        self.maxBytes = maxBytes
        self.timeout = timeout
        self.allowPrivateHosts = allowPrivateHosts
    }

    /// - Throws: `Vision.FetchFailed`, `Vision.PayloadTooLarge`, `Vision.InvalidRequest`.
    public func bytes(for source: ImageSource, deadline: ContinuousClock.Instant) async throws(VisionError) -> [UInt8] {
        let limit = min(deadline, ContinuousClock.now.advanced(by: timeout))
        switch source {
        case .inline(let bytes):
            guard bytes.count <= maxBytes else { throw .payloadTooLarge(bytes: bytes.count, limit: maxBytes) }
            return bytes
        case .url(let url):
            guard let parsed = HTTPURL(url) else { throw .invalidRequest("invalid image URL \(url.prefix(200))") }
            guard parsed.scheme == "https" || allowPrivateHosts else {
                throw .invalidRequest("image URLs must be https://")
            }
            guard allowPrivateHosts || !Self.isPrivateHost(parsed.host) else {
                throw .invalidRequest("image URL host \(parsed.host) is loopback, private or link-local")
            }
            return try await get(
                HTTPRequest(method: .get, url: url, maxResponseBytes: maxBytes), source: source, deadline: limit)
        case .s3(let bucket, let key):
            guard let signer = s3Signer else {
                throw .fetchFailed(source: source.summary, detail: "no AWS credentials configured")
            }
            var request = HTTPRequest(
                method: .get,
                url: "\(s3BaseURL)/\(URIEncoding.encode(bucket))/\(URIEncoding.encode(key, keepingSlash: true))",
                maxResponseBytes: maxBytes)
            do { try signer.sign(&request) } catch {
                throw .fetchFailed(source: source.summary, detail: error.errorMessage)
            }
            return try await get(request, source: source, deadline: limit)
        }
    }

    private func get(_ request: HTTPRequest, source: ImageSource, deadline: ContinuousClock.Instant)
        async throws(VisionError) -> [UInt8]
    {
        let response: HTTPResponse
        do {
            response = try await transport.send(request, deadline: deadline)
        } catch {
            if case .responseTooLarge = error { throw .payloadTooLarge(bytes: maxBytes + 1, limit: maxBytes) }
            throw .fetchFailed(source: source.summary, detail: error.errorMessage)
        }
        guard (200..<300).contains(response.status) else {
            throw .fetchFailed(source: source.summary, detail: "status \(response.status)")
        }
        if let declared = response.headers["content-length"].flatMap({ Int($0) }), declared > maxBytes {
            throw .payloadTooLarge(bytes: declared, limit: maxBytes)
        }
        return response.body
    }

    /// True for literal loopback, private (RFC 1918, ULA), link-local and unspecified addresses
    /// and `localhost`. Names that resolve to such addresses are not caught here.
    static func isPrivateHost(_ host: String) -> Bool {
        let lower = host.lowercased().trimmingBrackets
        if lower == "localhost" || lower.hasSuffix(".localhost") { return true }
        let parts = lower.split(separator: ".", omittingEmptySubsequences: false).map { Int($0) }
        if parts.count == 4, parts.allSatisfy({ $0 != nil && (0...255).contains($0!) }) {
            let a = parts[0]!, b = parts[1]!
            return a == 127 || a == 10 || a == 0 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168)
                || (a == 169 && b == 254) || (a == 100 && (64...127).contains(b))
        }
        if lower.contains(":") {
            return lower == "::1" || lower == "::" || lower.hasPrefix("fe80:") || lower.hasPrefix("fc")
                || lower.hasPrefix("fd")
                || lower.hasPrefix("::ffff:")
        }
        return false
    }
}

extension String {
    fileprivate var trimmingBrackets: String {
        hasPrefix("[") && hasSuffix("]") ? String(dropFirst().dropLast()) : self
    }
}
