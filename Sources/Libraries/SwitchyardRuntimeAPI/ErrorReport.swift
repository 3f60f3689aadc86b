import SwitchyardCore
import SwitchyardJSON

/// The error document of the Runtime API, `{"errorMessage":…,"errorType":…,"stackTrace":[]}`:
/// the body of `/error` and `/init/error`, and (base64) of a streamed response's error trailer.
public struct ErrorReport: Error, Sendable, Equatable {
    public var errorType: String
    public var errorMessage: String

    public init(errorType: String, errorMessage: String) {
        self.errorType = errorType
        self.errorMessage = errorMessage
    }

    /// `{"errorMessage":…,"errorType":…,"stackTrace":[]}`.
    public var body: [UInt8] {
        let document: JSON = ["errorMessage": .string(errorMessage), "errorType": .string(errorType), "stackTrace": []]
        return document.serialized()
    }

    /// The `Lambda-Runtime-Function-Error-Body` trailer value: the document, base64.
    public var trailerValue: String { Base64.encode(body) }

    /// Reads a document a runtime posted. The type comes from the `Lambda-Runtime-Function-Error-Type`
    /// header when there is one (Lambda's rule), then from the body's `errorType`; a body that is
    /// not a JSON object becomes the message (its first KiB), so nothing a runtime sends is lost
    /// or trusted to be well-formed.
    public init(document: [UInt8], typeHeader: String?) {
        if let parsed = try? JSON.parse(document), case .object = parsed {
            errorType = typeHeader ?? parsed["errorType"]?.stringValue ?? "Runtime.Unknown"
            errorMessage = parsed["errorMessage"]?.stringValue ?? ""
        } else {
            errorType = typeHeader ?? "Runtime.Unknown"
            errorMessage = String(decoding: document.prefix(1024), as: UTF8.self)
        }
    }

    /// Reads a streamed response's error trailers; nil when there is no error type.
    public init?(trailerType: String?, trailerBody: String?) {
        guard let trailerType, !trailerType.isEmpty else { return nil }
        let document = trailerBody.flatMap { try? Base64.decode($0) } ?? []
        self.init(document: document, typeHeader: trailerType)
    }
}
