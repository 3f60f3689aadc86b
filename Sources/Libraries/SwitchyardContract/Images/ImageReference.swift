import SwitchyardCore

/// The one way an image is named anywhere in Switchyard: in a client request, a decision, a step's
/// input, a batch item. On the wire it is a single string:
///
/// - `https://host/path` — fetched by the function (never by the router), or handed to a provider
///   that fetches it itself; `http://` only where the deployment allows it (local stacks);
/// - `s3://bucket/key` — read with the function's role, only inside the allow-list of the
///   deployment or tenant (`ImageAccessPolicy`);
/// - `data:image/png;base64,…` or bare base64 — inline bytes, kept small because a Step Functions
///   state carries at most 256 KiB (the front door moves larger images to S3).
///
/// Parsing checks the shape only; `ImageAccessPolicy.check(_:)` decides whether a reference may be
/// read, and the fetcher checks every address a name resolves to before it connects.
public enum ImageReference: Sendable, Hashable, Codable, CustomStringConvertible {
    case url(ImageURL)
    case s3(bucket: String, key: String)
    /// Inline base64 (not yet decoded); `format` is what a `data:` URI declared, if anything.
    case inline(format: ImageFormat?, base64: String)

    /// Parses one reference.
    /// - Throws: `Image.InvalidReference` naming what is wrong (never echoing inline data).
    public init(parsing text: String) throws(ImageReferenceError) {
        if text.hasPrefix("s3://") {
            let rest = text.utf8.dropFirst(5)
            guard let slash = rest.firstIndex(of: UInt8(ascii: "/")) else {
                throw .invalid("an S3 reference must look like s3://bucket/key")
            }
            let bucket = String(decoding: rest[..<slash], as: UTF8.self)
            let key = String(decoding: rest[rest.index(after: slash)...], as: UTF8.self)
            guard Self.isValidBucket(bucket) else {
                throw .invalid("\"\(bucket.prefix(70))\" is not a valid S3 bucket name")
            }
            guard !key.isEmpty, key.utf8.count <= 1024, Identifier.isValid(key, maxBytes: 1024) else {
                throw .invalid("the S3 key must be 1...1024 bytes without control characters")
            }
            self = .s3(bucket: bucket, key: key)
            return
        }
        if text.hasPrefix("https://") || text.hasPrefix("http://") {
            self = .url(try ImageURL(text))
            return
        }
        if text.hasPrefix("data:") {
            // data:image/png;base64,AAAA
            guard let comma = text.utf8.firstIndex(of: UInt8(ascii: ",")) else {
                throw .invalid("a data URI needs a comma before its payload")
            }
            let header = String(
                decoding: text.utf8[text.utf8.index(text.utf8.startIndex, offsetBy: 5)..<comma], as: UTF8.self)
            guard header.hasSuffix(";base64") else {
                throw .invalid("data URIs must be base64 (data:image/...;base64,...)")
            }
            let mediaType = String(header.dropLast(7))
            guard mediaType.hasPrefix("image/") else {
                throw .invalid("data URI media type \"\(mediaType.prefix(40))\" is not an image type")
            }
            guard let format = ImageFormat(mediaType: mediaType) else {
                throw .unsupportedFormat("media type \"\(mediaType.prefix(40))\" is not a supported image format")
            }
            let payload = String(decoding: text.utf8[text.utf8.index(after: comma)...], as: UTF8.self)
            try Self.checkBase64Alphabet(payload)
            self = .inline(format: format, base64: payload)
            return
        }
        if let colon = text.utf8.prefix(16).firstIndex(of: UInt8(ascii: ":")) {
            let scheme = String(decoding: text.utf8[..<colon], as: UTF8.self)
            throw .invalid("scheme \"\(scheme)\" is not accepted; use https://, s3:// or a data: URI")
        }
        try Self.checkBase64Alphabet(text)
        self = .inline(format: nil, base64: text)
    }

    /// Inline bytes this reference carries, estimated from the base64 length (0 for URLs).
    public var inlineByteEstimate: Int {
        if case .inline(_, let base64) = self { return base64.utf8.count / 4 * 3 }
        return 0
    }

    /// The string form, as it travels (inline data included).
    public var wireValue: String {
        switch self {
        case .url(let url): url.text
        case .s3(let bucket, let key): "s3://\(bucket)/\(key)"
        case .inline(let format?, let base64): "data:\(format.mediaType);base64,\(base64)"
        case .inline(nil, let base64): base64
        }
    }

