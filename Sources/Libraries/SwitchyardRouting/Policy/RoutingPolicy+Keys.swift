import SwitchyardContract
import SwitchyardJSON

/// Rejects fields the format does not define, so a misspelt `quality_flor` is an init error
/// naming it instead of a setting silently left at its default.
extension RoutingPolicy {
    /// Allowed keys per object path; `*` stands for any tier name or array index.
    static let knownKeys: [String: Set<String>] = [
        "": [
            "version", "policy_id", "effective_from", "defaults", "limits", "classifier", "models", "tiers", "tenants",
            "rules", "description", "quality_version",
        ],
        "quality_version": ["id", "fnv1a64", "description"],
        "defaults": [
            "quality_floor", "output_tokens", "fallback_count", "attempt_timeout", "cost_ceiling_multiplier",
            "max_error_rate",
            "min_latency_samples", "relax_quality_floor", "batch_max_concurrency",
        ],
        "defaults.quality_floor": ["easy", "medium", "hard"],
        "defaults.attempt_timeout": ["multiplier", "min_ms", "max_ms"],
        "limits": [
            "max_prompt_bytes", "max_images", "max_image_bytes", "max_batch_items", "image_media_types",
            "image_url_schemes",
        ],
        "classifier": ["mode", "model", "base_url", "timeout_ms", "confidence_threshold", "learned"],
        "classifier.learned": ["file", "version"],
        "models[*]": [
            "id", "provider", "kind", "provider_model", "endpoint", "prices", "latency", "quality", "context_window",
            "capabilities",
            "tiers", "description",
        ],
        "models[*].prices": [
            "input_per_million", "cached_input_per_million", "output_per_million", "per_image", "per_second",
            "per_request",
        ],
        "models[*].latency": ["ttft_ms", "p50_ms", "p95_ms", "output_tokens_per_second"],
        "tiers.*": [
            "models", "monthly_budget_micro_usd", "default_strategy", "over_budget", "downgrade_models", "classifier",
            "description",
        ],
        "tenants[*]": ["id", "tier", "monthly_budget_micro_usd", "name"],
        "rules[*]": ["name", "when", "then", "description"],
        "rules[*].when": [
            "modalities", "categories", "difficulties", "tiers", "tenants", "routes", "tags", "uncertain",
        ],
        "rules[*].then": [
            "strategy", "quality_floor", "max_latency_ms", "max_cost_micro_usd", "models", "fallback_count",
            "lock_strategy",
        ],
    ]

    /// - Throws: `PolicyError.invalid` naming the first unknown field.
    static func checkKeys(_ json: JSON) throws(PolicyError) {
        try checkKeys(json, path: "", pattern: "")
    }

    private static func checkKeys(_ json: JSON, path: String, pattern: String) throws(PolicyError) {
        switch json {
        case .object(let object):
            // Maps keyed by data (tiers by name, quality by category) are checked by validate().
            if pattern == "tiers" {
                for member in object.members {
                    try checkKeys(member.value, path: "tiers.\(member.key)", pattern: "tiers.*")
                }
                return
            }
            guard let allowed = knownKeys[pattern] else { return }
            for member in object.members {
                let childPath = path.isEmpty ? member.key : "\(path).\(member.key)"
                guard allowed.contains(member.key) else {
                    throw .invalid(
                        path: childPath,
                        problem: "unknown field; expected one of \(allowed.sorted().joined(separator: ", "))")
                }
                try checkKeys(
                    member.value, path: childPath, pattern: pattern.isEmpty ? member.key : "\(pattern).\(member.key)")
            }
        case .array(let items):
            for (i, item) in items.enumerated() { try checkKeys(item, path: "\(path)[\(i)]", pattern: "\(pattern)[*]") }
        default:
            return
        }
    }
}
