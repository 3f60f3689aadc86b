import SwitchyardContract
import SwitchyardJSON
import SwitchyardMetrics
import XCTest

/// The API over an in-memory store, against figures worked out by hand from the fixture records.
final class MetricsAPITests: XCTestCase {
    /// 2026-11-30 00:00 UTC.
    let day: Int64 = 1_796_083_200_000
    let hour: Int64 = 3_600_000

    func record(
        _ request: String, step: String, at offset: Int64, tenant: String, tier: String, model: ModelID?,
        backend: UsageBackend = .external, latency: Int64, cost: Int64, status: UsageStatus = .succeeded,
        errorType: String? = nil, attempt: Int = 0
    ) -> UsageRecord {
        var r = UsageRecord(
            requestID: request, step: step, invocationID: "inv-\(request)-\(step)", attempt: attempt,
            timestamp: day + offset, tenant: tenant, tier: tier, category: .chat, difficulty: .easy, model: model,
            backend: backend, modality: .text, tokens: model == nil ? nil : .init(input: 100, output: 10),
            latency: .init(totalMs: latency), status: status, errorType: errorType)
        r.cost = .init(
            modelPicoUSD: cost, computePicoUSD: 0, orchestrationPicoUSD: 0, totalPicoUSD: cost, unpriced: [],
            rateVersion: "t")
        return r
    }

    /// Request r1 (acme, basic): router 5 ms, one failed gpt-4o-mini attempt (429) and a good one.
    /// Request r2 (globex, pro): router 7 ms, claude 900 ms. Request r3 (acme) an hour later: router,
    /// gpt-4o-mini 300 ms.
    lazy var records: [UsageRecord] = [
        record(
            "r1", step: "router", at: 1_000, tenant: "acme", tier: "basic", model: nil, backend: .lambda,
            latency: 5, cost: 10),
        record(
            "r1", step: "llm", at: 1_010, tenant: "acme", tier: "basic", model: "gpt-4o-mini", latency: 120,
            cost: 0, status: .failed, errorType: "Provider.RateLimited"),
        record(
            "r1", step: "llm", at: 1_200, tenant: "acme", tier: "basic", model: "gpt-4o-mini", latency: 200,
            cost: 1_500, attempt: 1),
        record(
            "r2", step: "router", at: 2_000, tenant: "globex", tier: "pro", model: nil, backend: .lambda,
            latency: 7, cost: 10),
        record(
            "r2", step: "llm", at: 2_010, tenant: "globex", tier: "pro", model: "claude-3-5-haiku", latency: 900,
            cost: 40_000),
        record(
            "r3", step: "router", at: hour + 5, tenant: "acme", tier: "basic", model: nil, backend: .lambda,
            latency: 6, cost: 10),
        record(
            "r3", step: "llm", at: hour + 10, tenant: "acme", tier: "basic", model: "gpt-4o-mini", latency: 300,
            cost: 2_000),
    ]

    func api(key: String? = nil) -> MetricsAPI {
        MetricsAPI(store: MemoryMetricsStore(records: records), adminKey: key, now: { [day] in day + 86_400_000 })
    }

    func get<T: Decodable>(_ type: T.Type, _ target: String, api: MetricsAPI? = nil) async throws -> T {
        let response = await (api ?? self.api()).respond(to: APIRequest(method: "GET", target: target))
        XCTAssertEqual(response.status, 200, String(decoding: response.body, as: UTF8.self))
        return try JSON.decode(T.self, from: response.body)
    }

    var range: String { "from=\(day)&to=\(day + 2 * hour)" }

