import SwitchyardBilling
import SwitchyardContract
import SwitchyardRouting

/// The routing what-if: re-runs the router's pure decision function (`Router.decide`, with an
/// edited policy) over the recorded LLM calls of a range and prices each call's recorded tokens
/// on the model the edited policy picks.
///
/// Per call:
/// - the routing inputs come from the record: tenant, category and difficulty (as the classifier
///   gave them, confidence 1), hints, images, and the recorded token counts as the request's
///   size (input) and expected output, so estimates use what the call really needed;
/// - spend for budget checks (and so downgrades) is the month-to-date what-if cost of the
///   replayed calls, per tenant, starting at 0 at the start of the range;
/// - the actual cost is the record's model cost; the what-if cost is the same tokens and images
///   priced on the new model with the rates in force at the call's time (identical when the
///   model does not change); compute of self-hosted models is not re-estimated;
/// - quality is the catalog's frozen score of the model for the call's category; a call the
///   edited policy refuses costs 0 and scores 0.
/// Only answering calls (status `succeeded`) are replayed: a failed attempt is not a routing choice.
///
/// The range is read in pages of time (a day, smaller when a day holds more than
/// `maxCallsPerPage`, growing back after), oldest first, and each page is replayed and added up before the next is
/// read: memory holds one page and the running totals, whatever the range. The answer must come
/// within the API's deadline; past it the what-if stops with `Dashboard.DeadlineExceeded`, saying
/// how far it got, rather than a store error.
public struct RoutingWhatIf: WhatIfRunner {
    public let bundle: RoutingBundle
    let calculator: CostCalculator
    /// Most calls one page holds; a page with more is read again in quarters.
    public let maxCallsPerPage: Int
    /// The first page's span, ms (a day).
    public let pageMilliseconds: Int64

    public init(bundle: RoutingBundle, maxCallsPerPage: Int = 50_000, pageMilliseconds: Int64 = 86_400_000) {
        self.bundle = bundle
        calculator = CostCalculator(rates: bundle.rates)
        self.maxCallsPerPage = max(1, maxCallsPerPage)
        self.pageMilliseconds = max(60_000, pageMilliseconds)
    }

    public func policyOptions() -> WhatIfPolicyResponse {
        var tiers: [String: WhatIfPolicyResponse.Tier] = [:]
        for (name, spec) in bundle.policy.tiers {
            tiers[name] = .init(
                defaultStrategy: spec.defaultStrategy.rawValue, downgradeModels: spec.downgradeModels?.map(\.rawValue),
                overBudget: spec.overBudget.rawValue)
        }
        return WhatIfPolicyResponse(
            bundleVersion: bundle.version, tiers: tiers,
            strategies: RoutingStrategy.allCases.filter { $0 != .explicit }.map(\.rawValue),
            models: bundle.catalog.models.filter { $0.kind == .llm }.map(\.id.rawValue),
            rules: bundle.policy.rules.map(\.name))
    }

