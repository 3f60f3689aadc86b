import SwitchyardCore
import SwitchyardHTTP

/// Failures calling an AWS API.
public enum AWSError: FunctionError, Equatable {
    case invalidRequest(String)
    /// The service answered with an error document (`__type`/`code` and `message`).
    case service(service: String, status: Int, code: String, message: String)
    case transport(TransportError)
    case malformedResponse(service: String, detail: String)

    public var errorType: String {
        switch self {
        case .invalidRequest: "AWS.InvalidRequest"
        case .service(_, let status, let code, _):
            // Throttling is worth retrying; everything else the service rejected is not.
            (status == 429 || code.hasSuffix("ThrottlingException") || code == "Throttling")
                ? "AWS.Throttled" : "AWS.ServiceError"
        case .transport(let error): error.errorType
        case .malformedResponse: "AWS.MalformedResponse"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalidRequest(let why): why
        case .service(let service, let status, let code, let message):
            "\(service) answered \(status) \(code): \(message.prefix(300))"
        case .transport(let error): error.errorMessage
        case .malformedResponse(let service, let detail): "\(service) sent an unexpected response: \(detail)"
        }
    }
}
