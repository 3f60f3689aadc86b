import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// One tenant's answered LLM calls of one UTC day, grouped by what the router's decision reads,
/// with the exact sums that price a group on any model: the what-if's input for a settled day.
///
/// Calls fall in one group when tier, recorded model, category, difficulty, modality and hints are
/// equal and their input tokens, output tokens and image counts fall in the same power-of-two range
/// (`bucket`). A group keeps the smallest and largest of each count (the corners the what-if checks
/// the decision at) and the sums of every token kind, images and the recorded model cost: cost is
/// linear in tokens and images, so a group's cost on another model is the sums priced once.
///
/// Bounded by construction: at most `maxGroups` groups, hints of at most `maxHintBytes` each; a
/// day that would need more is stored without groups (`groups == nil`) and replayed from raw
/// records. The summary is written by the dashboard after the day has settled, into its own
/// collection, never by the billing write: a failed or missing summary only costs a raw replay.
public struct WhatIfDaySummary: Codable, Sendable, Equatable {
    /// Start of the UTC day, epoch ms.
    public var day: Int64
    public var tenant: String
    /// The tenant-day's LLM rows in the day rollups when the summary was built; a summary whose
    /// fingerprint no longer matches (a late or changed record) is rebuilt from raw records.
    public var fingerprint: WhatIfFingerprint
    /// Nil when the day needs more than `maxGroups` groups (or longer hints): replay it raw.
    public var groups: [WhatIfCallGroup]?
    /// Answered calls the replay cannot use, by tier and reason.
    public var skipped: [WhatIfSkip]
    /// The grouped calls one by one, in time order, for a day the groups cannot decide (nil when
    /// there are no groups, or the log would be over `WhatIfCallLog.maxBytes`).
    public var log: WhatIfCallLog?

    /// 10,000: at a million records a month the largest tenant-days need more than 2,000 (the bound
    /// before), and a tenant-day without groups is replayed from records on every run. Packed (see
    /// `MongoMetricsStore.saveWhatIfSummaries`) a group without hints is ~300 bytes; a summary over
    /// `maxSummaryBytes` is not stored.
    public static let maxGroups = 10_000
    public static let maxHintBytes = 1_024

    public init(
        day: Int64, tenant: String, fingerprint: WhatIfFingerprint, groups: [WhatIfCallGroup]?, skipped: [WhatIfSkip],
        log: WhatIfCallLog? = nil
    ) {
        self.day = day
        self.tenant = tenant
        self.fingerprint = fingerprint
        self.groups = groups
        self.skipped = skipped
        self.log = log
    }

    /// Power-of-two range of a count: 0 for 0, else its bit length (1 → 1, 2–3 → 2, 4–7 → 3 …).
    public static func bucket(_ value: Int64) -> Int { value <= 0 ? 0 : Int64.bitWidth - value.leadingZeroBitCount }
}

/// Sums of a tenant-day's LLM rows in the day rollups (all statuses).
public struct WhatIfFingerprint: Codable, Sendable, Hashable {
    public var count: Int64 = 0
    public var errors: Int64 = 0
    public var tokensInput: Int64 = 0
    public var tokensOutput: Int64 = 0
    public var costModel: Int64 = 0

    public init() {}

    /// Adds a row's sums (wrapping: a fingerprint only has to change when the rows do).
    public mutating func add(_ row: RollupRow) {
        count &+= row.count
        errors &+= row.errors
        tokensInput &+= row.tokensInput
        tokensOutput &+= row.tokensOutput
        costModel &+= row.costModel
    }

    /// Fingerprints per (day, tenant) of the LLM rows among day rollup rows.
    public static func of(_ rows: [RollupRow]) -> [WhatIfDayKey: WhatIfFingerprint] {
        var prints: [WhatIfDayKey: WhatIfFingerprint] = [:]
        for row in rows where row.granularity == .day && row.step == "llm" {
            prints[WhatIfDayKey(day: row.start, tenant: row.tenant), default: WhatIfFingerprint()].add(row)
        }
        return prints
    }
}

