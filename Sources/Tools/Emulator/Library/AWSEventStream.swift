import CZlib
import SwitchyardJSON
import SwitchyardRuntimeAPI

/// Encodes InvokeWithResponseStream's response body: AWS's `application/vnd.amazon.eventstream`
/// framing, as botocore and the other SDKs decode it.
///
/// Each message: `total length (4) | headers length (4) | prelude CRC32 (4) | headers | payload |
/// message CRC32 (4)`, integers big-endian, CRC-32 (IEEE, zlib's) over the prelude and then over
/// everything before the last four bytes. Headers are `name length (1) | name | type (1, 7 =
/// string) | value length (2) | value`. The events are those of the Lambda API model:
/// `PayloadChunk` (the payload is the bytes the function wrote) and `InvokeComplete` (a JSON
/// document with `ErrorCode`, `ErrorDetails` and `LogResult`, each present when set).
enum AWSEventStream {
    static let contentType = "application/vnd.amazon.eventstream"
    /// Function output is cut into messages of at most this many bytes (the framing allows
    /// 16 MiB per message; smaller messages keep the relay's memory small).
    static let maximumChunkBytes = 1 << 20

    /// One `PayloadChunk` event per `maximumChunkBytes` of output.
    static func payloadChunks(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var start = 0
        repeat {
            let end = min(bytes.count, start + maximumChunkBytes)
            out += message(
                headers: [
                    (":event-type", "PayloadChunk"), (":content-type", "application/octet-stream"),
                    (":message-type", "event"),
                ], payload: Array(bytes[start..<end]))
            start = end
        } while start < bytes.count
        return out
    }

    /// The final event. On a function error, `ErrorCode` is its type (`Sandbox.Timedout`,
    /// `Probe.Failure`, …) and `ErrorDetails` its message.
    static func invokeComplete(_ error: ErrorReport?) -> [UInt8] {
        var document = JSONObject()
        if let error {
            document["ErrorCode"] = .string(error.errorType)
            document["ErrorDetails"] = .string(error.errorMessage)
        }
        document["LogResult"] = ""
        return message(
            headers: [
                (":event-type", "InvokeComplete"), (":content-type", "application/json"), (":message-type", "event"),
            ], payload: JSON.object(document).serialized())
    }

    static func message(headers: [(String, String)], payload: [UInt8]) -> [UInt8] {
        var encodedHeaders: [UInt8] = []
        for (name, value) in headers {
            let nameBytes = Array(name.utf8.prefix(255))
            let valueBytes = Array(value.utf8.prefix(Int(UInt16.max)))
            encodedHeaders.append(UInt8(nameBytes.count))
            encodedHeaders += nameBytes
            encodedHeaders.append(7)  // string
            encodedHeaders.append(UInt8(valueBytes.count >> 8))
            encodedHeaders.append(UInt8(valueBytes.count & 0xFF))
            encodedHeaders += valueBytes
        }
        let total = 12 + encodedHeaders.count + payload.count + 4
        var out: [UInt8] = []
        out.reserveCapacity(total)
        append(UInt32(total), to: &out)
        append(UInt32(encodedHeaders.count), to: &out)
        append(crc32(of: out), to: &out)
        out += encodedHeaders
        out += payload
        append(crc32(of: out), to: &out)
        return out
    }

    static func crc32(of bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBufferPointer { UInt32(CZlib.crc32(0, $0.baseAddress, uInt($0.count))) }
    }

    private static func append(_ value: UInt32, to out: inout [UInt8]) {
        out += [UInt8(value >> 24), UInt8((value >> 16) & 0xFF), UInt8((value >> 8) & 0xFF), UInt8(value & 0xFF)]
    }
}
