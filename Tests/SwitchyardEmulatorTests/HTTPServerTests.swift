import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization
import XCTest

@testable import SwitchyardEmulator

final class HTTPServerTests: XCTestCase {
    /// A raw client: sends `request`, returns the socket for reading.
    private func connect(_ port: Int, _ request: String) throws -> FileHandle {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Foundation.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        XCTAssertEqual(rc, 0)
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        handle.write(Data(request.utf8))
        return handle
    }

    private func read(_ handle: FileHandle, until marker: String) -> String {
        var text = ""
        while !text.contains(marker) {
            let data = handle.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
        }
        return text
    }

    func testAStreamedResponseIsSentAsItIsProduced() async throws {
        let (parts, output) = AsyncStream<ResponseBodyPart>.makeStream()
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 1024
        ) { _ in ServerResponse(status: .ok, headers: [("Content-Type", "text/plain")], bodyStream: parts) }
        let handle = try connect(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        output.yield(.bytes(Array("first".utf8)))
        let head = read(handle, until: "first\r\n")
        XCTAssertTrue(head.hasPrefix("HTTP/1.1 200 OK"), head)
        XCTAssertTrue(head.lowercased().contains("transfer-encoding: chunked"), head)
        XCTAssertTrue(head.hasSuffix("5\r\nfirst\r\n"), "the first chunk arrived before the end: \(head)")
        output.yield(.bytes(Array("second".utf8)))
        output.yield(.trailers([("X-Error", "none")]))
        output.finish()
        let rest = read(handle, until: "\r\n\r\n")
        XCTAssertEqual(rest, "6\r\nsecond\r\n0\r\nX-Error: none\r\n\r\n")
        await server.close()
    }

    func testAHandlerLearnsThatItsClientWentAway() async throws {
        let closed = Mutex(false)
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 1024
        ) { request in
            request.connection.onClose { closed.withLock { $0 = true } }
            try? await Task.sleep(for: .seconds(5))
            return ServerResponse(status: .ok)
        }
        var handle: FileHandle? = try connect(server.port, "GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try await Task.sleep(for: .milliseconds(100))
        try handle?.close()
        handle = nil
        for _ in 0..<200 where !closed.withLock({ $0 }) { try await Task.sleep(for: .milliseconds(10)) }
        XCTAssertTrue(closed.withLock { $0 })
        await server.close()
    }

    func testAnOversizedBodyIsRefusedAndTheConnectionStaysUsable() async throws {
        let server = try await HTTPServer.start(
            host: "127.0.0.1", port: 0, group: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 10
        ) { request in ServerResponse(status: request.bodyTooLarge ? .payloadTooLarge : .ok) }
        let body = String(repeating: "x", count: 100)
        let handle = try connect(
            server.port,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n\(body)GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        let answers = read(handle, until: "200 OK")
        XCTAssertTrue(answers.hasPrefix("HTTP/1.1 413"), answers)
        XCTAssertTrue(answers.contains("HTTP/1.1 200 OK"), answers)
        await server.close()
    }
}
