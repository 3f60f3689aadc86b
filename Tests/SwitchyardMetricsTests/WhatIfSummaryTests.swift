import Foundation
import SwitchyardContract
import SwitchyardJSON
import SwitchyardMetrics
import SwitchyardRouting
import Synchronization
import XCTest

/// The what-if over settled days' summaries (`WhatIfDaySummary`) must give the answer of replaying
/// every raw record in time order: same calls, moves and counts, money within the stated rounding
/// bound (½ pico-USD per call priced from sums), including a tenant whose budget is crossed inside
/// a day (that day is replayed from records), a day that changed after its summary was built, and
/// ranges that do not start or end on a day.
final class WhatIfSummaryTests: XCTestCase {
    /// 2026-12-01 00:00 UTC: a month starts here, so budgets count from 0 as the replay does.
    let start: Int64 = 1_796_083_200_000 + 86_400_000
    let day: Int64 = 86_400_000
    let hour: Int64 = 3_600_000

    func bundle() throws -> RoutingBundle { try WhatIfFixtures.shippedBundle(pricesAt: start) }

    func call(
        _ id: String, at time: Int64, tenant: String, tier: String, category: TaskCategory?, model: ModelID,
        input: Int64, output: Int64, cost: Int64, status: UsageStatus = .succeeded, hints: RoutingHints? = nil,
        images: Int64 = 0
    ) -> UsageRecord {
        var r = UsageRecord(
            requestID: id, step: "llm", invocationID: "inv-\(id)", attempt: 0, timestamp: time, tenant: tenant,
            tier: tier, category: category, difficulty: category == nil ? nil : .hard, hints: hints, model: model,
            backend: .external, modality: images > 0 ? .multimodal : .text,
            tokens: .init(input: input, output: output),
            images: images > 0 ? UsageRecord.Images(count: images, pixels: 1) : nil,
            latency: .init(totalMs: 900), status: status)
        r.cost = .init(
            modelPicoUSD: cost, computePicoUSD: 0, orchestrationPicoUSD: 0, totalPicoUSD: cost, unpriced: [],
            rateVersion: "t")
        return r
    }

    /// Ten days: initech (enterprise) repeats calls of a few sizes (groups hold several),
    /// spendy-pro (pro, $50 budget) makes large calls that cross its budget inside a day under the
    /// edit, free-demo has a call without a category (skipped) and one with an image, a tagged
    /// call, and every day a failed attempt (never replayed).
    func records() -> [UsageRecord] {
        var records: [UsageRecord] = []
        let tagged = RoutingHints(tags: ["v1.2", "$x", "50%"])
        for d in 0..<10 {
            let base = start + Int64(d) * day
            for i in 0..<6 {
                // Three identical calls, then three of growing size; spread over the day.
                let size: Int64 = i < 3 ? 1_000 : 1_000 + Int64(i) * 100
                records.append(
                    call(
                        "i\(d)-\(i)", at: base + Int64(i) * 4 * hour + 60_000, tenant: "initech", tier: "enterprise",
                        category: .creative, model: "claude-3-opus", input: size, output: 300, cost: 2_000_000,
                        hints: i == 5 ? tagged : nil))
            }
            for i in 0..<12 {
                records.append(
                    call(
                        "s\(d)-\(i)", at: base + Int64(i) * 2 * hour + 120_000, tenant: "spendy-pro", tier: "pro",
                        category: .code, model: "gpt-4o-mini", input: 90_000 + Int64(i) * 331, output: 16_000,
                        cost: 23_100_000))
            }
            records.append(
                call(
                    "f\(d)-a", at: base + 5 * hour, tenant: "free-demo", tier: "basic", category: nil,
                    model: "gpt-4o-mini", input: 100, output: 10, cost: 21_000))
            records.append(
                call(
                    "f\(d)-b", at: base + 6 * hour, tenant: "free-demo", tier: "basic", category: .chat,
                    model: "gpt-4o-mini", input: 400 + Int64(d), output: 50, cost: 90_000, images: 1))
            records.append(
                call(
                    "x\(d)", at: base + 7 * hour, tenant: "initech", tier: "enterprise", category: .creative,
                    model: "claude-3-opus", input: 500, output: 0, cost: 0, status: .failed))
        }
        return records
    }

