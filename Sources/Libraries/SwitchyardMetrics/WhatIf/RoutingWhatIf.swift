import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
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
    /// Whether settled days come from (and build) their stored summaries.
    public let useSummaries: Bool
    /// About how many LLM records one raw read of a settled day holds (a day is read in pieces).
    public let recordsPerRead: Int
    /// How long after its end a day counts as settled, ms.
    public let settleMilliseconds: Int64

    public init(
        bundle: RoutingBundle, maxCallsPerPage: Int = 50_000, pageMilliseconds: Int64 = 86_400_000,
        useSummaries: Bool = true, settleMilliseconds: Int64 = 3_600_000, recordsPerRead: Int = 1_000
    ) {
        self.recordsPerRead = max(1, recordsPerRead)
        self.bundle = bundle
        calculator = CostCalculator(rates: bundle.rates)
        self.maxCallsPerPage = max(1, maxCallsPerPage)
        self.pageMilliseconds = max(60_000, pageMilliseconds)
        self.useSummaries = useSummaries
        // Negative: days up to that far ahead count as settled (fixtures dated ahead of the clock).
        self.settleMilliseconds = min(max(settleMilliseconds, -400 * 86_400_000), 400 * 86_400_000)
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
        var run = WhatIfRun(
            replay: Replay(router: Router(bundle: edited), catalog: bundle.catalog, calculator: calculator),
            store: store, filter: filter, deadline: deadline, maxCallsPerPage: maxCallsPerPage,
            pageMilliseconds: pageMilliseconds, recordsPerRead: recordsPerRead)
        let firstDay = Granularity.day.ceil(filter.from)
        let lastDay = Granularity.day.floor(filter.to)
        // Whole days that had settled (ended `settleMilliseconds` ago) come from their summaries;
        // the edges of the range and the open days are replayed from raw records, in time order.
        let settledEnd = min(lastDay, Granularity.day.floor(now - settleMilliseconds))
        if useSummaries && firstDay < settledEnd {
            try await run.replayRaw(from: filter.from, to: firstDay)
            try await run.replayDays(from: firstDay, to: settledEnd, save: true)
            try await run.replayRaw(from: settledEnd, to: filter.to)
        } else {
            try await run.replayRaw(from: filter.from, to: filter.to)
        }
        var response = try run.replay.response(
            from: filter.from, to: filter.to, tenant: filter.tenant, tier: filter.tier, changes: changes,
            callsRead: run.callsRead)
        response.summaryCalls = run.replay.summaryCalls
        response.logCalls = run.replay.logCalls
        response.recordTenantDays = Array(run.rawTenantDays.prefix(20))
        response.roundingBoundPicoUSD = run.replay.roundingBound
        return response
    }
}

/// One what-if's reads: raw pages oldest first, or settled days from their summaries.
struct WhatIfRun {
    var replay: Replay
    let store: any MetricsStore
    let filter: MetricsFilter
    let deadline: ContinuousClock.Instant
    let maxCallsPerPage: Int
    let pageMilliseconds: Int64
    /// About how many LLM records one raw read of a settled day holds.
    let recordsPerRead: Int
    var callsRead: Int64 = 0
    /// Settled tenant-days this run replayed from records (`day/tenant`), for the deadline message.
    var rawTenantDays: [String] = []

    init(
        replay: Replay, store: any MetricsStore, filter: MetricsFilter, deadline: ContinuousClock.Instant,
        maxCallsPerPage: Int, pageMilliseconds: Int64, recordsPerRead: Int = 1_000
    ) {
        self.recordsPerRead = max(1, recordsPerRead)
        self.replay = replay
        self.store = store
        self.filter = filter
        self.deadline = deadline
        self.maxCallsPerPage = maxCallsPerPage
        self.pageMilliseconds = pageMilliseconds
    }

    func stopped(at start: Int64, _ detail: String) -> MetricsError {
        let raw =
            rawTenantDays.isEmpty
            ? "" : "; replayed from records: \(rawTenantDays.prefix(12).joinedText(separator: ", "))"
        return .deadlineExceeded(
            "the what-if read \(callsRead) calls, up to \(start) of [\(filter.from), \(filter.to)), "
                + "before its deadline (\(detail.prefix(120))\(raw)); narrow the range or a tenant")
    }

