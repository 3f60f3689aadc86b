import SwitchyardContract
import SwitchyardJSON
import SwitchyardUsage
import Synchronization
import XCTest

@testable import SwitchyardFrontDoor

/// A ledger whose store round trips take `delay` (or wait for `release`), recording each batch it
/// receives; the answers are `MemoryLedger`'s, applied in order.
final class SlowLedger: BudgetLedger, Sendable {
    let memory = MemoryLedger()
    let delay: Duration
    let batches = Mutex<[[ReservationRequest]]>([])
    /// While set, round trips wait (at most 10 s) until it is cleared.
    let stuck = Mutex(false)
    /// Round trips answered.
    let answered = Mutex(0)

    init(delay: Duration) { self.delay = delay }

    func reserveMany(_ requests: [ReservationRequest], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> [Reservation]
    {
        batches.withLock { $0.append(requests) }
        try? await Task.sleep(for: delay)
        let limit = ContinuousClock.now + .seconds(10)
        while stuck.withLock({ $0 }), ContinuousClock.now < limit { try? await Task.sleep(for: .milliseconds(5)) }
        defer { answered.withLock { $0 += 1 } }
        return try await memory.reserveMany(requests, deadline: deadline)
    }

    func reserve(
        tenant: String, requestID: String, ceiling: PicoUSD, budget: PicoUSD, deadline: ContinuousClock.Instant
    ) async throws(UsageError) -> Reservation {
        try await reserveMany(
            [ReservationRequest(tenant: tenant, requestID: requestID, ceiling: ceiling, budget: budget)],
            deadline: deadline)[0]
    }

    func settle(_ requests: [LedgerRequest], deadline: ContinuousClock.Instant) async throws(UsageError) -> Int {
        try await memory.settle(requests, deadline: deadline)
    }

    func release(_ request: LedgerRequest, deadline: ContinuousClock.Instant) async throws(UsageError) -> Bool {
        try await memory.release(request, deadline: deadline)
    }

    func balance(tenant: String, at: Int64, deadline: ContinuousClock.Instant) async throws(UsageError)
        -> LedgerBalance
    {
        try await memory.balance(tenant: tenant, at: at, deadline: deadline)
    }
}

final class ReservationBatcherTests: XCTestCase {
    /// 40 admissions at once through one round trip at a time: far fewer round trips than
    /// admissions, and each admission's answer is the one it gets when the same requests are
    /// reserved one by one in the order the store received them (the sequential reference), a
    /// budget crossed inside a batch and a request id sent twice included.
    func testConcurrentAdmissionsAreGroupedAndEachGetsItsSequentialAnswer() async throws {
        let ledger = SlowLedger(delay: .milliseconds(30))
        var settings = ReservationBatcher.Settings()
        settings.maxInFlight = 1
        settings.wait = .seconds(20)
        let batcher = ReservationBatcher(ledger: ledger, settings: try settings.validated())
        let budget = PicoUSD(1_000)
        // Ceilings 10…80; request 17 repeats request 3's id (a client retry).
        var requests: [ReservationRequest] = []
        for i in 0..<40 {
            let ceiling = PicoUSD(Int64(10 + (i * 37) % 71))
            let id = i == 17 ? "r3" : "r\(i)"
            requests.append(ReservationRequest(tenant: "acme", requestID: id, ceiling: ceiling, budget: budget))
        }
        let answers = await withTaskGroup(of: (Int, ReservationBatcher.Outcome).self) { group in
            for (i, request) in requests.enumerated() {
                group.addTask { (i, await batcher.reserve(request)) }
            }
            return await group.reduce(into: [Int: ReservationBatcher.Outcome]()) { $0[$1.0] = $1.1 }
        }
        let batches = ledger.batches.withLock { $0 }
        XCTAssertEqual(batches.flatMap { $0 }.count, 40, "every admission reached the store once")
        XCTAssertLessThan(batches.count, 20, "round trips: \(batches.map(\.count))")
        XCTAssertGreaterThan(batches.map(\.count).max() ?? 0, 1)
        // The sequential reference, in the order the store saw them.
        let reference = MemoryLedger()
        var expected: [String: [Reservation]] = [:]
        var crossedInside = false
        for batch in batches {
            var kinds: [Bool] = []
            for request in batch {
                let answer = try await reference.reserve(
                    tenant: request.tenant, requestID: request.requestID, ceiling: request.ceiling,
                    budget: request.budget, deadline: .now + .seconds(1))
                expected[request.requestID + "/\(request.ceiling.rawValue)", default: []].append(answer)
                kinds.append(answer.isAdmitted)
            }
            if let first = kinds.firstIndex(of: false), kinds[..<first].contains(true) { crossedInside = true }
        }
        XCTAssertTrue(crossedInside, "the budget is crossed inside a batch: \(batches.map(\.count))")
        for (i, request) in requests.enumerated() {
            let key = request.requestID + "/\(request.ceiling.rawValue)"
            let answer: ReservationBatcher.Outcome? = answers[i]
            XCTAssertEqual(answer, ReservationBatcher.Outcome.reserved(expected[key]![0]), "request \(i)")
        }
        XCTAssertEqual(ledger.memory.state.withLock { $0.committed }, reference.state.withLock { $0.committed })
        XCTAssertTrue(answers.values.contains { if case .reserved(.alreadyReserved) = $0 { true } else { false } })
        XCTAssertTrue(answers.values.contains { if case .reserved(.overBudget) = $0 { true } else { false } })
        XCTAssertEqual(batcher.waiting, 0)
    }

