import SwitchyardCore

/// Which image references a deployment (or one tenant) may read: the safety rules every function
/// applies before it touches a referenced image.
///
/// Defaults are the production ones: `https` only, no private or loopback hosts, no S3 at all
/// until buckets are allow-listed, inline images up to 5 MiB. A host name passes this check; the
/// fetcher then checks every address it resolves to with `permits(_:)` and connects only to the
/// address it checked, so a rebinding DNS answer cannot switch it.
public struct ImageAccessPolicy: Sendable, Equatable {
    /// Allow `http://` (local stacks only).
    public var allowHTTP: Bool
    /// Allow loopback, private and link-local hosts (local stacks only).
    public var allowPrivateHosts: Bool
    /// S3 locations that may be read; empty means `s3://` references are refused.
    public var s3: [S3Prefix]
    /// Largest inline image, in decoded bytes.
    public var maxInlineBytes: Int

    public init(
        allowHTTP: Bool = false, allowPrivateHosts: Bool = false, s3: [S3Prefix] = [], maxInlineBytes: Int = 5 << 20
    ) {
        self.allowHTTP = allowHTTP
        self.allowPrivateHosts = allowPrivateHosts
        self.s3 = s3
        self.maxInlineBytes = maxInlineBytes
    }

    /// This policy with a tenant's own S3 locations added.
    public func adding(s3 prefixes: [S3Prefix]) -> ImageAccessPolicy {
        var copy = self
        copy.s3 += prefixes
        return copy
    }

    /// - Throws: `Image.Forbidden` or `Image.TooLarge`.
    public func check(_ reference: ImageReference) throws(ImageReferenceError) {
        switch reference {
        case .inline:
            let bytes = reference.inlineByteEstimate
            if bytes > maxInlineBytes { throw .tooLarge(bytes: bytes, limit: maxInlineBytes) }
        case .url(let url):
            guard url.scheme == "https" || allowHTTP else { throw .forbidden("image URLs must be https://") }
            if allowPrivateHosts { return }
            let host = url.host
            if host == "localhost" || host.hasSuffix(".localhost") || host.hasSuffix(".internal")
                || host == "metadata.google.internal"
            {
                throw .forbidden("image URL host \(host.prefix(80)) is a local name")
            }
            if let address = IPAddress(host), !address.isPublic {
                throw .forbidden("image URL host \(host.prefix(80)) is loopback, private or link-local")
            }
        case .s3(let bucket, let key):
            guard s3.contains(where: { $0.contains(bucket: bucket, key: key) }) else {
                throw .forbidden(
                    "s3://\(bucket)/\(key.prefix(80)) is outside the S3 locations this deployment may read")
            }
        }
    }

    /// Whether a resolved address may be connected to.
    public func permits(_ address: IPAddress) -> Bool { allowPrivateHosts || address.isPublic }
}

/// An S3 bucket and key prefix (`s3://bucket/prefix/`); an empty prefix allows the whole bucket.
public struct S3Prefix: Sendable, Hashable, Codable, CustomStringConvertible {
    public var bucket: String
    public var prefix: String

    public init(bucket: String, prefix: String = "") {
        self.bucket = bucket
        self.prefix = prefix
    }

    /// Parses `s3://bucket/prefix` or `bucket/prefix`.
    public init?(_ text: String) {
        var rest = Substring(text)
        if rest.hasPrefix("s3://") { rest = rest.dropFirst(5) }
        let bucket = rest.prefix { $0 != "/" }
        guard ImageReference.isValidBucket(String(bucket)) else { return nil }
        self.bucket = String(bucket)
        self.prefix = String(rest.dropFirst(bucket.count).drop { $0 == "/" })
    }

    public func contains(bucket: String, key: String) -> Bool {
        bucket == self.bucket && key.hasPrefix(prefix) && !key.split(separator: "/").contains("..")
    }

    public var description: String { "s3://\(bucket)/\(prefix)" }
}
