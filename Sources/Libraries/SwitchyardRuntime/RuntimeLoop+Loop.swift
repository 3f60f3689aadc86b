import Logging
import SwitchyardCore

extension RuntimeLoop {
    /// One iteration of the loop, separated from process concerns so tests can drive it with
    /// any `RuntimeAPIClient`.
    public struct Loop<Client: RuntimeAPIClient, Handler: InvocationHandler>: Sendable {
        public var client: Client
        public let handler: Handler
        public let logger: Logger
        /// How much earlier than the platform's deadline the handler's deadline is (see
        /// `RuntimeConfiguration.deadlineMargin`).
        public let deadlineMargin: Duration
        public let functionName: String
        public let compute: ComputeEnvironment
        /// When the process started, until the first invocation reports its init duration.
        var initStartedAt: ContinuousClock.Instant?
        var watchdog: DeadlineWatchdog?
        /// Posts the watchdog's `Sandbox.Timedout` (over a connection of its own).
        var reportTimeout: (@Sendable (String, ErrorReport) -> Void)?
        /// Cancels the running handler's task (its epoch).
        var cancelHandler: (@Sendable () -> Void)?
        /// Where each invocation's line goes (standard error; tests capture it).
        var emitRecord: @Sendable (InvocationRecord) -> Void = { $0.emit() }

        public init(
            client: Client, handler: Handler, logger: Logger,
            deadlineMargin: Duration = RuntimeConfiguration.defaultDeadlineMargin, functionName: String = "function",
            compute: ComputeEnvironment = ComputeEnvironment(memoryMB: 128)
        ) {
            self.client = client
            self.handler = handler
            self.logger = logger
            self.deadlineMargin = deadlineMargin
            self.functionName = functionName
            self.compute = compute
        }

        /// How much earlier than the platform's deadline the runtime reports `Sandbox.Timedout`
        /// itself: a quarter of the margin (the handler keeps the other three quarters to post
        /// its own result after its deadline).
        public var reportMargin: Duration { deadlineMargin / 4 }

        /// Waits for one invocation, runs the handler, posts the outcome.
        /// - Throws: `RuntimeAPIError` only; handler failures are reported, not thrown.
        public mutating func runOnce() async throws(RuntimeAPIError) {
            let invocation = try client.next()
            let startedAt = ContinuousClock.now
            let context = prepare(invocation, startedAt: startedAt)
            var record = InvocationRecord(
                requestID: invocation.requestID, functionName: functionName, traceID: invocation.traceID,
                outcome: .success, duration: .zero, initDuration: initStartedAt.map { startedAt - $0 },
                memorySizeMB: Int(compute.memoryMB), timestamp: 0)
            initStartedAt = nil

            let reportMargin = self.reportMargin.milliseconds
            let allowed = invocation.deadlineMilliseconds.subtractingClamped(WallClock.nowMilliseconds())
            if allowed <= reportMargin {
                let report = errorReport(for: RuntimeError.deadlineExceeded(milliseconds: max(0, allowed)))
                try client.reportError(requestID: invocation.requestID, report)
                emit(&record, .failure(report), startedAt)
                return
            }
            if let watchdog, let reportTimeout, let cancelHandler {
                let timeoutRecord = record
                let emit = emitRecord
                watchdog.arm(
                    requestID: invocation.requestID,
                    fireAtMilliseconds: invocation.deadlineMilliseconds - reportMargin, allowedMilliseconds: allowed
                ) { requestID, allowed, streaming in
                    // While streaming, the loop ends the stream with the timeout: only stop the handler.
                    guard !streaming else { return cancelHandler() }
                    let report = errorReport(for: RuntimeError.deadlineExceeded(milliseconds: allowed))
                    reportTimeout(requestID, report)
                    var record = timeoutRecord
                    record.finish(.failure(report), startedAt: startedAt)
                    emit(record)
                    cancelHandler()
                }
            }

            let sink = LoopStreamSink(client: client, requestID: invocation.requestID, watchdog: watchdog)
            let stream = ResponseStream(sink: sink)
            let outcome: Result<[UInt8]?, ErrorReport>
            do {
                outcome = .success(try await handler.invoke(invocation.event, stream: stream, context: context))
            } catch {
                outcome = .failure(errorReport(for: error))
            }
            client = sink.client
            if stream.started || stream.closed {
                try finishStream(stream, outcome, invocation, allowed: allowed, &record, startedAt)
                return
            }
            // The watchdog may have answered this invocation already; never answer twice.
            if let watchdog, !watchdog.settleByLoop() { return }
            let answered = try report(outcome, invocation)
            emit(&record, answered, startedAt)
        }

