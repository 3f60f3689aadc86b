import Foundation
import NIOCore
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntimeAPI

/// What the Invoke API returns for one invocation.
public enum InvokeOutcome: Sendable, Equatable {
    case success([UInt8])
    /// A function error: the error document and its type, sent as `X-Amz-Function-Error: Unhandled`.
    case functionError(errorType: String, document: [UInt8])
    /// Every allowed execution environment is busy.
    case throttled
}

/// The execution environments of one function: spawns `bootstrap` processes on demand (up to
/// `maxConcurrency`), keeps them warm between invocations, serves each its own Runtime API, and
/// enforces the init and invocation timeouts by killing the process, as Lambda does.
///
/// Nothing a child does can stop the pool: every Runtime API call is checked against the
/// invocation it names (unknown ids, second answers and answers from the wrong environment are
/// refused), a child that crashes, hangs, freezes or never reaches `/next` is killed and its
/// invocation answered, and the next invocation gets a fresh environment.
public actor FunctionPool {
    public let configuration: FunctionConfiguration
    let group: any EventLoopGroup
    let region: String
    var instances: [Int: Instance] = [:]
    var nextInstanceID = 0
    /// Invocations delivered (or reserved for a starting instance) and not yet released.
    var pending: [String: PendingInvocation] = [:]

    /// An invocation from delivery until its environment asks for the next one. As in Lambda,
    /// the timeout covers that whole span: an environment that answered but keeps running
    /// instead of calling `/next` is killed at the timeout.
    struct PendingInvocation {
        var invocation: QueuedInvocation
        var instanceID: Int
        /// The invoker, until it has its answer.
        var reply: Reply?
        var timer: Task<Void, Never>?
        /// The runtime started a streamed response (its upload connection, to cut it when the
        /// invoker leaves).
        var upload: ServerConnection?
        var began = false
        var uploadedBytes = 0
        /// A streamed response kept whole for a buffered invoker.
        var collected: [UInt8] = []
        /// The streaming invoker disconnected; the runtime's writes are refused from now on.
        var invokerGone = false
    }

    enum Reply {
        case buffered(CheckedContinuation<InvokeOutcome, Never>)
        case streaming(AsyncStream<StreamEvent>.Continuation)
    }

    struct QueuedInvocation: Sendable {
        var requestID: String
        var payload: [UInt8]
        var clientContext: String?
        var traceID: String
        var deadlineMilliseconds: Int64 = 0
    }

    final class Instance {
        let id: Int
        var pid: Int32 = 0
        var server: HTTPServer?
        /// A `/next` waiting for work.
        var waitingNext: CheckedContinuation<QueuedInvocation?, Never>?
        /// The invocation this instance was started for, delivered on its first `/next`.
        var reserved: String?
        /// The outcome of `reserved` when the environment ended before that invocation's invoker
        /// was registered (see `place`).
        var reservedOutcome: InvokeOutcome?
        /// The invocation it is running.
        var current: String?
        var initialized = false

        init(id: Int) { self.id = id }
        var isIdle: Bool { waitingNext != nil && current == nil && reserved == nil }
    }

    public init(configuration: FunctionConfiguration, group: any EventLoopGroup, region: String = "us-east-1") {
        self.configuration = configuration
        self.group = group
        self.region = region
    }

    public var functionARN: String { "arn:aws:lambda:\(region):000000000000:function:\(configuration.name)" }

    public var instanceCount: Int { instances.count }

    /// Pids of the running environments (tests).
    public var pids: [Int32] { instances.values.map(\.pid).filter { $0 > 0 } }

    // MARK: - Invoke API side

    /// Runs one invocation to completion (response, function error, timeout or crash).
    public func invoke(payload: [UInt8], clientContext: String?) async -> InvokeOutcome {
        let queued = Self.queue(payload: payload, clientContext: clientContext)
        let target: Instance
        switch await place(queued.requestID) {
        case .placed(let instance): target = instance
        case .throttled: return .throttled
        case .failed(let outcome): return outcome
        }
        return await withCheckedContinuation { reply in
            pending[queued.requestID] = PendingInvocation(
                invocation: queued, instanceID: target.id, reply: .buffered(reply))
            deliver(queued.requestID, to: target)
        }
    }

    /// How long an invocation waits for an environment that answered to ask for more work.
    static let answeredGrace = Duration.milliseconds(100)

    enum Placement {
        case placed(Instance)
        case throttled
        case failed(InvokeOutcome)
    }

    /// Finds an environment for an invocation: an idle one, or a new one reserved for it.
    func place(_ requestID: String) async -> Placement {
        if let idle = instances.values.first(where: { $0.isIdle }) { return .placed(idle) }
        // An environment that has answered is about to ask for its next invocation (it logs its
        // line first): give it a moment rather than starting a cold one, so back-to-back
        // invocations stay on one warm environment, as they do on Lambda.
        var waited = Duration.zero
        while waited < Self.answeredGrace,
            instances.values.contains(where: { $0.current.map { pending[$0]?.reply == nil } ?? false })
        {
            try? await Task.sleep(for: .milliseconds(2))
            waited += .milliseconds(2)
            if let idle = instances.values.first(where: { $0.isIdle }) { return .placed(idle) }
        }
        guard instances.count < configuration.maxConcurrency else { return .throttled }
        // Reserved before the spawn suspends, so the count holds and a `/next` that arrives
        // while the spawn is still returning finds its invocation waiting.
        nextInstanceID += 1
        let instance = Instance(id: nextInstanceID)
        instance.reserved = requestID
        instances[instance.id] = instance
        do {
            try await start(instance)
            // While the spawn was returning, the environment may already have ended (a bootstrap
            // that exits at once or reports an init error): its invocation had no invoker to
            // answer yet, so the outcome waited on the instance.
            if let outcome = instance.reservedOutcome { return .failed(outcome) }
        } catch {
            instances.removeValue(forKey: instance.id)
            let message = "cannot start \(configuration.bootstrap): \(error)"
            return .failed(
                .functionError(
                    errorType: "Runtime.InvalidEntrypoint",
                    document: Self.errorDocument(type: "Runtime.InvalidEntrypoint", message: message)))
        }
        return .placed(instance)
    }

    /// Hands an invocation to its environment once both are ready: called when the invocation
    /// is registered and when the environment asks for work; a no-op until both happened.
    func deliver(_ requestID: String, to instance: Instance) {
        guard var entry = pending[requestID], let waiter = instance.waitingNext,
            instance.reserved == nil || instance.reserved == requestID
        else { return }
        instance.waitingNext = nil
        instance.reserved = nil
        instance.current = requestID
        let timeout = Duration.milliseconds(configuration.timeoutMilliseconds)
        entry.invocation.deadlineMilliseconds = WallClock.nowMilliseconds() + configuration.timeoutMilliseconds
        entry.timer = Task { [weak self] in
            try? await Task.sleep(for: timeout)
            guard !Task.isCancelled else { return }
            await self?.invocationTimedOut(requestID)
        }
        pending[requestID] = entry
        waiter.resume(returning: entry.invocation)
    }

    /// Gives the invoker its answer (once); the invocation stays pending until `release`.
    func answer(_ requestID: String, _ outcome: InvokeOutcome) {
        guard var entry = pending[requestID], let reply = entry.reply else { return }
        entry.reply = nil
        pending[requestID] = entry
        switch reply {
        case .buffered(let continuation):
            continuation.resume(returning: outcome)
        case .streaming(let continuation):
            switch outcome {
            case .success(let body):
                if !entry.began { continuation.yield(.begin(contentType: "application/json")) }
                continuation.yield(.chunk(body))
                continuation.yield(.complete(nil))
            case .functionError(let type, let document):
                continuation.yield(.complete(ErrorReport(document: document, typeHeader: type)))
            case .throttled:
                continuation.yield(.complete(ErrorReport(errorType: "TooManyRequestsException", errorMessage: "")))
            }
            continuation.finish()
        }
    }

    /// Ends an invocation for good: its environment asked for more work, or is gone.
    func release(_ requestID: String, _ outcome: InvokeOutcome) {
        answer(requestID, outcome)
        guard let entry = pending.removeValue(forKey: requestID) else { return }
        entry.timer?.cancel()
        if let instance = instances[entry.instanceID] {
            if instance.current == requestID { instance.current = nil }
            if instance.reserved == requestID { instance.reserved = nil }
        }
    }

    private func invocationTimedOut(_ requestID: String) {
        guard let entry = pending[requestID] else { return }
        let message = "RequestId: \(requestID) Error: Task timed out after \(configuration.timeoutText) seconds"
        answer(
            requestID,
            .functionError(
                errorType: "Sandbox.Timedout", document: Self.errorDocument(type: "Sandbox.Timedout", message: message))
        )
        terminate(entry.instanceID)
    }

    // MARK: - Runtime API side

    func nextInvocation(instanceID: Int) async -> QueuedInvocation? {
        guard let instance = instances[instanceID], instance.waitingNext == nil else { return nil }
        instance.initialized = true
        if let current = instance.current {
            // The previous invocation ends here; unanswered, Lambda treats it as lost.
            release(
                current,
                .functionError(
                    errorType: "Runtime.NoResponse",
                    document: Self.errorDocument(
                        type: "Runtime.NoResponse",
                        message: "the runtime asked for the next invocation without answering \(current)")))
        }
        return await withCheckedContinuation { waiter in
            instance.waitingNext = waiter
            if let reserved = instance.reserved { deliver(reserved, to: instance) }
        }
    }

    /// A buffered answer (`/response` or `/error`). False when the request id is not this
    /// environment's unanswered invocation, or a streamed response already began.
    func respond(instanceID: Int, requestID: String, outcome: InvokeOutcome) -> Bool {
        guard let entry = pending[requestID], entry.instanceID == instanceID, entry.reply != nil, !entry.began
        else { return false }
        answer(requestID, outcome)
        return true
    }

    func initFailed(instanceID: Int, errorType: String, document: [UInt8]) {
        guard let instance = instances[instanceID], !instance.initialized else { return }
        answerReserved(of: instance, .functionError(errorType: errorType, document: document), release: false)
        terminate(instanceID)
    }

    /// Answers the invocation an instance was started for. Until `place` returns, that invocation
    /// has no invoker registered: the outcome then waits on the instance for `place` to return it,
    /// instead of being lost with the invoker waiting for ever.
    private func answerReserved(of instance: Instance, _ outcome: InvokeOutcome, release: Bool) {
        guard let reserved = instance.reserved else { return }
        if pending[reserved] == nil {
            instance.reservedOutcome = instance.reservedOutcome ?? outcome
        } else if release {
            self.release(reserved, outcome)
        } else {
            answer(reserved, outcome)
        }
    }

    private func processExited(instanceID: Int, status: ChildProcesses.ExitStatus) {
        guard let instance = instances.removeValue(forKey: instanceID) else { return }
        func exitError(_ requestID: String) -> InvokeOutcome {
            let message = "RequestId: \(requestID) Error: Runtime exited with error: \(status)"
            return .functionError(
                errorType: "Runtime.ExitError",
                document: Self.errorDocument(type: "Runtime.ExitError", message: message))
        }
        if let current = instance.current { release(current, exitError(current)) }
        if let reserved = instance.reserved { answerReserved(of: instance, exitError(reserved), release: true) }
        instance.waitingNext?.resume(returning: nil)
        instance.waitingNext = nil
        let server = instance.server
        Task { await server?.close() }
    }

    // MARK: - Execution environments

    /// Starts the environment's Runtime API server and its `bootstrap` process.
    private func start(_ instance: Instance) async throws {
        let instanceID = instance.id
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: group, maxBodyBytes: RuntimeAPI.maximumResponseBytes,
            streamsRequestBody: RuntimeAPIRoutes.isStreamedResponse
        ) { [weak self] request in
            guard let self else { return ServerResponse(status: .serviceUnavailable) }
            return await RuntimeAPIRoutes.handle(request, pool: self, instanceID: instanceID)
        }
        instance.server = server
        let bootstrap = URL(fileURLWithPath: configuration.bootstrap)
        do {
            instance.pid = try await ChildProcesses.shared.spawn(
                path: bootstrap.path, environment: environment(runtimePort: server.port),
                directory: bootstrap.deletingLastPathComponent().path
            ) { [weak self] status in
                Task { await self?.processExited(instanceID: instanceID, status: status) }
            }
        } catch {
            await server.close()
            throw error
        }
        let initTimeout = Duration.milliseconds(configuration.initTimeoutMilliseconds)
        Task { [weak self] in
            try? await Task.sleep(for: initTimeout)
            await self?.initTimedOut(instanceID: instanceID)
        }
    }

    private func initTimedOut(instanceID: Int) {
        guard let instance = instances[instanceID], !instance.initialized else { return }
        let message = "init did not reach /next within \(configuration.initTimeoutText) seconds"
        let document = Self.errorDocument(type: "Sandbox.Timedout", message: message)
        answerReserved(of: instance, .functionError(errorType: "Sandbox.Timedout", document: document), release: false)
        terminate(instanceID)
    }

    /// Kills the environment's process group; `processExited` then cleans up.
    func terminate(_ instanceID: Int) {
        guard let pid = instances[instanceID]?.pid, pid > 0 else { return }
        ChildProcesses.shared.killGroup(pid)
    }

    /// Stops every environment (emulator shutdown).
    public func shutdown() async {
        for instance in instances.values {
            if instance.pid > 0 { ChildProcesses.shared.killGroup(instance.pid) }
            await instance.server?.close()
        }
    }

    private func environment(runtimePort: Int) -> [String: String] {
        let taskRoot = URL(fileURLWithPath: configuration.bootstrap).deletingLastPathComponent().path
        let inherited = ProcessInfo.processInfo.environment
        var env: [String: String] = [
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "en_US.UTF-8",
            "TZ": ":UTC",
            "LAMBDA_TASK_ROOT": taskRoot,
            "LAMBDA_RUNTIME_DIR": taskRoot,
            "LD_LIBRARY_PATH": "\(taskRoot)/lib",
            "_HANDLER": "bootstrap",
            "AWS_LAMBDA_RUNTIME_API": "127.0.0.1:\(runtimePort)",
            "AWS_LAMBDA_FUNCTION_NAME": configuration.name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": String(configuration.memoryMB),
            "AWS_LAMBDA_LOG_GROUP_NAME": "/aws/lambda/\(configuration.name)",
            "AWS_LAMBDA_LOG_FORMAT": inherited["AWS_LAMBDA_LOG_FORMAT"] ?? "Text",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        ]
        if let level = inherited["AWS_LAMBDA_LOG_LEVEL"] { env["AWS_LAMBDA_LOG_LEVEL"] = level }
        for (key, value) in configuration.environment { env[key] = value }
        return env
    }

    // MARK: - Helpers

    static func queue(payload: [UInt8], clientContext: String?) -> QueuedInvocation {
        QueuedInvocation(
            requestID: UUID().uuidString.lowercased(), payload: payload, clientContext: clientContext,
            traceID: makeTraceID())
    }

    static func errorDocument(type: String, message: String) -> [UInt8] {
        JSON.object(["errorType": .string(type), "errorMessage": .string(message)]).serialized()
    }

    /// An X-Ray style trace header: `Root=1-<epoch hex>-<96-bit hex>;Parent=<64-bit hex>;Sampled=0`.
    static func makeTraceID() -> String {
        func hex(_ value: UInt64, digits: Int) -> String {
            let s = String(value, radix: 16)
            return String(repeating: "0", count: max(0, digits - s.count)) + s
        }
        let epoch = UInt64(WallClock.nowMilliseconds() / 1000)
        let root =
            hex(UInt64(UInt32.random(in: .min ... .max)), digits: 8) + hex(UInt64.random(in: .min ... .max), digits: 16)
        let parent = hex(UInt64.random(in: .min ... .max), digits: 16)
        return "Root=1-\(hex(epoch, digits: 8))-\(root);Parent=\(parent);Sampled=0"
    }
}
