import Logging
import SwitchyardCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// The Lambda Runtime API loop: next → handler → response or error, forever.
///
/// A handler failure is reported and the loop carries on; a Runtime API failure ends the
/// process with a non-zero status (Lambda then replaces the environment); an init failure is
/// reported to `/runtime/init/error` before exiting.
public enum RuntimeLoop {
    /// Reads `RuntimeConfiguration` from the process environment, builds the handler with
    /// `makeHandler` (init phase) and serves invocations until SIGTERM. Never returns.
    public static func run<Handler: FunctionHandler>(_ makeHandler: () async throws -> Handler) async -> Never {
        await runBytes { CodableByteHandler(try await makeHandler()) }
    }

    /// As `run`, for a handler that works on raw bytes.
    public static func runBytes<Handler: ByteHandler>(_ makeHandler: () async throws -> Handler) async -> Never {
        installTerminationHandler()
        let configuration: RuntimeConfiguration
        do {
            configuration = try RuntimeConfiguration(environment: .process)
        } catch {
            // Without AWS_LAMBDA_RUNTIME_API there is nobody to report to but standard error.
            writeStandardError("switchyard-runtime: \(error.errorMessage)\n")
            exit(1)
        }
        var client: SocketRuntimeAPIClient
        do {
            client = try SocketRuntimeAPIClient(endpoint: configuration.runtimeAPI)
        } catch {
            writeStandardError("switchyard-runtime: \(error)\n")
            exit(1)
        }
        let logFormat = configuration.logFormat
        let logLevel = configuration.logLevel
        LoggingSystem.bootstrap { label in LambdaLogHandler(label: label, format: logFormat, level: logLevel) }
        let logger = Logger(label: configuration.functionName)

        let handler: Handler
        do {
            handler = try await makeHandler()
        } catch {
            let report = errorReport(for: error)
            logger.critical(
                "init failed", metadata: ["errorType": "\(report.errorType)", "errorMessage": "\(report.errorMessage)"])
            try? client.reportInitError(report)
            exit(1)
        }

        let endpoint = configuration.runtimeAPI
        client.warmUp()
        let loop = Loop(client: client, handler: handler, logger: logger, deadlineMargin: configuration.deadlineMargin)
        do {
            try await serve(loop) { requestID, report in
                // On the watchdog thread, over a connection of its own: the loop's connection
                // belongs to the loop, which may still be inside the handler.
                var reporter = try? SocketRuntimeAPIClient(endpoint: endpoint)
                try? reporter?.reportError(requestID: requestID, report)
            }
        } catch {
            logger.critical("Runtime API failure, exiting", metadata: ["error": "\(error)"])
        }
        exit(2)
    }

    /// Serves invocations until the Runtime API fails, enforcing each invocation's deadline.
    ///
    /// Handlers run inline in the loop's task (no task or thread hop per invocation). The loop
    /// runs in epochs, one task each: when the watchdog times an invocation out it reports it
    /// through `reportTimeout` and cancels the epoch's task so a cooperative handler stops; as
    /// cancellation lasts for the rest of a task's life, the next invocation starts a new epoch.
    public static func serve<Client: RuntimeAPIClient, Handler: ByteHandler>(
        _ loop: Loop<Client, Handler>, reportTimeout: @escaping @Sendable (String, ErrorReport) -> Void
    ) async throws(RuntimeAPIError) {
        let epochs = EpochCanceller()
        var loop = loop
        loop.watchdog = DeadlineWatchdog()
        loop.onTimeout = { requestID, report in
            reportTimeout(requestID, report)
            epochs.cancelCurrent()
        }
        loop.warmUp()
        while true {
            let epoch = Task { [loop] () -> (Loop<Client, Handler>, RuntimeAPIError?) in
                var loop = loop
                while !Task.isCancelled {
                    do throws(RuntimeAPIError) { try await loop.runOnce() } catch { return (loop, error) }
                }
                return (loop, nil)
            }
            epochs.set(epoch)
            let (next, failure) = await epoch.value
            if let failure { throw failure }
            loop = next
        }
    }

    /// One iteration of the loop, separated from process concerns so tests can drive it with
    /// any `RuntimeAPIClient`.
    public struct Loop<Client: RuntimeAPIClient, Handler: ByteHandler>: Sendable {
        public var client: Client
        public let handler: Handler
        public let logger: Logger
        public let deadlineMargin: Duration
        var watchdog: DeadlineWatchdog?
        var onTimeout: (@Sendable (String, ErrorReport) -> Void)?

        public init(client: Client, handler: Handler, logger: Logger, deadlineMargin: Duration = .milliseconds(50)) {
            self.client = client
            self.handler = handler
            self.logger = logger
            self.deadlineMargin = deadlineMargin
        }

