import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The dashboard's HTTP API: routes, parameters, errors. One value serves the `dashboard-api`
/// Lambda function and the local server alike; it reads through a `MetricsStore` and never sees
/// sockets or events.
///
/// Every endpoint is `GET` with `from`, `to` (epoch ms; default the last 24 hours), `tenant` and
/// `tier`, except the what-if (`POST`). Errors answer `{"errorType": …, "errorMessage": …}` with
/// the status of `MetricsError.httpStatus`: bad parameters are 400s, never 500s.
public struct MetricsAPI: Sendable {
    public let store: any MetricsStore
    /// Compared in constant time with `x-admin-key` or `Authorization: Bearer …`; nil: no key
    /// (behind IAM on AWS, or a loopback-only local server).
    let adminKey: String?
    let now: @Sendable () -> Int64
    /// Time one answer may take, store included.
    let timeout: Duration
    let whatIf: (any WhatIfRunner)?

    /// Most activity entries per page, and most steps in one drill-down.
    public static let maxPageSize = 500
    public static let maxRequestSteps = 1_000

    public init(
        store: any MetricsStore, adminKey: String? = nil, whatIf: (any WhatIfRunner)? = nil,
        timeout: Duration = .seconds(10), now: @escaping @Sendable () -> Int64 = { WallClock.nowMilliseconds() }
    ) {
        self.store = store
        self.adminKey = adminKey
        self.whatIf = whatIf
        self.timeout = timeout
        self.now = now
    }

    /// Answers one request; never throws.
    public func respond(to request: APIRequest) async -> APIResponse {
        do throws(MetricsError) {
            try authorize(request)
            return try await route(request)
        } catch {
            var fields: JSONObject = [
                "errorType": .string(error.errorType), "errorMessage": .string(error.errorMessage),
            ]
            if case .warming(let done, let total) = error {
                fields["done"] = .integer(Int64(done))
                fields["total"] = .integer(Int64(total))
            }
            let body = JSON.object(fields)
            return APIResponse(status: error.httpStatus, body: body.serialized())
        }
    }

    private func authorize(_ request: APIRequest) throws(MetricsError) {
        guard let adminKey, request.path != "/api/health" else { return }
        var presented = request.headers["x-admin-key"]
        if presented == nil, let authorization = request.headers["authorization"], authorization.hasPrefix("Bearer ") {
            presented = String(authorization.dropFirst(7))
        }
        guard let presented, Self.constantTimeEqual(Array(presented.utf8), Array(adminKey.utf8)) else {
            throw .unauthorized
        }
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }

    private func route(_ request: APIRequest) async throws(MetricsError) -> APIResponse {
        let parameters: QueryParameters
        if let decoded = request.decodedQuery {
            parameters = try QueryParameters(checking: decoded)
        } else {
            parameters = try QueryParameters(queryString: Substring(request.query))
        }
        let deadline = ContinuousClock.now + timeout
        let path =
            request.path.hasSuffix("/") && request.path.count > 1 ? String(request.path.dropLast()) : request.path
        if path == "/api/whatif/policy" {
            guard let whatIf else { throw .notFound("the what-if (no routing bundle configured)") }
            return try encode(whatIf.policyOptions())
        }
        if path == "/api/whatif" {
            guard request.method == "POST" else { throw .methodNotAllowed("use POST for /api/whatif") }
            guard let whatIf else { throw .notFound("the what-if (no routing bundle configured)") }
            return try await encode(whatIf.run(body: request.body, store: store, now: now(), deadline: deadline))
        }
        guard request.method == "GET" || request.method == "HEAD" else {
            throw .methodNotAllowed("use GET for \(path.prefix(100))")
        }
        if path.hasPrefix("/api/requests/") {
            let id = String(path.dropFirst("/api/requests/".count))
            let decoded = try QueryParameters.decode(Substring(id), name: "requestId")
            guard Identifier.isValid(decoded) else {
                throw .invalidParameter(name: "requestId", problem: "must be 1...256 bytes without control characters")
            }
            return try await encode(requestDetail(decoded, deadline: deadline))
        }
        switch path {
        case "/api/health":
            return APIResponse(status: 200, body: JSON.object(["status": .string("ok")]).serialized())
        case "/api/summary":
            return try await encode(summary(parameters, deadline: deadline))
        case "/api/volume":
            return try await encode(aggregate(parameters, latency: false, deadline: deadline).volumeResponse())
        case "/api/latency":
            let by: LatencyDimension = try parameters.choice("by", default: .backend)
            return try await encode(aggregate(parameters, latency: true, deadline: deadline).latencyResponse(by: by))
        case "/api/cost":
            return try await encode(aggregate(parameters, latency: false, deadline: deadline).costResponse())
        case "/api/models":
            return try await encode(aggregate(parameters, latency: false, deadline: deadline).modelShareResponse())
        case "/api/errors":
            return try await encode(aggregate(parameters, latency: false, deadline: deadline).errorsResponse())
        case "/api/activity":
            return try await encode(activity(parameters, deadline: deadline))
        case "/api/dimensions":
            let filter = try MetricsFilter(parameters, now: now())
            return try await encode(store.dimensions(from: filter.from, to: filter.to, deadline: deadline))
        default:
            throw .notFound("route \(path.prefix(100))")
        }
    }

