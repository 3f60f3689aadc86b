import Foundation
import SwitchyardContract
import SwitchyardJSON
import Synchronization
import XCTest

@testable import SwitchyardUsage

/// A sink that stores in memory by key (idempotently, like the real one) and fails on demand.
final class MemorySink: UsageSink {
    let stored = Mutex<[String: UsageRecord]>([:])
    let writes = Mutex(0)
    let failing = Mutex(false)

    func write(_ records: [UsageRecord], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> UsageWriteSummary
    {
        if failing.withLock({ $0 }) { throw .storeUnavailable(attempts: 1, detail: "down for the test") }
        writes.withLock { $0 += 1 }
        var summary = UsageWriteSummary()
        stored.withLock { stored in
            for record in records {
                if stored[record.documentID] == record {
                    summary.duplicates += 1
                } else {
                    summary.inserted += 1
                    stored[record.documentID] = record
                }
            }
        }
        return summary
    }
}

/// The journaled local queue: durable enqueue, replay after a crash (torn tail included),
/// acknowledgement, dead letters, and the in-process drain through the logger's code.
final class JournaledUsageQueueTests: XCTestCase {
    var directory = ""

    override func setUpWithError() throws {
        directory = NSTemporaryDirectory() + "usage-queue-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(atPath: directory) }

    var journal: String { directory + "/" + JournaledUsageQueue.journalName }

    func batch(_ id: String, tokens: Int64 = 10) -> UsageBatch {
        UsageBatch(records: [Fixtures.llm(id, input: tokens, output: tokens)])
    }

    func requestIDs(_ messages: [JournaledUsageQueue.Message]) throws -> [String] {
        try messages.map { try JSON.decode(UsageBatch.self, from: $0.body).allRecords[0].requestID }
    }

    func testEnqueuedBatchesSurviveReopeningAndAcknowledgedOnesDoNot() async throws {
        do {
            let queue = try JournaledUsageQueue(directory: directory)
            for i in 0..<5 { try await queue.enqueue(batch("r\(i)"), deadline: .now + .seconds(5)) }
            let taken = await queue.take(max: 2)
            XCTAssertEqual(try requestIDs(taken), ["r0", "r1"])
            await queue.acknowledge(taken.map(\.sequence))
            // The "crash": the queue is dropped with r2...r4 pending and nothing else flushed.
            try await Task.sleep(for: .milliseconds(50))
        }
        let reopened = try JournaledUsageQueue(directory: directory)
        let depth = await reopened.depth
        XCTAssertEqual(depth, 3)
        let next = await reopened.take(max: 10)
        XCTAssertEqual(try requestIDs(next), ["r2", "r3", "r4"], "in order")
        try await reopened.enqueue(batch("r5"), deadline: .now + .seconds(5))
        let after = await reopened.take(max: 10)
        XCTAssertEqual(try requestIDs(after), ["r5"], "new sequence numbers after the replayed ones")
        XCTAssertGreaterThan(after[0].sequence, next.last!.sequence)
    }

    func testASustainedBacklogKeepsTheJournalBoundedAndLosesNothing() async throws {
        // Never idle: 20 messages always wait while 400 more pass through, so the journal is never
        // empty and only a rewrite with the pending messages can keep it small.
        let queue = try JournaledUsageQueue(directory: directory, compactAfterBytes: 16 << 10)
        for i in 0..<20 { try await queue.enqueue(batch("held\(i)"), deadline: .now + .seconds(5)) }
        let held = await queue.take(max: 20)
        var largest = 0
        for i in 0..<400 {
            try await queue.enqueue(batch("pass\(i)"), deadline: .now + .seconds(5))
            let taken = await queue.take(max: 1)
            await queue.acknowledge(taken.map(\.sequence))
            try await Task.sleep(for: .milliseconds(1))
            largest = max(largest, try FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int ?? 0)
        }
        let entryBytes = JournaledUsageQueue.headerBytes + (try JSON.encode(batch("pass0"))).count
        // A rewrite happens once the pending messages (20 held, at most 1 passing) are under a quarter
        // of the file, so it stays under 4 × 22 entries; without it it would reach 400 messages and
        // their acknowledgements.
        let bound = max(16 << 10, 4 * 22 * entryBytes)
        XCTAssertLessThan(largest, bound, "bounded by the backlog, not by the traffic")
        XCTAssertGreaterThan(400 * entryBytes, 4 * bound, "the bound is a real one")
        await queue.requeue(held.map(\.sequence))
        try await Task.sleep(for: .milliseconds(50))
        let reopened = try JournaledUsageQueue(directory: directory)
        let replayed = await reopened.take(max: 100)
        XCTAssertEqual(try requestIDs(replayed), (0..<20).map { "held\($0)" }, "exactly the pending ones, in order")
    }

    func testATornEntryAtTheEndIsCutOffAndTheRestReplayed() async throws {
        do {
            let queue = try JournaledUsageQueue(directory: directory)
            for i in 0..<3 { try await queue.enqueue(batch("t\(i)"), deadline: .now + .seconds(5)) }
        }
        // A crash in the middle of writing a fourth entry: its first 20 bytes reached the file.
        let torn = Array(
            JournaledUsageQueue.entry(kind: 1, sequence: 4, sentAt: 1, payload: Array("{}".utf8)).prefix(20))
        let handle = try XCTUnwrap(FileHandle(forWritingAtPath: journal))
        handle.seekToEndOfFile()
        handle.write(Data(torn))
        try handle.close()
        // And one with a bad checksum (a torn write that happened to be long enough).
        var corrupt = JournaledUsageQueue.entry(kind: 1, sequence: 5, sentAt: 1, payload: Array("{}".utf8))
        corrupt[corrupt.count - 1] ^= 0xFF
        let replay = JournaledUsageQueue.replay(try Array(Data(contentsOf: URL(fileURLWithPath: journal))) + corrupt)
        XCTAssertEqual(replay.messages.count, 3)
        let queue = try JournaledUsageQueue(directory: directory)
        let messages = await queue.take(max: 10)
        XCTAssertEqual(try requestIDs(messages), ["t0", "t1", "t2"])
        let size = try FileManager.default.attributesOfItem(atPath: journal)[.size] as? Int
        XCTAssertEqual(size, replay.validBytes - 0, "rewritten without the torn bytes")
    }

    func testConcurrentEnqueuesAreAllDurable() async throws {
        let queue = try JournaledUsageQueue(directory: directory)
        let batches = (0..<200).map { batch("c\($0)") }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for batch in batches {
                group.addTask { try await queue.enqueue(batch, deadline: .now + .seconds(10)) }
            }
            try await group.waitForAll()
        }
        let replay = JournaledUsageQueue.replay(try Array(Data(contentsOf: URL(fileURLWithPath: journal))))
        XCTAssertEqual(Set(try requestIDs(replay.messages)), Set((0..<200).map { "c\($0)" }))
    }