    /// Replays every answered call of `[from, to)` in `filter` from raw records.
    mutating func replayRaw(from: Int64, to: Int64) async throws(MetricsError) {
        var page = filter
        page.from = from
        page.to = to
        try await readRaw(page) { (run: inout WhatIfRun, record) throws(MetricsError) in
            try run.replay.add(record)
            if record.status == .succeeded { run.callsRead += 1 }
        }
    }

    /// Reads the LLM calls of `range` in pages of time (a day, smaller when a page would hold more
    /// than `maxCallsPerPage`, growing back after), oldest first, each page in time order.
    mutating func readRaw(
        _ range: MetricsFilter, _ visit: (inout WhatIfRun, UsageRecord) throws(MetricsError) -> Void
    ) async throws(MetricsError) {
        var start = range.from
        var span = pageMilliseconds
        while start < range.to {
            let end = min(range.to, start + span)
            guard ContinuousClock.now < deadline else { throw stopped(at: start, "no time left") }
            var page = range
            page.from = start
            page.to = end
            let calls: [UsageRecord]
            do {
                calls = try await store.modelCalls(filter: page, limit: maxCallsPerPage, deadline: deadline)
            } catch .tooManyPoints where span > 60_000 {
                span = max(60_000, span / 4)
                continue
            } catch .storeUnavailable(let detail) where deadline - ContinuousClock.now < .seconds(1) {
                throw stopped(at: start, detail)
            }
            for record in calls.sorted(by: { ($0.timestamp, $0.cursorKey) < ($1.timestamp, $1.cursorKey) }) {
                try visit(&self, record)
            }
            start = end
            // After a split, grow back once pages are well under the limit.
            if span < pageMilliseconds && calls.count * 2 <= maxCallsPerPage {
                span = min(pageMilliseconds, span * 4)
            }
        }
    }

    /// Replays the whole UTC days of `[from, to)`: a tenant-day whose stored summary still matches
    /// the day rollups (its fingerprint) and whose every group is decided alike at all its corners
    /// and at the day's opening and closing spend is added from its groups; every other tenant-day
    /// is replayed from raw records, and its summary built on the way and stored (when `save`).
    mutating func replayDays(from: Int64, to: Int64, save: Bool) async throws(MetricsError) {
        let prints = try await store.whatIfFingerprints(
            from: from, to: to, tenant: filter.tenant, deadline: deadline)
        var stored: [WhatIfDayKey: WhatIfDaySummary] = [:]
        for summary in try await store.whatIfSummaries(from: from, to: to, tenant: filter.tenant, deadline: deadline) {
            stored[WhatIfDayKey(day: summary.day, tenant: summary.tenant)] = summary
        }
        // Each day's summaries are stored as soon as the day is replayed (best effort: a failed
        // write only means the next what-if replays that day from raw records again), so a run the
        // deadline stops, even inside a read, keeps every day it finished.
        var saved = 0
        do {
            try await replaySettled(from: from, to: to, prints: prints, stored: stored, save: save, saved: &saved)
        } catch {
            // Stopped by the deadline having summarised days: those are kept, so the next call gets
            // further. Say how far (tenant-days with a current summary) and ask for that call.
            if case .deadlineExceeded = error, saved > 0, store.keepsWhatIfSummaries {
                let current = prints.filter { key, print in stored[key]?.fingerprint == print }.count
                throw .warming(done: min(prints.count, current + saved), total: prints.count)
            }
            throw error
        }
    }