    public func run(body: [UInt8], store: any MetricsStore, now: Int64, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> WhatIfResponse
    {
        let (request, filter) = try WhatIfRequest.parse(body, now: now)
        let (policy, changes) = try request.apply(to: bundle.policy)
        let edited: RoutingBundle
        do {
            edited = try RoutingBundle(
                policy: policy, catalog: bundle.catalog, rates: bundle.rates, qualityVersion: bundle.qualityVersion,
                pricesAt: bundle.pricesAt)
        } catch {
            throw .invalidPolicy(error.errorMessage)
        }
        var replay = Replay(router: Router(bundle: edited), catalog: bundle.catalog, calculator: calculator)
        var callsRead: Int64 = 0
        var start = filter.from
        var span = pageMilliseconds
        while start < filter.to {
            let end = min(filter.to, start + span)
            func stopped(_ detail: String) -> MetricsError {
                .deadlineExceeded(
                    "the what-if read \(callsRead) calls, up to \(start) of [\(filter.from), \(filter.to)), "
                        + "before its deadline (\(detail.prefix(120))); narrow the range or a tenant")
            }
            guard ContinuousClock.now < deadline else { throw stopped("no time left") }
            var page = filter
            page.from = start
            page.to = end
            let calls: [UsageRecord]
            do {
                calls = try await store.modelCalls(filter: page, limit: maxCallsPerPage, deadline: deadline)
            } catch .tooManyPoints where span > 60_000 {
                span = max(60_000, span / 4)
                continue
            } catch .storeUnavailable(let detail) where deadline - ContinuousClock.now < .seconds(1) {
                throw stopped(detail)
            }
            for record in calls.sorted(by: { ($0.timestamp, $0.cursorKey) < ($1.timestamp, $1.cursorKey) }) {
                try replay.add(record)
            }
            callsRead += Int64(calls.count)
            start = end
            // After a split, grow back once pages are well under the limit.
            if span < pageMilliseconds && calls.count * 2 <= maxCallsPerPage {
                span = min(pageMilliseconds, span * 4)
            }
        }
        return try replay.response(
            from: filter.from, to: filter.to, tenant: filter.tenant, tier: filter.tier, changes: changes,
            callsRead: callsRead)
    }
}

/// The running state of one what-if.
struct Replay {
    let router: Router
    let catalog: Catalog
    let calculator: CostCalculator
    var totals = WhatIfResponse.Totals()
    var groups: [String: (tenant: String, category: String, totals: WhatIfResponse.Totals, moves: [String: Int64])] =
        [:]
    var spend: [String: (month: Int64, pico: Int64)] = [:]
    var skipped: [String: Int64] = [:]
    /// Quality sums behind the means.
    var qualitySums: [String: (actual: Double, whatIf: Double)] = [:]

    init(router: Router, catalog: Catalog, calculator: CostCalculator) {
        self.router = router
        self.catalog = catalog
        self.calculator = calculator
    }

    mutating func add(_ record: UsageRecord) throws(MetricsError) {
        guard record.status == .succeeded, record.step == "llm", let model = record.model else { return }
        guard let category = record.category, let difficulty = record.difficulty else {
            skipped["no category recorded", default: 0] += 1
            return
        }
        guard let tokens = record.tokens else {
            skipped["no tokens recorded", default: 0] += 1
            return
        }
        guard router.table.tierName(ofTenant: record.tenant) != nil else {
            skipped["tenant not in policy", default: 0] += 1
            return
        }
        let images = Int(clamping: record.images?.count ?? 0)
        let profile = RequestProfile(
            requestID: record.requestID, tenantID: record.tenant, modality: images > 0 ? .imageText : .text,
            usageModality: record.modality, classifierText: "", promptBytes: Int(clamping: tokens.input) &* 4,
            inputTokens: Int(clamping: tokens.input), imageCount: images,
            requestedOutputTokens: Int(clamping: max(tokens.output, 1)), hints: Self.hints(record.hints))
        let month = UTCCalendar.startOfMonth(epochMilliseconds: record.timestamp)
        let spent = spend[record.tenant].flatMap { $0.month == month ? $0.pico : nil } ?? 0
        let classification = Classification(
            category: category, difficulty: difficulty, confidence: 1, classifier: "recorded")
        var chosen: ModelID?
        if let decision = try? router.decide(
            profile, classification: classification, signals: SignalsSnapshot(monthToDateSpend: PicoUSD(spent))),
            decision.rejection == nil
        {
            chosen = decision.llm?.candidates.first?.model
        }

        let actual = record.cost?.modelPicoUSD ?? 0
        var whatIf: Int64 = 0
        if let chosen {
            if chosen == model {
                whatIf = actual
            } else {
                let usage = BillableUsage(
                    timestamp: record.timestamp, model: chosen.rawValue,
                    tokens: TokenCounts(
                        input: tokens.input, cachedInput: tokens.cached, cacheWrite: tokens.cacheWrite,
                        output: tokens.output, reasoning: tokens.reasoning),
                    images: record.images?.count ?? 0)
                do { whatIf = try calculator.cost(of: usage).model.rawValue } catch {
                    throw .outOfRange("what-if cost of a call: \(error.errorMessage)")
                }
            }
        }
        spend[record.tenant] = (month, try Self.sum(spent, whatIf))
        let actualQuality = catalog.model(model)?.quality(for: category) ?? 0
        let whatIfQuality = chosen.flatMap { catalog.model($0)?.quality(for: category) } ?? 0

        let key = "\(record.tenant)\u{1F}\(category.rawValue)"
        var group = groups[key] ?? (record.tenant, category.rawValue, WhatIfResponse.Totals(), [:])
        try Self.count(
            &group.totals, actual: actual, whatIf: whatIf, changed: chosen != nil && chosen != model,
            rejected: chosen == nil)
        try Self.count(
            &totals, actual: actual, whatIf: whatIf, changed: chosen != nil && chosen != model,
            rejected: chosen == nil)
        if let chosen, chosen != model { group.moves["\(model.rawValue)\u{1F}\(chosen.rawValue)", default: 0] += 1 }
        if chosen == nil { group.moves["\(model.rawValue)\u{1F}(refused)", default: 0] += 1 }
        groups[key] = group
        var q = qualitySums[key] ?? (0, 0)
        q.actual += actualQuality
        q.whatIf += whatIfQuality
        qualitySums[key] = q
        var all = qualitySums["", default: (0, 0)]
        all.actual += actualQuality
        all.whatIf += whatIfQuality
        qualitySums[""] = all
    }

