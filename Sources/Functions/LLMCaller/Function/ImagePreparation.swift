import SwitchyardContract
import SwitchyardCore
import SwitchyardImageFetch
import SwitchyardProviders

/// Turns contract image references into what codecs send, after the tenant's access policy
/// (`ImageAccessConfiguration.policy(tenant:)`, the same one the vision function applies):
///
/// - `https://` URLs pass as URLs, for the providers that fetch images themselves (a provider
///   that takes only bytes, Bedrock, skips the model with `LLM.UnsupportedContent`);
/// - inline images are decoded in full, sniffed (`ImageFormat.sniff`: never the declared type
///   alone), and passed as canonical base64 with the sniffed media type;
/// - `s3://` images inside the allow-list are read with the shared `ImageFetcher` (the
///   function's role, a byte cap, the fetch timeout within the deadline), sniffed, and passed
///   inline as base64: no provider can read the deployment's buckets.
///
/// Every reference of the input is checked against the policy before any object is fetched
/// (`checkAll`), so a refused image costs no S3 read of the others.
struct ImagePreparation: Sendable {
    /// Formats every supported provider accepts.
    static let accepted: [ImageFormat] = [.jpeg, .png, .gif, .webp]

    var policy: ImageAccessPolicy
    var fetcher: ImageFetcher
    var deadline: ContinuousClock.Instant

    /// Checks every image reference of `input` against the policy.
    /// - Throws: `Image.Forbidden`, `Image.TooLarge`, `Image.InvalidReference`, naming the first refused one.
    func checkAll(_ input: LLMStepInput) throws(StepError) {
        for (i, message) in (input.request?.messages ?? []).enumerated() {
            for (j, part) in message.content.enumerated() {
                if case .image(let reference) = part {
                    try check(reference, path: "request.messages[\(i)].content[\(j)]")
                }
            }
        }
        for (i, reference) in (input.request?.images ?? []).enumerated() {
            try check(reference, path: "request.images[\(i)]")
        }
        for (i, reference) in (input.item?.images ?? []).enumerated() {
            try check(reference, path: "item.images[\(i)]")
        }
    }

    func check(_ reference: ImageReference, path: String) throws(StepError) {
        do { try policy.check(reference) } catch {
            throw StepError(errorType: error.errorType, errorMessage: "\(path): \(error.errorMessage)")
        }
    }

    func prepare(_ reference: ImageReference, path: String) async throws(StepError) -> ImageSource {
        try check(reference, path: path)
        switch reference {
        case .url(let url):
            return .url(url.text)
        case .s3:
            let bytes: [UInt8]
            do { bytes = try await fetcher.fetch(reference, policy: policy, deadline: deadline) } catch {
                throw StepError(errorType: error.errorType, errorMessage: "\(path): \(error.errorMessage)")
            }
            guard let format = ImageFormat.sniff(bytes), Self.accepted.contains(format) else {
                throw Self.invalid("\(path): \(reference.description) is not a JPEG, PNG, GIF or WebP image")
            }
            return .base64(mediaType: format.mediaType, data: Base64.encode(bytes))
        case .inline(let declared, let base64):
            let bytes: [UInt8]
            do { bytes = try Base64.decode(base64) } catch {
                throw Self.invalid("\(path): the inline image is not valid base64")
            }
            guard let format = ImageFormat.sniff(bytes), Self.accepted.contains(format) else {
                throw Self.invalid("\(path): the inline image is not a JPEG, PNG, GIF or WebP image")
            }
            if let declared, declared != format {
                throw Self.invalid(
                    "\(path): the bytes are \(format.mediaType), but the data URI says \(declared.mediaType)")
            }
            // Providers take standard base64 without line breaks; the contract also allows the
            // URL-safe alphabet and wrapped lines, so re-encode only when those occur.
            let canonical = base64.utf8.allSatisfy { $0 != 0x2D && $0 != 0x5F && $0 != 0x0A && $0 != 0x0D }
            return .base64(mediaType: format.mediaType, data: canonical ? base64 : Base64.encode(bytes))
        }
    }

    static func invalid(_ message: String) -> StepError {
        StepError(errorType: LLMError.invalidRequest("").errorType, errorMessage: message)
    }
}