    private mutating func replaySettled(
        from: Int64, to: Int64, prints: [WhatIfDayKey: WhatIfFingerprint], stored: [WhatIfDayKey: WhatIfDaySummary],
        save: Bool, saved: inout Int
    ) async throws(MetricsError) {
        let dayMs = Granularity.day.milliseconds
        var day = from
        // The slowest raw read so far, per LLM record the day rollups count in it: a day is not
        // started without its estimate (its records at that rate) and a quarter left, and a day
        // is read in pieces of about `recordsPerRead` records, each started only when twice its
        // estimate is left, so every read ends well inside the deadline (and the socket timeout
        // fitted to it) and a call ends in time, keeping the days it summarised.
        var perRecord: Duration = .zero
        while day < to {
            guard ContinuousClock.now < deadline else { throw stopped(at: day, "no time left") }
            let tenants = prints.keys.filter { $0.day == day }.map(\.tenant)
            var planned: [String: (WhatIfDaySummary, [Replay.Planned])] = [:]
            // Current summaries whose groups the edited policy does not decide alike: replayed
            // call by call from their logs, without reading records.
            var logged: [String: (WhatIfDaySummary, [WhatIfCallLog.Call])] = [:]
            for tenant in tenants {
                let key = WhatIfDayKey(day: day, tenant: tenant)
                guard let summary = stored[key], summary.fingerprint == prints[key], let groups = summary.groups
                else { continue }
                if let plan = try replay.plan(summary, tier: filter.tier) {
                    planned[tenant] = (summary, plan)
                } else if let calls = summary.log?.calls(groups: groups) {
                    logged[tenant] = (summary, calls)
                }
            }
            let fromSummary = Set(planned.keys).union(logged.keys)
            if tenants.isEmpty || fromSummary.count < tenants.count {
                var builder = WhatIfDayBuilder(day: day)
                var page = filter
                page.from = day
                page.to = day + dayMs
                // Read every tier: the summary of a tenant-day holds all of them.
                page.tier = nil
                let tier = filter.tier
                let pages = Self.rawPages(page, day: day, tenants: tenants, fromSummary: fromSummary, prints: prints)
                let pieces = pages.flatMap {
                    Self.pieces($0, day: day, tenants: tenants, prints: prints, of: recordsPerRead)
                }
                let dayRecords = pieces.reduce(0) { $0 &+ $1.records }
                for tenant in tenants.sorted() where !fromSummary.contains(tenant) {
                    let count = prints[WhatIfDayKey(day: day, tenant: tenant)]?.count ?? 0
                    let old = stored[WhatIfDayKey(day: day, tenant: tenant)]
                    // No summary yet; one that no longer matches or has no groups; or one whose
                    // groups the edited policy does not decide alike and that has no usable log
                    // (stored before logs, or over `WhatIfCallLog.maxBytes`).
                    let reason =
                        old == nil
                        ? "new"
                        : old?.fingerprint != prints[WhatIfDayKey(day: day, tenant: tenant)] || old?.groups == nil
                            ? "stale" : "undecided, no log"
                    rawTenantDays.append("\(day)/\(tenant) \(count) \(reason)")
                }
                guard perRecord == .zero || deadline - .now >= perRecord * dayRecords * 5 / 4 else {
                    throw stopped(at: day, "the next day would not fit")
                }
                for piece in pieces {
                    let started = ContinuousClock.now
                    // Four times: the socket timeout is fitted to between a quarter and a half of
                    // the time left (`MongoConnection.fit`), and a read must end before it.
                    guard perRecord == .zero || deadline - started >= perRecord * piece.records * 4 else {
                        throw stopped(at: piece.filter.from, "the rest of the day would not fit")
                    }
                    try await readRaw(piece.filter) { (run: inout WhatIfRun, record) throws(MetricsError) in
                        builder.add(record)
                        guard !fromSummary.contains(record.tenant), tier == nil || record.tier == tier else { return }
                        try run.replay.add(record)
                        if record.status == .succeeded { run.callsRead += 1 }
                    }
                    // A small piece's time is mostly the round trip: it would overstate the rate.
                    if piece.records * 2 >= recordsPerRead {
                        perRecord = max(perRecord, (ContinuousClock.now - started) / piece.records)
                    }
                }
                var built: [WhatIfDaySummary] = []
                for tenant in tenants where !fromSummary.contains(tenant) {
                    let key = WhatIfDayKey(day: day, tenant: tenant)
                    guard let print = prints[key] else { continue }
                    let summary = builder.summary(of: tenant, fingerprint: print)
                    // Stored already, unless the stored one has no groups or no usable log and
                    // this one has (a larger `maxGroups` now, stored before logs, or a log that
                    // does not add up): saving it again would be no progress.
                    if let old = stored[key], old.fingerprint == print, old.groups != nil || summary.groups == nil,
                        summary.log == nil || old.groups.flatMap({ old.log?.calls(groups: $0) }) != nil
                    {
                        continue
                    }
                    built.append(summary)
                }
                if save && !built.isEmpty {
                    do {
                        try await store.saveWhatIfSummaries(built, deadline: max(deadline, .now + .seconds(2)))
                        saved += built.count
                    } catch {}
                }
            }
            for (summary, plan) in planned.values {
                callsRead += try replay.commit(summary, plan, tier: filter.tier)
            }
            for (summary, calls) in logged.values {
                callsRead += try replay.replay(summary, log: calls, tier: filter.tier)
            }
            day += dayMs
        }
    }
}