public struct WhatIfDayKey: Hashable, Sendable {
    public var day: Int64
    public var tenant: String

    public init(day: Int64, tenant: String) {
        self.day = day
        self.tenant = tenant
    }
}

/// Calls left out of the replay, by tier and reason.
public struct WhatIfSkip: Codable, Sendable, Hashable {
    public var tier: String?
    public var reason: String
    public var calls: Int64
}

/// Answered calls of one tenant-day decided from the same inputs up to their counts' ranges.
public struct WhatIfCallGroup: Codable, Sendable, Hashable {
    public var tier: String?
    public var model: ModelID
    public var category: TaskCategory
    public var difficulty: Difficulty
    public var modality: Modality
    public var hints: RoutingHints?
    public var minInput: Int64
    public var maxInput: Int64
    public var minOutput: Int64
    public var maxOutput: Int64
    public var minImages: Int64
    public var maxImages: Int64
    public var calls: Int64
    /// Sums over the calls; cache reads and writes clamped per call as billing clamps them, so
    /// pricing the sums equals the sum of the calls' prices before rounding.
    public var input: Int64
    public var cached: Int64
    public var cacheWrite: Int64
    public var output: Int64
    public var reasoning: Int64
    public var images: Int64
    /// Recorded model cost, pico-USD.
    public var cost: Int64
}

/// Builds the summaries of one day's answered LLM calls, tenant by tenant.
public struct WhatIfDayBuilder: Sendable {
    struct Key: Hashable {
        var tenant: String
        var tier: String?
        var model: ModelID
        var category: TaskCategory
        var difficulty: Difficulty
        var modality: Modality
        var hints: RoutingHints?
        var buckets: [Int]
    }

    public let day: Int64
    var groups: [Key: WhatIfCallGroup] = [:]
    var groupsPerTenant: [String: Int] = [:]
    var overflow: Set<String> = []
    var skipped: [String: [WhatIfSkip]] = [:]
    /// Each tenant's grouped calls in the order added (time order), with their group's key.
    var calls: [String: [(key: Key, call: WhatIfCallLog.Call)]] = [:]
    public private(set) var tenants: Set<String> = []

    public init(day: Int64) { self.day = day }

