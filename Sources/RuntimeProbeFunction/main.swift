// runtime-probe: a function whose misbehaviour is chosen by its event, for testing the runtime
// and the emulator with a real process (`Tests/Integration/test_runtime.py`).
//
// Event: {"action": "echo" | "fail" | "unhandled" | "nan" | "big" | "sleep" | "crash" | "env", ...}
// Env:   PROBE_INIT_FAIL=1 makes init fail (reported to /runtime/init/error).
#if canImport(Glibc)
import Glibc
#endif
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntime

struct ProbeEvent: Decodable, Sendable {
    var action: String
    var message: String?
    var bytes: Int?
    var milliseconds: Int?
    var names: [String]?
}

struct ProbeFailure: FunctionError {
    var message: String
    var errorType: String { "Probe.Failure" }
    var errorMessage: String { message }
}

struct PlainSwiftError: Error {}

struct ProbeHandler: FunctionHandler {
    func handle(_ event: ProbeEvent, context: InvocationContext) async throws -> JSON {
        switch event.action {
        case "echo":
            return ["message": .string(event.message ?? ""), "requestId": .string(context.requestID)]
        case "fail":
            throw ProbeFailure(message: event.message ?? "failed on purpose")
        case "unhandled":
            throw PlainSwiftError()
        case "nan":
            // Not representable in JSON: the runtime must report it, not emit invalid JSON.
            return try JSONEncoder().encodeToJSON(["value": Double.nan])
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
        case "env":
            var values = JSONObject()
            for name in event.names ?? [] {
                values[name] = getenv(name).map { .string(String(cString: $0)) } ?? .null
            }
            values["remainingMs"] = .integer(Int64(context.remainingTime.components.seconds * 1000))
            values["traceId"] = context.traceID.map(JSON.string) ?? .null
            values["clientContext"] = context.clientContext.map(JSON.string) ?? .null
            values["functionArn"] = .string(context.invokedFunctionARN)
            return .object(values)
        default:
            throw ProbeFailure(message: "unknown action \(event.action)")
        }
    }
}

await RuntimeLoop.run {
    if Environment.process["PROBE_INIT_FAIL"] == "1" {
        throw ConfigurationError.missing(variable: "PROBE_REQUIRED_SETTING")
    }
    return ProbeHandler()
}