    func testSummaryFiguresMatchTheRecords() async throws {
        let s = try await get(SummaryResponse.self, "/api/summary?\(range)&bucket=hour")
        // Two hourly points: hour 0 has r1, r2 (2 requests, 5 records, 1 failure); hour 1 has r3.
        XCTAssertEqual(s.volume.points.map(\.start), [day, day + hour])
        XCTAssertEqual(s.volume.points.map(\.requests), [2, 1])
        XCTAssertEqual(s.volume.points.map(\.calls), [5, 2])
        XCTAssertEqual(s.volume.points.map(\.errors), [1, 0])
        // Cost by model: gpt-4o-mini 0 + 1,500 + 2,000; claude 40,000; routers 30 as (platform).
        XCTAssertEqual(s.cost.total.picoUSD, 43_530)
        XCTAssertEqual(s.cost.groups.map(\.key), ["claude-3-5-haiku", "gpt-4o-mini", "(platform)"])
        XCTAssertEqual(s.cost.groups.map(\.total.picoUSD), [40_000, 3_500, 30])
        XCTAssertEqual(s.cost.days, [day])
        // Model share: 3 gpt-4o-mini calls of 4 model calls.
        XCTAssertEqual(s.models.totalCalls, 4)
        XCTAssertEqual(s.models.models.first?.model, "gpt-4o-mini")
        XCTAssertEqual(s.models.models.first?.share, 0.75)
        // Errors: 1 of 4 model calls, a rate limit.
        XCTAssertEqual(s.errors.failed, 1)
        XCTAssertEqual(s.errors.errorRate, 0.25)
        XCTAssertEqual(s.errors.types.map(\.errorType), ["Provider.RateLimited"])
        // Latency by backend: external calls 120, 200, 300, 900 → p50 is rank 2 = 200, p99 rank 4 = 900.
        let external = try XCTUnwrap(s.latencyByBackend.groups.first { $0.key == "external" })
        XCTAssertEqual(external.count, 4)
        XCTAssertEqual(external.p50Ms, 200, accuracy: 200 * s.latencyByBackend.relativeError)
        XCTAssertEqual(external.p99Ms, 900, accuracy: 900 * s.latencyByBackend.relativeError)
        XCTAssertEqual(external.meanMs, 380)
        // Routers carry no model: no latency group for the lambda backend.
        XCTAssertNil(s.latencyByBackend.groups.first { $0.key == "lambda" })
    }

    func testTenantAndTierFiltersNarrowEveryFigure() async throws {
        let acme = try await get(SummaryResponse.self, "/api/summary?\(range)&bucket=hour&tenant=acme")
        XCTAssertEqual(acme.volume.totals.requests, 2)
        XCTAssertEqual(acme.cost.total.picoUSD, 3_520)
        XCTAssertEqual(acme.models.models.map(\.model), ["gpt-4o-mini"])
        let pro = try await get(CostResponse.self, "/api/cost?\(range)&tier=pro&by=tenant")
        XCTAssertEqual(pro.groups.map(\.key), ["globex"])
        XCTAssertEqual(pro.total.picoUSD, 40_010)
    }

    func testActivityPagesNeitherSkipNorRepeat() async throws {
        var seen: [String] = []
        var cursor: String?
        repeat {
            let page = try await get(
                ActivityResponse.self, "/api/activity?\(range)&limit=3" + (cursor.map { "&cursor=\($0)" } ?? ""))
            XCTAssertLessThanOrEqual(page.entries.count, 3)
            seen += page.entries.map { "\($0.requestId)/\($0.step)/\($0.attempt)" }
            cursor = page.nextCursor
        } while cursor != nil
        XCTAssertEqual(seen.count, 7)
        XCTAssertEqual(Set(seen).count, 7)
        XCTAssertEqual(seen.first, "r3/llm/0")
        let failed = try await get(ActivityResponse.self, "/api/activity?\(range)&status=failed")
        XCTAssertEqual(failed.entries.map(\.errorType), ["Provider.RateLimited"])
    }

    func testDrillDownListsEveryStepOfARequest() async throws {
        let detail = try await get(RequestDetailResponse.self, "/api/requests/r1")
        XCTAssertEqual(detail.steps.map(\.step), ["router", "llm", "llm"])
        XCTAssertEqual(detail.total.picoUSD, 1_510)
        // From 1,000 to the second attempt's end at 1,200 + 200.
        XCTAssertEqual(detail.spanMs, 400)
        let missing = await api().respond(to: APIRequest(method: "GET", target: "/api/requests/nope"))
        XCTAssertEqual(missing.status, 404)
    }

