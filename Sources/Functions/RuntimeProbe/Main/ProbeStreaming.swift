import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntime

/// The probe as the loop runs it: `stream` answers in Lambda's streaming mode, every other
/// action through the buffered `ProbeHandler`.
struct Probe: InvocationHandler {
    let buffered = CodableByteHandler(ProbeHandler())

    func invoke(_ event: [UInt8], stream: ResponseStream, context: InvocationContext) async throws -> [UInt8]? {
        if let probe = try? JSON.decode(ProbeEvent.self, from: event), probe.action == "stream" {
            try await streamChunks(probe, stream: stream, context: context)
            return nil
        }
        return try await buffered.handle(event, context: context)
    }

    /// Writes `chunk <i>\n` `chunks` times, `milliseconds` apart; throws `Probe.Failure` after
    /// `failAfter` chunks. A cancellation (caller gone, deadline) is logged with the number of
    /// chunks written, so tests can see the handler noticed it.
    func streamChunks(_ event: ProbeEvent, stream: ResponseStream, context: InvocationContext) async throws {
        stream.contentType = "text/plain"
        let chunks = event.chunks ?? 5
        var written = 0
        do {
            for index in 0..<chunks {
                if event.failAfter == index { throw ProbeFailure(message: "failed after \(index) chunks") }
                if index > 0, let ms = event.milliseconds { try await Task.sleep(for: .milliseconds(ms)) }
                try await stream.write("chunk \(index)\n")
                written += 1
            }
        } catch is CancellationError {
            context.logger.warning("probe: stream cancelled", metadata: ["probe.chunksWritten": "\(written)"])
            throw CancellationError()
        }
    }
}

/// Misbehaves on the environment's own Runtime API, the way a buggy runtime could: garbage
/// bytes, an answer for an unknown request id, a huge header, a request cut off half-way. Each
/// on its own connection; returns what the emulator answered to each (its status line, or
/// `closed`), so tests can check every one was refused and the emulator kept serving.
enum RuntimeAPIAbuse {
    static func run() -> JSONObject {
        guard let endpoint = Environment.process["AWS_LAMBDA_RUNTIME_API"],
            let colon = endpoint.lastIndex(of: ":"), let port = UInt16(endpoint[endpoint.index(after: colon)...])
        else { return ["error": "no AWS_LAMBDA_RUNTIME_API"] }
        var results = JSONObject()
        results["garbage"] = .string(exchange(port, Array("NOT HTTP AT ALL\r\n\r\n".utf8)))
        results["unknownRequestId"] = .string(
            exchange(
                port,
                Array(
                    ("POST /2018-06-01/runtime/invocation/no-such-id/response HTTP/1.1\r\nHost: x\r\n"
                        + "Content-Length: 2\r\n\r\n{}").utf8)))
        results["unknownPath"] = .string(
            exchange(port, Array("GET /2018-06-01/runtime/nothing HTTP/1.1\r\nHost: x\r\n\r\n".utf8)))
        results["hugeHeader"] = .string(
            exchange(
                port,
                Array(("GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\nX-Big: ").utf8)
                    + [UInt8](repeating: UInt8(ascii: "a"), count: 200_000) + Array("\r\n\r\n".utf8)))
        results["cutOff"] = .string(
            exchange(
                port,
                Array("POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\nContent-Length: 100\r\n\r\n{".utf8),
                halfClose: true))
        return results
    }

    /// Sends `bytes` on a fresh connection and returns the first response line, or `closed`.
    private static func exchange(_ port: UInt16, _ bytes: [UInt8], halfClose: Bool = false) -> String {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return "no socket" }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 2, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { return "no connection" }
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        if halfClose { shutdown(fd, Int32(SHUT_WR)) }
        var buffer = [UInt8](repeating: 0, count: 256)
        let n = recv(fd, &buffer, buffer.count, 0)
        guard n > 0 else { return "closed" }
        let text = String(decoding: buffer[0..<n], as: UTF8.self)
        return String(text.split(separator: "\r\n", maxSplits: 1).first ?? "")
    }
}
