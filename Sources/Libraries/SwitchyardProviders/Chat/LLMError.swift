import SwitchyardContract
import SwitchyardCore

/// Every way a model call can fail, with the `errorType` Step Functions and dashboards match.
///
/// `Provider.*` errors come from one upstream attempt and drive retry and fallback;
/// `LLM.*` errors are about the request itself and stop before any (further) paid call.
public enum LLMError: FunctionError, Equatable {
    /// 429 or a throttling error; `retryAfter` from `retry-after`/`retry-after-ms` when sent.
    case rateLimited(provider: ProviderID, message: String, retryAfter: Duration?)
    /// 5xx, 529 overloaded, or an error event inside a stream.
    case upstream(provider: ProviderID, status: Int, message: String)
    /// No complete answer before the attempt's deadline.
    case timeout(provider: ProviderID, milliseconds: Int64)
    /// The stream (or body) ended before the provider's terminator: never a success.
    case truncated(provider: ProviderID, detail: String)
    /// A 2xx answer that is not the documented shape (malformed JSON, missing fields, numbers out of range).
    case badResponse(provider: ProviderID, detail: String)
    /// 401/403: the key is missing, wrong or not allowed this model.
    case authentication(provider: ProviderID, message: String)
    /// No connection could be made.
    case unreachable(provider: ProviderID, detail: String)
    /// Another 4xx from the provider: the request itself is wrong for that provider.
    case rejected(provider: ProviderID, status: Int, message: String)
    /// Skipped without a call: the endpoint or model is cooling down after failures or a rate limit.
    case coolingDown(provider: ProviderID)
    /// Skipped without a call: this model cannot take the request's content (images at a text
    /// model, an image URL at a provider that takes only bytes).
    case unsupportedContent(provider: ProviderID, message: String)
    /// The request is invalid before any call (empty messages, unknown role, bad image...).
    case invalidRequest(String)
    /// The plan names a model the catalog does not have.
    case unknownModel(String)
    /// The prompt does not fit the model's context window (ours or the provider's verdict).
    case contextWindowExceeded(String)
    /// The key could not be read from the environment or Secrets Manager.
    case credentialsUnavailable(String)

    public var errorType: String {
        switch self {
        case .rateLimited: "Provider.RateLimited"
        case .upstream: "Provider.UpstreamError"
        case .timeout: "Provider.Timeout"
        case .truncated: "Provider.Truncated"
        case .badResponse: "Provider.BadResponse"
        case .authentication: "Provider.AuthenticationFailed"
        case .unreachable: "Provider.Unreachable"
        case .rejected: "Provider.RequestRejected"
        case .coolingDown: "Provider.CoolingDown"
        case .unsupportedContent: "LLM.UnsupportedContent"
        case .invalidRequest: "LLM.InvalidRequest"
        case .unknownModel: "LLM.UnknownModel"
        case .contextWindowExceeded: "LLM.ContextWindowExceeded"
        case .credentialsUnavailable: "LLM.CredentialsUnavailable"
        }
    }

    public var errorMessage: String {
        switch self {
        case .rateLimited(let p, let m, let after):
            "\(p.rawValue) rate-limited the call: \(m)" + (after.map { " (retry after \($0.milliseconds) ms)" } ?? "")
        case .upstream(let p, let status, let m): "\(p.rawValue) failed with \(status): \(m)"
        case .timeout(let p, let ms): "\(p.rawValue) gave no complete answer within \(ms) ms"
        case .truncated(let p, let d): "\(p.rawValue) ended the response early: \(d)"
        case .badResponse(let p, let d): "\(p.rawValue) sent an unexpected response: \(d)"
        case .authentication(let p, let m): "\(p.rawValue) refused the credentials: \(m)"
        case .unreachable(let p, let d): "\(p.rawValue) is unreachable: \(d)"
        case .rejected(let p, let status, let m): "\(p.rawValue) rejected the request with \(status): \(m)"
        case .coolingDown(let p): "skipped: \(p.rawValue) is cooling down after repeated failures or a rate limit"
        case .unsupportedContent(let p, let m): "skipped \(p.rawValue): \(m)"
        case .invalidRequest(let m), .unknownModel(let m), .contextWindowExceeded(let m),
            .credentialsUnavailable(let m):
            m
        }
    }

    /// Worth another attempt at the same model after a pause.
    public var isRetryable: Bool {
        switch self {
        case .rateLimited, .upstream, .timeout, .truncated, .badResponse, .unreachable: true
        default: false
        }
    }

    /// Worth trying the next model in the router's list. Everything except errors in the
    /// request itself: another provider may have a larger window or a valid key.
    public var allowsFallback: Bool {
        switch self {
        case .invalidRequest, .unknownModel: false
        default: true
        }
    }

    /// The error counts against the provider's health (cooldowns).
    public var isHealthFailure: Bool { isRetryable }
}