    /// For logs and error messages: never inline bytes, never a URL's query string (presigned
    /// URLs carry their signature there).
    public var description: String {
        switch self {
        case .url(let url): url.redacted
        case .s3(let bucket, let key): "s3://\(bucket)/\(key.prefix(200))"
        case .inline(let format, let base64):
            "inline \(format?.rawValue ?? "image") (\(base64.utf8.count / 4 * 3) bytes)"
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do {
            self = try ImageReference(parsing: text)
        } catch {
            throw DecodingError.dataCorrupted(
                DecodingError.Context(codingPath: decoder.codingPath, debugDescription: error.errorMessage))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wireValue)
    }

    /// S3's naming rules: 3...63 characters of lowercase letters, digits, `.` and `-`, starting
    /// and ending with a letter or digit.
    static func isValidBucket(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard (3...63).contains(bytes.count) else { return false }
        func alnum(_ b: UInt8) -> Bool { (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) }
        guard alnum(bytes.first!), alnum(bytes.last!) else { return false }
        return bytes.allSatisfy { alnum($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
    }

    /// Rejects anything but the base64 alphabets (standard and URL-safe), padding and line breaks,
    /// in one linear pass, without decoding.
    static func checkBase64Alphabet(_ text: String) throws(ImageReferenceError) {
        guard !text.isEmpty else { throw .invalid("the image is empty") }
        for b in text.utf8 {
            let ok =
                (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39)
                || b == UInt8(ascii: "+") || b == UInt8(ascii: "/") || b == UInt8(ascii: "=")
                || b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == 0x0A || b == 0x0D
            guard ok else { throw .invalid("the image is not a URL, an s3:// reference, a data: URI or base64") }
        }
    }
}

/// An `http(s)` URL split into the parts a safety check needs; the text is kept verbatim.
public struct ImageURL: Sendable, Hashable {
    public let text: String
    public let scheme: String
    /// Lowercased, brackets kept off IPv6 literals.
    public let host: String
    public let port: Int?

    /// - Throws: `Image.InvalidReference` for anything but `scheme://host[:port][/path][?query]`
    ///   with a non-empty host and no user-info (`user@host` tricks are refused).
    public init(_ text: String) throws(ImageReferenceError) {
        guard text.utf8.count <= 4096 else { throw .invalid("the image URL is longer than 4096 bytes") }
        guard Identifier.isValid(text, maxBytes: 4096), !text.contains(" ") else {
            throw .invalid("the image URL contains spaces or control characters")
        }
        let scheme = text.hasPrefix("https://") ? "https" : "http"
        let afterScheme = text.dropFirst(scheme.count + 3)
        let authority = afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { throw .invalid("image URLs must not carry user information") }
        var host = Substring(authority)
        var port: Int?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else {
                throw .invalid("unterminated IPv6 literal in the image URL")
            }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (1...65535).contains(p) else {
                    throw .invalid("bad port in the image URL")
                }
                port = p
            } else if !after.isEmpty {
                throw .invalid("bad authority in the image URL")
            }
            host = host[host.index(after: host.startIndex)..<close]
        } else if let colon = host.lastIndex(of: ":") {
            guard let p = Int(host[host.index(after: colon)...]), (1...65535).contains(p) else {
                throw .invalid("bad port in the image URL")
            }
            port = p
            host = host[..<colon]
        }
        guard !host.isEmpty else { throw .invalid("the image URL has no host") }
        var lowered = host.lowercased()
        if lowered.hasSuffix(".") { lowered.removeLast() }
        self.text = text
        self.scheme = scheme
        self.host = lowered
        self.port = port
    }

    /// The URL without its query string and fragment.
    public var redacted: String {
        let cut = text.prefix { $0 != "?" && $0 != "#" }
        return cut.count < text.count ? cut + "?…" : String(cut)
    }
}

/// Why an image reference was refused.
public enum ImageReferenceError: FunctionError, Equatable {
    /// Malformed: bad scheme, bucket, URL or base64.
    case invalid(String)
    /// Well-formed, but the deployment does not allow reading it (scheme, host, bucket or prefix).
    case forbidden(String)
    /// A format Switchyard cannot use.
    case unsupportedFormat(String)
    /// Inline data above the limit (send it by reference).
    case tooLarge(bytes: Int, limit: Int)

    public var errorType: String {
        switch self {
        case .invalid: "Image.InvalidReference"
        case .forbidden: "Image.Forbidden"
        case .unsupportedFormat: "Image.UnsupportedFormat"
        case .tooLarge: "Image.TooLarge"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalid(let m), .forbidden(let m), .unsupportedFormat(let m): m
        case .tooLarge(let bytes, let limit):
            "inline image of \(bytes) bytes exceeds \(limit) bytes; send it as an https:// or s3:// reference"
        }
    }
}