    func testBadParametersAreTyped400s() async throws {
        for (target, name) in [
            ("/api/summary?from=abc", "from"), ("/api/summary?from=\(day)&to=\(day - 1)", "from"),
            ("/api/summary?bucket=week", "bucket"), ("/api/latency?by=tenant", "by"),
            ("/api/activity?limit=0", "limit"), ("/api/activity?cursor=%%%", "cursor"),
            ("/api/activity?cursor=bm90LWEtY3Vyc29y", "cursor"), ("/api/activity?status=lost", "status"),
            ("/api/summary?tenant=%01", "tenant"), ("/api/summary?from=0&to=\(500 * 86_400_000)", "to"),
        ] {
            let response = await api().respond(to: APIRequest(method: "GET", target: target))
            XCTAssertEqual(response.status, 400, target)
            let error = try JSON.parse(response.body)
            XCTAssertEqual(error["errorType"]?.stringValue, "Dashboard.InvalidParameter", target)
            XCTAssertTrue(error["errorMessage"]?.stringValue?.contains(name) ?? false, target)
        }
        let tooMany = await api().respond(
            to: APIRequest(method: "GET", target: "/api/volume?from=0&to=\(30 * 86_400_000)&bucket=minute"))
        XCTAssertEqual(tooMany.status, 400)
        XCTAssertEqual(try JSON.parse(tooMany.body)["errorType"]?.stringValue, "Dashboard.TooManyPoints")
        let post = await api().respond(to: APIRequest(method: "POST", target: "/api/summary"))
        XCTAssertEqual(post.status, 405)
        let unknown = await api().respond(to: APIRequest(method: "GET", target: "/api/nothing"))
        XCTAssertEqual(unknown.status, 404)
    }

    func testAdminKeyIsRequiredWhenConfigured() async throws {
        let guarded = api(key: "s3cret")
        let none = await guarded.respond(to: APIRequest(method: "GET", target: "/api/summary"))
        XCTAssertEqual(none.status, 401)
        let wrong = await guarded.respond(
            to: APIRequest(method: "GET", target: "/api/summary", headers: ["x-admin-key": "s3cre"]))
        XCTAssertEqual(wrong.status, 401)
        let header = await guarded.respond(
            to: APIRequest(method: "GET", target: "/api/summary?\(range)", headers: ["x-admin-key": "s3cret"]))
        XCTAssertEqual(header.status, 200)
        let bearer = await guarded.respond(
            to: APIRequest(method: "GET", target: "/api/summary?\(range)", headers: ["authorization": "Bearer s3cret"]))
        XCTAssertEqual(bearer.status, 200)
        let health = await guarded.respond(to: APIRequest(method: "GET", target: "/api/health"))
        XCTAssertEqual(health.status, 200)
    }

    func testTimeCoverReadsWholeDaysFromDayRollups() {
        // 23:30 on day 0 to 01:15 on day 3.
        let from = day - 30 * 60_000
        let to = day + 3 * 86_400_000 + hour + 15 * 60_000
        let cover = TimeCover(from: from, to: to)
        XCTAssertEqual(
            cover.segments.map { "\($0.granularity.rawValue) \(($0.from - day) / 60_000) \(($0.to - day) / 60_000)" },
            ["minute -30 0", "day 0 4320", "hour 4320 4380", "minute 4380 4395"])
        let hourly = TimeCover(from: from, to: to, coarsest: .hour)
        XCTAssertEqual(hourly.segments(of: .day), [])
        XCTAssertEqual(hourly.segments.first?.to, day)
        // Contiguous, in order, covering exactly [from, to).
        for cover in [cover, hourly] {
            XCTAssertEqual(cover.segments.first?.from, from)
            XCTAssertEqual(cover.segments.last?.to, to)
            for (a, b) in zip(cover.segments, cover.segments.dropFirst()) { XCTAssertEqual(a.to, b.from) }
        }
    }
}
