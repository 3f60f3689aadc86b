import SwitchyardContract
import SwitchyardCore
import SwitchyardProviders

/// Turns contract image references into what codecs send, after the deployment's access policy:
///
/// - `https://` URLs pass as URLs, for the providers that fetch images themselves (a provider
///   that takes only bytes, Bedrock, skips the model with `LLM.UnsupportedContent`);
/// - inline images are decoded in full, sniffed (`ImageFormat.sniff`: never the declared type
///   alone), and passed as canonical base64 with the sniffed media type;
/// - `s3://` images are refused until the shared, allow-listed fetcher exists.
enum ImagePreparation {
    /// Formats every supported provider accepts.
    static let accepted: [ImageFormat] = [.jpeg, .png, .gif, .webp]

    static func prepare(_ reference: ImageReference, policy: ImageAccessPolicy, path: String) throws(StepError)
        -> ImageSource
    {
        do { try policy.check(reference) } catch {
            throw StepError(errorType: error.errorType, errorMessage: "\(path): \(error.errorMessage)")
        }
        switch reference {
        case .url(let url):
            return .url(url.text)
        case .s3(let bucket, _):
            // TODO(llm): read s3:// images through the shared, allow-listed ImageFetcher once the
            // vision engineer moves it into a library; until then the llm-caller refuses them.
            throw StepError(
                errorType: ImageReferenceError.forbidden("").errorType,
                errorMessage: "\(path): s3://\(bucket.prefix(63))/… images are not read by the llm-caller yet")
        case .inline(let declared, let base64):
            let bytes: [UInt8]
            do { bytes = try Base64.decode(base64) } catch {
                throw invalid("\(path): the inline image is not valid base64")
            }
            guard let format = ImageFormat.sniff(bytes), accepted.contains(format) else {
                throw invalid("\(path): the inline image is not a JPEG, PNG, GIF or WebP image")
            }
            if let declared, declared != format {
                throw invalid(
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
