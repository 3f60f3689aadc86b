import Foundation
import SwitchyardContract
import SwitchyardMetrics
import XCTest

/// A tenant at the edge of a "reject" budget: near the budget each call's refusal (or its move to
/// a model it can still afford) depends on its own size and on the spend before it, so no group of
/// its day is decided alike at its corners. Such a tenant-day was read from raw records on every
/// what-if (23,644 of the 1M-record week's 66,262 calls); its summary's call log now replays it
/// call by call, with the raw replay's answer to the pico-dollar and no raw read.
extension WhatIfSummaryTests {
    /// Ten days of free-demo (basic, $1 a month, over-budget rule "reject"): 40 calls a day on
    /// gpt-4o-mini of varied sizes, each recorded at its price ($0.15 and $0.60 per million input
    /// and output tokens), about $2.40 in all. From the day the what-if's spend reaches the budget,
    /// a call is refused when its estimate passes what is left, so smaller calls still fit and the
    /// spend creeps up to the budget without crossing it: every later day is at the edge.
    func budgetEdgeRecords() -> [UsageRecord] {
        var records: [UsageRecord] = []
        var state: UInt64 = 0x5EED
        func next(_ bound: Int64) -> Int64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int64((state >> 33) % UInt64(bound))
        }
        for d in 0..<10 {
            for i in 0..<40 {
                let category: TaskCategory = [.chat, .code, .summarization][i % 3]
                let input = 2_000 + next(58_000)
                let output = 100 + next(3_900)
                records.append(
                    call(
                        "b\(d)-\(i)", at: start + Int64(d) * day + Int64(i) * 30 * 60_000 + 1_000, tenant: "free-demo",
                        tier: "basic", category: category, model: "gpt-4o-mini", input: input, output: output,
                        cost: input * 150_000 + output * 600_000))
            }
        }
        return records
    }

    /// The benchmark's edit: free-demo's routing is unchanged, its what-if spend is not.
    static let enterpriseCheapest = #"{"tiers": {"enterprise": {"defaultStrategy": "cheapest"}}}"#

    func testABudgetEdgeTenantDayIsReplayedFromItsCallLog() async throws {
        let store = MemoryMetricsStore(records: budgetEdgeRecords())
        let (raw, _) = try await run(
            store, summaries: false, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest)
        XCTAssertGreaterThan(raw.totals.rejected, 0, "the budget is reached")
        XCTAssertLessThan(raw.totals.rejected, raw.totals.calls)
        // Calls are refused by their size near the budget: the spend stops just under it.
        XCTAssertLessThan(raw.totals.whatIf.picoUSD, 1_000_000_000_000)
        XCTAssertGreaterThan(raw.totals.whatIf.picoUSD, 990_000_000_000)
        let (cold, coldRead) = try await run(
            store, summaries: true, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest)
        XCTAssertEqual(coldRead, 400, "the first run reads every call and stores the summaries")
        let (warm, warmRead) = try await run(
            store, summaries: true, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest)
        XCTAssertEqual(warmRead, 0, "no raw record read")
        XCTAssertGreaterThan(warm.logCalls ?? 0, 0, "the undecided days from their call logs")
        XCTAssertEqual((warm.logCalls ?? 0) + (warm.summaryCalls ?? 0), 400)
        // Call by call, priced per call: the raw replay's answer exactly, money included.
        for answer in [cold, warm] {
            XCTAssertEqual(answer.totals.whatIf, raw.totals.whatIf)
            XCTAssertEqual(answer.groups.map(\.totals.whatIf), raw.groups.map(\.totals.whatIf))
        }
        assertSame(warm, raw)
        // One tier: the same.
        let (rawBasic, _) = try await run(
            store, summaries: false, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest, tier: "basic")
        let (warmBasic, warmBasicRead) = try await run(
            store, summaries: true, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest, tier: "basic")
        XCTAssertEqual(warmBasicRead, 0)
        assertSame(warmBasic, rawBasic)
    }

    /// A log that does not add up to its groups (one call's input changed) is not used: the day is
    /// replayed from records and its summary stored again with a good log. A summary stored before
    /// logs existed is replaced the same way.
    func testALogThatDoesNotAddUpOrIsMissingIsRebuiltFromRecords() async throws {
        let store = MemoryMetricsStore(records: budgetEdgeRecords())
        let (raw, _) = try await run(
            store, summaries: false, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest)
        _ = try await run(store, summaries: true, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest)
        var summaries = try await store.whatIfSummaries(from: start, to: start + 10 * day, tenant: nil, deadline: .now)
        XCTAssertEqual(summaries.count, 10)
        for i in summaries.indices {
            let groups = try XCTUnwrap(summaries[i].groups)
            var calls = try XCTUnwrap(summaries[i].log?.calls(groups: groups))
            XCTAssertEqual(calls.count, 40)
            if i % 2 == 0 {
                calls[0].input += 1
                summaries[i].log = WhatIfCallLog(calls)
                XCTAssertNil(summaries[i].log?.calls(groups: groups), "the sums no longer match")
            } else {
                summaries[i].log = nil
            }
        }
        try await store.saveWhatIfSummaries(summaries, deadline: .now)
        let (warm, warmRead) = try await run(
            store, summaries: true, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest)
        assertSame(warm, raw)
        XCTAssertEqual(warm.logCalls, 0)
        XCTAssertGreaterThan(warmRead, 0, "the undecided days without a usable log from records")
        XCTAssertEqual(warmRead % 40, 0, "whole days")
        let (again, againRead) = try await run(
            store, summaries: true, from: start, to: start + 10 * day, edit: Self.enterpriseCheapest)
        assertSame(again, raw)
        XCTAssertEqual(againRead, 0, "stored again with good logs")
    }

    /// The packed text round-trips, and anything but well-formed, in-range calls is refused.
    func testACallLogRoundTripsAndRefusesWhatDoesNotAddUp() throws {
        // Two calls of one group (input 7 and 5 share the range 4-7), built as the store builds them.
        var builder = WhatIfDayBuilder(day: start)
        for (i, (input, cost)) in [(Int64(7), Int64(10)), (5, 20)].enumerated() {
            builder.add(
                call(
                    "r\(i)", at: start + Int64(i), tenant: "t", tier: "basic", category: .chat, model: "gpt-4o-mini",
                    input: input, output: 1, cost: cost))
        }
        let summary = builder.summary(of: "t", fingerprint: WhatIfFingerprint())
        let group = try XCTUnwrap(summary.groups?.first)
        XCTAssertEqual(summary.groups?.count, 1)
        let calls = [
            WhatIfCallLog.Call(
                group: 0, input: 7, cached: 0, cacheWrite: 0, output: 1, reasoning: 0, images: 0, cost: 10),
            WhatIfCallLog.Call(
                group: 0, input: 5, cached: 0, cacheWrite: 0, output: 1, reasoning: 0, images: 0, cost: 20),
        ]
        XCTAssertEqual(summary.log?.calls(groups: [group]), calls)
        let log = try XCTUnwrap(WhatIfCallLog(calls))
        XCTAssertEqual(log.text, "0,7,0,0,1,0,0,10 0,5,0,0,1,0,0,20")
        XCTAssertEqual(summary.log, log)
        XCTAssertEqual(log.calls(groups: [group]), calls)
        XCTAssertEqual(WhatIfCallLog([])?.calls(groups: []), [])
        XCTAssertNil(WhatIfCallLog([calls[0]])?.calls(groups: [group]), "one call short")
        var negative = calls[0]
        negative.cost = -1
        XCTAssertNil(WhatIfCallLog([negative]), "no negative count")
        // Each one defect: a field short, a group out of range, an empty call, a trailing comma,
        // a sign, counts outside the box, a number past Int64, a cost sum off by one, a stray byte.
        for text in [
            "0,7,0,0,1,0,0,10 0,5,0,0,1,0,0", "0,7,0,0,1,0,0,10 1,5,0,0,1,0,0,20", "0,7,0,0,1,0,0,10  0,5,0,0,1,0,0,20",
            "0,7,0,0,1,0,0,10 0,5,0,0,1,0,0,20,", "0,7,0,0,1,0,0,10 0,5,0,0,1,0,0,-20",
            "0,8,0,0,1,0,0,10 0,4,0,0,1,0,0,20", "0,7,0,0,1,0,0,10 0,5,0,0,1,0,0,99999999999999999999",
            "0,7,0,0,1,0,0,11 0,5,0,0,1,0,0,20", "0,7,0,0,1,0,0,10 0,5,0,0,1,0,0,2x",
        ] {
            let decoded = try JSONDecoder().decode(WhatIfCallLog.self, from: Data("\"\(text)\"".utf8))
            XCTAssertNil(decoded.calls(groups: [group]), text)
        }
    }
}
