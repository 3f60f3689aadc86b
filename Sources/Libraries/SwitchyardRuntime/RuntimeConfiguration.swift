import Logging
import SwitchyardCore

/// What the runtime reads from the environment, once, before the first `/next`.
///
/// Keys: `AWS_LAMBDA_RUNTIME_API` (required, `host:port`), `AWS_LAMBDA_FUNCTION_NAME`,
/// `AWS_LAMBDA_LOG_FORMAT` (`Text` | `JSON`, default Text), `AWS_LAMBDA_LOG_LEVEL` or `LOG_LEVEL`
/// (TRACE, DEBUG, INFO, WARN, ERROR, FATAL; default INFO), `SWITCHYARD_DEADLINE_MARGIN_MS`
/// (default 50: how long before the deadline the runtime gives up on a handler and reports
/// `Sandbox.Timedout` itself, so the environment stays warm instead of being killed).
public struct RuntimeConfiguration: Sendable {
    public var runtimeAPI: String
    public var functionName: String
    public var logFormat: LogFormat
    public var logLevel: Logger.Level
    public var deadlineMargin: Duration

    public enum LogFormat: String, Sendable { case text, json }

    public init(
        runtimeAPI: String, functionName: String = "function", logFormat: LogFormat = .text,
        logLevel: Logger.Level = .info, deadlineMargin: Duration = .milliseconds(50)
    ) {
        self.runtimeAPI = runtimeAPI
        self.functionName = functionName
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.deadlineMargin = deadlineMargin
    }

    public init(environment: Environment) throws(ConfigurationError) {
        runtimeAPI = try environment.require("AWS_LAMBDA_RUNTIME_API")
        functionName = environment.string("AWS_LAMBDA_FUNCTION_NAME", default: "function")
        switch environment.string("AWS_LAMBDA_LOG_FORMAT", default: "Text").lowercased() {
        case "json": logFormat = .json
        case "text": logFormat = .text
        case let other: throw .invalid(variable: "AWS_LAMBDA_LOG_FORMAT", value: other, expected: "Text or JSON")
        }
        let levelName = environment["AWS_LAMBDA_LOG_LEVEL"] ?? environment["LOG_LEVEL"] ?? "INFO"
        guard let level = Logger.Level(lambdaName: levelName) else {
            throw .invalid(
                variable: "AWS_LAMBDA_LOG_LEVEL", value: levelName, expected: "TRACE, DEBUG, INFO, WARN, ERROR or FATAL"
            )
        }
        logLevel = level
        deadlineMargin = .milliseconds(
            try environment.int("SWITCHYARD_DEADLINE_MARGIN_MS", default: 50, range: 0...60_000))
    }
}

extension Logger.Level {
    /// Lambda's level names (and swift-log's own).
    init?(lambdaName: String) {
        switch lambdaName.uppercased() {
        case "TRACE": self = .trace
        case "DEBUG": self = .debug
        case "INFO": self = .info
        case "NOTICE": self = .notice
        case "WARN", "WARNING": self = .warning
        case "ERROR": self = .error
        case "FATAL", "CRITICAL": self = .critical
        default: return nil
        }
    }

    var lambdaName: String {
        switch self {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }
}