    /// Forwards to a memory store and counts the answered raw calls it hands out.
    final class CountingStore: StubbedMetricsStore {
        let base: MemoryMetricsStore
        let rawCalls = Mutex<Int>(0)
        let reads = Mutex<Int>(0)

        init(_ base: MemoryMetricsStore) { self.base = base }

        func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [RollupRow]
        { try await base.rollupRows(cover: cover, filter: filter, latency: latency, deadline: deadline) }
        func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [UsageRecord]
        {
            let calls = try await base.modelCalls(filter: filter, limit: limit, deadline: deadline)
            rawCalls.withLock { $0 += calls.filter { $0.status == .succeeded }.count }
            reads.withLock { $0 += 1 }
            return calls
        }
        func whatIfSummaries(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [WhatIfDaySummary]
        { try await base.whatIfSummaries(from: from, to: to, tenant: tenant, deadline: deadline) }
        func saveWhatIfSummaries(_ summaries: [WhatIfDaySummary], deadline: ContinuousClock.Instant)
            async throws(MetricsError)
        { try await base.saveWhatIfSummaries(summaries, deadline: deadline) }
        var keepsWhatIfSummaries: Bool { true }
    }

    func run(
        _ store: MemoryMetricsStore, summaries: Bool, from: Int64, to: Int64, edit: String, tier: String? = nil,
        recordsPerRead: Int = 1_000
    ) async throws -> (WhatIfResponse, rawCalls: Int) {
        let (answer, rawCalls, _) = try await counted(
            store, summaries: summaries, from: from, to: to, edit: edit, tier: tier, recordsPerRead: recordsPerRead)
        return (answer, rawCalls)
    }

    /// `run`, also saying how many raw reads it made.
    func counted(
        _ store: MemoryMetricsStore, summaries: Bool, from: Int64, to: Int64, edit: String, tier: String? = nil,
        recordsPerRead: Int = 1_000
    ) async throws -> (WhatIfResponse, rawCalls: Int, reads: Int) {
        let counting = CountingStore(store)
        let tierField = tier.map { #", "tier": "\#($0)""# } ?? ""
        let body = Array(#"{"from": \#(from), "to": \#(to)\#(tierField), "policy": \#(edit)}"#.utf8)
        let whatIf = RoutingWhatIf(bundle: try bundle(), useSummaries: summaries, recordsPerRead: recordsPerRead)
        let answer = try await whatIf.run(
            body: body, store: counting, now: start + 31 * day, deadline: .now + .seconds(30))
        return (answer, counting.rawCalls.withLock { $0 }, counting.reads.withLock { $0 })
    }

    /// A settled day is read from records in pieces of about `recordsPerRead` LLM records (as the
    /// day rollups count them), so each read is short enough to end inside the deadline; pieces
    /// cover the day in time order, so the answer and the summaries built are those of whole days.
    func testASettledDayIsReadInPiecesGivingTheSameAnswer() async throws {
        let edit = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}, "pro": {"defaultStrategy": "best"}}}"#
        let (raw, _) = try await run(
            MemoryMetricsStore(records: records()), summaries: false, from: start, to: start + 10 * day, edit: edit)
        let whole = MemoryMetricsStore(records: records())
        let (wholeAnswer, wholeCalls, wholeReads) = try await counted(
            whole, summaries: true, from: start, to: start + 10 * day, edit: edit)
        let pieces = MemoryMetricsStore(records: records())
        let (piecesAnswer, piecesCalls, piecesReads) = try await counted(
            pieces, summaries: true, from: start, to: start + 10 * day, edit: edit, recordsPerRead: 3)
        assertSame(wholeAnswer, raw)
        assertSame(piecesAnswer, raw)
        XCTAssertEqual(piecesCalls, wholeCalls, "every answered call read once")
        XCTAssertEqual(wholeReads, 10, "one read a day")
        // A day's LLM rows count ~20 records: 7 pieces of about 3.
        XCTAssertGreaterThanOrEqual(piecesReads, 60, "\(piecesReads) reads")
        // The summaries built from pieces are those built from whole days: a warm run agrees.
        let (warm, warmCalls) = try await run(
            pieces, summaries: true, from: start, to: start + 10 * day, edit: edit, recordsPerRead: 3)
        assertSame(warm, raw)
        XCTAssertLessThan(warmCalls, piecesCalls)
        let a = try await whole.whatIfSummaries(from: start, to: start + 10 * day, tenant: nil, deadline: .now)
        let b = try await pieces.whatIfSummaries(from: start, to: start + 10 * day, tenant: nil, deadline: .now)
        XCTAssertEqual(a.count, 30)
        XCTAssertEqual(
            a.sorted { ($0.day, $0.tenant) < ($1.day, $1.tenant) },
            b.sorted { ($0.day, $0.tenant) < ($1.day, $1.tenant) })
    }

