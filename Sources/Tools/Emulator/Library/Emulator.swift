import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardCore
import SwitchyardJSON

/// The local Lambda service: the Invoke API on one port, a `FunctionPool` per configured
/// function behind it. AWS SDKs and a local Step Functions engine reach it with
/// `endpoint_url=http://127.0.0.1:<port>`.
public final class Emulator: Sendable {
    public let port: Int
    private let pools: [String: FunctionPool]
    private let server: HTTPServer
    /// SQS event source mappings and schedules (`TriggerConfiguration.swift`).
    public let mappings: [SQSEventSourceMapping]
    public let schedules: [ScheduledInvocation]

    /// Lambda's synchronous invocation request limit.
    public static let maximumRequestBytes = 6 * 1024 * 1024

    public static func start(configuration: EmulatorConfiguration, host: String, port: Int, group: any EventLoopGroup)
        async throws -> Emulator
    {
        var pools: [String: FunctionPool] = [:]
        for function in configuration.functions {
            try function.validate(source: "function \(function.name)")
            pools[function.name] = FunctionPool(configuration: function, group: group)
        }
        let routes = InvokeAPIRoutes(pools: pools)
        let server = try await HTTPServer.start(host: host, port: port, group: group, maxBodyBytes: maximumRequestBytes)
        { request in
            await routes.handle(request)
        }
        let log: @Sendable (String) -> Void = {
            FileHandle.standardError.write(Data("switchyard-emulator: \($0)\n".utf8))
        }
        let mappings = configuration.eventSourceMappings.compactMap { mapping in
            pools[mapping.function].map {
                SQSEventSourceMapping(configuration: mapping, pool: $0, environment: .process, log: log)
            }
        }
        let schedules = configuration.schedules.compactMap { schedule in
            pools[schedule.function].map { ScheduledInvocation(configuration: schedule, pool: $0, log: log) }
        }
        for mapping in mappings { mapping.start() }
        for schedule in schedules { schedule.start() }
        return Emulator(port: server.port, pools: pools, server: server, mappings: mappings, schedules: schedules)
    }

    private init(
        port: Int, pools: [String: FunctionPool], server: HTTPServer, mappings: [SQSEventSourceMapping],
        schedules: [ScheduledInvocation]
    ) {
        self.port = port
        self.pools = pools
        self.server = server
        self.mappings = mappings
        self.schedules = schedules
    }

    public func shutdown() async {
        for mapping in mappings { mapping.stop() }
        for schedule in schedules { schedule.stop() }
        await server.close()
        for pool in pools.values { await pool.shutdown() }
    }
}

/// `POST /2015-03-31/functions/{FunctionName}/invocations` with Lambda's status codes, headers
/// and error bodies; `GET /health` for scripts waiting on start-up. `FunctionName` may be a name,
/// a qualified name or a full ARN, percent-encoded or not (Step Functions sends the ARN encoded).
struct InvokeAPIRoutes: Sendable {
    let pools: [String: FunctionPool]

    /// Every answer carries `x-amzn-RequestId`, as Lambda's do: SDKs put it into their error
    /// metadata, and a Step Functions engine reads it when it turns a 429 into
    /// `Lambda.TooManyRequestsException`.
    func handle(_ request: ServerRequest) async -> ServerResponse {
        var response = await route(request)
        response.headers.append(("x-amzn-RequestId", UUID().uuidString.lowercased()))
        return response
    }

    private func route(_ request: ServerRequest) async -> ServerResponse {
        let path = request.path.split(separator: "?", maxSplits: 1).first.map(String.init) ?? request.path
        let parts = path.split(separator: "/").map { String($0).removingPercentEncoding ?? String($0) }
        if let streamed = await InvokeStreamRoutes(invoke: self).handle(request, parts: parts) { return streamed }
        if request.method == .GET, parts == ["health"] {
            let names = pools.keys.sorted().map { JSON.string($0) }
            return .json(.ok, JSON.object(["status": "ok", "functions": .array(names)]).serialized())
        }
        guard request.method == .POST, parts.count == 4, parts[0] == "2015-03-31", parts[1] == "functions",
            parts[3] == "invocations"
        else {
            return awsError(.notFound, "UnknownOperationException", "Unknown operation \(request.method) \(path)")
        }
        let name = Self.functionName(fromIdentifier: parts[2])
        guard let pool = pools[name] else {
            return awsError(
                .notFound, "ResourceNotFoundException",
                "Function not found: arn:aws:lambda:us-east-1:000000000000:function:\(name)")
        }
        if request.bodyTooLarge {
            return awsError(
                .payloadTooLarge, "RequestEntityTooLargeException",
                "Request must be smaller than \(Emulator.maximumRequestBytes) bytes for the InvokeFunction operation")
        }
        let payload = request.body.isEmpty ? Array("{}".utf8) : request.body
        guard (try? JSON.parse(payload)) != nil else {
            return awsError(
                .badRequest, "InvalidRequestContentException",
                "Could not parse request body into json: the payload is not valid JSON")
        }
        let clientContext = request.headers.first(name: "X-Amz-Client-Context").flatMap { try? Base64.decode($0) }.map {
            String(decoding: $0, as: UTF8.self)
        }
        switch request.headers.first(name: "X-Amz-Invocation-Type") ?? "RequestResponse" {
        case "DryRun":
            return ServerResponse(status: .noContent)
        case "Event":
            Task { _ = await pool.invoke(payload: payload, clientContext: clientContext) }
            return ServerResponse(status: .accepted)
        case "RequestResponse":
            break
        case let other:
            return awsError(.badRequest, "InvalidParameterValueException", "Unsupported InvocationType \(other)")
        }
        switch await pool.invoke(payload: payload, clientContext: clientContext) {
        case .success(let body):
            return .json(.ok, body, headers: [("X-Amz-Executed-Version", "$LATEST")])
        case .functionError(_, let document):
            return .json(
                .ok, document, headers: [("X-Amz-Executed-Version", "$LATEST"), ("X-Amz-Function-Error", "Unhandled")])
        case .throttled:
            return awsError(
                .tooManyRequests, "TooManyRequestsException", "Rate Exceeded.",
                reason: "ReservedFunctionConcurrentInvocationLimitExceeded")
        }
    }

    /// Accepts a name (`echo`), a qualified name (`echo:$LATEST`) or an ARN, as Lambda does.
    static func functionName(fromIdentifier identifier: String) -> String {
        let fields = identifier.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        if fields.count >= 7, fields[0] == "arn" { return fields[6] }
        return fields[0]
    }

    func awsError(_ status: HTTPResponseStatus, _ type: String, _ message: String, reason: String? = nil)
        -> ServerResponse
    {
        var body = JSONObject()
        if let reason { body["Reason"] = .string(reason) }
        body["Type"] = "User"
        body["message"] = .string(message)
        return .json(status, JSON.object(body).serialized(), headers: [("x-amzn-ErrorType", type)])
    }
}
