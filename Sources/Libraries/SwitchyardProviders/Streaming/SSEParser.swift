/// One server-sent event.
public struct SSEEvent: Sendable, Equatable {
    /// The `event:` field; `nil` means the default type, "message".
    public var event: String?
    /// The `data:` lines joined with "\n", as bytes (payloads are JSON, parsed from bytes).
    public var data: [UInt8]
    public var id: String?

    public init(event: String? = nil, data: [UInt8], id: String? = nil) {
        self.event = event
        self.data = data
        self.id = id
    }

    public var dataText: String { String(decoding: data, as: UTF8.self) }
}

/// Incremental parser for `text/event-stream` (WHATWG HTML §9.2.6), fed chunks as they arrive.
///
/// Chunks may split lines, fields and even CRLF pairs anywhere; the parser keeps only the
/// unfinished line between calls. Complete lines are read straight from the chunk without
/// copying, which keeps it far above network speed.
public struct SSEParser: Sendable {
    private var partialLine: [UInt8] = []
    private var pendingEvent: String?
    private var pendingData: [UInt8] = []
    private var hasData = false
    private var pendingID: String?
    /// The previous chunk ended in CR, so a leading LF in the next one belongs to it.
    private var skipLeadingLF = false
    /// Bytes in the line being assembled plus the event's data: a cap against endless lines.
    public let maxEventBytes: Int

    public init(maxEventBytes: Int = 8 << 20) { self.maxEventBytes = maxEventBytes }

    public enum Failure: Error, Equatable { case eventTooLarge(Int) }

    /// Feeds bytes; calls `onEvent` for each event completed by them.
    public mutating func feed(_ chunk: UnsafeRawBufferPointer, _ onEvent: (SSEEvent) throws -> Void) throws {
        guard let base = chunk.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        let count = chunk.count
        var start = 0
        if skipLeadingLF {
            skipLeadingLF = false
            if count > 0, base[0] == 0x0A { start = 1 }
        }
        var i = start
        while i < count {
            let b = base[i]
            if b == 0x0A || b == 0x0D {
                let line = UnsafeBufferPointer(start: base + start, count: i - start)
                if partialLine.isEmpty {
                    try processLine(line, onEvent)
                } else {
                    partialLine.append(contentsOf: line)
                    let whole = partialLine
                    partialLine.removeAll(keepingCapacity: true)
                    try whole.withUnsafeBufferPointer { try processLine($0, onEvent) }
                }
                if b == 0x0D {
                    if i + 1 < count {
                        if base[i + 1] == 0x0A { i += 1 }
                    } else {
                        skipLeadingLF = true
                    }
                }
                start = i + 1
            }
            i += 1
        }
        if start < count {
            partialLine.append(contentsOf: UnsafeBufferPointer(start: base + start, count: count - start))
            if partialLine.count + pendingData.count > maxEventBytes { throw Failure.eventTooLarge(maxEventBytes) }
        }
    }

    public mutating func feed(_ bytes: [UInt8], _ onEvent: (SSEEvent) throws -> Void) throws {
        try bytes.withUnsafeBytes { try feed($0, onEvent) }
    }

    /// Ends the stream: an event whose last line arrived complete but without the closing blank
    /// line (some servers end with `data: [DONE]\n`) is dispatched; a half-received line is not,
    /// and leaves `hasIncompleteEvent` true.
    public mutating func finish(_ onEvent: (SSEEvent) throws -> Void) rethrows {
        guard partialLine.isEmpty, hasData else { return }
        let event = SSEEvent(event: pendingEvent, data: pendingData, id: pendingID)
        pendingData.removeAll()
        hasData = false
        pendingEvent = nil
        try onEvent(event)
    }

    /// True when bytes of an unfinished event are buffered. At the end of a stream, such an
    /// event is discarded (the spec says so), and a caller should treat the stream as cut.
    public var hasIncompleteEvent: Bool { !partialLine.isEmpty || hasData || pendingEvent != nil }

    private mutating func processLine(_ line: UnsafeBufferPointer<UInt8>, _ onEvent: (SSEEvent) throws -> Void) throws {
        if line.isEmpty {
            // Blank line: dispatch. An event without data is dropped, as the spec requires.
            if hasData {
                let event = SSEEvent(event: pendingEvent, data: pendingData, id: pendingID)
                pendingData.removeAll(keepingCapacity: true)
                hasData = false
                pendingEvent = nil
                try onEvent(event)
            } else {
                pendingEvent = nil
            }
            return
        }
        if line[0] == UInt8(ascii: ":") { return }  // comment / keep-alive
        var colon = 0
        while colon < line.count, line[colon] != UInt8(ascii: ":") { colon += 1 }
        let name = UnsafeBufferPointer(rebasing: line[0..<colon])
        var valueStart = colon < line.count ? colon + 1 : line.count
        if valueStart < line.count, line[valueStart] == UInt8(ascii: " ") { valueStart += 1 }
        let value = UnsafeBufferPointer(rebasing: line[valueStart...])
        if Self.equals(name, "data") {
            if hasData { pendingData.append(0x0A) }
            pendingData.append(contentsOf: value)
            hasData = true
            if pendingData.count > maxEventBytes { throw Failure.eventTooLarge(maxEventBytes) }
        } else if Self.equals(name, "event") {
            pendingEvent = String(decoding: value, as: UTF8.self)
        } else if Self.equals(name, "id") {
            if !value.contains(0) { pendingID = String(decoding: value, as: UTF8.self) }
        }
        // "retry" and unknown fields are ignored.
    }

    private static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let lit = literal.utf8Start
        for i in 0..<bytes.count where bytes[i] != lit[i] { return false }
        return true
    }
}