    /// A store that does not answer: admissions are refused within their bound (not when the
    /// store answers), those past the queue's bound at once; those never sent are never written,
    /// and what the late round trip reserved for admissions that gave up is released.
    func testAStuckStoreIsRefusedWithinTheBoundAndNothingStaysReserved() async throws {
        let ledger = SlowLedger(delay: .zero)
        ledger.stuck.withLock { $0 = true }
        var settings = ReservationBatcher.Settings()
        settings.maxInFlight = 1
        settings.maxQueue = 4
        settings.wait = .milliseconds(100)
        let batcher = ReservationBatcher(ledger: ledger, settings: try settings.validated())
        let started = ContinuousClock.now
        let answers = await withTaskGroup(of: (ReservationBatcher.Outcome, Duration).self) { group in
            for i in 0..<8 {
                group.addTask {
                    let request = ReservationRequest(
                        tenant: "acme", requestID: "r\(i)", ceiling: PicoUSD(10), budget: PicoUSD(1_000))
                    let outcome = await batcher.reserve(request)
                    return (outcome, ContinuousClock.now - started)
                }
                // The first to arrive goes to the store, the next four queue, the last three find it full.
                try? await Task.sleep(for: .milliseconds(5))
            }
            return await group.reduce(into: []) { $0.append($1) }
        }
        let waited = answers.map(\.1).max() ?? .zero
        XCTAssertEqual(answers.filter { $0.0 == .queueFull }.count, 3)
        XCTAssertEqual(answers.filter { $0.0 == .timedOut }.count, 5)
        // The store is still stuck: every answer came from the bound, well before any store answer.
        XCTAssertTrue(ledger.stuck.withLock { $0 })
        XCTAssertLessThan(waited, .seconds(2), "refusals took \(waited)")
        XCTAssertEqual(ledger.batches.withLock { $0.flatMap { $0 }.count }, 1)
        // The store answers late: what it admitted is released; the queued four never went.
        ledger.stuck.withLock { $0 = false }
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline, ledger.answered.withLock({ $0 }) == 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        while ContinuousClock.now < deadline, ledger.memory.state.withLock({ $0.open.count }) > 0 {
            try await Task.sleep(for: .milliseconds(5))
        }
        try await Task.sleep(for: .milliseconds(50))
        XCTAssertEqual(ledger.memory.state.withLock { $0.open.count }, 0)
        XCTAssertEqual(ledger.memory.state.withLock { $0.committed }, 0)
        XCTAssertEqual(ledger.batches.withLock { $0.flatMap { $0 }.count }, 1)
        XCTAssertEqual(batcher.waiting, 0)
        // And it admits again once the store answers.
        let again = await batcher.reserve(
            ReservationRequest(tenant: "acme", requestID: "later", ceiling: PicoUSD(10), budget: PicoUSD(1_000)))
        XCTAssertEqual(again, .reserved(.admitted(committed: PicoUSD(10))))
    }