        /// Ends a streamed response: with the timeout or the handler's error in the trailers, or
        /// not at all when the caller went away (the connection is gone already).
        private mutating func finishStream(
            _ stream: ResponseStream, _ outcome: Result<[UInt8]?, ErrorReport>, _ invocation: Invocation,
            allowed: Int64, _ record: inout InvocationRecord, _ startedAt: ContinuousClock.Instant
        ) throws(RuntimeAPIError) {
            record.streamedBytes = stream.bytesWritten
            let timedOut = watchdog?.timedOutWhileStreaming() ?? false
            if let watchdog, !watchdog.settleByLoop() { return }  // never started: the watchdog answered
            if stream.closed && !stream.started {
                // The stream could not start: the Runtime API refused it. Report as usual.
                let answered = try report(outcome, invocation)
                return emit(&record, answered, startedAt)
            }
            var error: ErrorReport?
            if timedOut {
                error = errorReport(for: RuntimeError.deadlineExceeded(milliseconds: allowed))
            } else if case .failure(let report) = outcome {
                error = report
            }
            if !stream.closed {
                do {
                    try client.finishStream(error: error)
                } catch .streamClosed {
                    record.outcome = .disconnected
                } catch .payloadTooLarge {
                    error = errorReport(
                        for: RuntimeError.responseTooLarge(
                            bytes: stream.bytesWritten, limit: RuntimeAPI.maximumStreamedResponseBytes))
                }
            }
            if stream.closed { record.outcome = .disconnected }
            if record.outcome == .disconnected {
                record.duration = .now - startedAt
                record.timestamp = WallClock.nowMilliseconds()
                return emitRecord(record)
            }
            emit(&record, error.map { .failure($0) } ?? .success(nil), startedAt)
        }

        /// Exports the trace id and builds the handler's context (deadline already less the
        /// margin) with a logger tagged with the request id.
        private func prepare(_ invocation: Invocation, startedAt: ContinuousClock.Instant) -> InvocationContext {
            if let traceID = invocation.traceID {
                setenv("_X_AMZN_TRACE_ID", traceID, 1)
            } else {
                unsetenv("_X_AMZN_TRACE_ID")
            }
            var invocationLogger = logger
            invocationLogger[metadataKey: "aws-request-id"] = "\(invocation.requestID)"
            return InvocationContext(
                requestID: invocation.requestID,
                deadlineMilliseconds: invocation.deadlineMilliseconds.subtractingClamped(deadlineMargin.milliseconds),
                invokedFunctionARN: invocation.invokedFunctionARN, traceID: invocation.traceID,
                clientContext: invocation.clientContext, cognitoIdentity: invocation.cognitoIdentity,
                logger: invocationLogger, platformDeadlineMilliseconds: invocation.deadlineMilliseconds,
                compute: compute, startedAt: startedAt)
        }

