#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Logging
import SwitchyardCore

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
            logger.critical("init failed", metadata: ["errorType": "\(report.errorType)", "errorMessage": "\(report.errorMessage)"])
            try? client.reportInitError(report)
            exit(1)
        }

        do {
            var loop = Loop(client: client, handler: handler, logger: logger, deadlineMargin: configuration.deadlineMargin)
            while true { try await loop.runOnce() }
        } catch {
            logger.critical("Runtime API failure, exiting", metadata: ["error": "\(error)"])
            exit(2)
        }
    }

    /// One iteration of the loop, separated from process concerns so tests can drive it with
    /// any `RuntimeAPIClient`.
    public struct Loop<Client: RuntimeAPIClient, Handler: ByteHandler> {
        public var client: Client
        public let handler: Handler
        public let logger: Logger
        public let deadlineMargin: Duration

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

            let outcome = await Self.invoke(handler, event: invocation.event, context: context, margin: deadlineMargin)
            switch outcome {
            case .success(let body) where body.count > RuntimeAPI.maximumResponseBytes:
                let report = errorReport(for: RuntimeError.responseTooLarge(bytes: body.count, limit: RuntimeAPI.maximumResponseBytes))
                invocationLogger.error("\(report.errorMessage)")
                try client.reportError(requestID: invocation.requestID, report)
            case .success(let body):
                do {
                    try client.respond(requestID: invocation.requestID, body: body)
                } catch .payloadTooLarge {
                    // The platform's limit may be lower than ours (e.g. an emulator setting).
                    let report = errorReport(for: RuntimeError.responseTooLarge(bytes: body.count, limit: RuntimeAPI.maximumResponseBytes))
                    try client.reportError(requestID: invocation.requestID, report)
                }
            case .failure(let report):
                invocationLogger.error("invocation failed", metadata: ["errorType": "\(report.errorType)", "errorMessage": "\(report.errorMessage)"])
                try client.reportError(requestID: invocation.requestID, report)
            }
        }

        /// Runs the handler, racing it against the deadline minus `margin`. On a timeout the
        /// handler task is cancelled and abandoned: the invocation is reported as
        /// `Sandbox.Timedout` while the environment can still answer, instead of being killed.
        static func invoke(_ handler: Handler, event: [UInt8], context: InvocationContext, margin: Duration) async
            -> Result<[UInt8], ErrorReport>
        {
            let budget = context.remainingTime - margin
            guard budget > .zero else {
                return .failure(errorReport(for: RuntimeError.deadlineExceeded(milliseconds: max(0, context.remainingTime.milliseconds))))
            }
            let race = Race<[UInt8]>()
            let work = Task {
                do {
                    race.finish(.success(try await handler.handle(event, context: context)))
                } catch {
                    race.finish(.failure(errorReport(for: error)))
                }
            }
            let timer = Task {
                try? await Task.sleep(for: budget)
                if !Task.isCancelled {
                    let allowed = budget + margin
                    race.finish(.failure(errorReport(for: RuntimeError.deadlineExceeded(milliseconds: allowed.milliseconds))))
                }
            }
            let result = await race.value
            timer.cancel()
            work.cancel()
            return result
        }
    }
}

/// Maps any thrown error to the report Lambda expects. Only `FunctionError`s choose their
/// `errorType`: a Swift type name would be unstable and too coarse for Retry/Catch rules.
func errorReport(for error: any Error) -> ErrorReport {
    if let functionError = error as? any FunctionError {
        return ErrorReport(errorType: functionError.errorType, errorMessage: String(functionError.errorMessage.prefix(4096)))
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

extension Duration {
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds * 1000 + attoseconds / 1_000_000_000_000_000
    }
}