    func testDrainStoresRetriesWhileTheStoreIsDownAndDeadLettersInvalidMessages() async throws {
        let queue = try JournaledUsageQueue(directory: directory)
        let sink = MemorySink()
        var drain = UsageQueueDrain(
            queue: queue, ingestor: UsageIngestor(calculator: Fixtures.calculator, sink: sink))
        drain.initialBackoff = .milliseconds(10)
        drain.maxBackoff = .milliseconds(40)
        var invalid = Fixtures.llm("bad")
        invalid.tokens?.output = -1
        try await queue.enqueue(batch("d0"), deadline: .now + .seconds(5))
        try await queue.enqueue(UsageBatch(records: [invalid]), deadline: .now + .seconds(5))
        try await queue.enqueue(batch("d1"), deadline: .now + .seconds(5))
        sink.failing.withLock { $0 = true }
        let runner = Task { await drain.run() }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(sink.stored.withLock { $0.count }, 0)
        let waiting = await queue.depth
        XCTAssertEqual(waiting, 2, "the invalid message is dead-lettered at once; the others wait")
        sink.failing.withLock { $0 = false }
        for _ in 0..<100 where await queue.depth > 0 { try await Task.sleep(for: .milliseconds(20)) }
        runner.cancel()
        await runner.value
        XCTAssertEqual(Set(sink.stored.withLock { $0.values.map(\.requestID) }), ["d0", "d1"])
        let dead = try String(contentsOfFile: directory + "/" + JournaledUsageQueue.deadLetterName, encoding: .utf8)
        XCTAssertEqual(dead.split(separator: "\n").count, 1)
        XCTAssertTrue(dead.contains("Usage.NegativeCount"), dead)
        // Everything is settled: reopening finds nothing pending, and the journal was emptied.
        let reopened = try JournaledUsageQueue(directory: directory)
        let depth = await reopened.depth
        XCTAssertEqual(depth, 0)
    }
}

/// The SQS event's partial batch answer and the logger's shared ingest path.
final class UsageIngestorTests: XCTestCase {
    func message(_ id: String, _ batch: UsageBatch) throws -> UsageIngestor.Message {
        .init(id: id, body: try JSON.encodeToJSON(batch), sentAt: Fixtures.noon)
    }

    func testValidMessagesAreStoredInOneWriteAndInvalidOnesAreNamed() async throws {
        let sink = MemorySink()
        let ingestor = UsageIngestor(calculator: Fixtures.calculator, sink: sink)
        var bad = Fixtures.llm("i-bad")
        bad.tokens?.cached = 5_000
        let (outcomes, summary) = await ingestor.ingest(
            [
                try message("m1", UsageBatch(records: [Fixtures.llm("i-1")])),
                try message("m2", UsageBatch(records: [bad])),
                try message("m3", UsageBatch(batches: [[Fixtures.llm("i-2")], [Fixtures.llm("i-3")]])),
            ], deadline: .now + .seconds(5))
        XCTAssertEqual(outcomes.map(\.isStored), [true, false, true])
        XCTAssertEqual(summary.inserted, 3)
        XCTAssertEqual(sink.writes.withLock { $0 }, 1, "one write for the whole batch")
        if case .invalid(let error) = outcomes[1] { XCTAssertEqual(error.errorType, "Usage.InvalidRecord") }
        // Every stored record is priced with the rates table.
        XCTAssertTrue(sink.stored.withLock { $0.values.allSatisfy { $0.cost?.modelPicoUSD == 15_000_000_000 } })
        sink.failing.withLock { $0 = true }
        let (failed, _) = await ingestor.ingest(
            [try message("m4", UsageBatch(records: [Fixtures.llm("i-4")]))], deadline: .now + .seconds(5))
        guard case .failed(let error) = failed[0] else { return XCTFail("expected a store failure") }
        XCTAssertEqual(error.errorType, "Usage.StoreUnavailable")
    }
}