    /// Saturated (refused before routing) only while a round trip runs or waits behind a store
    /// slower than the bound; with nothing running, the next admission goes through and measures it.
    func testASlowStoreIsSaturatedOnlyWhileATripRuns() async throws {
        let ledger = SlowLedger(delay: .milliseconds(300))
        var settings = ReservationBatcher.Settings()
        settings.maxInFlight = 1
        settings.wait = .milliseconds(100)
        let batcher = ReservationBatcher(ledger: ledger, settings: try settings.validated())
        func request(_ id: String) -> ReservationRequest {
            ReservationRequest(tenant: "acme", requestID: id, ceiling: PicoUSD(10), budget: PicoUSD(1_000))
        }
        func tripsDone(_ n: Int) async throws {
            let deadline = ContinuousClock.now + .seconds(5)
            while ledger.answered.withLock({ $0 }) < n, ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertFalse(batcher.saturated)
        async let first = batcher.reserve(request("r0"))
        try await Task.sleep(for: .milliseconds(30))
        XCTAssertFalse(batcher.saturated, "no trip has been measured yet")
        let firstAnswer = await first
        XCTAssertEqual(firstAnswer, .timedOut)
        try await tripsDone(1)
        XCTAssertFalse(batcher.saturated, "nothing running: an admission may try the store")
        async let sent = batcher.reserve(request("r1"))
        try await Task.sleep(for: .milliseconds(30))
        XCTAssertTrue(batcher.saturated, "a trip runs and the last one took longer than the bound")
        let answer = await sent
        XCTAssertEqual(answer, .timedOut)
        try await tripsDone(2)
        XCTAssertFalse(batcher.saturated)
    }

    func testSettingsAreRangeChecked() throws {
        var settings = ReservationBatcher.Settings()
        settings.maxQueue = 0
        XCTAssertThrowsError(try settings.validated())
        settings = ReservationBatcher.Settings()
        settings.wait = .seconds(61)
        XCTAssertThrowsError(try settings.validated())
        settings = ReservationBatcher.Settings()
        settings.maxBatch = 1_001
        XCTAssertThrowsError(try settings.validated())
        XCTAssertNoThrow(try ReservationBatcher.Settings().validated())
    }

    /// Through the service: a ledger that does not answer in time is a 503 with `retry-after`
    /// and the typed code, within the bound, and the backend never runs.
    func testTheServiceRefusesAtOnceWhenTheLedgerIsSlow() async throws {
        var store = try KeyStore()
        let key = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        let backend = try FakeBackend()
        let ledger = SlowLedger(delay: .zero)
        ledger.stuck.withLock { $0 = true }
        defer { ledger.stuck.withLock { $0 = false } }
        var admission = ReservationBatcher.Settings()
        admission.wait = .milliseconds(100)
        let queue = MemoryQueue()
        let service = FrontDoorService(
            keys: KeyRing(store: store), backend: backend,
            billing: FrontDoorBilling(ledger: ledger, queue: queue, admission: admission))
        let body = #"{"model": "auto", "messages": [{"role": "user", "content": "Capital of France?"}]}"#
        let started = ContinuousClock.now
        let response = await service.handle(
            FrontDoorRequest(
                method: "POST", path: "/v1/chat/completions",
                headers: [(name: "Authorization", value: "Bearer \(key.text)")], body: Array(body.utf8)))
        let took = ContinuousClock.now - started
        XCTAssertEqual(response.status, 503)
        XCTAssertLessThan(took, .seconds(2))
        let error = try JSON.parse(response.bytes ?? [])["error"]
        XCTAssertEqual(error?["type"]?.stringValue, "service_unavailable")
        XCTAssertEqual(error?["code"]?.stringValue, "admission_busy")
        XCTAssertEqual(error?["switchyard_error_type"]?.stringValue, "FrontDoor.AdmissionBusy")
        XCTAssertEqual(response.headers.first { $0.0.lowercased() == "retry-after" }?.1, "1")
        XCTAssertEqual(backend.calls.load(ordering: .relaxed), 0)
        // Our overload is not the tenant's bill: the router's record is the platform's, and says why.
        XCTAssertEqual(queue.records.map(\.tenant), [FrontDoorService.platformTenant])
        XCTAssertEqual(queue.records.first?.errorType, "FrontDoor.AdmissionBusy")
        XCTAssertEqual(queue.records.first?.status, .rejected)
    }
}
