import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// Every refusal of the front door, with the HTTP status and the OpenAI error shape it is sent as
/// (`{"error": {"message", "type", "param", "code"}}`), so the official clients raise their own
/// typed exceptions (`AuthenticationError`, `RateLimitError`, `BadRequestError`…).
public enum FrontDoorError: FunctionError, Equatable {
    /// The body is not JSON, a field has the wrong type or range, or a required one is missing.
    case invalidRequest(param: String?, message: String)
    /// No `Authorization: Bearer` header, or a key that is not one of ours.
    case invalidAPIKey
    /// A key that was revoked (or rotated away).
    case revokedAPIKey
    /// The key's requests- or tokens-per-minute limit; `retryAfterSeconds` until it allows one more.
    case rateLimited(limit: String, retryAfterSeconds: Int)
    /// The tenant's monthly budget is spent (the ledger refused the reservation, or the router did).
    case budgetExceeded(message: String)
    /// A model the catalog does not have (or the key's tier may not use).
    case modelNotFound(String)
    case notFound(path: String)
    case methodNotAllowed(method: String, path: String)
    case payloadTooLarge(limit: Int)
    case headersTooLarge(limit: Int)
    /// The client took too long to send its request.
    case requestTimeout
    /// Every candidate model failed; `errorType` is the llm-caller's.
    case upstreamFailed(errorType: String, message: String)
    /// The state machine would not run the request now (throttling, `ExecutionLimitExceeded`): 429
    /// with `retry-after`, since a retry may pass.
    case throttled(message: String, retryAfterSeconds: Int)
    /// The image could not be read or decoded (`Image.*`, `Vision.NotAnImage`…): 400, `param: image`.
    case badImage(errorType: String, message: String)
    /// The image is over the detector's byte or pixel caps: 413.
    case imageTooLarge(errorType: String, message: String)
    /// The router refused for a reason other than budget (`Router.*`).
    case routerRejected(errorType: String, message: String)
    /// A store the request needs (ledger, usage queue) did not answer in time.
    case unavailable(String)
    /// Admission could not get the budget ledger's answer within its bound (or its queue was
    /// full): refused at once, 503 with `retry-after`, nothing reserved.
    case admissionBusy(String)
    case internalError(String)

    public var errorType: String {
        switch self {
        case .invalidRequest: "FrontDoor.InvalidRequest"
        case .invalidAPIKey: "FrontDoor.InvalidAPIKey"
        case .revokedAPIKey: "FrontDoor.RevokedAPIKey"
        case .rateLimited: "FrontDoor.RateLimited"
        case .budgetExceeded: "FrontDoor.BudgetExceeded"
        case .modelNotFound: "FrontDoor.ModelNotFound"
        case .notFound: "FrontDoor.NotFound"
        case .methodNotAllowed: "FrontDoor.MethodNotAllowed"
        case .payloadTooLarge: "FrontDoor.PayloadTooLarge"
        case .headersTooLarge: "FrontDoor.HeadersTooLarge"
        case .requestTimeout: "FrontDoor.RequestTimeout"
        case .upstreamFailed: "FrontDoor.UpstreamFailed"
        case .throttled: StepFunctionsBackend.throttledErrorType
        case .badImage: "FrontDoor.BadImage"
        case .imageTooLarge: "FrontDoor.ImageTooLarge"
        case .routerRejected: "FrontDoor.Rejected"
        case .unavailable: "FrontDoor.Unavailable"
        case .admissionBusy: "FrontDoor.AdmissionBusy"
        case .internalError: "FrontDoor.Internal"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalidRequest(_, let message): message
        case .invalidAPIKey: "Incorrect API key provided. Send it as 'Authorization: Bearer <key>'."
        case .revokedAPIKey: "This API key has been revoked."
        case .rateLimited(let limit, let seconds):
            "Rate limit reached for this key (\(limit)); retry in \(seconds) s."
        case .budgetExceeded(let message): message
        case .modelNotFound(let model):
            "The model '\(model.prefix(80))' does not exist or you do not have access to it."
        case .notFound(let path): "Unknown request URL: \(path.prefix(120))."
        case .methodNotAllowed(let method, let path): "\(method.prefix(16)) is not allowed on \(path.prefix(120))."
        case .payloadTooLarge(let limit): "The request body exceeds \(limit) bytes."
        case .headersTooLarge(let limit): "The request headers exceed \(limit) bytes."
        case .requestTimeout: "The request was not received in time."
        case .upstreamFailed(let type, let message): "Every model failed (\(type)): \(message)"
        case .throttled(let message, let seconds):
            "The pipeline is busy; retry in \(seconds) s (\(message.prefix(200)))."
        case .badImage(_, let message), .imageTooLarge(_, let message): message
        case .routerRejected(_, let message): message
        case .unavailable(let what): "Temporarily unavailable: \(what)"
        case .admissionBusy(let what): "Too busy to admit this request now (\(what)); retry in 1 s."
        case .internalError(let what): "Internal error: \(what)"
        }
    }