extension WhatIfRun {
    /// `page` (a day, or one tenant's day) split into equal spans of time of about `recordsPerRead`
    /// LLM records each, as the day rollups count them, with that count (at least 1 a piece).
    static func pieces(
        _ page: MetricsFilter, day: Int64, tenants: [String], prints: [WhatIfDayKey: WhatIfFingerprint],
        of recordsPerRead: Int
    ) -> [(filter: MetricsFilter, records: Int)] {
        func records(_ tenant: String) -> Int64 { max(0, prints[WhatIfDayKey(day: day, tenant: tenant)]?.count ?? 0) }
        let total = page.tenant.map(records) ?? tenants.reduce(Int64(0)) { $0 &+ records($1) }
        let per = Int64(max(1, recordsPerRead))
        // At most one piece a minute; the count is from the rollups, so bounded by the day's records.
        let count = min(1_440, max(1, (max(0, total) + per - 1) / per))
        let span = (page.to - page.from + count - 1) / count
        var pieces: [(filter: MetricsFilter, records: Int)] = []
        var start = page.from
        while start < page.to {
            var piece = page
            piece.from = start
            piece.to = min(page.to, start + span)
            pieces.append((piece, Int(max(1, total / count))))
            start = piece.to
        }
        return pieces
    }

    /// What to read of a day some of whose tenants come from summaries: the whole day (`day`) when
    /// the tenants to replay hold most of its LLM records, else one read per such tenant, so a day
    /// of many summarised calls and a few raw ones reads only the few. Tenants replay independently
    /// (spend is per tenant), so reading them one after another decides each call as the day's
    /// time order does.
    static func rawPages(
        _ day: MetricsFilter, day start: Int64, tenants: [String], fromSummary: Set<String>,
        prints: [WhatIfDayKey: WhatIfFingerprint]
    ) -> [MetricsFilter] {
        guard day.tenant == nil, !fromSummary.isEmpty else { return [day] }
        let raw = tenants.filter { !fromSummary.contains($0) }.sorted()
        func records(_ tenant: String) -> Int64 { prints[WhatIfDayKey(day: start, tenant: tenant)]?.count ?? 0 }
        let rawRecords = raw.reduce(Int64(0)) { $0 &+ records($1) }
        let allRecords = tenants.reduce(Int64(0)) { $0 &+ records($1) }
        guard rawRecords <= allRecords / 2 else { return [day] }
        return raw.map { tenant in
            var page = day
            page.tenant = tenant
            return page
        }
    }
}

/// The running state of one what-if.
struct Replay {
    let router: Router
    let catalog: Catalog
    let calculator: CostCalculator
    var totals = Sums()
    var groups: [String: (tenant: String, category: String, totals: Sums, moves: [String: Int64])] =
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

    /// Calls decided from day summaries, and the rounding bound of the groups priced from sums.
    var summaryCalls: Int64 = 0
    /// Calls replayed one by one from day summaries' call logs (not read from raw records).
    var logCalls: Int64 = 0
    var roundingBound: Int64 = 0