    /// Counts an answered LLM call (others are ignored).
    public mutating func add(_ record: UsageRecord) {
        guard record.status == .succeeded, record.step == "llm", let model = record.model else { return }
        tenants.insert(record.tenant)
        guard !overflow.contains(record.tenant) else { return }
        guard let category = record.category, let difficulty = record.difficulty else {
            return skip(record, "no category recorded")
        }
        guard let tokens = record.tokens else { return skip(record, "no tokens recorded") }
        if let hints = record.hints {
            guard let bytes = try? JSON.encode(hints), bytes.count <= WhatIfDaySummary.maxHintBytes else {
                overflow.insert(record.tenant)
                return
            }
        }
        let images = max(0, record.images?.count ?? 0)
        let input = max(0, tokens.input)
        let output = max(0, tokens.output)
        let cached = min(max(0, tokens.cached), input)
        let written = min(max(0, tokens.cacheWrite), input - cached)
        let key = Key(
            tenant: record.tenant, tier: record.tier, model: model, category: category, difficulty: difficulty,
            modality: record.modality, hints: record.hints,
            buckets: [input, output, images].map(WhatIfDaySummary.bucket))
        let cost = record.cost?.modelPicoUSD ?? 0
        // The counts as recorded (`Replay.add` reads them so), the group index filled in later.
        calls[record.tenant, default: []].append(
            (
                key,
                WhatIfCallLog.Call(
                    group: 0, input: tokens.input, cached: tokens.cached, cacheWrite: tokens.cacheWrite,
                    output: tokens.output, reasoning: tokens.reasoning, images: record.images?.count ?? 0, cost: cost)
            ))
        if var group = groups[key] {
            // Sums of validated counts over one day cannot leave Int64 in practice; a group that
            // would is dropped to a raw replay rather than wrapped.
            let sums = [
                group.calls.addingReportingOverflow(1), group.input.addingReportingOverflow(input),
                group.cached.addingReportingOverflow(cached), group.cacheWrite.addingReportingOverflow(written),
                group.output.addingReportingOverflow(output),
                group.reasoning.addingReportingOverflow(max(0, tokens.reasoning)),
                group.images.addingReportingOverflow(images), group.cost.addingReportingOverflow(cost),
            ]
            guard !sums.contains(where: \.overflow) else {
                overflow.insert(record.tenant)
                return
            }
            (group.calls, group.input, group.cached, group.cacheWrite) =
                (sums[0].partialValue, sums[1].partialValue, sums[2].partialValue, sums[3].partialValue)
            (group.output, group.reasoning, group.images, group.cost) =
                (sums[4].partialValue, sums[5].partialValue, sums[6].partialValue, sums[7].partialValue)
            group.minInput = min(group.minInput, input)
            group.maxInput = max(group.maxInput, input)
            group.minOutput = min(group.minOutput, output)
            group.maxOutput = max(group.maxOutput, output)
            group.minImages = min(group.minImages, images)
            group.maxImages = max(group.maxImages, images)
            groups[key] = group
        } else {
            let count = groupsPerTenant[record.tenant, default: 0] + 1
            guard count <= WhatIfDaySummary.maxGroups else {
                overflow.insert(record.tenant)
                return
            }
            groupsPerTenant[record.tenant] = count
            groups[key] = WhatIfCallGroup(
                tier: record.tier, model: model, category: category, difficulty: difficulty,
                modality: record.modality, hints: record.hints, minInput: input, maxInput: input, minOutput: output,
                maxOutput: output, minImages: images, maxImages: images, calls: 1, input: input, cached: cached,
                cacheWrite: written, output: output, reasoning: max(0, tokens.reasoning), images: images,
                cost: cost)
        }
    }

    mutating func skip(_ record: UsageRecord, _ reason: String) {
        var list = skipped[record.tenant, default: []]
        if let i = list.firstIndex(where: { $0.tier == record.tier && $0.reason == reason }) {
            list[i].calls += 1
        } else {
            list.append(WhatIfSkip(tier: record.tier, reason: reason, calls: 1))
        }
        skipped[record.tenant] = list
    }

    /// The summary of `tenant`'s day, stamped with `fingerprint`; groups in a stable order.
    public func summary(of tenant: String, fingerprint: WhatIfFingerprint) -> WhatIfDaySummary {
        let sorted: [(key: Key, group: WhatIfCallGroup)]? =
            overflow.contains(tenant)
            ? nil
            : groups.filter { $0.key.tenant == tenant }.map { (Self.sortKey($0.key), $0.key, $0.value) }
                .sorted { $0.0 < $1.0 }.map { ($0.1, $0.2) }
        var log: WhatIfCallLog?
        if let sorted {
            var index: [Key: Int] = [:]
            for (i, entry) in sorted.enumerated() { index[entry.key] = i }
            log = WhatIfCallLog(
                (calls[tenant] ?? []).compactMap { entry in
                    var call = entry.call
                    guard let i = index[entry.key] else { return nil }
                    call.group = i
                    return call
                })
        }
        return WhatIfDaySummary(
            day: day, tenant: tenant, fingerprint: fingerprint, groups: sorted?.map(\.group),
            skipped: (skipped[tenant] ?? []).sorted { ($0.tier ?? "", $0.reason) < ($1.tier ?? "", $1.reason) },
            log: log)
    }

    static func sortKey(_ key: Key) -> String {
        let hints = (try? JSON.encode(key.hints)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        let parts =
            [key.tier ?? "", key.model.rawValue, key.category.rawValue, key.difficulty.rawValue]
            + [key.modality.rawValue] + key.buckets.map { String($0 + 100) } + [hints]
        return parts.joinedText(separator: "\u{1F}")
    }
}