    static func hints(_ hints: RoutingHints?) -> ParsedHints {
        guard let hints else { return ParsedHints() }
        // An explicit model stays explicit: the edit changes policy, not what the client asked for.
        return ParsedHints(
            route: hints.route, maxCost: hints.maxCostPicoUSD, maxLatencyMs: hints.maxLatencyMs, model: hints.model,
            category: hints.category, tags: hints.tags ?? [])
    }

    static func count(
        _ totals: inout WhatIfResponse.Totals, actual: Int64, whatIf: Int64, changed: Bool, rejected: Bool
    ) throws(MetricsError) {
        totals.calls += 1
        if changed { totals.changed += 1 }
        if rejected { totals.rejected += 1 }
        totals.actual = Money(try sum(totals.actual.picoUSD, actual))
        totals.whatIf = Money(try sum(totals.whatIf.picoUSD, whatIf))
        totals.difference = Money(try sum(totals.whatIf.picoUSD, -totals.actual.picoUSD))
    }

    static func sum(_ a: Int64, _ b: Int64) throws(MetricsError) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        if overflow { throw .outOfRange("what-if sum") }
        return value
    }

    func response(
        from: Int64, to: Int64, tenant: String?, tier: String?, changes: [String], callsRead: Int64
    ) throws(MetricsError) -> WhatIfResponse {
        func withQuality(_ totals: WhatIfResponse.Totals, _ key: String) -> WhatIfResponse.Totals {
            var totals = totals
            let q = qualitySums[key] ?? (0, 0)
            let n = Double(max(totals.calls, 1))
            totals.actualQuality = q.actual / n
            totals.whatIfQuality = q.whatIf / n
            return totals
        }
        let list = groups.map { key, group in
            WhatIfResponse.Group(
                tenant: group.tenant, category: group.category, totals: withQuality(group.totals, key),
                moves: group.moves.map { pair, calls in
                    let parts = pair.split(separator: "\u{1F}", maxSplits: 1)
                    return WhatIfResponse.Move(from: String(parts[0]), to: String(parts[1]), calls: calls)
                }.sorted { $0.calls != $1.calls ? $0.calls > $1.calls : ($0.from, $0.to) < ($1.from, $1.to) })
        }.sorted { ($0.tenant, $0.category) < ($1.tenant, $1.category) }
        return WhatIfResponse(
            from: from, to: to, tenant: tenant, tier: tier, changes: changes, totals: withQuality(totals, ""),
            groups: list, skipped: skipped, callsRead: callsRead)
    }
}