    /// The model the edited policy picks for a call with these inputs at `spent` month-to-date
    /// spend; nil when it refuses the call.
    func choose(
        tenant: String, category: TaskCategory, difficulty: Difficulty, modality: Modality, images: Int64,
        input: Int64, output: Int64, hints: RoutingHints?, spent: Int64
    ) -> ModelID? {
        let imageCount = Int(clamping: images)
        let profile = RequestProfile(
            requestID: "what-if", tenantID: tenant, modality: imageCount > 0 ? .imageText : .text,
            usageModality: modality, classifierText: "", promptBytes: Int(clamping: input) &* 4,
            inputTokens: Int(clamping: input), imageCount: imageCount,
            requestedOutputTokens: Int(clamping: max(output, 1)), hints: Self.hints(hints))
        let classification = Classification(
            category: category, difficulty: difficulty, confidence: 1, classifier: "recorded")
        // `choose` is `decide`'s selection without its document (`decision.llm`'s first candidate).
        guard
            let choice = try? router.choose(
                profile, classification: classification, signals: SignalsSnapshot(monthToDateSpend: PicoUSD(spent))),
            choice.role == .llm
        else { return nil }
        return choice.model
    }

    /// The tenant's what-if spend so far in the month of `time`.
    func spent(_ tenant: String, at time: Int64) -> Int64 {
        let month = UTCCalendar.startOfMonth(epochMilliseconds: time)
        return spend[tenant].flatMap { $0.month == month ? $0.pico : nil } ?? 0
    }

    /// The model cost of `tokens` and `images` on `model` at `time`.
    func price(_ model: ModelID, at time: Int64, tokens: TokenCounts, images: Int64) throws(MetricsError) -> Int64 {
        let usage = BillableUsage(timestamp: time, model: model.rawValue, tokens: tokens, images: images)
        do { return try calculator.cost(of: usage).model.rawValue } catch {
            throw .outOfRange("what-if cost of a call: \(error.errorMessage)")
        }
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
        try add(
            tenant: record.tenant, time: record.timestamp, model: model, category: category, difficulty: difficulty,
            modality: record.modality, hints: record.hints,
            tokens: TokenCounts(
                input: tokens.input, cachedInput: tokens.cached, cacheWrite: tokens.cacheWrite, output: tokens.output,
                reasoning: tokens.reasoning),
            images: record.images?.count ?? 0, actual: record.cost?.modelPicoUSD ?? 0)
    }

    /// Replays one answered call: from a raw record (`add(_:)`) or a summary's call log (`replay`).
    mutating func add(
        tenant: String, time: Int64, model: ModelID, category: TaskCategory, difficulty: Difficulty,
        modality: Modality, hints: RoutingHints?, tokens: TokenCounts, images: Int64, actual: Int64
    ) throws(MetricsError) {
        guard router.table.tierName(ofTenant: tenant) != nil else {
            skipped["tenant not in policy", default: 0] += 1
            return
        }
        let spent = spent(tenant, at: time)
        let chosen = choose(
            tenant: tenant, category: category, difficulty: difficulty, modality: modality, images: images,
            input: tokens.input, output: tokens.output, hints: hints, spent: spent)
        var whatIf: Int64 = 0
        if let chosen {
            whatIf = chosen == model ? actual : try price(chosen, at: time, tokens: tokens, images: images)
        }
        try tally(
            tenant: tenant, time: time, category: category, model: model, chosen: chosen, calls: 1, actual: actual,
            whatIf: whatIf, spent: spent)
    }

    /// Replays a tenant-day from its summary's call log, call by call in time order (of `tier`,
    /// when given), as from its raw records: the rates change only at UTC midnight, so each call is
    /// priced at the day's start. - Returns: the calls it holds (with the skipped ones).
    mutating func replay(_ summary: WhatIfDaySummary, log calls: [WhatIfCallLog.Call], tier: String?)
        throws(MetricsError) -> Int64
    {
        guard let groups = summary.groups else { return 0 }
        var count: Int64 = 0
        for skip in summary.skipped where tier == nil || skip.tier == tier {
            skipped[skip.reason, default: 0] += skip.calls
            count += skip.calls
        }
        for call in calls {
            let group = groups[call.group]
            guard tier == nil || group.tier == tier else { continue }
            try add(
                tenant: summary.tenant, time: summary.day, model: group.model, category: group.category,
                difficulty: group.difficulty, modality: group.modality, hints: group.hints,
                tokens: TokenCounts(
                    input: call.input, cachedInput: call.cached, cacheWrite: call.cacheWrite, output: call.output,
                    reasoning: call.reasoning),
                images: call.images, actual: call.cost)
            count += 1
            logCalls += 1
        }
        return count
    }

