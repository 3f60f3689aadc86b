import CZlib

/// One message of AWS's `application/vnd.amazon.eventstream` framing (Bedrock ConverseStream,
/// among others): string headers such as `:event-type`, and a payload (JSON for Bedrock).
public struct AWSEventStreamMessage: Sendable, Equatable {
    public var headers: [String: String]
    public var payload: [UInt8]

    public init(headers: [String: String], payload: [UInt8]) {
        self.headers = headers
        self.payload = payload
    }

    /// As an `SSEEvent`, so stream accumulators see one event type whatever the framing:
    /// `event` is the `:event-type`, or `exception:<:exception-type>` for exception messages.
    public var asEvent: SSEEvent {
        if headers[":message-type"] == "exception" || headers[":message-type"] == "error" {
            let type = headers[":exception-type"] ?? headers[":error-code"] ?? "unknownException"
            return SSEEvent(event: "exception:" + type, data: payload)
        }
        return SSEEvent(event: headers[":event-type"], data: payload)
    }
}

/// Incremental parser for AWS event-stream messages:
/// `total length (4) | headers length (4) | prelude CRC32 (4) | headers | payload | message CRC32 (4)`,
/// integers big-endian, both CRCs checked. Chunks may split a message anywhere.
public struct AWSEventStreamParser: Sendable {
    private var buffer: [UInt8] = []
    public let maxMessageBytes: Int

    public enum Failure: Error, Equatable {
        case badPrelude, badChecksum, badHeaders
        case messageTooLarge(Int)
    }

    public init(maxMessageBytes: Int = 16 << 20) { self.maxMessageBytes = maxMessageBytes }

    /// True when part of a message is buffered: at the end of a body, the stream was cut.
    public var hasIncompleteMessage: Bool { !buffer.isEmpty }

    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ onMessage: (AWSEventStreamMessage) throws -> Void)
        throws
    {
        buffer.append(contentsOf: chunk)
        var offset = 0
        defer { if offset > 0 { buffer.removeFirst(offset) } }
        while buffer.count - offset >= 12 {
            let total = Int(Self.uint32(buffer, offset))
            let headersLength = Int(Self.uint32(buffer, offset + 4))
            guard total >= 16, headersLength <= total - 16 else { throw Failure.badPrelude }
            guard total <= maxMessageBytes else { throw Failure.messageTooLarge(total) }
            guard Self.crc(buffer, offset, 8) == Self.uint32(buffer, offset + 8) else { throw Failure.badChecksum }
            guard buffer.count - offset >= total else { return }
            guard Self.crc(buffer, offset, total - 4) == Self.uint32(buffer, offset + total - 4) else {
                throw Failure.badChecksum
            }
            let headers = try Self.headers(buffer, from: offset + 12, to: offset + 12 + headersLength)
            let payload = Array(buffer[(offset + 12 + headersLength)..<(offset + total - 4)])
            offset += total
            try onMessage(AWSEventStreamMessage(headers: headers, payload: payload))
        }
    }

    public mutating func feed(_ bytes: [UInt8], _ onMessage: (AWSEventStreamMessage) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, onMessage) }
    }

    static func uint32(_ b: [UInt8], _ i: Int) -> UInt32 {
        UInt32(b[i]) << 24 | UInt32(b[i + 1]) << 16 | UInt32(b[i + 2]) << 8 | UInt32(b[i + 3])
    }

    static func crc(_ b: [UInt8], _ start: Int, _ count: Int) -> UInt32 {
        b.withUnsafeBufferPointer { UInt32(truncatingIfNeeded: crc32(0, $0.baseAddress! + start, UInt32(count))) }
    }

    /// String-valued headers; other value types are skipped by their size.
    static func headers(_ b: [UInt8], from start: Int, to end: Int) throws -> [String: String] {
        var out: [String: String] = [:]
        var i = start
        while i < end {
            let nameLength = Int(b[i])
            i += 1
            guard i + nameLength + 1 <= end else { throw Failure.badHeaders }
            let name = String(decoding: b[i..<(i + nameLength)], as: UTF8.self)
            i += nameLength
            let type = b[i]
            i += 1
            let fixed: [UInt8: Int] = [0: 0, 1: 0, 2: 1, 3: 2, 4: 4, 5: 8, 8: 8, 9: 16]
            if let size = fixed[type] {
                i += size
            } else if type == 6 || type == 7 {
                guard i + 2 <= end else { throw Failure.badHeaders }
                let length = Int(b[i]) << 8 | Int(b[i + 1])
                i += 2
                guard i + length <= end else { throw Failure.badHeaders }
                if type == 7 { out[name] = String(decoding: b[i..<(i + length)], as: UTF8.self) }
                i += length
            } else {
                throw Failure.badHeaders
            }
            guard i <= end else { throw Failure.badHeaders }
        }
        return out
    }
}
