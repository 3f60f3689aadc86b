import SwitchyardCore

/// Every way a model call can fail, with the `errorType` Step Functions matches.
///
/// `Provider.*` errors come from one upstream attempt and drive retry and fallback;
/// `LLM.*` errors are about the request itself and stop before any (further) paid call.
public enum LLMError: FunctionError, Equatable {
    /// 429 or a throttling error; `retryAfter` from `retry-after`/`retry-after-ms` when sent.
    case rateLimited(provider: String, message: String, retryAfter: Duration?)
    /// 5xx, 529 overloaded, or an error event inside a stream.
    case upstream(provider: String, status: Int, message: String)
    /// No complete answer before the attempt's deadline.
    case timeout(provider: String, milliseconds: Int64)
    /// The stream (or body) ended before the provider's terminator: never a success.
    case truncated(provider: String, detail: String)
    /// A 2xx answer that is not the documented shape (malformed JSON, missing fields).
    case badResponse(provider: String, detail: String)
    /// 401/403: the key is missing, wrong or not allowed this model.
    case authentication(provider: String, message: String)
    /// No connection could be made.
    case unreachable(provider: String, detail: String)
    /// Another 4xx from the provider: the request itself is wrong for that provider.
    case rejected(provider: String, status: Int, message: String)
    /// The request is invalid before any call (empty messages, unknown role, bad image...).
    case invalidRequest(String)
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
        case .invalidRequest: "LLM.InvalidRequest"
        case .contextWindowExceeded: "LLM.ContextWindowExceeded"
        case .credentialsUnavailable: "LLM.CredentialsUnavailable"
        }
    }

    public var errorMessage: String {
        switch self {
        case .rateLimited(let p, let m, let after):
            "\(p) rate-limited the call: \(m)" + (after.map { " (retry after \(Self.ms($0)) ms)" } ?? "")
        case .upstream(let p, let status, let m): "\(p) failed with \(status): \(m)"
        case .timeout(let p, let ms): "\(p) gave no complete answer within \(ms) ms"
        case .truncated(let p, let d): "\(p) ended the response early: \(d)"
        case .badResponse(let p, let d): "\(p) sent an unexpected response: \(d)"
        case .authentication(let p, let m): "\(p) refused the credentials: \(m)"
        case .unreachable(let p, let d): "\(p) is unreachable: \(d)"
        case .rejected(let p, let status, let m): "\(p) rejected the request with \(status): \(m)"
        case .invalidRequest(let m): m
        case .contextWindowExceeded(let m): m
        case .credentialsUnavailable(let m): m
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
        case .invalidRequest: false
        default: true
        }
    }

    static func ms(_ d: Duration) -> Int64 {
        let (s, a) = d.components
        return s * 1000 + a / 1_000_000_000_000_000
    }
}