    /// Ten days' summaries stored for `records`, then `late` arrives: the what-if over the records with
    /// it, from those summaries (and how many calls it read raw) and from raw records alone.
    func afterALateRecord(_ records: [UsageRecord], _ late: UsageRecord, edit: String) async throws
        -> (warm: WhatIfResponse, rawRead: Int, raw: WhatIfResponse)
    {
        let store = MemoryMetricsStore(records: records)
        _ = try await run(store, summaries: true, from: start, to: start + 10 * day, edit: edit)
        let later = MemoryMetricsStore(records: records + [late])
        let old = try await store.whatIfSummaries(from: start, to: start + 10 * day, tenant: nil, deadline: .now)
        try await later.saveWhatIfSummaries(old, deadline: .now)
        let (warm, rawRead) = try await run(later, summaries: true, from: start, to: start + 10 * day, edit: edit)
        let (raw, _) = try await run(later, summaries: false, from: start, to: start + 10 * day, edit: edit)
        return (warm, rawRead, raw)
    }

    /// Counts and moves equal; money within the answer's rounding bound; quality up to the order of
    /// floating-point sums.
    func assertSame(_ a: WhatIfResponse, _ b: WhatIfResponse, file: StaticString = #filePath, line: UInt = #line) {
        let bound = (a.roundingBoundPicoUSD ?? 0) + (b.roundingBoundPicoUSD ?? 0)
        func strip(_ t: WhatIfResponse.Totals) -> WhatIfResponse.Totals {
            var t = t
            t.actualQuality = (t.actualQuality * 1e9).rounded() / 1e9
            t.whatIfQuality = (t.whatIfQuality * 1e9).rounded() / 1e9
            t.whatIf = Money(0)
            t.difference = Money(0)
            return t
        }
        func money(_ x: WhatIfResponse.Totals, _ y: WhatIfResponse.Totals) {
            XCTAssertLessThanOrEqual(abs(x.whatIf.picoUSD - y.whatIf.picoUSD), bound, file: file, line: line)
            XCTAssertEqual(x.actual, y.actual, file: file, line: line)
        }
        money(a.totals, b.totals)
        XCTAssertEqual(a.groups.count, b.groups.count, file: file, line: line)
        for (x, y) in zip(a.groups, b.groups) { money(x.totals, y.totals) }
        var x = a
        var y = b
        x.totals = strip(x.totals)
        y.totals = strip(y.totals)
        for i in x.groups.indices { x.groups[i].totals = strip(x.groups[i].totals) }
        for i in y.groups.indices { y.groups[i].totals = strip(y.groups[i].totals) }
        (x.summaryCalls, y.summaryCalls, x.roundingBoundPicoUSD, y.roundingBoundPicoUSD) = (nil, nil, nil, nil)
        (x.logCalls, y.logCalls, x.recordTenantDays, y.recordTenantDays) = (nil, nil, nil, nil)
        XCTAssertEqual(x, y, file: file, line: line)
    }

