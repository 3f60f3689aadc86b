import Foundation
import NIOCore
import SwitchyardCore
import SwitchyardJSON

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
public actor FunctionPool {
    public let configuration: FunctionConfiguration
    private let group: any EventLoopGroup
    private let region: String
    private var instances: [Int: Instance] = [:]
    private var nextInstanceID = 0
    /// Invocations delivered (or reserved for a starting instance) and not yet answered.
    private var pending: [String: PendingInvocation] = [:]

    /// An invocation from delivery until its environment asks for the next one. As in Lambda,
    /// the timeout covers that whole span: an environment that answered but keeps running
    /// instead of calling `/next` is killed at the timeout.
    private struct PendingInvocation {
        var invocation: QueuedInvocation
        var instanceID: Int
        /// The invoker, until it has its answer.
        var reply: CheckedContinuation<InvokeOutcome, Never>?
        var timer: Task<Void, Never>?
    }

    struct QueuedInvocation: Sendable {
        var requestID: String
        var payload: [UInt8]
        var clientContext: String?
        var traceID: String
        var deadlineMilliseconds: Int64 = 0
    }

    private final class Instance {
        let id: Int
        var process: Process?
        var server: HTTPServer?
        /// A `/next` waiting for work.
        var waitingNext: CheckedContinuation<QueuedInvocation?, Never>?
        /// The invocation this instance was started for, delivered on its first `/next`.
        var reserved: String?
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

    // MARK: - Invoke API side

    /// Runs one invocation to completion (response, function error, timeout or crash).
    public func invoke(payload: [UInt8], clientContext: String?) async -> InvokeOutcome {
        let queued = QueuedInvocation(
            requestID: UUID().uuidString.lowercased(), payload: payload, clientContext: clientContext,
            traceID: Self.makeTraceID())
        let target: Instance
        if let idle = instances.values.first(where: { $0.isIdle }) {
            target = idle
        } else if instances.count < configuration.maxConcurrency {
            do {
                target = try await spawnInstance()
            } catch {
                return .functionError(
                    errorType: "Runtime.InvalidEntrypoint",
                    document: Self.errorDocument(
                        type: "Runtime.InvalidEntrypoint", message: "cannot start \(configuration.bootstrap): \(error)")
                )
            }
            target.reserved = queued.requestID
        } else {
            return .throttled
        }
        return await withCheckedContinuation { reply in
            pending[queued.requestID] = PendingInvocation(
                invocation: queued, instanceID: target.id, reply: reply, timer: nil)
            if target.reserved == nil { deliver(queued.requestID, to: target) }
        }
    }

    private func deliver(_ requestID: String, to instance: Instance) {
        guard var entry = pending[requestID], let waiter = instance.waitingNext else { return }
        instance.waitingNext = nil
        instance.reserved = nil
        instance.current = requestID
        let timeout = configuration.timeoutSeconds
        entry.invocation.deadlineMilliseconds = WallClock.nowMilliseconds() + Int64(timeout * 1000)
        entry.timer = Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int64(timeout * 1000)))
            guard !Task.isCancelled else { return }
            await self?.invocationTimedOut(requestID)
        }
        pending[requestID] = entry
        waiter.resume(returning: entry.invocation)
    }

    /// Gives the invoker its answer (once); the invocation stays pending until `release`.
    private func answer(_ requestID: String, _ outcome: InvokeOutcome) {
        guard let reply = pending[requestID]?.reply else { return }
        pending[requestID]?.reply = nil
        reply.resume(returning: outcome)
    }

    /// Ends an invocation for good: its environment asked for more work, or is gone.
    private func release(_ requestID: String, _ outcome: InvokeOutcome) {
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
        let message =
            "RequestId: \(requestID) Error: Task timed out after \(Self.seconds(configuration.timeoutSeconds)) seconds"
        answer(
            requestID,
            .functionError(
                errorType: "Sandbox.Timedout", document: Self.errorDocument(type: "Sandbox.Timedout", message: message))
        )
        terminate(entry.instanceID)
    }

    // MARK: - Runtime API side

    fileprivate func nextInvocation(instanceID: Int) async -> QueuedInvocation? {
        guard let instance = instances[instanceID] else { return nil }
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

    fileprivate func respond(instanceID: Int, requestID: String, outcome: InvokeOutcome) -> Bool {
        guard let entry = pending[requestID], entry.instanceID == instanceID, entry.reply != nil else { return false }
        answer(requestID, outcome)
        return true
    }

    fileprivate func initFailed(instanceID: Int, errorType: String, document: [UInt8]) {
        guard let instance = instances[instanceID] else { return }
        if let reserved = instance.reserved {
            answer(reserved, .functionError(errorType: errorType, document: document))
        }
        terminate(instanceID)
    }

    private func processExited(instanceID: Int, status: Int32) {
        guard let instance = instances.removeValue(forKey: instanceID) else { return }
        let message = "RequestId: %@ Error: Runtime exited with error: exit status \(status)"
        for requestID in [instance.current, instance.reserved].compactMap({ $0 }) {
            release(
                requestID,
                .functionError(
                    errorType: "Runtime.ExitError",
                    document: Self.errorDocument(
                        type: "Runtime.ExitError", message: message.replacingOccurrences(of: "%@", with: requestID))))
        }
        instance.waitingNext?.resume(returning: nil)
        instance.waitingNext = nil
        let server = instance.server
        Task { await server?.close() }
    }

    // MARK: - Execution environments

    private func spawnInstance() async throws -> Instance {
        nextInstanceID += 1
        let instance = Instance(id: nextInstanceID)
        let instanceID = instance.id
        instances[instanceID] = instance
        do {
            let server = try await HTTPServer.start(
                host: "127.0.0.1", port: 0, group: group, maxBodyBytes: RuntimeAPILimits.maximumBodyBytes
            ) { [weak self] request in
                guard let self else { return ServerResponse(status: .serviceUnavailable) }
                return await RuntimeAPIRoutes.handle(request, pool: self, instanceID: instanceID)
            }
            instance.server = server
            let process = Process()
            process.executableURL = URL(fileURLWithPath: configuration.bootstrap)
            process.environment = environment(runtimePort: server.port)
            process.currentDirectoryURL = URL(fileURLWithPath: configuration.bootstrap).deletingLastPathComponent()
            process.terminationHandler = { [weak self] process in
                let status = process.terminationStatus
                ChildProcesses.shared.remove(process.processIdentifier)
                Task { await self?.processExited(instanceID: instanceID, status: status) }
            }
            try process.run()
            ChildProcesses.shared.add(process.processIdentifier)
            instance.process = process
        } catch {
            instances.removeValue(forKey: instanceID)
            await instance.server?.close()
            throw error
        }
        let initTimeout = configuration.initTimeoutSeconds
        Task { [weak self] in
            try? await Task.sleep(for: .milliseconds(Int64(initTimeout * 1000)))
            await self?.initTimedOut(instanceID: instanceID)
        }
        return instance
    }

    private func initTimedOut(instanceID: Int) {
        guard let instance = instances[instanceID], !instance.initialized else { return }
        if let reserved = instance.reserved {
            let message = "init did not reach /next within \(Self.seconds(configuration.initTimeoutSeconds)) seconds"
            answer(
                reserved,
                .functionError(
                    errorType: "Sandbox.Timedout",
                    document: Self.errorDocument(type: "Sandbox.Timedout", message: message)))
        }
        terminate(instanceID)
    }

    /// Kills the environment's process; `processExited` then cleans up.
    private func terminate(_ instanceID: Int) {
        guard let instance = instances[instanceID] else { return }
        if let pid = instance.process?.processIdentifier, pid > 0 { kill(pid, SIGKILL) }
    }

    /// Stops every environment (emulator shutdown).
    public func shutdown() async {
        for instance in instances.values {
            if let pid = instance.process?.processIdentifier, pid > 0 { kill(pid, SIGKILL) }
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

    static func errorDocument(type: String, message: String) -> [UInt8] {
        JSON.object(["errorType": .string(type), "errorMessage": .string(message)]).serialized()
    }

    static func seconds(_ value: Double) -> String {
        let hundredths = Int((value * 100).rounded())
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
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
        return
            "Root=1-\(hex(epoch, digits: 8))-\(root);Parent=\(hex(UInt64.random(in: .min ... .max), digits: 16));Sampled=0"
    }
}

// MARK: - Runtime API routes (one server per execution environment)

enum RuntimeAPILimits {
    /// Lambda's buffered response limit, as the Runtime API enforces it.
    static let maximumResponseBytes = 6 * 1024 * 1024
    /// Bodies are read up to this size; beyond it the server answers 413 without buffering.
    static let maximumBodyBytes = maximumResponseBytes
}

enum RuntimeAPIRoutes {
    static func handle(_ request: ServerRequest, pool: FunctionPool, instanceID: Int) async -> ServerResponse {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        let parts = path.split(separator: "/").map(String.init)
        // ["2018-06-01", "runtime", "invocation", "next"] etc.
        guard parts.count >= 3, parts[0] == "2018-06-01", parts[1] == "runtime" else {
            return .json(.notFound, FunctionPool.errorDocument(type: "InvalidRequest", message: "unknown path \(path)"))
        }
        let route = Array(parts.dropFirst(2))
        let invocationID = route.count == 3 && route[0] == "invocation" ? route[1] : nil
        switch request.method {
        case .GET where route == ["invocation", "next"]:
            guard let invocation = await pool.nextInvocation(instanceID: instanceID) else {
                return .json(
                    .gone, FunctionPool.errorDocument(type: "ShutDown", message: "the environment is shutting down"))
            }
            var headers: [(String, String)] = [
                ("Lambda-Runtime-Aws-Request-Id", invocation.requestID),
                ("Lambda-Runtime-Deadline-Ms", String(invocation.deadlineMilliseconds)),
                ("Lambda-Runtime-Invoked-Function-Arn", await pool.functionARN),
                ("Lambda-Runtime-Trace-Id", invocation.traceID),
            ]
            if let clientContext = invocation.clientContext {
                headers.append(("Lambda-Runtime-Client-Context", clientContext))
            }
            return .json(.ok, invocation.payload, headers: headers)
        case .POST where invocationID != nil && route[2] == "response":
            let requestID = invocationID!
            if request.bodyTooLarge {
                let message = "Exceeded maximum allowed payload size (\(RuntimeAPILimits.maximumResponseBytes) bytes)."
                let document = FunctionPool.errorDocument(type: "Function.ResponseSizeTooLarge", message: message)
                _ = await pool.respond(
                    instanceID: instanceID, requestID: requestID,
                    outcome: .functionError(errorType: "Function.ResponseSizeTooLarge", document: document))
                return .json(
                    .payloadTooLarge, FunctionPool.errorDocument(type: "RequestEntityTooLarge", message: message))
            }
            guard await pool.respond(instanceID: instanceID, requestID: requestID, outcome: .success(request.body))
            else {
                return .json(
                    .badRequest,
                    FunctionPool.errorDocument(type: "InvalidRequestID", message: "unknown request id \(requestID)"))
            }
            return .json(.accepted, Array(#"{"status":"OK"}"#.utf8))
        case .POST where invocationID != nil && route[2] == "error":
            let requestID = invocationID!
            let (errorType, document) = errorDocument(from: request)
            guard
                await pool.respond(
                    instanceID: instanceID, requestID: requestID,
                    outcome: .functionError(errorType: errorType, document: document))
            else {
                return .json(
                    .badRequest,
                    FunctionPool.errorDocument(type: "InvalidRequestID", message: "unknown request id \(requestID)"))
            }
            return .json(.accepted, Array(#"{"status":"OK"}"#.utf8))
        case .POST where route == ["init", "error"]:
            let (errorType, document) = errorDocument(from: request)
            await pool.initFailed(instanceID: instanceID, errorType: errorType, document: document)
            return .json(.accepted, Array(#"{"status":"OK"}"#.utf8))
        default:
            return .json(.notFound, FunctionPool.errorDocument(type: "InvalidRequest", message: "unknown path \(path)"))
        }
    }

    /// The error document a runtime posted, normalised: Lambda passes on valid JSON as is, and
    /// the type comes from `Lambda-Runtime-Function-Error-Type`, then the body's `errorType`.
    static func errorDocument(from request: ServerRequest) -> (String, [UInt8]) {
        let headerType = request.headers.first(name: "Lambda-Runtime-Function-Error-Type")
        if let parsed = try? JSON.parse(request.body), case .object = parsed {
            let type = headerType ?? parsed["errorType"]?.stringValue ?? "Runtime.Unknown"
            return (type, request.body)
        }
        let type = headerType ?? "Runtime.Unknown"
        let message = String(decoding: request.body.prefix(1024), as: UTF8.self)
        return (type, FunctionPool.errorDocument(type: type, message: message))
    }
}