        /// Waits for one invocation, runs the handler, posts the outcome.
        /// - Throws: `RuntimeAPIError` only; handler failures are reported, not thrown.
        public mutating func runOnce() async throws(RuntimeAPIError) {
            let invocation = try client.next()
            let (context, invocationLogger) = prepare(invocation)

            let marginMilliseconds = deadlineMargin.milliseconds
            let allowed = invocation.deadlineMilliseconds - WallClock.nowMilliseconds()
            if allowed <= marginMilliseconds {
                try report(
                    .failure(errorReport(for: RuntimeError.deadlineExceeded(milliseconds: max(0, allowed)))),
                    invocation, invocationLogger)
                return
            }
            if let watchdog, let onTimeout {
                let timeoutLogger = invocationLogger
                watchdog.arm(
                    requestID: invocation.requestID,
                    fireAtMilliseconds: invocation.deadlineMilliseconds - marginMilliseconds,
                    allowedMilliseconds: allowed
                ) { requestID, allowed in
                    let report = errorReport(for: RuntimeError.deadlineExceeded(milliseconds: allowed))
                    timeoutLogger.error("invocation timed out", metadata: ["errorType": "\(report.errorType)"])
                    onTimeout(requestID, report)
                }
            }
            let outcome: Result<[UInt8], ErrorReport>
            do {
                outcome = .success(try await handler.handle(invocation.event, context: context))
            } catch {
                outcome = .failure(errorReport(for: error))
            }
            // The watchdog may have answered this invocation already; never answer twice.
            if let watchdog, !watchdog.settleByLoop() { return }
            try report(outcome, invocation, invocationLogger)
        }

        /// Exports the trace id and builds the handler's context and the invocation's logger.
        private func prepare(_ invocation: Invocation) -> (InvocationContext, Logger) {
            if let traceID = invocation.traceID {
                setenv("_X_AMZN_TRACE_ID", traceID, 1)
            } else {
                unsetenv("_X_AMZN_TRACE_ID")
            }
            var invocationLogger = logger
            invocationLogger[metadataKey: "aws-request-id"] = "\(invocation.requestID)"
            let context = InvocationContext(
                requestID: invocation.requestID, deadlineMilliseconds: invocation.deadlineMilliseconds,
                invokedFunctionARN: invocation.invokedFunctionARN, traceID: invocation.traceID,
                clientContext: invocation.clientContext, cognitoIdentity: invocation.cognitoIdentity,
                logger: invocationLogger)
            return (context, invocationLogger)
        }

        /// Runs the loop's own per-invocation code once, without I/O and without the handler,
        /// so the first real invocation is not slowed by code running for the first time. It
        /// moves those microseconds into init, which Lambda runs before any request waits.
        func warmUp() {
            let invocation = Invocation(
                requestID: "warm-up", deadlineMilliseconds: WallClock.nowMilliseconds() + 60_000,
                invokedFunctionARN: "",
                traceID: "Root=1-0", event: [])
            _ = prepare(invocation)
            unsetenv("_X_AMZN_TRACE_ID")
            if let watchdog {
                watchdog.arm(
                    requestID: invocation.requestID, fireAtMilliseconds: invocation.deadlineMilliseconds,
                    allowedMilliseconds: 60_000
                ) { _, _ in }
                _ = watchdog.settleByLoop()
            }
            _ = errorReport(for: RuntimeError.deadlineExceeded(milliseconds: 0)).body
        }

        private mutating func report(
            _ outcome: Result<[UInt8], ErrorReport>, _ invocation: Invocation, _ logger: Logger
        ) throws(RuntimeAPIError) {
            switch outcome {
            case .success(let body) where body.count > RuntimeAPI.maximumResponseBytes:
                let report = errorReport(
                    for: RuntimeError.responseTooLarge(bytes: body.count, limit: RuntimeAPI.maximumResponseBytes))
                logger.error("\(report.errorMessage)")
                try client.reportError(requestID: invocation.requestID, report)
            case .success(let body):
                do {
                    try client.respond(requestID: invocation.requestID, body: body)
                } catch .payloadTooLarge {
                    // The platform's limit may be lower than ours (e.g. an emulator setting).
                    let report = errorReport(
                        for: RuntimeError.responseTooLarge(bytes: body.count, limit: RuntimeAPI.maximumResponseBytes))
                    try client.reportError(requestID: invocation.requestID, report)
                }
            case .failure(let report):
                logger.error(
                    "invocation failed",
                    metadata: ["errorType": "\(report.errorType)", "errorMessage": "\(report.errorMessage)"])
                try client.reportError(requestID: invocation.requestID, report)
            }
        }
    }
}

/// The current epoch's task, so the watchdog thread can cancel it.
final class EpochCanceller: Sendable {
    private let current = Mutex<(@Sendable () -> Void)?>(nil)

    func set<T>(_ task: Task<T, Never>) { current.withLock { $0 = { task.cancel() } } }
    func cancelCurrent() { current.withLock { $0 }?() }
}

/// Maps any thrown error to the report Lambda expects. Only `FunctionError`s choose their
/// `errorType`: a Swift type name would be unstable and too coarse for Retry/Catch rules.
func errorReport(for error: any Error) -> ErrorReport {
    if let functionError = error as? any FunctionError {
        return ErrorReport(
            errorType: functionError.errorType, errorMessage: String(functionError.errorMessage.prefix(4096)))
    }
    return ErrorReport(errorType: "Switchyard.Unhandled", errorMessage: String(String(describing: error).prefix(4096)))
}

private func writeStandardError(_ text: String) {
    var text = text
    text.withUTF8 { _ = write(2, $0.baseAddress, $0.count) }
}

/// SIGTERM (sent by Lambda at shutdown, and by the emulator) ends the process at once with
/// status 0: logs are written unbuffered, so there is nothing to flush. SIGPIPE is ignored so a
/// Runtime API connection closed under a write is an error to handle, not a silent death.
private func installTerminationHandler() {
    signal(SIGTERM) { _ in _exit(0) }
    signal(SIGPIPE, SIG_IGN)
}
