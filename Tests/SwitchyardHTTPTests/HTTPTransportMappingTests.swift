import SwitchyardHTTP
import XCTest

/// `send(_:deadline:mapError:)`: one place where a transport failure becomes the caller's error.
final class HTTPTransportMappingTests: XCTestCase {
    struct Refusing: HTTPTransport {
        let error: TransportError
        func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError)
            -> HTTPResponse
        { throw error }
        func stream(_ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver)
            async throws(TransportError) -> HTTPResponseHead
        { throw error }
    }

    struct Answering: HTTPTransport {
        func send(_ request: HTTPRequest, deadline: ContinuousClock.Instant) async throws(TransportError)
            -> HTTPResponse
        { HTTPResponse(status: 204) }
        func stream(_ request: HTTPRequest, deadline: ContinuousClock.Instant, into receiver: some HTTPStreamReceiver)
            async throws(TransportError) -> HTTPResponseHead
        { HTTPResponseHead(status: 204, headers: [:]) }
    }

    enum ClientError: Error, Equatable {
        case unreachable(String)
        case other
    }

    final class Sink: HTTPStreamReceiver {
        func receiveHead(_ head: HTTPResponseHead) {}
        func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool { true }
    }

    func map(_ error: TransportError) -> ClientError {
        if case .connectFailed(let why) = error { return .unreachable(why) }
        return .other
    }

    func testFailuresAreMappedAndSuccessesPassThrough() async {
        let request = HTTPRequest(url: "http://127.0.0.1:1/")
        let deadline = ContinuousClock.now.advanced(by: .seconds(1))
        do {
            _ = try await Refusing(error: .connectFailed("refused")).send(request, deadline: deadline, mapError: map)
            XCTFail("expected a mapped error")
        } catch {
            XCTAssertEqual(error, .unreachable("refused"))
        }
        do {
            _ = try await Refusing(error: .timeout(milliseconds: 5)).stream(
                request, deadline: deadline, into: Sink(), mapError: map)
            XCTFail("expected a mapped error")
        } catch {
            XCTAssertEqual(error, .other)
        }
        let response = try? await Answering().send(request, deadline: deadline, mapError: map)
        XCTAssertEqual(response?.status, 204)
    }
}
