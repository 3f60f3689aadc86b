import CZlib
import SwitchyardJSON
import SwitchyardRuntimeAPI
import XCTest

@testable import SwitchyardEmulator

/// Decodes the framing independently of the encoder (prelude, CRCs, string headers), so an
/// encoder bug cannot be mirrored by the check; boto3 reads the same bytes in test_streaming.py.
private struct Message {
    var headers: [String: String]
    var payload: [UInt8]
}

private func decode(_ bytes: [UInt8]) throws -> [Message] {
    func u32(_ i: Int) -> UInt32 { bytes[i..<i + 4].reduce(0) { $0 << 8 | UInt32($1) } }
    var messages: [Message] = []
    var offset = 0
    while offset < bytes.count {
        let total = Int(u32(offset))
        let headersLength = Int(u32(offset + 4))
        XCTAssertEqual(AWSEventStream.crc32(of: Array(bytes[offset..<offset + 8])), u32(offset + 8), "prelude CRC")
        XCTAssertEqual(
            AWSEventStream.crc32(of: Array(bytes[offset..<offset + total - 4])), u32(offset + total - 4), "message CRC")
        var headers: [String: String] = [:]
        var i = offset + 12
        while i < offset + 12 + headersLength {
            let nameLength = Int(bytes[i])
            let name = String(decoding: bytes[i + 1..<i + 1 + nameLength], as: UTF8.self)
            i += 1 + nameLength
            XCTAssertEqual(bytes[i], 7, "string header")
            let valueLength = Int(bytes[i + 1]) << 8 | Int(bytes[i + 2])
            headers[name] = String(decoding: bytes[i + 3..<i + 3 + valueLength], as: UTF8.self)
            i += 3 + valueLength
        }
        messages.append(Message(headers: headers, payload: Array(bytes[i..<offset + total - 4])))
        offset += total
    }
    return messages
}

final class AWSEventStreamTests: XCTestCase {
    func testCRC32IsTheIEEEPolynomial() {
        // The standard check value of CRC-32/ISO-HDLC.
        XCTAssertEqual(AWSEventStream.crc32(of: Array("123456789".utf8)), 0xCBF4_3926)
    }

    func testAPayloadChunkIsOneEventMessage() throws {
        let bytes = AWSEventStream.payloadChunks(Array("hello".utf8))
        // 12 prelude + headers (13+12, 13+24, 13+5 → ":event-type"… as sized below) + 5 payload + 4 CRC.
        let headers = [
            (":event-type", "PayloadChunk"), (":content-type", "application/octet-stream"), (":message-type", "event"),
        ]
        let headerBytes = headers.reduce(0) { $0 + 1 + $1.0.utf8.count + 3 + $1.1.utf8.count }
        XCTAssertEqual(bytes.count, 12 + headerBytes + 5 + 4)
        let messages = try decode(bytes)
        XCTAssertEqual(messages.count, 1)
        XCTAssertEqual(messages[0].headers, Dictionary(uniqueKeysWithValues: headers))
        XCTAssertEqual(messages[0].payload, Array("hello".utf8))
    }

    func testLargeOutputIsSplitIntoBoundedMessages() throws {
        let output = (0..<(2 * AWSEventStream.maximumChunkBytes + 10)).map { UInt8(truncatingIfNeeded: $0) }
        let messages = try decode(AWSEventStream.payloadChunks(output))
        XCTAssertEqual(
            messages.map(\.payload.count), [AWSEventStream.maximumChunkBytes, AWSEventStream.maximumChunkBytes, 10])
        XCTAssertEqual(messages.flatMap(\.payload), output)
    }

    func testInvokeCompleteCarriesTheError() throws {
        let failed = try decode(
            AWSEventStream.invokeComplete(ErrorReport(errorType: "Sandbox.Timedout", errorMessage: "Task timed out")))
        XCTAssertEqual(failed[0].headers[":event-type"], "InvokeComplete")
        XCTAssertEqual(failed[0].headers[":content-type"], "application/json")
        XCTAssertEqual(
            try JSON.parse(failed[0].payload),
            ["ErrorCode": "Sandbox.Timedout", "ErrorDetails": "Task timed out", "LogResult": ""])
        let succeeded = try decode(AWSEventStream.invokeComplete(nil))
        XCTAssertEqual(try JSON.parse(succeeded[0].payload), ["LogResult": ""])
    }
}
