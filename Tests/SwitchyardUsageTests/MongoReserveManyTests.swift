import Foundation
import SwitchyardContract
import SwitchyardCore
import XCTest

@testable import SwitchyardUsage

/// Group commit of reservations (`reserveMany`) against a real MongoDB-protocol server, checked
/// against the sequential reference: the same requests reserved one by one with `reserve`, in the
/// same order, for a twin set of tenants. Needs `MONGODB_URI`; skipped without it.
final class MongoReserveManyTests: XCTestCase {
    func makeSink(database: String? = nil) throws -> MongoUsageSink {
        guard let uri = ProcessInfo.processInfo.environment["MONGODB_URI"], !uri.isEmpty else {
            throw XCTSkip("MONGODB_URI not set: start a database with scripts/start-mongo")
        }
        var configuration = MongoUsageConfiguration(uri: uri)
        configuration.database = database ?? "reserve_many_\(UInt32.random(in: 0...UInt32.max))"
        return try MongoUsageSink(configuration: configuration)
    }

    var deadline: ContinuousClock.Instant { .now + .seconds(30) }

    func testBatchesAnswerExactlyAsOneByOneInTheSameOrder() async throws {
        let sink = try makeSink()
        try await sink.prepare()
        let run = "\(UInt32.random(in: 0...UInt32.max))"
        // Three tenants: one whose budget is crossed inside a batch, one with room for all, one
        // with a zero budget. Ceilings vary; some request ids repeat (a client retry), within a
        // batch and across batches; one was reserved before the batches start.
        var rng = SplitMix64(seed: 15)
        var script: [(tenant: String, id: String, ceiling: Int64, budget: Int64)] = []
        for i in 0..<60 {
            let which = Int(rng.next() % 3)
            let tenant = ["tight", "roomy", "zero"][which]
            let budget: Int64 = [600, 1_000_000, 0][which]
            let repeatOf = i > 3 && rng.next() % 6 == 0 ? Int(rng.next() % UInt64(i)) : nil
            let id = repeatOf.map { script[$0].tenant == tenant ? script[$0].id : "r\(i)" } ?? "r\(i)"
            script.append((tenant, id, Int64(rng.next() % 90) + 10, budget))
        }
        script.insert(("tight", "r1", 55, 600), at: 2)  // r1 twice in the first batch
        func requests(_ prefix: String) -> [ReservationRequest] {
            script.map {
                ReservationRequest(
                    tenant: prefix + run + $0.tenant, requestID: $0.id, ceiling: PicoUSD($0.ceiling),
                    budget: PicoUSD($0.budget))
            }
        }
        // Both sides start with one earlier reservation of the tight tenant.
        for prefix in ["seq-", "grp-"] {
            _ = try await sink.reserve(
                tenant: prefix + run + "tight", requestID: "r7", ceiling: PicoUSD(40), budget: PicoUSD(600),
                deadline: deadline)
        }
        var reference: [Reservation] = []
        for request in requests("seq-") {
            reference.append(
                try await sink.reserve(
                    tenant: request.tenant, requestID: request.requestID, ceiling: request.ceiling,
                    budget: request.budget, deadline: deadline))
        }
        var grouped: [Reservation] = []
        let all = requests("grp-")
        var start = 0
        var batches: [Range<Int>] = []
        for size in [7, 1, 13, 30, 20] where start < all.count {
            let batch = Array(all[start..<min(all.count, start + size)])
            grouped += try await sink.reserveMany(batch, deadline: deadline)
            batches.append(start..<start + batch.count)
            start += batch.count
        }
        XCTAssertEqual(grouped.count, reference.count)
        for index in reference.indices {
            XCTAssertEqual(grouped[index], reference[index], "request \(index) \(script[index])")
        }
        // The reference itself is not trivial: every kind of answer occurs, and the tight
        // budget was crossed (admitted, then refused) inside one batch.
        XCTAssertTrue(reference.contains { if case .admitted = $0 { true } else { false } })
        XCTAssertTrue(reference.contains { if case .alreadyReserved = $0 { true } else { false } })
        XCTAssertTrue(reference.contains { if case .overBudget = $0 { true } else { false } })
        let crossing = try XCTUnwrap(
            reference.indices.first { script[$0].tenant == "tight" && !reference[$0].isAdmitted })
        let batch = try XCTUnwrap(batches.first { $0.contains(crossing) })
        XCTAssertTrue(
            batch.contains { $0 < crossing && script[$0].tenant == "tight" && reference[$0].isAdmitted },
            "the tight budget is not crossed inside a batch (index \(crossing), batch \(batch))")
        let now = WallClock.nowMilliseconds()
        for tenant in ["tight", "roomy", "zero"] {
            let expected = try await sink.balance(tenant: "seq-" + run + tenant, at: now, deadline: deadline)
            let actual = try await sink.balance(tenant: "grp-" + run + tenant, at: now, deadline: deadline)
            XCTAssertEqual(actual.committedPicoUSD, expected.committedPicoUSD, tenant)
            XCTAssertEqual(actual.reservedPicoUSD, expected.reservedPicoUSD, tenant)
            XCTAssertEqual(actual.openReservations, expected.openReservations, tenant)
        }
        let tight = try await sink.balance(tenant: "grp-" + run + "tight", at: now, deadline: deadline)
        XCTAssertGreaterThanOrEqual(tight.committedPicoUSD, 600)
        XCTAssertLessThan(tight.committedPicoUSD, 600 + 100)  // over by less than one ceiling
        // Settled reservations close: a batch's entries are ordinary open entries.
        let opened = all.enumerated().filter { if case .admitted = grouped[$0.offset] { true } else { false } }
        let closed = try await sink.settle(
            opened.map { LedgerRequest(tenant: $0.element.tenant, requestID: $0.element.requestID, timestamp: now) },
            deadline: deadline)
        XCTAssertEqual(closed, opened.count)
    }

    /// Batches from several connections at once at one tenant: the bound still holds (over by
    /// less than one ceiling) and the answers add up to what the ledger holds.
    func testConcurrentBatchesKeepTheBound() async throws {
        let first = try makeSink()
        try await first.prepare()
        let sinks = try [first] + (1..<6).map { _ in try makeSink(database: first.configuration.database) }
        let tenant = "conc-\(UInt32.random(in: 0...UInt32.max))"
        let budget = PicoUSD(1_000)
        let answers = try await withThrowingTaskGroup(of: [Reservation].self) { group in
            for (s, sink) in sinks.enumerated() {
                group.addTask {
                    let batch = (0..<10).map {
                        ReservationRequest(
                            tenant: tenant, requestID: "s\(s)-\($0)", ceiling: PicoUSD(30), budget: budget)
                    }
                    return try await sink.reserveMany(batch, deadline: .now + .seconds(60))
                }
            }
            return try await group.reduce(into: []) { $0 += $1 }
        }
        let admitted = answers.filter(\.isAdmitted).count
        XCTAssertEqual(admitted, 34)  // 33 × 30 = 990 < 1,000 admits the 34th: 1,020
        let balance = try await first.balance(tenant: tenant, at: WallClock.nowMilliseconds(), deadline: deadline)
        XCTAssertEqual(balance.committedPicoUSD, 1_020)
        XCTAssertEqual(balance.openReservations, admitted)
    }
}
