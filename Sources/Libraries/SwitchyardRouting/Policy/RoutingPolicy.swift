import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The routing policy file (`infra/policy.json`): tiers, tenants, budgets, rules and defaults.
///
/// One part of the bundle (`RoutingBundle`: policy, catalog, rates), loaded and validated as a
/// whole; a policy that decodes but contradicts itself (a tier naming an unknown model, a floor
/// above 1) is rejected with the field's path, because a bad policy found at request time would
/// fail every request.
public struct RoutingPolicy: Sendable, Equatable {
    /// The format version this build reads. Version 2: camelCase keys, budgets and cost caps as
    /// decimal USD strings, and no catalog (models live in `catalog.json`, prices in `rates.json`).
    public static let supportedVersion = 2

    public var version: Int
    /// Identifies this revision of the policy (`switchyard-2026-11-25.1`); part of the bundle version.
    public var policyID: String
    /// Date the policy takes effect, `YYYY-MM-DD`.
    public var effectiveFrom: String
    public var defaults: PolicyDefaults
    public var limits: PolicyLimits
    public var classifier: ClassifierSettings
    public var tiers: [String: TierSpec]
    public var tenants: [TenantSpec]
    public var rules: [RoutingRule]
    /// Which requests get retrieval before the LLM (none when absent).
    public var retrieval: RetrievalPolicy?

    public init(
        version: Int = RoutingPolicy.supportedVersion, policyID: String, effectiveFrom: String,
        defaults: PolicyDefaults = PolicyDefaults(), limits: PolicyLimits = PolicyLimits(),
        classifier: ClassifierSettings = ClassifierSettings(), tiers: [String: TierSpec], tenants: [TenantSpec],
        rules: [RoutingRule] = []
    ) {
        self.version = version
        self.policyID = policyID
        self.effectiveFrom = effectiveFrom
        self.defaults = defaults
        self.limits = limits
        self.classifier = classifier
        self.tiers = tiers
        self.tenants = tenants
        self.rules = rules
    }

    /// Parses and validates a policy document on its own (references to catalog models are
    /// checked when the bundle is put together, `RoutingBundle`).
    /// - Throws: `PolicyError` (`Router.InvalidPolicy`) naming the offending field path.
    public static func parse(_ bytes: some Collection<UInt8>) throws(PolicyError) -> RoutingPolicy {
        let policy: RoutingPolicy
        do {
            let json = try JSON.parse(bytes)
            // Version first: a future file should fail on its version, not on its new fields.
            if let version = json["version"]?.int64Value, version != Int64(Self.supportedVersion) {
                throw PolicyError.invalid(
                    path: "version",
                    problem: "version \(version) is not supported; this router reads version \(Self.supportedVersion)"
                        + (version == 1
                            ? " (version 1 kept models and prices: they moved to catalog.json and rates.json)" : ""))
            }
            try checkKeys(json)
            policy = try RoutingPolicy(json: json)
        } catch let error as PolicyError {
            throw error
        } catch let error as JSONWalkError {
            throw PolicyError.invalid(
                path: Self.pathPart(of: error.description), problem: Self.problemPart(of: error.description))
        } catch {
            throw PolicyError.invalid(
                path: Self.pathPart(of: describeDecodingError(error)),
                problem: Self.problemPart(of: describeDecodingError(error)))
        }
        try policy.validate()
        return policy
    }

    /// Reads, parses and validates the policy file at `path`.
    /// - Throws: `PolicyError` for an unreadable or invalid file.
    public static func load(path: String) throws(PolicyError) -> RoutingPolicy {
        let bytes: [UInt8]
        do {
            bytes = try FileReader.read(path, limit: 8 << 20)
        } catch {
            throw PolicyError.unreadable(path: path, reason: error.errorMessage)
        }
        return try parse(bytes)
    }

    // describeDecodingError gives "path: problem" (or "missing field ..." at the root).
    private static func pathPart(of description: String) -> String {
        guard let colon = description.firstRange(ofText: ": ") else {
            // "missing field \"models\"" at the root: the path is the field itself.
            if description.hasPrefix("missing field \""),
                let name = description.split(separator: "\"").dropFirst().first
            {
                return String(name)
            }
            return "<root>"
        }
        return String(description[..<colon.lowerBound])
    }

    private static func problemPart(of description: String) -> String {
        guard let colon = description.firstRange(ofText: ": ") else { return description }
        return String(description[colon.upperBound...])
    }
}

/// A policy that cannot be used. Raised at init, so the function never starts with it.
public enum PolicyError: FunctionError, Equatable {
    case invalid(path: String, problem: String)
    case unreadable(path: String, reason: String)

    public var errorType: String {
        switch self {
        case .invalid: "Router.InvalidPolicy"
        case .unreadable: "Router.PolicyUnreadable"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalid(let path, let problem): "routing policy field \(path): \(problem)"
        case .unreadable(let path, let reason): "routing policy \(path) cannot be read: \(reason)"
        }
    }

    /// The field path the error names.
    public var path: String? {
        if case .invalid(let path, _) = self { return path }
        return nil
    }
}
