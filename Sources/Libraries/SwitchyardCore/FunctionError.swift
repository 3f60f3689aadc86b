/// An error a Lambda function reports with a stable, machine-matchable type.
///
/// `errorType` is what Step Functions matches in `Retry`/`Catch` `ErrorEquals` and what the
/// Invoke API returns, so it must come from a small fixed set (no dynamic parts); details belong
/// in `errorMessage`. The runtime reports any other thrown error as `Switchyard.Unhandled`.
public protocol FunctionError: Error, Sendable, CustomStringConvertible {
    /// Stable identifier such as `Router.UnknownModel`; reused verbatim in `infra/` Retry/Catch blocks.
    var errorType: String { get }
    /// One line for a client developer: what failed and with which input. Never keys or full prompts.
    var errorMessage: String { get }
}

extension FunctionError {
    public var description: String { "\(errorType): \(errorMessage)" }
}

/// Errors raised while reading configuration at init; reported to `/runtime/init/error`.
public enum ConfigurationError: FunctionError, Equatable {
    case missing(variable: String)
    case invalid(variable: String, value: String, expected: String)
    case unreadableFile(path: String, reason: String)
    case invalidDocument(source: String, detail: String)

    public var errorType: String {
        switch self {
        case .missing: "Config.Missing"
        case .invalid: "Config.Invalid"
        case .unreadableFile: "Config.UnreadableFile"
        case .invalidDocument: "Config.InvalidDocument"
        }
    }

    public var errorMessage: String {
        switch self {
        case .missing(let variable): "environment variable \(variable) is required but not set"
        case .invalid(let variable, let value, let expected):
            "environment variable \(variable)=\"\(value.prefix(80))\" is invalid: expected \(expected)"
        case .unreadableFile(let path, let reason): "cannot read \(path): \(reason)"
        case .invalidDocument(let source, let detail): "\(source): \(detail)"
        }
    }
}