    // MARK: - Endpoints

    /// The series bucket: the `bucket` parameter, else by range (≤ 6 h minutes, ≤ 14 days hours, else days).
    static func bucket(_ parameters: QueryParameters, _ filter: MetricsFilter) throws(MetricsError) -> Granularity {
        let span = filter.to - filter.from
        let automatic: Granularity = span <= 6 * 3_600_000 ? .minute : span <= 14 * 86_400_000 ? .hour : .day
        return try parameters.choice("bucket", default: automatic)
    }

    func aggregate(_ parameters: QueryParameters, latency: Bool, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> RollupAggregator
    {
        let filter = try MetricsFilter(parameters, now: now())
        let costBy: CostDimension = try parameters.choice("by", default: .model)
        var aggregator = try RollupAggregator(filter: filter, bucket: Self.bucket(parameters, filter), costBy: costBy)
        let rows = try await store.rollupRows(
            cover: aggregator.cover, filter: filter, latency: latency, deadline: deadline)
        for row in rows { try aggregator.add(row) }
        return aggregator
    }

    func summary(_ parameters: QueryParameters, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> SummaryResponse
    {
        let filter = try MetricsFilter(parameters, now: now())
        let costBy: CostDimension = try parameters.choice("costBy", default: .model)
        var aggregator = try RollupAggregator(filter: filter, bucket: Self.bucket(parameters, filter), costBy: costBy)
        let rows = try await store.rollupRows(
            cover: aggregator.cover, filter: filter, latency: true, deadline: deadline)
        for row in rows { try aggregator.add(row) }
        return try aggregator.summary(generatedAt: now())
    }

    func activity(_ parameters: QueryParameters, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> ActivityResponse
    {
        let filter = try MetricsFilter(parameters, now: now())
        let limit = Int(try parameters.integer("limit", in: 1...Int64(Self.maxPageSize)) ?? 50)
        let status: UsageStatus? = try parameters["status"].flatMap { text throws(MetricsError) in
            guard !text.isEmpty else { return nil }
            guard let status = UsageStatus(rawValue: text) else {
                let allowed = UsageStatus.allCases.map(\.rawValue).joinedText(separator: ", ")
                throw .invalidParameter(name: "status", problem: "must be one of \(allowed)")
            }
            return status
        }
        let cursor = try parameters["cursor"].flatMap { text throws(MetricsError) in
            text.isEmpty ? nil : try ActivityCursor(token: text)
        }
        let activityFilter = ActivityFilter(status: status, model: try parameters.label("model"), requestLimit: limit)
        // One more than asked says whether another page exists.
        let records = try await store.recentRecords(
            filter: filter, activity: activityFilter, after: cursor, limit: limit + 1, deadline: deadline)
        let page = Array(records.prefix(limit))
        return ActivityResponse(
            entries: page.map(ActivityEntry.init),
            nextCursor: records.count > limit ? page.last.map { ActivityCursor(record: $0).token } : nil)
    }

    func requestDetail(_ id: String, deadline: ContinuousClock.Instant) async throws(MetricsError)
        -> RequestDetailResponse
    {
        let records = try await store.requestRecords(requestID: id, limit: Self.maxRequestSteps, deadline: deadline)
            .sorted { ($0.timestamp, $0.cursorKey) < ($1.timestamp, $1.cursorKey) }
        guard let first = records.first else { throw .notFound("request \(id.prefix(100))") }
        var total: Int64 = 0
        var end = first.timestamp
        for record in records {
            let (sum, overflow) = total.addingReportingOverflow(record.cost?.totalPicoUSD ?? 0)
            if overflow { throw .outOfRange("cost of request \(id.prefix(100))") }
            total = sum
            // Latencies are range-checked by the usage logger; clamp anyway for a span figure.
            end = max(end, record.timestamp &+ min(max(record.latency.totalMs, 0), 86_400_000))
        }
        return RequestDetailResponse(
            requestId: id, tenant: first.tenant, tier: first.tier, steps: records, total: Money(total),
            spanMs: end - first.timestamp)
    }

    private func encode<T: Encodable>(_ value: T) throws(MetricsError) -> APIResponse {
        do {
            return APIResponse(status: 200, body: try JSON.encode(value))
        } catch {
            throw .outOfRange("answer could not be encoded: \(error)")
        }
    }
}