    /// Adds `calls` calls of one tenant and category that ran on `model` and go to `chosen`.
    mutating func tally(
        tenant: String, time: Int64, category: TaskCategory, model: ModelID, chosen: ModelID?, calls: Int64,
        actual: Int64, whatIf: Int64, spent: Int64
    ) throws(MetricsError) {
        spend[tenant] = (UTCCalendar.startOfMonth(epochMilliseconds: time), try Self.sum(spent, whatIf))
        let actualQuality = catalog.model(model)?.quality(for: category) ?? 0
        let whatIfQuality = chosen.flatMap { catalog.model($0)?.quality(for: category) } ?? 0

        let key = "\(tenant)\u{1F}\(category.rawValue)"
        var group = groups[key] ?? (tenant, category.rawValue, Sums(), [:])
        let changed = chosen != nil && chosen != model
        try Self.count(
            &group.totals, calls: calls, actual: actual, whatIf: whatIf, changed: changed, rejected: chosen == nil)
        try Self.count(&totals, calls: calls, actual: actual, whatIf: whatIf, changed: changed, rejected: chosen == nil)
        if let chosen, chosen != model { group.moves["\(model.rawValue)\u{1F}\(chosen.rawValue)", default: 0] += calls }
        if chosen == nil { group.moves["\(model.rawValue)\u{1F}(refused)", default: 0] += calls }
        groups[key] = group
        let n = Double(calls)
        var q = qualitySums[key] ?? (0, 0)
        q.actual += actualQuality * n
        q.whatIf += whatIfQuality * n
        qualitySums[key] = q
        var all = qualitySums["", default: (0, 0)]
        all.actual += actualQuality * n
        all.whatIf += whatIfQuality * n
        qualitySums[""] = all
    }

    /// Running totals in pico-USD; `Money` (with its decimal string) is built once, in `response`.
    struct Sums {
        var calls: Int64 = 0
        var changed: Int64 = 0
        var rejected: Int64 = 0
        var actual: Int64 = 0
        var whatIf: Int64 = 0
    }

    /// A summary group as the edited policy decides it.
    struct Planned {
        var group: WhatIfCallGroup
        var chosen: ModelID?
        var whatIf: Int64
        /// The tenant is not in the policy: the group is skipped.
        var unknownTenant: Bool
    }

    /// Decides a tenant-day's groups (of `tier`, when given) at the tenant's spend before the day;
    /// nil when some group's decision is not the same at every corner of its box of counts
    /// (smallest and largest input, output and images) at both the opening spend and the closing
    /// spend (opening plus the day's what-if cost): that day must be replayed call by call.
    /// Eligibility only shrinks as spend grows, so a model chosen at both ends of the day's spend
    /// is chosen all day long.
    func plan(_ summary: WhatIfDaySummary, tier: String?) throws(MetricsError) -> [Planned]? {
        guard let groups = summary.groups else { return nil }
        let known = router.table.tierName(ofTenant: summary.tenant) != nil
        let opening = spent(summary.tenant, at: summary.day)
        var planned: [Planned] = []
        var dayCost: Int64 = 0
        for group in groups where tier == nil || group.tier == tier {
            guard known else {
                planned.append(Planned(group: group, chosen: nil, whatIf: 0, unknownTenant: true))
                continue
            }
            guard let chosen = decidedAlike(summary.tenant, group, spent: opening) else { return nil }
            var whatIf: Int64 = 0
            if let model = chosen {
                whatIf =
                    model == group.model
                    ? group.cost
                    : try price(
                        model, at: summary.day,
                        tokens: TokenCounts(
                            input: group.input, cachedInput: group.cached, cacheWrite: group.cacheWrite,
                            output: group.output, reasoning: group.reasoning),
                        images: group.images)
            }
            dayCost = try Self.sum(dayCost, whatIf)
            planned.append(Planned(group: group, chosen: chosen, whatIf: whatIf, unknownTenant: false))
        }
        let closing = try Self.sum(opening, dayCost)
        for entry in planned where !entry.unknownTenant {
            guard decidedAlike(summary.tenant, entry.group, spent: closing) == .some(entry.chosen) else { return nil }
        }
        return planned
    }

