import Logging
import SwitchyardCore
import Synchronization

/// The Lambda Runtime API loop: next → handler → response or error, forever.
///
/// A handler failure is reported and the loop carries on; a Runtime API failure ends the
/// process with a non-zero status (Lambda then replaces the environment); an init failure is
/// reported to `/runtime/init/error` before exiting. Every invocation ends with one structured
/// line (`InvocationRecord`: log and metrics in one).
public enum RuntimeLoop {
    /// Reads `RuntimeConfiguration` from the process environment, builds the handler with
    /// `makeHandler` (init phase) and serves invocations until SIGTERM. Never returns.
    ///
    /// `makeHandler` is `@Sendable`, so a closure written in `main.swift` is not isolated to the
    /// main actor: init runs on the loop's own thread. A main-actor closure ran on another thread
    /// (on Linux the main queue is drained by a dispatch worker once `main` parks), so every `await`
    /// in init hopped between two threads on two CPUs, and every page the init wrote for the first
    /// time then cost a TLB shoot-down to the other CPU (docs/packaging.md, tenth pass).
    public static func run<Handler: FunctionHandler>(_ makeHandler: @Sendable () async throws -> Handler) async -> Never
    {
        await runBytes { CodableByteHandler(try await makeHandler()) }
    }

    /// As `run`, for a handler that streams its response (Lambda's response streaming mode).
    public static func runStreaming<Handler: StreamingFunctionHandler>(
        _ makeHandler: @Sendable () async throws -> Handler
    )
        async -> Never
    {
        await runBytes { CodableStreamingHandler(try await makeHandler()) }
    }

    /// As `run`, for a handler that works on raw bytes: a `ByteHandler` or a `StreamingByteHandler`.
    public static func runBytes<Handler: InvocationHandler>(_ makeHandler: @Sendable () async throws -> Handler) async
        -> Never
    {
        // Init is timed from here: the dynamic loader and static initialisers ran before.
        let processStart = ContinuousClock.now
        installTerminationHandler()
        let configuration: RuntimeConfiguration
        do {
            configuration = try RuntimeConfiguration(environment: .process)
        } catch {
            // Without AWS_LAMBDA_RUNTIME_API there is nobody to report to but standard error.
            writeLine(Array("switchyard-runtime: \(error.errorMessage)\n".utf8))
            exit(1)
        }
        var client: SocketRuntimeAPIClient
        do {
            client = try SocketRuntimeAPIClient(endpoint: configuration.runtimeAPI)
        } catch {
            writeLine(Array("switchyard-runtime: \(error)\n".utf8))
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
        var loop = Loop(
            client: client, handler: handler, logger: logger, deadlineMargin: configuration.deadlineMargin,
            functionName: configuration.functionName, compute: configuration.compute)
        loop.initStartedAt = processStart
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
    /// A streamed response whose caller disconnects cancels its epoch the same way.
    public static func serve<Client: RuntimeAPIClient, Handler: InvocationHandler>(
        _ loop: Loop<Client, Handler>, reportTimeout: @escaping @Sendable (String, ErrorReport) -> Void
    ) async throws(RuntimeAPIError) {
        let epochs = EpochCanceller()
        var loop = loop
        loop.watchdog = DeadlineWatchdog()
        loop.reportTimeout = reportTimeout
        loop.cancelHandler = { epochs.cancelCurrent() }
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

/// SIGTERM (sent by Lambda at shutdown, and by the emulator) ends the process at once with
/// status 0: logs are written unbuffered, so there is nothing to flush. SIGPIPE is ignored so a
/// Runtime API connection closed under a write is an error to handle, not a silent death.
private func installTerminationHandler() {
    signal(SIGTERM) { _ in _exit(0) }
    signal(SIGPIPE, SIG_IGN)
}
