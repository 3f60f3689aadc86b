import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import XCTest

@testable import SwitchyardUsage

/// Write concern, deadlines, bounded bucket bookkeeping, rollup freshness and the budget ledger,
/// against a real MongoDB-protocol server. Needs `MONGODB_URI`; skipped without it (except the
/// deadline test, which needs no server).
final class MongoDurabilityTests: XCTestCase {
    func makeSink(_ change: (inout MongoUsageConfiguration) -> Void = { _ in }) throws -> MongoUsageSink {
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"], !uri.isEmpty else {
            throw XCTSkip("MONGODB_URI not set: start a database with scripts/start-mongo")
        }
        var configuration = MongoUsageConfiguration(uri: uri)
        configuration.database = "durability_\(UInt32.random(in: 0...UInt32.max))"
        change(&configuration)
        return try MongoUsageSink(configuration: configuration)
    }

    var deadline: ContinuousClock.Instant { .now + .seconds(30) }

    /// Documents of a collection, read through the sink's own connection.
    func documents(_ sink: MongoUsageSink, _ collection: String, _ filter: JSONObject = [:]) async throws -> [JSON] {
        try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.find(collection, filter: filter)
        }
    }

    func testDurableMeansJournaledAndMajorityOnAReplicaSet() async throws {
        let sink = try makeSink()
        try await sink.prepare()
        // SecantusDB answers `hello` as a one-member replica set, as Atlas's clusters are.
        let summary = sink.resolvedWriteConcern()
        XCTAssertTrue(summary.contains(#"billing writes {"w":"majority","j":true"#), summary)
        XCTAssertTrue(summary.contains(#"relaxed writes {"w":1}"#), summary)
        let fast = try makeSink { $0.writeConcern = .fast }
        try await fast.prepare()
        XCTAssertTrue(fast.resolvedWriteConcern().contains(#"billing writes {"w":1}"#))
    }

    /// A rollup step acknowledged with `{w: 1}` is lost when the server is killed before its journal
    /// flush, while the writer's next step reaches the restarted server: the crash test saw a
    /// batch released (step 3 kept) with its minute buckets' increments gone (step 2 lost). So
    /// every step is a billing write: read back from the server's profiler, each update of the raw
    /// records, the three bucket collections and the ledger carried the durable write concern.
    func testEveryRollupStepIsAJournaledMajorityWrite() async throws {
        let sink = try makeSink()
        _ = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.command(["profile": 2])
        }
        let records = (0..<3).map { Fixtures.llm("steps-\($0)").pricedForTest() }
        _ = try await sink.write(records, deadline: deadline)
        // A changed delivery takes the other path: claimed by its own update, then completed.
        let changed = Fixtures.llm("steps-0", latencyMs: 480).pricedForTest()
        let summary = try await sink.write([changed], deadline: deadline)
        XCTAssertEqual(summary.updated, 1)
        let updates = try await documents(sink, "system.profile", ["op": "update"])
        var collections: Set<String> = []
        for update in updates {
            guard let namespace = update["ns"]?.stringValue, let command = update["command"] else { continue }
            let collection = String(namespace.split(separator: ".", maxSplits: 1).last ?? "")
            collections.insert(collection)
            let concern = command["writeConcern"] ?? .null
            XCTAssertEqual(concern["j"]?.boolValue, true, "\(collection): \(concern.serializedString)")
            XCTAssertEqual(concern["w"]?.stringValue, "majority", "\(collection): \(concern.serializedString)")
        }
        XCTAssertEqual(
            collections,
            [
                UsageCollections.raw, RollupCollections.name(.minute), RollupCollections.name(.hour),
                RollupCollections.name(.day), UsageCollections.ledger,
            ])
        let spend = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(spend.records, 3)
    }

    func testADeadlineBeyondTheServersTimeLimitIsCappedNotRejected() async throws {
        // 30 days is 2.6e9 ms, past the 32-bit maxTimeMS MongoDB accepts: the invocation's deadline is
        // not the store's to refuse, so reads and writes go out with the largest limit it takes.
        let sink = try makeSink()
        let far = ContinuousClock.now + .seconds(30 * 86_400)
        _ = try await sink.write([Fixtures.llm("far-deadline").pricedForTest()], deadline: far)
        let stored = try await sink.withStore(deadline: far) { session throws(MongoFailure) in
            try session.connection.find(UsageCollections.raw, filter: [:])
        }
        XCTAssertEqual(stored.count, 1)
    }

    func testBucketBatchIDsStayBoundedAcrossManyWrites() async throws {
        // Pulls go out once 64 are pending: 16 writes here, each leaving four ids to pull (its
        // minute, hour and day buckets and its ledger month); the 17th write sends them.
        let unpulled = try makeSink { $0.maxBatchIDsPerBucket = 10_000 }
        for i in 0..<16 {
            _ = try await unpulled.write([Fixtures.llm("wait-\(i)").pricedForTest()], deadline: deadline)
        }
        let waiting = try await documents(unpulled, UsageCollections.rollups)
        XCTAssertEqual(waiting[0]["b"]?.arrayValue?.count, 16, "not yet: 64 pulls pending")
        for name in ["usage_rollups_hour", "usage_rollups_day"] {
            let coarse = try await documents(unpulled, name)
            XCTAssertEqual(coarse.count, 1, name)
            XCTAssertEqual(coarse[0]["b"]?.arrayValue?.count, 16, name)
        }
        for i in 16..<24 {
            _ = try await unpulled.write([Fixtures.llm("wait-\(i)").pricedForTest()], deadline: deadline)
        }
        let pulled = try await documents(unpulled, UsageCollections.rollups)
        XCTAssertLessThanOrEqual(pulled[0]["b"]?.arrayValue?.count ?? 99, 9, "the first 16 are pulled at once")
        XCTAssertEqual(pulled[0]["count"], 24)
        for name in ["usage_rollups_hour", "usage_rollups_day"] {
            let coarse = try await documents(unpulled, name)
            XCTAssertLessThanOrEqual(coarse[0]["b"]?.arrayValue?.count ?? 99, 9, name)
            XCTAssertEqual(coarse[0]["count"], 24, name)
        }
        // And `$slice` holds any bucket to the cap before any pull goes out.
        let capped = try makeSink { $0.maxBatchIDsPerBucket = 8 }
        for i in 0..<12 {
            _ = try await capped.write([Fixtures.llm("cap-\(i)").pricedForTest()], deadline: deadline)
        }
        let buckets = try await documents(capped, UsageCollections.rollups)
        XCTAssertEqual(buckets.count, 1)
        XCTAssertEqual(buckets[0]["b"]?.arrayValue?.count, 8)
        XCTAssertEqual(buckets[0]["count"], 12)
        let ledger = try await documents(capped, UsageCollections.ledger)
        XCTAssertEqual(ledger[0]["b"]?.arrayValue?.count, 8)
        XCTAssertEqual(ledger[0]["spent"]?.int64Value, buckets[0]["costTotal"]?.int64Value)
    }

    func testACrashedRollupIsVisibleAsStaleUntilTheRepairCompletesIt() async throws {
        let sink = try makeSink()
        let records = (0..<10).map { Fixtures.llm("fresh-\($0)").pricedForTest() }
        _ = try await sink.write(records, deadline: deadline)
        let before = try await sink.rollupFreshness()
        XCTAssertEqual(before.stalenessMilliseconds, 0)
        XCTAssertNil(before.oldestClaimMilliseconds)
        // A writer that crashed after its durable claim: the claim is there, the buckets are not.
        let now = WallClock.nowMilliseconds()
        let crashed = Fixtures.llm("fresh-crashed").pricedForTest()
        _ = try await sink.write([crashed], rollups: false, deadline: deadline)
        _ = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.updateMany(
                UsageCollections.raw, filter: ["requestId": "fresh-crashed"],
                update: ["$set": ["rb": "crashed-batch", "rbAt": .integer(now - 120_000)]], durability: .billing)
        }
        let stale = try await sink.rollupFreshness(now: now)
        XCTAssertEqual(stale.stalenessMilliseconds, 120_000)
        XCTAssertTrue(stale.isStale, "two minutes is past the 60 s grace")
        XCTAssertEqual(stale.newestCompleteMinute, RollupContribution.minute(of: now - 120_000) - 60_000)
        let repair = try await sink.repairRollups()
        XCTAssertEqual(repair.batchesResumed, 1)
        let after = try await sink.rollupFreshness()
        XCTAssertEqual(after.stalenessMilliseconds, 0)
        let spend = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(spend.records, 11)
        XCTAssertEqual(spend.totalPicoUSD, (records + [crashed]).reduce(0) { $0 + $1.cost!.totalPicoUSD })
        let balance = try await sink.balance(tenant: "acme", at: Fixtures.noon, deadline: deadline)
        XCTAssertEqual(balance.spentPicoUSD, spend.totalPicoUSD, "the ledger takes each batch's cost once")
    }

    /// The same bulk statement run twice: its first run inserted four of five documents, claimed by
    /// the write's batch, and its answer was lost (the database was killed); the driver's retry of
    /// the retryable write, on a server that restarted and forgot the first run, finds them as
    /// duplicates. They were inserted by this write, so the write rolls up all five; counted as
    /// duplicates, its step 3 released four records that no bucket ever took (CI's crash test:
    /// raw 600, rollups 596, for good).
    func testAWriteWhoseStatementRanTwiceRollsUpEveryRecordItInserted() async throws {
        let sink = try makeSink()
        let records = (0..<5).map { Fixtures.llm("ran-twice-\($0)").pricedForTest() }
        let raw = try sink.rawDocuments(records)
        _ = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try sink.upsertRaw(Array(raw.prefix(4)), claimingNewAs: "batch-ran-twice", session.connection)
        }
        let summary = try await sink.write(records, rollups: true, batch: "batch-ran-twice", deadline: deadline)
        XCTAssertEqual(summary.inserted, 5)
        XCTAssertEqual(summary.duplicates, 0)
        let spend = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(spend.records, 5)
        XCTAssertEqual(spend.totalPicoUSD, records.reduce(0) { $0 + $1.cost!.totalPicoUSD })
        let claimed = try await documents(sink, UsageCollections.raw, ["rb": ["$exists": true]])
        XCTAssertEqual(claimed.count, 0)
        // A record repeated within one write whose statement ran twice counts once.
        let twice = Fixtures.llm("ran-twice-repeated").pricedForTest()
        let repeated = try sink.rawDocuments([twice])
        _ = try await sink.withStore(deadline: deadline) { session throws(MongoFailure) in
            try sink.upsertRaw(repeated, claimingNewAs: "batch-repeated", session.connection)
        }
        let once = try await sink.write([twice, twice], rollups: true, batch: "batch-repeated", deadline: deadline)
        XCTAssertEqual(once.inserted, 1)
        XCTAssertEqual(once.duplicates, 1)
        let withRepeated = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(withRepeated.records, 6)
        // And in a write that ran once: the second occurrence finds the first one's claim.
        let pair = Fixtures.llm("repeated-once").pricedForTest()
        let single = try await sink.write([pair, pair], deadline: deadline)
        XCTAssertEqual(single.inserted, 1)
        XCTAssertEqual(single.duplicates, 1)
        let withPair = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(withPair.records, 7)
        // A true duplicate (another write's, already rolled up) is still not counted again.
        let again = try await sink.write(records, deadline: deadline)
        XCTAssertEqual(again.duplicates, 5)
        let after = try await sink.monthToDateSpend(tenant: "acme", now: Fixtures.noon)
        XCTAssertEqual(after.records, 7)
    }

    /// decisions.md: concurrent requests at a nearly spent tenant overshoot its budget by at most
    /// one request's ceiling. 80 reservations of 30 race from 8 connections against a budget of
    /// 1,000 with 900 already committed: exactly those that see committed < 1,000 are admitted —
    /// at 900, 930, 960 and 990 — so 4, ending at 1,020 (20 over, less than one ceiling). A second
    /// tenant at 910 stops at exactly 1,000: committed equal to the budget admits nothing more.
    func testConcurrentReservationsOvershootByLessThanOneCeiling() async throws {
        let sinks = try (0..<8).map { _ in try makeSink() }
        let database = sinks[0].configuration.database
        let shared = try sinks.map { sink -> MongoUsageSink in
            var configuration = sink.configuration
            configuration.database = database
            return try MongoUsageSink(configuration: configuration)
        }
        let tenant = "budget-\(UInt32.random(in: 0...UInt32.max))"
        let budget = PicoUSD(1_000)
        let base = try await shared[0].reserve(
            tenant: tenant, requestID: "base", ceiling: PicoUSD(900), budget: budget, deadline: deadline)
        XCTAssertEqual(base, .admitted(committed: PicoUSD(900)))
        let boundary = tenant + "-at-budget"
        _ = try await shared[0].reserve(
            tenant: boundary, requestID: "base", ceiling: PicoUSD(910), budget: budget, deadline: deadline)
        let outcomes = try await withThrowingTaskGroup(of: (String, Reservation).self) { group in
            for i in 0..<160 {
                let ledger = shared[i % shared.count]
                let who = i % 2 == 0 ? tenant : boundary
                group.addTask {
                    (
                        who,
                        try await ledger.reserve(
                            tenant: who, requestID: "r-\(i / 2)", ceiling: PicoUSD(30), budget: budget,
                            deadline: .now + .seconds(60))
                    )
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        XCTAssertEqual(outcomes.filter { $0.0 == tenant && $0.1.isAdmitted }.count, 4)
        XCTAssertEqual(outcomes.filter { $0.0 == boundary && $0.1.isAdmitted }.count, 3)
        let full = try await shared[0].balance(tenant: boundary, at: WallClock.nowMilliseconds(), deadline: deadline)
        XCTAssertEqual(full.committedPicoUSD, 1_000)
        let balance = try await shared[0].balance(tenant: tenant, at: WallClock.nowMilliseconds(), deadline: deadline)
        XCTAssertEqual(balance.committedPicoUSD, 1_020)
        XCTAssertLessThan(balance.committedPicoUSD - budget.rawValue, 30)
        XCTAssertEqual(balance.openReservations, 5)
        // A retry of an admitted request reserves nothing more; over budget stays over budget.
        let again = try await shared[1].reserve(
            tenant: tenant, requestID: "base", ceiling: PicoUSD(900), budget: budget, deadline: deadline)
        XCTAssertEqual(again, .alreadyReserved(committed: PicoUSD(1_020)))
        // Settling closes reservations exactly once, however often it is called.
        let now = WallClock.nowMilliseconds()
        let requests = ["base"] + (0..<80).map { "r-\($0)" }
        let closed = try await shared[2].settle(
            requests.map { LedgerRequest(tenant: tenant, requestID: $0, timestamp: now) }, deadline: deadline)
        XCTAssertEqual(closed, 5)
        let twice = try await shared[3].settle(
            requests.map { LedgerRequest(tenant: tenant, requestID: $0, timestamp: now) }, deadline: deadline)
        XCTAssertEqual(twice, 0)
        let settled = try await shared[0].balance(tenant: tenant, at: now, deadline: deadline)
        XCTAssertEqual(settled.committedPicoUSD, 0)
        XCTAssertEqual(settled.reservedPicoUSD, 0)
        XCTAssertEqual(settled.openReservations, 0)
        // A zero budget admits nothing.
        let none = try await shared[0].reserve(
            tenant: tenant + "-zero", requestID: "z", ceiling: PicoUSD(1), budget: .zero, deadline: deadline)
        XCTAssertFalse(none.isAdmitted)
    }

    func testStaleReservationsExpireInTheRepairPass() async throws {
        let sink = try makeSink { $0.reservationTTLMilliseconds = 1 }
        let tenant = "expiry-\(UInt32.random(in: 0...UInt32.max))"
        _ = try await sink.reserve(
            tenant: tenant, requestID: "never-ran", ceiling: PicoUSD(500), budget: PicoUSD(10_000), deadline: deadline)
        try await Task.sleep(for: .milliseconds(20))
        let repair = try await sink.repairRollups(graceMilliseconds: 60_000)
        XCTAssertEqual(repair.reservationsExpired, 1)
        let balance = try await sink.balance(tenant: tenant, at: WallClock.nowMilliseconds(), deadline: deadline)
        XCTAssertEqual(balance.reservedPicoUSD, 0)
    }
}

/// No server needed: a store that never answers gives up before the caller's deadline, however
/// many attempts and however long a timeout the configuration allows.
final class MongoDeadlineTests: XCTestCase {
    func testAnUnreachableStoreFailsBeforeTheDeadline() async throws {
        // 10.255.255.1 is unroutable: connections hang rather than being refused.
        var configuration = MongoUsageConfiguration(uri: "mongodb://10.255.255.1:27017/?directConnection=true")
        configuration.maxAttempts = 20
        configuration.serverSelectionTimeoutMilliseconds = 30_000
        configuration.socketTimeoutMilliseconds = 60_000
        let sink = try MongoUsageSink(configuration: configuration)
        let started = ContinuousClock.now
        do {
            _ = try await sink.write([Fixtures.llm("late").pricedForTest()], deadline: started + .milliseconds(800))
            XCTFail("expected Usage.StoreUnavailable")
        } catch let error as UsageError {
            XCTAssertEqual(error.errorType, "Usage.StoreUnavailable")
        }
        let elapsed = ContinuousClock.now - started
        XCTAssertLessThan(elapsed, .milliseconds(800), "gave up after \(elapsed)")
    }
}
