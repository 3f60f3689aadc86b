import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntime

/// Actions: echo, fail, unhandled, nan, big, sleep, block, crash, freeze, env, deadline, compute,
/// log, abuse (buffered, here) and stream (streamed, ProbeStreaming.swift).
struct ProbeEvent: Decodable, Sendable {
    var action: String
    var message: String?
    var bytes: Int?
    var milliseconds: Int?
    var names: [String]?
    /// `stream`: how many chunks, and after how many to throw `Probe.Failure` (0: before any).
    var chunks: Int?
    var failAfter: Int?
    /// `log`: metadata of the logged line.
    var metadata: [String: String]?
}

struct ProbeFailure: FunctionError {
    var message: String
    var errorType: String { "Probe.Failure" }
    var errorMessage: String { message }
}

struct PlainSwiftError: Error {}

/// Either a JSON document or a bare number; a NaN number makes the runtime's encoding fail.
enum ProbeOutput: Encodable, Sendable {
    case document(JSON)
    case number(Double)

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .document(let json): try container.encode(json)
        case .number(let value): try container.encode(value)
        }
    }
}

struct ProbeHandler: FunctionHandler {
    func handle(_ event: ProbeEvent, context: InvocationContext) async throws -> ProbeOutput {
        // NaN is not representable in JSON: the runtime must report it, not emit invalid JSON.
        if event.action == "nan" { return .number(.nan) }
        return .document(try await respond(to: event, context: context))
    }

    func respond(to event: ProbeEvent, context: InvocationContext) async throws -> JSON {
        switch event.action {
        case "echo":
            return ["message": .string(event.message ?? ""), "requestId": .string(context.requestID)]
        case "fail":
            throw ProbeFailure(message: event.message ?? "failed on purpose")
        case "unhandled":
            throw PlainSwiftError()
        case "big":
            return .string(String(repeating: "x", count: event.bytes ?? 7_000_000))
        case "sleep":
            try await Task.sleep(for: .milliseconds(event.milliseconds ?? 10_000))
            return ["slept": .integer(Int64(event.milliseconds ?? 10_000))]
        case "block":
            // Ignores cancellation, like CPU-bound or blocking code would.
            usleep(UInt32((event.milliseconds ?? 10_000) * 1000))
            return ["blocked": .integer(Int64(event.milliseconds ?? 10_000))]
        case "crash":
            exit(3)
        case "freeze":
            // Stops the whole process, so only the emulator's own timeout can end the invocation.
            raise(SIGSTOP)
            return [:]
        case "deadline":
            // Uses all the time the runtime gives it, then answers: the margin must be enough
            // to get this result out before the platform's deadline.
            // `bytes` pads the result to the size of a real structured outcome.
            try await Task.sleep(until: context.deadline, clock: .continuous)
            return [
                "handlerDeadlineMs": .integer(context.deadlineMilliseconds),
                "platformDeadlineMs": .integer(context.platformDeadlineMilliseconds),
                "answeredAtMs": .integer(WallClock.nowMilliseconds()),
                "requestId": .string(context.requestID),
                "padding": .string(String(repeating: "x", count: event.bytes ?? 0)),
            ]
        case "compute":
            if let ms = event.milliseconds { try await Task.sleep(for: .milliseconds(ms)) }
            return [
                "memoryMB": .integer(context.compute.memoryMB),
                "architecture": .string(context.compute.architecture),
                "elapsedMs": .integer(context.elapsed.milliseconds),
            ]
        case "log":
            context.logger.info(
                "\(event.message ?? "")", metadata: (event.metadata ?? [:]).mapValues { .string($0) })
            return ["logged": true]
        case "abuse":
            return .object(RuntimeAPIAbuse.run())
        case "env":
            var values = JSONObject()
            for name in event.names ?? [] {
                values[name] = getenv(name).map { .string(String(cString: $0)) } ?? .null
            }
            values["remainingMs"] = .integer(Int64(context.remainingTime.components.seconds * 1000))
            values["traceId"] = context.traceID.map(JSON.string) ?? .null
            values["clientContext"] = context.clientContext.map(JSON.string) ?? .null
            values["functionArn"] = .string(context.invokedFunctionARN)
            values["pid"] = .integer(Int64(getpid()))
            return .object(values)
        default:
            throw ProbeFailure(message: "unknown action \(event.action)")
        }
    }
}
