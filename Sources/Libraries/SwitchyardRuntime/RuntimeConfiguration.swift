import Logging
import SwitchyardCore

/// What the runtime reads from the environment, once, before the first `/next`.
///
/// Keys: `AWS_LAMBDA_RUNTIME_API` (required, `host:port`), `AWS_LAMBDA_FUNCTION_NAME`,
/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (MB, 128...10240, default 128), `AWS_LAMBDA_LOG_FORMAT`
/// (`Text` | `JSON`, default Text), `AWS_LAMBDA_LOG_LEVEL` or `LOG_LEVEL` (TRACE, DEBUG, INFO,
/// WARN, ERROR, FATAL; default INFO), `SWITCHYARD_DEADLINE_MARGIN_MS` (see `deadlineMargin`).
public struct RuntimeConfiguration: Sendable {
    public var runtimeAPI: String
    public var functionName: String
    public var logFormat: LogFormat
    public var logLevel: Logger.Level
    /// The one deadline margin, owned by the runtime. Env: `SWITCHYARD_DEADLINE_MARGIN_MS`
    /// (0...60000). Default 200 ms.
    ///
    /// Handlers get `InvocationContext.deadline` this much earlier than Lambda's deadline, so a
    /// handler that stops at its deadline can still build and post a structured result (a
    /// failed outcome with its usage) before Lambda would kill it. The runtime itself reports
    /// `Sandbox.Timedout` a quarter of the margin before Lambda's deadline when a handler
    /// overruns, so the environment stays warm. Why 200 ms: posting a result costs well under a
    /// millisecond at full CPU (docs/runtime.md has the measurement), but a 128 MB function gets
    /// about 1/14 of a vCPU, in slices of the CFS period (100 ms by default): the three quarters
    /// left to the handler (150 ms) cover one whole throttled period plus the work at 1/14 speed;
    /// the watchdog's quarter (50 ms) is what the runtime always kept for its own report.
    public var deadlineMargin: Duration
    /// Memory size and architecture, handed to every handler.
    public var compute: ComputeEnvironment

    public enum LogFormat: String, Sendable { case text, json }

    /// `deadlineMargin`'s default.
    public static let defaultDeadlineMargin = Duration.milliseconds(200)

    public init(
        runtimeAPI: String, functionName: String = "function", logFormat: LogFormat = .text,
        logLevel: Logger.Level = .info, deadlineMargin: Duration = RuntimeConfiguration.defaultDeadlineMargin,
        compute: ComputeEnvironment = ComputeEnvironment(memoryMB: 128)
    ) {
        self.runtimeAPI = runtimeAPI
        self.functionName = functionName
        self.logFormat = logFormat
        self.logLevel = logLevel
        self.deadlineMargin = deadlineMargin
        self.compute = compute
    }

    /// - Throws: `Config.Missing` without `AWS_LAMBDA_RUNTIME_API`; `Config.Invalid` naming the
    ///   variable for any value out of range or not understood.
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
            try environment.int(
                "SWITCHYARD_DEADLINE_MARGIN_MS", default: Int(Self.defaultDeadlineMargin.milliseconds),
                range: 0...60_000))
        compute = try ComputeEnvironment(environment: environment)
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