    /// The choice shared by every corner of the group's box at `spent`; nil when they differ.
    func decidedAlike(_ tenant: String, _ group: WhatIfCallGroup, spent: Int64) -> ModelID?? {
        var first: ModelID??
        for input in Set([group.minInput, group.maxInput]) {
            for output in Set([group.minOutput, group.maxOutput]) {
                for images in Set([group.minImages, group.maxImages]) {
                    let chosen = choose(
                        tenant: tenant, category: group.category, difficulty: group.difficulty,
                        modality: group.modality, images: images, input: input, output: output, hints: group.hints,
                        spent: spent)
                    if let first, first != chosen { return nil }
                    first = .some(chosen)
                }
            }
        }
        return first
    }

    /// Adds a planned tenant-day. - Returns: the calls it holds.
    mutating func commit(_ summary: WhatIfDaySummary, _ planned: [Planned], tier: String?) throws(MetricsError)
        -> Int64
    {
        var calls: Int64 = 0
        for skip in summary.skipped where tier == nil || skip.tier == tier {
            skipped[skip.reason, default: 0] += skip.calls
            calls += skip.calls
        }
        var spent = spent(summary.tenant, at: summary.day)
        for entry in planned {
            calls += entry.group.calls
            if entry.unknownTenant {
                skipped["tenant not in policy", default: 0] += entry.group.calls
                continue
            }
            try tally(
                tenant: summary.tenant, time: summary.day, category: entry.group.category, model: entry.group.model,
                chosen: entry.chosen, calls: entry.group.calls, actual: entry.group.cost, whatIf: entry.whatIf,
                spent: spent)
            spent = try Self.sum(spent, entry.whatIf)
            summaryCalls += entry.group.calls
            if let chosen = entry.chosen, chosen != entry.group.model {
                // Rounded once for the group instead of once per call: at most ½ pico-USD per call.
                roundingBound += (entry.group.calls + 1) / 2
            }
        }
        return calls
    }

    static func hints(_ hints: RoutingHints?) -> ParsedHints {
        guard let hints else { return ParsedHints() }
        // An explicit model stays explicit: the edit changes policy, not what the client asked for.
        return ParsedHints(
            route: hints.route, maxCost: hints.maxCostPicoUSD, maxLatencyMs: hints.maxLatencyMs, model: hints.model,
            category: hints.category, tags: hints.tags ?? [])
    }

    static func count(
        _ totals: inout Sums, calls: Int64, actual: Int64, whatIf: Int64, changed: Bool,
        rejected: Bool
    ) throws(MetricsError) {
        totals.calls = try sum(totals.calls, calls)
        if changed { totals.changed = try sum(totals.changed, calls) }
        if rejected { totals.rejected = try sum(totals.rejected, calls) }
        totals.actual = try sum(totals.actual, actual)
        totals.whatIf = try sum(totals.whatIf, whatIf)
        _ = try sum(totals.whatIf, -totals.actual)
    }

    static func sum(_ a: Int64, _ b: Int64) throws(MetricsError) -> Int64 {
        let (value, overflow) = a.addingReportingOverflow(b)
        if overflow { throw .outOfRange("what-if sum") }
        return value
    }

    func response(
        from: Int64, to: Int64, tenant: String?, tier: String?, changes: [String], callsRead: Int64
    ) throws(MetricsError) -> WhatIfResponse {
        func withQuality(_ sums: Sums, _ key: String) -> WhatIfResponse.Totals {
            var totals = WhatIfResponse.Totals()
            totals.calls = sums.calls
            totals.changed = sums.changed
            totals.rejected = sums.rejected
            totals.actual = Money(sums.actual)
            totals.whatIf = Money(sums.whatIf)
            // In range: checked on every addition (`count`).
            totals.difference = Money(sums.whatIf - sums.actual)
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
