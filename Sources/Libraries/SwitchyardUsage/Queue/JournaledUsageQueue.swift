import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The usage queue of the single-process server and local runs: an append-only journal file
/// with the same contract as SQS (at least once, durable on enqueue, redelivery after a failed
/// store, dead letters for messages that can never be stored), drained in-process by the usage
/// logger's own code (`UsageQueueDrain` → `UsageIngestor`).
///
/// **Journal.** `<directory>/usage-queue.journal` holds entries
/// `[payload length u32][FNV-1a 64 of the rest u64][kind u8][sequence u64][sent at ms i64][payload]`
/// (little-endian): kind 1 is a message (payload: the `UsageBatch` JSON), 2 its acknowledgement
/// (stored), 3 its dead-lettering. `enqueue` returns only after its entry is written and
/// `fsync`ed; concurrent enqueues share one `fsync` (group commit). On open the journal is
/// replayed: messages without an acknowledgement are pending again, in order; a torn entry at the
/// end (a crash mid-write, whose enqueue never returned) is cut off. The journal is rewritten
/// with only the pending messages on open, emptied whenever nothing is pending, and rewritten
/// with only the pending messages once acknowledged entries make up most of it (a sustained
/// backlog is never empty, and the file must stay within a constant factor of the backlog).
///
/// **Dead letters** (messages that fail validation) are appended, with their error, to
/// `<directory>/usage-queue.dead-letter.jsonl` for a person to inspect and re-enqueue.
public actor JournaledUsageQueue: UsageQueue {
    /// A message waiting to be stored.
    public struct Message: Sendable {
        public var sequence: UInt64
        public var body: [UInt8]
        /// Epoch ms of the enqueue.
        public var sentAt: Int64
        /// Deliveries so far (this process).
        public var deliveries: Int
        /// Written and `fsync`ed; only durable messages are delivered.
        var durable = true
    }

    public nonisolated let directory: String
    private var file: JournalFile
    private var pending: [UInt64: Message] = [:]
    private var order: [UInt64] = []
    private var inFlight: Set<UInt64> = []
    private var nextSequence: UInt64 = 1
    private var buffer: [UInt8] = []
    private var bufferWaiters: [CheckedContinuation<Result<Void, UsageError>, Never>] = []
    private var flushing = false
    private var consumers: [CheckedContinuation<Void, Never>] = []
    /// The journal is compacted only past this size. Default 1 MiB.
    private let compactAfterBytes: Int

    static let headerBytes = 29
    static let journalName = "usage-queue.journal"
    static let deadLetterName = "usage-queue.dead-letter.jsonl"

    /// Opens (or creates) the queue in `directory` and replays its journal.
    /// - Throws: `Usage.QueueUnavailable` when the journal cannot be read, repaired or rewritten.
    public init(directory: String, compactAfterBytes: Int = 1 << 20) throws(UsageError) {
        self.directory = directory
        self.compactAfterBytes = compactAfterBytes
        let path = directory + "/" + Self.journalName
        var recovered: (messages: [Message], next: UInt64, validBytes: Int, total: Int)
        do {
            let existing = try JournalFile(path: path)
            let bytes = try existing.readAll()
            let replay = Self.replay(bytes)
            recovered = (replay.messages, replay.next, replay.validBytes, bytes.count)
        }
        // Rewrite with only what is pending (drops acknowledged entries and any torn tail).
        let pendingBytes = recovered.messages.reduce(0) { $0 + Self.headerBytes + $1.body.count }
        if recovered.validBytes != recovered.total || recovered.validBytes > pendingBytes {
            var compact: [UInt8] = []
            for message in recovered.messages {
                compact += Self.entry(
                    kind: 1, sequence: message.sequence, sentAt: message.sentAt, payload: message.body)
            }
            try JournalFile.replace(path, with: compact)
        }
        file = try JournalFile(path: path)
        nextSequence = recovered.next
        for message in recovered.messages {
            pending[message.sequence] = message
            order.append(message.sequence)
        }
    }

    /// Messages waiting to be stored (in flight included).
    public var depth: Int { pending.count }

    // MARK: - Producer

    public func enqueue(_ batch: UsageBatch, deadline: ContinuousClock.Instant) async throws(UsageError) {
        let body: [UInt8]
        do { body = try JSON.encode(batch) } catch {
            throw .invalidRecord(index: -1, detail: "the batch cannot be encoded: \(error)")
        }
        guard body.count <= 16 << 20 else { throw .recordTooLarge(index: -1, bytes: body.count, limit: 16 << 20) }
        let sequence = nextSequence
        nextSequence += 1
        let sentAt = WallClock.nowMilliseconds()
        // Pending before it is written, so the journal is not emptied under it, but not delivered
        // until it is durable.
        pending[sequence] = Message(sequence: sequence, body: body, sentAt: sentAt, deliveries: 0, durable: false)
        order.append(sequence)
        let result = await write(Self.entry(kind: 1, sequence: sequence, sentAt: sentAt, payload: body))
        if case .failure(let error) = result {
            pending.removeValue(forKey: sequence)
            dropAcknowledgedFromOrder()
            throw error
        }
        pending[sequence]?.durable = true
        wakeConsumers()
    }

    /// Appends entry bytes through the group commit and waits until they are on disk.
    private func write(_ bytes: [UInt8]) async -> Result<Void, UsageError> {
        await withCheckedContinuation { continuation in
            buffer += bytes
            bufferWaiters.append(continuation)
            startFlush()
        }
    }

    /// One flush at a time, off the actor: while it writes and `fsync`s, new entries gather in
    /// the buffer and go together in the next flush.
    private func startFlush() {
        guard !flushing, !buffer.isEmpty else { return }
        flushing = true
        let bytes = buffer
        let waiters = bufferWaiters
        buffer = []
        bufferWaiters = []
        let file = self.file
        Task.detached {
            let result: Result<Void, UsageError>
            do throws(UsageError) {
                try file.append(bytes)
                try file.sync()
                result = .success(())
            } catch {
                result = .failure(error)
            }
            await self.flushed(result, waiters)
        }
    }

    private func flushed(
        _ result: Result<Void, UsageError>, _ waiters: [CheckedContinuation<Result<Void, UsageError>, Never>]
    ) {
        flushing = false
        for waiter in waiters { waiter.resume(returning: result) }
        startFlush()
        compactIfIdle()
    }

    /// Between flushes, past `compactAfterBytes`: empties the journal when nothing is pending, or
    /// rewrites it with only the pending messages when they are under a quarter of it (so the
    /// rewrites cost amortised constant work per entry).
    private func compactIfIdle() {
        guard !flushing, buffer.isEmpty, file.size > compactAfterBytes else { return }
        if pending.isEmpty {
            try? file.truncate(to: 0)
            return
        }
        let live = pending.values.reduce(0) { $0 + Self.headerBytes + $1.body.count }
        guard file.size / 4 > live else { return }
        // Nothing is buffered or being written, so every pending message is in the file: the
        // snapshot loses none. Entries made meanwhile wait in the buffer for the new file.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(live)
        for sequence in order {
            guard let message = pending[sequence] else { continue }
            bytes += Self.entry(kind: 1, sequence: sequence, sentAt: message.sentAt, payload: message.body)
        }
        flushing = true
        let path = file.path
        Task.detached {
            let result: Result<JournalFile, UsageError>
            do throws(UsageError) {
                try JournalFile.replace(path, with: bytes)
                result = .success(try JournalFile(path: path))
            } catch {
                result = .failure(error)
            }
            await self.compacted(result)
        }
    }

    /// The rewrite is atomic (`JournalFile.replace`): on failure the old journal, still complete,
    /// stays in use.
    private func compacted(_ result: Result<JournalFile, UsageError>) {
        if case .success(let fresh) = result { file = fresh }
        flushing = false
        startFlush()
    }

    // MARK: - Consumer

    /// Up to `max` pending messages not already in flight, oldest first; waits until there is
    /// one. Returns an empty list when the task is cancelled.
    public func take(max: Int) async -> [Message] {
        while !Task.isCancelled {
            var taken: [Message] = []
            for sequence in order where taken.count < max && !inFlight.contains(sequence) {
                if var message = pending[sequence], message.durable {
                    message.deliveries += 1
                    pending[sequence] = message
                    taken.append(message)
                }
            }
            if !taken.isEmpty {
                inFlight.formUnion(taken.map(\.sequence))
                return taken
            }
            await withTaskCancellationHandler {
                await withCheckedContinuation { consumers.append($0) }
            } onCancel: {
                Task { await self.wakeConsumers() }
            }
        }
        return []
    }

    private func wakeConsumers() {
        let waiting = consumers
        consumers = []
        for consumer in waiting { consumer.resume() }
    }

    /// Stored: the messages leave the queue (the acknowledgement need not wait for `fsync`: a
    /// lost one only means a redelivery, which the store absorbs).
    public func acknowledge(_ sequences: [UInt64]) {
        guard !sequences.isEmpty else { return }
        var bytes: [UInt8] = []
        for sequence in sequences where pending.removeValue(forKey: sequence) != nil {
            inFlight.remove(sequence)
            bytes += Self.entry(kind: 2, sequence: sequence, sentAt: 0, payload: [])
        }
        dropAcknowledgedFromOrder()
        buffer += bytes
        startFlush()
    }

    /// Not stored this time: the messages are delivered again.
    public func requeue(_ sequences: [UInt64]) {
        inFlight.subtract(sequences)
        wakeConsumers()
    }

    /// Never storable: the message goes to the dead-letter file with its error, durably, and
    /// leaves the queue.
    public func deadLetter(_ sequence: UInt64, error: UsageError) async throws(UsageError) {
        guard let message = pending[sequence] else { return }
        let line: JSON = [
            "sequence": .integer(Int64(bitPattern: sequence)), "sentAt": .integer(message.sentAt),
            "errorType": .string(error.errorType), "errorMessage": .string(String(error.errorMessage.prefix(1000))),
            "body": .string(String(decoding: message.body, as: UTF8.self)),
        ]
        let dead = try JournalFile(path: directory + "/" + Self.deadLetterName)
        try dead.append(line.serialized() + [UInt8(ascii: "\n")])
        try dead.sync()
        pending.removeValue(forKey: sequence)
        inFlight.remove(sequence)
        dropAcknowledgedFromOrder()
        if case .failure(let error) = await write(Self.entry(kind: 3, sequence: sequence, sentAt: 0, payload: [])) {
            throw error
        }
    }

    private func dropAcknowledgedFromOrder() {
        if order.count > 64 && order.count > pending.count * 2 { order.removeAll { pending[$0] == nil } }
        if pending.isEmpty { order.removeAll() }
    }

    // MARK: - Encoding

    static func entry(kind: UInt8, sequence: UInt64, sentAt: Int64, payload: [UInt8]) -> [UInt8] {
        var rest: [UInt8] = [kind]
        rest.reserveCapacity(17 + payload.count)
        append(sequence, to: &rest)
        append(UInt64(bitPattern: sentAt), to: &rest)
        rest += payload
        var out: [UInt8] = []
        out.reserveCapacity(12 + rest.count)
        let length = UInt32(payload.count)
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8(truncatingIfNeeded: length >> UInt32(shift))) }
        append(checksum(rest), to: &out)
        return out + rest
    }

    private static func append(_ value: UInt64, to bytes: inout [UInt8]) {
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    private static func checksum(_ bytes: some Collection<UInt8>) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return hash
    }

    /// Parses entries until the end or the first torn or corrupt one.
    static func replay(_ bytes: [UInt8]) -> (messages: [Message], next: UInt64, validBytes: Int) {
        func read(_ at: Int, _ count: Int) -> UInt64 {
            var value: UInt64 = 0
            for i in 0..<count { value |= UInt64(bytes[at + i]) << UInt64(8 * i) }
            return value
        }
        var messages: [UInt64: Message] = [:]
        var order: [UInt64] = []
        var next: UInt64 = 1
        var offset = 0
        while bytes.count - offset >= headerBytes {
            let length = Int(read(offset, 4))
            let end = offset + headerBytes + length
            guard length <= bytes.count - offset - headerBytes,
                checksum(bytes[(offset + 12)..<end]) == read(offset + 4, 8)
            else { break }
            let kind = bytes[offset + 12]
            let sequence = read(offset + 13, 8)
            let sentAt = Int64(bitPattern: read(offset + 21, 8))
            switch kind {
            case 1:
                messages[sequence] = Message(
                    sequence: sequence, body: Array(bytes[(offset + headerBytes)..<end]), sentAt: sentAt, deliveries: 0)
                order.append(sequence)
            case 2, 3:
                messages.removeValue(forKey: sequence)
            default:
                break
            }
            next = max(next, sequence + 1)
            offset = end
        }
        return (order.compactMap { messages[$0] }, next, offset)
    }
}
