// The echo function: returns its event unchanged. Used to test and benchmark the runtime itself.
import SwitchyardRuntime

struct EchoHandler: ByteHandler {
    func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8] { event }
}

await RuntimeLoop.runBytes { EchoHandler() }