    func testSummariesGiveTheRawRecordsAnswer() async throws {
        let store = MemoryMetricsStore(records: records())
        let edit = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}, "pro": {"defaultStrategy": "best"}}}"#
        for (from, to) in [(start, start + 10 * day), (start + 3 * hour, start + 10 * day - 5 * hour)] {
            let (raw, rawRead) = try await run(store, summaries: false, from: from, to: to, edit: edit)
            // The first run builds the summaries from raw records, the second reads them.
            let (cold, _) = try await run(store, summaries: true, from: from, to: to, edit: edit)
            let (warm, warmRaw) = try await run(store, summaries: true, from: from, to: to, edit: edit)
            assertSame(cold, raw)
            assertSame(warm, raw)
            XCTAssertEqual(warm.callsRead, raw.callsRead)
            XCTAssertGreaterThan(warm.summaryCalls ?? 0, 0)
            XCTAssertLessThan(warmRaw, rawRead, "settled days come from their summaries")
            // Only the range's partial days come from records: spendy-pro's days over its budget
            // are replayed from their summaries' call logs.
            let edges = records().filter {
                $0.status == .succeeded && $0.timestamp >= from && $0.timestamp < to
                    && ($0.timestamp < Granularity.day.ceil(from) || $0.timestamp >= Granularity.day.floor(to))
            }
            XCTAssertEqual(warmRaw, edges.count)
            XCTAssertGreaterThan(warm.logCalls ?? 0, 0, "spendy-pro's budget crossings from call logs")
            let spendy = try XCTUnwrap(warm.groups.first { $0.tenant == "spendy-pro" })
            XCTAssertGreaterThan(spendy.totals.changed, 0)
            XCTAssertLessThan(spendy.totals.changed, spendy.totals.calls, "past its budget, calls stay downgraded")
            XCTAssertEqual(raw.skipped["no category recorded"], 10)
            XCTAssertEqual(warm.skipped, raw.skipped)
            // One tier only.
            let (rawPro, _) = try await run(store, summaries: false, from: from, to: to, edit: edit, tier: "pro")
            let (warmPro, _) = try await run(store, summaries: true, from: from, to: to, edit: edit, tier: "pro")
            assertSame(warmPro, rawPro)
            XCTAssertEqual(Set(warmPro.groups.map(\.tenant)), ["spendy-pro"])
        }
    }

    /// Forwards to a counting store; a read of raw calls of a day that has no summaries yet (a cold
    /// day) takes at least 150 ms.
    final class SlowCallsStore: StubbedMetricsStore {
        let base: CountingStore
        init(_ base: CountingStore) { self.base = base }

        func rollupRows(cover: TimeCover, filter: MetricsFilter, latency: Bool, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [RollupRow]
        { try await base.rollupRows(cover: cover, filter: filter, latency: latency, deadline: deadline) }
        func modelCalls(filter: MetricsFilter, limit: Int, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [UsageRecord]
        {
            let day = Granularity.day.floor(filter.from)
            let summaries = try await base.whatIfSummaries(
                from: day, to: day + 86_400_000, tenant: nil, deadline: deadline)
            if summaries.isEmpty { try? await Task.sleep(for: .milliseconds(150)) }
            return try await base.modelCalls(filter: filter, limit: limit, deadline: deadline)
        }
        func whatIfSummaries(from: Int64, to: Int64, tenant: String?, deadline: ContinuousClock.Instant)
            async throws(MetricsError) -> [WhatIfDaySummary]
        { try await base.whatIfSummaries(from: from, to: to, tenant: tenant, deadline: deadline) }
        func saveWhatIfSummaries(_ summaries: [WhatIfDaySummary], deadline: ContinuousClock.Instant)
            async throws(MetricsError)
        { try await base.saveWhatIfSummaries(summaries, deadline: deadline) }
        var keepsWhatIfSummaries: Bool { true }
    }

    /// One what-if call with a 400 ms deadline: the answer or the error.
    func attempt(_ store: any MetricsStore, body: [UInt8]) async throws -> (WhatIfResponse?, MetricsError?) {
        let whatIf = RoutingWhatIf(bundle: try bundle(), useSummaries: true)
        do {
            return (
                try await whatIf.run(
                    body: body, store: store, now: start + 31 * day, deadline: .now + .milliseconds(400)),
                nil
            )
        } catch {
            return (nil, error)
        }
    }

    /// Ten cold days whose raw reads take 150 ms each, 400 ms per call: no call can replay them all,
    /// so each summarises what fits, stores it and answers `Dashboard.Warming` with more tenant-days
    /// done than the last; a call then answers from the summaries, as the raw replay does.
    func testAColdRangeIsSummarisedAcrossCalls() async throws {
        let store = MemoryMetricsStore(records: records())
        let edit = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}, "pro": {"defaultStrategy": "best"}}}"#
        let (raw, _) = try await run(store, summaries: false, from: start, to: start + 10 * day, edit: edit)
        let slow = SlowCallsStore(CountingStore(store))
        let body = Array(#"{"from": \#(start), "to": \#(start + 10 * day), "policy": \#(edit)}"#.utf8)
        var progress: [Int] = []
        var answer: WhatIfResponse?
        for _ in 0..<20 {
            let (response, error) = try await attempt(slow, body: body)
            if let response {
                answer = response
                break
            }
            guard case .warming(let done, let total)? = error else { return XCTFail("\(String(describing: error))") }
            XCTAssertEqual(total, 30, "three tenants, ten days")
            XCTAssertGreaterThan(done, progress.last ?? 0)
            progress.append(done)
        }
        XCTAssertGreaterThan(progress.count, 1, "\(progress)")
        assertSame(try XCTUnwrap(answer), raw)
    }

    /// By hand (see WhatIfPagingTests and test_dashboard_api.py's fixtures): under `cheapest`,
    /// initech's creative/hard calls move from claude-3-opus to gpt-4.1 ($2 and $8 per million
    /// input and output tokens, whole pico-dollars per token, so pricing the sums rounds nothing).
    func testTheInitechSavingMatchesTheFigureWorkedOutByHand() async throws {
        let store = MemoryMetricsStore(records: records().filter { $0.tenant == "initech" })
        let edit = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}}}"#
        _ = try await run(store, summaries: true, from: start, to: start + 10 * day, edit: edit)
        let (warm, rawRead) = try await run(store, summaries: true, from: start, to: start + 10 * day, edit: edit)
        XCTAssertEqual(rawRead, 0, "no raw record read: every day from its summary")
        XCTAssertEqual(warm.summaryCalls, 60)
        XCTAssertEqual(warm.totals.calls, 60)
        XCTAssertEqual(warm.totals.changed, 60)
        XCTAssertEqual(warm.totals.actual.picoUSD, 60 * 2_000_000)
        let expected: Int64 = 10 * (3 * 1_000 + 1_300 + 1_400 + 1_500) * 2_000_000 + 60 * 300 * 8_000_000
        XCTAssertEqual(warm.totals.whatIf.picoUSD, expected)
        XCTAssertEqual(warm.totals.whatIf.picoUSD, 288_000_000_000, "$0.288")
        XCTAssertEqual(warm.groups.first?.moves.first?.from, "claude-3-opus")
        XCTAssertEqual(warm.groups.first?.moves.first?.to, "gpt-4.1")
    }

    /// A record that arrives (or changes) after its day's summary was built changes the day's
    /// rollups, so the summary no longer matches and that day is replayed from records again.
    func testALateRecordMakesItsDayReplayFromRecords() async throws {
        let edit = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}}}"#
        let (warm, rawRead, raw) = try await afterALateRecord(
            records().filter { $0.tenant == "initech" },
            call(
                "late", at: start + 4 * day + hour, tenant: "initech", tier: "enterprise", category: .creative,
                model: "claude-3-opus", input: 5_000, output: 100, cost: 2_000_000),
            edit: edit)
        assertSame(warm, raw)
        XCTAssertEqual(rawRead, 7, "the late record's day only")
        XCTAssertEqual(warm.totals.calls, 61)
    }

    /// A day mixing summarised and raw tenants reads only the raw tenants' calls: initech's days
    /// come from summaries, free-demo's day with a late record from records, one read of its own.
    func testAMixedDayReadsOnlyTheTenantsItReplays() async throws {
        let edit = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}}}"#
        let (warm, rawRead, raw) = try await afterALateRecord(
            records().filter { $0.tenant == "initech" || $0.tenant == "free-demo" },
            call(
                "late", at: start + 4 * day + hour, tenant: "free-demo", tier: "basic", category: .chat,
                model: "gpt-4o-mini", input: 300, output: 40, cost: 80_000),
            edit: edit)
        assertSame(warm, raw)
        XCTAssertEqual(rawRead, 3, "free-demo's three answered calls of day 4, not initech's six beside them")
        XCTAssertGreaterThanOrEqual(warm.summaryCalls ?? 0, 60, "initech's ten days from summaries")
    }

    /// No summary can grow past its bound: more groups than `maxGroups` in a tenant-day, or a long
    /// hint, store the day without groups (replayed from records); the largest summary that keeps
    /// its groups (every group with a hint of nearly the longest kept size) encodes below MongoDB's
    /// 16 MiB document limit (the store keeps none over 8 MiB: that day is replayed from records).
    func testSummariesAreBoundedByConstruction() throws {
        var builder = WhatIfDayBuilder(day: start)
        let longest = String(repeating: "t", count: 60)
        for i in 0..<WhatIfDaySummary.maxGroups {
            // Distinct hints of nearly the longest kept size: one group each.
            let tags = (0..<14).map { "\(longest)\($0)-\(i)" }
            builder.add(
                call(
                    "g\(i)", at: start + Int64(i), tenant: "t", tier: "pro", category: .code, model: "gpt-4o-mini",
                    input: Int64.max / 4, output: Int64.max / 4, cost: Int64.max / 4, hints: RoutingHints(tags: tags)))
        }
        let full = builder.summary(of: "t", fingerprint: WhatIfFingerprint())
        XCTAssertEqual(full.groups?.count, WhatIfDaySummary.maxGroups)
        let bytes = try JSON.encode(full).count
        XCTAssertLessThan(bytes, 15 * 1_048_576, "\(bytes) bytes")
        builder.add(
            call(
                "one-more", at: start + 1, tenant: "t", tier: "pro", category: .chat, model: "gpt-4o-mini", input: 1,
                output: 1, cost: 1))
        XCTAssertNil(builder.summary(of: "t", fingerprint: WhatIfFingerprint()).groups, "over the cap: raw")

        var hinted = WhatIfDayBuilder(day: start)
        hinted.add(
            call(
                "h", at: start, tenant: "u", tier: "pro", category: .chat, model: "gpt-4o-mini", input: 1, output: 1,
                cost: 1, hints: RoutingHints(tags: [String](repeating: "long-tag", count: 200))))
        XCTAssertNil(hinted.summary(of: "u", fingerprint: WhatIfFingerprint()).groups, "a hint over 1 KiB: raw")
        // Sums that would leave Int64 also send the day to records rather than wrap.
        var huge = WhatIfDayBuilder(day: start)
        for i in 0..<3 {
            huge.add(
                call(
                    "o\(i)", at: start, tenant: "v", tier: "pro", category: .chat, model: "gpt-4o-mini",
                    input: Int64.max / 2, output: 1, cost: 1))
        }
        XCTAssertNil(huge.summary(of: "v", fingerprint: WhatIfFingerprint()).groups)
    }

    func testBucketsArePowersOfTwo() {
        XCTAssertEqual(
            [0, 1, 2, 3, 4, 7, 8, 1_000, 1_023, 1_024].map(WhatIfDaySummary.bucket), [0, 1, 2, 2, 3, 3, 4, 10, 10, 11])
        XCTAssertEqual(WhatIfDaySummary.bucket(Int64.max), 63)
        XCTAssertEqual(WhatIfDaySummary.bucket(-5), 0)
    }
}
