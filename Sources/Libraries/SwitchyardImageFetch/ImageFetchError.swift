import SwitchyardContract
import SwitchyardCore

/// Why a referenced image could not be read. The `Image.*` vocabulary of the contract's
/// `ImageReferenceError`, plus fetching's own failures; messages name the reference in its
/// redacted form (no inline data, no query strings of presigned URLs).
public enum ImageFetchError: FunctionError, Equatable {
    /// The reference is malformed or the access policy refuses it (scheme, host, bucket, prefix, size).
    case reference(ImageReferenceError)
    /// The host resolved to an address the policy does not permit (loopback, private, link-local…).
    case forbiddenAddress(host: String, address: String)
    /// The image could not be read: DNS, connection, status, redirect, timeout, S3 error.
    case fetchFailed(source: String, detail: String)
    /// More bytes than the cap.
    case tooLarge(source: String, limit: Int)

    public var errorType: String {
        switch self {
        case .reference(let error): error.errorType
        case .forbiddenAddress: "Image.Forbidden"
        case .fetchFailed: "Image.FetchFailed"
        case .tooLarge: "Image.TooLarge"
        }
    }

    public var errorMessage: String {
        switch self {
        case .reference(let error): error.errorMessage
        case .forbiddenAddress(let host, let address):
            "image URL host \(host.prefix(80)) resolves to \(address), which is loopback, private or link-local"
        case .fetchFailed(let source, let detail): "cannot fetch \(source.prefix(200)): \(detail.prefix(200))"
        case .tooLarge(let source, let limit): "\(source.prefix(200)) is larger than \(limit) bytes"
        }
    }
}