    /// The HTTP status it is sent with.
    public var status: Int {
        switch self {
        case .invalidRequest: 400
        case .invalidAPIKey, .revokedAPIKey: 401
        case .rateLimited, .budgetExceeded, .throttled: 429
        case .modelNotFound, .notFound: 404
        case .methodNotAllowed: 405
        case .requestTimeout: 408
        case .payloadTooLarge: 413
        case .headersTooLarge: 431
        case .routerRejected: 400
        case .upstreamFailed: 502
        case .badImage: 400
        case .imageTooLarge: 413
        case .unavailable, .admissionBusy: 503
        case .internalError: 500
        }
    }

    /// OpenAI's `error.type`.
    public var openAIType: String {
        switch self {
        case .invalidRequest, .modelNotFound, .notFound, .methodNotAllowed, .payloadTooLarge, .headersTooLarge,
            .requestTimeout, .routerRejected, .badImage, .imageTooLarge:
            "invalid_request_error"
        case .invalidAPIKey, .revokedAPIKey: "authentication_error"
        case .rateLimited, .throttled: "rate_limit_error"
        case .budgetExceeded: "insufficient_quota"
        case .upstreamFailed: "upstream_error"
        case .unavailable, .admissionBusy: "service_unavailable"
        case .internalError: "server_error"
        }
    }

    /// OpenAI's `error.code`.
    public var openAICode: String? {
        switch self {
        case .invalidAPIKey: "invalid_api_key"
        case .revokedAPIKey: "api_key_revoked"
        case .rateLimited: "rate_limit_exceeded"
        case .throttled: "pipeline_throttled"
        case .budgetExceeded: "insufficient_quota"
        case .modelNotFound: "model_not_found"
        case .payloadTooLarge: "payload_too_large"
        case .headersTooLarge: "headers_too_large"
        case .admissionBusy: "admission_busy"
        case .upstreamFailed(let type, _), .routerRejected(let type, _), .badImage(let type, _),
            .imageTooLarge(let type, _):
            type
        default: nil
        }
    }

    /// Headers the refusal carries: `retry-after` for rate limits; `x-should-retry: false` where a
    /// retry cannot succeed (the openai client retries 429s and 5xx otherwise).
    public var headers: [(String, String)] {
        switch self {
        case .rateLimited(_, let seconds), .throttled(_, let seconds): [("retry-after", String(seconds))]
        case .unavailable, .admissionBusy: [("retry-after", "1")]
        case .budgetExceeded, .upstreamFailed, .routerRejected, .internalError: [("x-should-retry", "false")]
        default: []
        }
    }

    /// A failed step as the refusal the client gets: a throttled state machine is a 429 with
    /// `retry-after`; anything else is a 502 naming the step's error.
    public static func upstream(_ error: StepError) -> FrontDoorError {
        if error.errorType == StepFunctionsBackend.throttledErrorType {
            return .throttled(message: error.errorMessage, retryAfterSeconds: 1)
        }
        return .upstreamFailed(errorType: error.errorType, message: error.errorMessage)
    }

    /// The OpenAI-shaped body.
    public var body: [UInt8] {
        var param = JSON.null
        if case .invalidRequest(let name?, _) = self { param = .string(name) }
        if case .badImage = self { param = .string("image") }
        if case .imageTooLarge = self { param = .string("image") }
        let error = JSONObject([
            ("message", .string(errorMessage)), ("type", .string(openAIType)), ("param", param),
            ("code", openAICode.map { .string($0) } ?? .null), ("switchyard_error_type", .string(errorType)),
        ])
        return JSON.object(JSONObject([("error", .object(error))])).serialized()
    }
}