        /// Runs the loop's own per-invocation code once, without I/O and without the handler,
        /// so the first real invocation is not slowed by code running for the first time. It
        /// moves those microseconds into init, which Lambda runs before any request waits.
        /// Only what every invocation runs: not the error report, whose first `as? any
        /// FunctionError` scans the conformance records (0.14–0.24 M instructions) for a failure
        /// most processes never have.
        func warmUp() {
            let invocation = Invocation(
                requestID: "warm-up", deadlineMilliseconds: WallClock.nowMilliseconds() + 60_000,
                invokedFunctionARN: "",
                traceID: "Root=1-0", event: [])
            let startedAt = ContinuousClock.now
            _ = prepare(invocation, startedAt: startedAt)
            unsetenv("_X_AMZN_TRACE_ID")
            if let watchdog {
                watchdog.arm(
                    requestID: invocation.requestID, fireAtMilliseconds: invocation.deadlineMilliseconds,
                    allowedMilliseconds: 60_000
                ) { _, _, _ in }
                _ = watchdog.settleByLoop()
            }
            _ = ResponseStream(sink: LoopStreamSink(client: client, requestID: "warm-up", watchdog: nil))
            var record = InvocationRecord(
                requestID: "warm-up", functionName: functionName, traceID: "Root=1-0", outcome: .success,
                duration: .zero, initDuration: .zero, memorySizeMB: Int(compute.memoryMB), timestamp: 0)
            record.finish(.success(nil), startedAt: startedAt)
            _ = record.line()
        }

        /// Posts a buffered outcome; returns what the invoker was told.
        private mutating func report(_ outcome: Result<[UInt8]?, ErrorReport>, _ invocation: Invocation)
            throws(RuntimeAPIError) -> Result<[UInt8]?, ErrorReport>
        {
            switch outcome {
            case .success(let body?) where body.count > RuntimeAPI.maximumResponseBytes:
                let report = errorReport(
                    for: RuntimeError.responseTooLarge(bytes: body.count, limit: RuntimeAPI.maximumResponseBytes))
                try client.reportError(requestID: invocation.requestID, report)
                return .failure(report)
            case .success(let body):
                do {
                    try client.respond(requestID: invocation.requestID, body: body ?? [])
                } catch .payloadTooLarge {
                    // The platform's limit may be lower than ours (e.g. an emulator setting).
                    let report = errorReport(
                        for: RuntimeError.responseTooLarge(
                            bytes: body?.count ?? 0, limit: RuntimeAPI.maximumResponseBytes))
                    try client.reportError(requestID: invocation.requestID, report)
                    return .failure(report)
                }
                return outcome
            case .failure(let report):
                try client.reportError(requestID: invocation.requestID, report)
                return outcome
            }
        }

        private func emit(
            _ record: inout InvocationRecord, _ answered: Result<[UInt8]?, ErrorReport>,
            _ startedAt: ContinuousClock.Instant
        ) {
            record.finish(answered, startedAt: startedAt)
            emitRecord(record)
        }
    }
}

extension InvocationRecord {
    /// Fills in the outcome, duration and time stamp once the invocation was answered.
    mutating func finish(_ answered: Result<[UInt8]?, ErrorReport>, startedAt: ContinuousClock.Instant) {
        duration = .now - startedAt
        timestamp = WallClock.nowMilliseconds()
        switch answered {
        case .success:
            outcome = .success
        case .failure(let report):
            outcome = report.errorType == "Sandbox.Timedout" ? .timeout : .error
            errorType = report.errorType
            errorMessage = report.errorMessage
        }
    }
}

/// The loop's client, lent to a `ResponseStream` for the length of one invocation.
final class LoopStreamSink<Client: RuntimeAPIClient>: ResponseStreamSink {
    var client: Client
    let requestID: String
    let watchdog: DeadlineWatchdog?

    init(client: Client, requestID: String, watchdog: DeadlineWatchdog?) {
        self.client = client
        self.requestID = requestID
        self.watchdog = watchdog
    }

    func start(contentType: String) throws(RuntimeAPIError) {
        // From the first byte on only this connection can end the response: take the
        // invocation from the watchdog, unless it answered already.
        if let watchdog, !watchdog.claimForStream() { throw .streamClosed }
        try client.startStream(requestID: requestID, contentType: contentType)
    }

    func write(_ bytes: [UInt8]) throws(RuntimeAPIError) {
        try client.writeStream(bytes)
    }
}
