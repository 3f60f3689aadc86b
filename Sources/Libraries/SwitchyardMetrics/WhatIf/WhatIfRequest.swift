import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

/// The body of `POST /api/whatif`: a range, the usual filters and a policy edit.
///
/// ```json
/// {"from": 1795132800000, "to": 1795392000000, "tenant": "initech",
///  "policy": {"tiers": {"pro": {"defaultStrategy": "cheapest", "downgradeModels": ["gpt-4o-mini"]}},
///             "disableRules": ["hard-escalate"]}}
/// ```
public struct WhatIfRequest: Codable, Sendable, Equatable {
    public var from: Int64
    public var to: Int64
    public var tenant: String?
    public var tier: String?
    public var policy: PolicyEdit

    /// What may be changed: per tier the default strategy and the downgrade list; rules switched off.
    public struct PolicyEdit: Codable, Sendable, Equatable {
        public var tiers: [String: TierEdit]?
        public var disableRules: [String]?

        public init(tiers: [String: TierEdit]? = nil, disableRules: [String]? = nil) {
            self.tiers = tiers
            self.disableRules = disableRules
        }
    }

    public struct TierEdit: Codable, Sendable, Equatable {
        public var defaultStrategy: RoutingStrategy?
        public var downgradeModels: [ModelID]?

        public init(defaultStrategy: RoutingStrategy? = nil, downgradeModels: [ModelID]? = nil) {
            self.defaultStrategy = defaultStrategy
            self.downgradeModels = downgradeModels
        }
    }

    public init(from: Int64, to: Int64, tenant: String? = nil, tier: String? = nil, policy: PolicyEdit) {
        self.from = from
        self.to = to
        self.tenant = tenant
        self.tier = tier
        self.policy = policy
    }

    /// Decodes and checks a body: at most 64 KiB, the range within the API's bounds.
    /// - Throws: `Dashboard.InvalidParameter`.
    public static func parse(_ body: [UInt8], now: Int64) throws(MetricsError) -> (WhatIfRequest, MetricsFilter) {
        guard body.count <= 65_536 else { throw .invalidParameter(name: "body", problem: "larger than 64 KiB") }
        let request: WhatIfRequest
        do { request = try JSON.decode(WhatIfRequest.self, from: body) } catch {
            throw .invalidParameter(
                name: "body", problem: "not a what-if request: \(String(describing: error).prefix(200))")
        }
        var values = ["from": String(request.from), "to": String(request.to)]
        if let tenant = request.tenant { values["tenant"] = tenant }
        if let tier = request.tier { values["tier"] = tier }
        let filter = try MetricsFilter(QueryParameters(values), now: now)
        guard (request.policy.disableRules?.count ?? 0) <= 256, (request.policy.tiers?.count ?? 0) <= 64 else {
            throw .invalidParameter(name: "policy", problem: "too many edits")
        }
        return (request, filter)
    }

    /// The policy with this edit applied, and one line per change.
    /// - Throws: `Dashboard.InvalidPolicy` for an unknown tier or rule.
    func apply(to policy: RoutingPolicy) throws(MetricsError) -> (RoutingPolicy, [String]) {
        var edited = policy
        var changes: [String] = []
        for (name, edit) in (self.policy.tiers ?? [:]).sorted(by: { $0.key < $1.key }) {
            guard var spec = edited.tiers[name] else { throw .invalidPolicy("no tier \"\(name.prefix(64))\"") }
            if let strategy = edit.defaultStrategy, strategy != spec.defaultStrategy {
                changes.append("\(name): default strategy \(spec.defaultStrategy.rawValue) → \(strategy.rawValue)")
                spec.defaultStrategy = strategy
            }
            if let models = edit.downgradeModels, models != spec.downgradeModels {
                let list = models.map(\.rawValue).joinedText(separator: ", ")
                changes.append("\(name): downgrade models → [\(list)]")
                spec.downgradeModels = models
            }
            edited.tiers[name] = spec
        }
        let disabled = Set(self.policy.disableRules ?? [])
        let known = Set(policy.rules.map(\.name))
        if let unknown = disabled.subtracting(known).sorted().first {
            throw .invalidPolicy("no rule \"\(unknown.prefix(64))\"")
        }
        if !disabled.isEmpty {
            edited.rules.removeAll { disabled.contains($0.name) }
            changes.append("rules off: \(disabled.sorted().joinedText(separator: ", "))")
        }
        return (edited, changes)
    }
}

/// What the what-if form can edit: `GET /api/whatif/policy`.
public struct WhatIfPolicyResponse: Codable, Sendable, Equatable {
    public struct Tier: Codable, Sendable, Equatable {
        public var defaultStrategy: String
        public var downgradeModels: [String]?
        public var overBudget: String
    }
    public var bundleVersion: String
    public var tiers: [String: Tier]
    public var strategies: [String]
    /// LLM catalog models (candidates for a downgrade list).
    public var models: [String]
    /// Rule names in policy order.
    public var rules: [String]
}
