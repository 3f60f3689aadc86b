import SwitchyardContract
import SwitchyardJSON

/// Rejects fields the format does not define, so a misspelt `qualityFlor` is an init error
/// naming it instead of a setting silently left at its default.
extension RoutingPolicy {
    /// Allowed keys per object path; `*` stands for any tier name or array index.
    ///
    /// Every section is camelCase, like the catalog, the rates table and the contract, except
    /// `classifier`, which keeps its snake_case keys until its owner's branch (the learned
    /// classifier) converts them in one go.
    ///
    /// Built from each section's `Field` (the keys its decoder reads, RoutingPolicy+JSON), plus the
    /// keys the format allows and nothing reads (`description`, a tenant's `name`).
    static let knownKeys: [String: Set<String>] = [
        "": Field.names(plus: ["description"]),
        "defaults": PolicyDefaults.Field.names(),
        "defaults.qualityFloor": QualityFloors.Field.names(),
        "defaults.attemptTimeout": AttemptTimeout.Field.names(),
        "defaults.detection": DetectionDefaults.Field.names(),
        "limits": PolicyLimits.Field.names(),
        "classifier": ClassifierSettings.Field.names(),
        "classifier.learned": LearnedClassifierSettings.Field.names(),
        "tiers.*": TierSpec.Field.names(plus: ["description"]),
        "tenants[*]": TenantSpec.Field.names(plus: ["name"]),
        "rules[*]": RoutingRule.Field.names(plus: ["description"]),
        "rules[*].when": RuleCondition.Field.names(),
        "rules[*].then": RuleAction.Field.names(),
        "retrieval": RetrievalPolicy.Field.names(plus: ["description"]),
        "retrieval.rules[*]": RetrievalRule.Field.names(plus: ["description"]),
        "retrieval.rules[*].when": RuleCondition.Field.names(),
    ]

    /// - Throws: `PolicyError.invalid` naming the first unknown field.
    static func checkKeys(_ json: JSON) throws(PolicyError) {
        if let (path, problem) = KnownKeys.firstUnknown(in: json, known: knownKeys, maps: ["tiers"]) {
            throw .invalid(path: path, problem: problem)
        }
    }
}

/// Finds the first field a document's format does not define.
enum KnownKeys {
    /// - Parameters:
    ///   - known: allowed keys per path pattern (`""` is the root, `[*]` any index, `.*` any key of a map).
    ///   - maps: patterns of objects keyed by data (tier names); their members are checked as `<map>.*`.
    /// - Returns: the path and a sentence, or nil when every field is known. Paths without an entry
    ///   in `known` (maps of categories, free-form values) are not checked.
    static func firstUnknown(in json: JSON, known: [String: Set<String>], maps: Set<String>) -> (String, String)? {
        walk(json, path: "", pattern: "", known: known, maps: maps)
    }

    private static func walk(
        _ json: JSON, path: String, pattern: String, known: [String: Set<String>], maps: Set<String>
    ) -> (String, String)? {
        switch json {
        case .object(let object):
            if maps.contains(pattern) {
                for member in object.members where member.value.isContainer {
                    let childPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                    if let found = walk(
                        member.value, path: childPath, pattern: "\(pattern).*", known: known, maps: maps)
                    {
                        return found
                    }
                }
                return nil
            }
            guard let allowed = known[pattern] else { return nil }
            for member in object.members {
                guard allowed.contains(member.key) else {
                    let childPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                    return (childPath, "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))")
                }
                // A scalar has no fields to check: no paths to build for it (most members are scalars).
                guard member.value.isContainer else { continue }
                let childPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                let childPattern = pattern.isEmpty ? member.key : "\(pattern).\(member.key)"
                if let found = walk(member.value, path: childPath, pattern: childPattern, known: known, maps: maps) {
                    return found
                }
            }
            return nil
        case .array(let items):
            for (i, item) in items.enumerated() where item.isContainer {
                if let found = walk(item, path: "\(path)[\(i)]", pattern: "\(pattern)[*]", known: known, maps: maps) {
                    return found
                }
            }
            return nil
        default:
            return nil
        }
    }
}

extension JSON {
    /// An object or an array: the only values `KnownKeys.walk` looks inside.
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
