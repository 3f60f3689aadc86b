import SwitchyardCore

/// Where a request's image comes from, parsed from one string:
/// `s3://bucket/key`, `https://...` (or `http://` where allowed), a `data:image/...;base64,` URI,
/// or bare base64.
public enum ImageSource: Sendable, Equatable {
    case inline([UInt8])
    case s3(bucket: String, key: String)
    case url(String)

    /// - Throws: `Vision.InvalidRequest` for malformed references or base64,
    ///   `Vision.PayloadTooLarge` when inline data exceeds `maxBytes` (checked before decoding).
    public static func parse(_ text: String, maxBytes: Int) throws(VisionError) -> ImageSource {
        if text.hasPrefix("s3://") {
            let rest = text.dropFirst(5)
            guard let slash = rest.firstIndex(of: "/"), slash != rest.startIndex,
                rest.index(after: slash) != rest.endIndex
            else {
                throw .invalidRequest("an S3 image reference must look like s3://bucket/key")
            }
            return .s3(bucket: String(rest[..<slash]), key: String(rest[rest.index(after: slash)...]))
        }
        if text.hasPrefix("https://") || text.hasPrefix("http://") { return .url(text) }
        var payload = Substring(text)
        if text.hasPrefix("data:") {
            guard let comma = text.firstIndex(of: ","), text[..<comma].hasSuffix(";base64") else {
                throw .invalidRequest("a data URI image must be base64 (data:image/jpeg;base64,...)")
            }
            payload = text[text.index(after: comma)...]
        }
        let estimated = payload.utf8.count / 4 * 3
        if estimated > maxBytes { throw .payloadTooLarge(bytes: estimated, limit: maxBytes) }
        do {
            return .inline(try Base64.decode(payload.utf8))
        } catch {
            throw .invalidRequest("the image is not a URL, an s3:// reference or valid base64 (\(error))")
        }
    }

    /// For logs and error messages: never the inline bytes.
    public var summary: String {
        switch self {
        case .inline(let bytes): "inline (\(bytes.count) bytes)"
        case .s3(let bucket, let key): "s3://\(bucket)/\(key)"
        case .url(let url): url
        }
    }
}
