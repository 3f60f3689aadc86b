import SwitchyardContract
import SwitchyardJSON

/// The decision document built as a `JSON` value directly.
///
/// It is the same document the `Codable` conformance writes (a test holds them equal), built
/// without the generic encoder's containers: the router's answer is encoded on every invocation
/// and the generic path costs more than the decision itself.
extension RouteDecision {
    public var jsonValue: JSON {
        var m: [(key: String, value: JSON)] = []
        m.reserveCapacity(22)
        m.append(("request_id", .string(requestID)))
        m.append(("tenant_id", .string(tenantID)))
        m.append(("tier", .string(tier)))
        m.append(("policy_id", .string(policyID)))
        m.append(("backend", .string(backend.rawValue)))
        m.append(("strategy", .string(strategy.rawValue)))
        m.append(("primary", primary.jsonValue))
        m.append(("fallbacks", .array(fallbacks.map(\.jsonValue))))
        if let vision {
            m.append(
                (
                    "vision",
                    .object(
                        JSONObject([
                            ("primary", vision.primary.jsonValue),
                            ("fallbacks", .array(vision.fallbacks.map(\.jsonValue))),
                        ]))
                ))
        }
        if let batch {
            m.append(
                (
                    "batch",
                    .object(
                        JSONObject([
                            ("items", .integer(Int64(batch.items))),
                            ("item_backend", .string(batch.itemBackend.rawValue)),
                            ("max_concurrency", .integer(Int64(batch.maxConcurrency))),
                        ]))
                ))
        }
        m.append(("attempt_timeout_ms", .integer(Int64(attemptTimeoutMs))))
        m.append(("cost_ceiling_micro_usd", .integer(costCeilingMicroUSD)))
        m.append(("estimated_cost_micro_usd", .integer(estimatedCostMicroUSD)))
        if let matchedRule { m.append(("matched_rule", .string(matchedRule))) }
        m.append(("quality_floor", .double(qualityFloor)))
        m.append(("quality_floor_relaxed", .bool(qualityFloorRelaxed)))
        m.append(("explanation", .string(explanation)))
        m.append(("classification", classification.jsonValue))
        m.append(("budget", budget.jsonValue))
        m.append(("candidates", .array(candidates.map(\.jsonValue))))
        return .object(JSONObject(m))
    }
}

extension ModelChoice {
    var jsonValue: JSON {
        var m: [(key: String, value: JSON)] = [
            ("model", .string(model)), ("provider", .string(provider.rawValue)),
            ("provider_model", .string(providerModel)),
        ]
        if let endpoint { m.append(("endpoint", .string(endpoint))) }
        m.append(("kind", .string(kind.rawValue)))
        m.append(("estimated_cost_micro_usd", .integer(estimatedCostMicroUSD)))
        m.append(("estimated_latency_ms", .integer(Int64(estimatedLatencyMs))))
        m.append(("attempt_timeout_ms", .integer(Int64(attemptTimeoutMs))))
        return .object(JSONObject(m))
    }
}

extension Classification {
    var jsonValue: JSON {
        var m: [(key: String, value: JSON)] = [
            ("category", .string(category.rawValue)), ("difficulty", .string(difficulty.rawValue)),
            ("confidence", .double(confidence)), ("classifier", .string(classifier)),
        ]
        if let fallbackReason { m.append(("fallback_reason", .string(fallbackReason))) }
        if let llmLatencyMs { m.append(("llm_latency_ms", .integer(Int64(llmLatencyMs)))) }
        return .object(JSONObject(m))
    }
}

extension BudgetStatus {
    var jsonValue: JSON {
        var m: [(key: String, value: JSON)] = [("monthly_budget_micro_usd", .integer(monthlyBudgetMicroUSD))]
        if let monthToDateMicroUSD { m.append(("month_to_date_micro_usd", .integer(monthToDateMicroUSD))) }
        if let remainingMicroUSD { m.append(("remaining_micro_usd", .integer(remainingMicroUSD))) }
        m.append(("downgraded", .bool(downgraded)))
        if let note { m.append(("note", .string(note))) }
        return .object(JSONObject(m))
    }
}

extension CandidateReport {
    var jsonValue: JSON {
        var m: [(key: String, value: JSON)] = []
        m.reserveCapacity(9)
        m.append(("model", .string(model)))
        m.append(("provider", .string(provider.rawValue)))
        m.append(("role", .string(role.rawValue)))
        if let quality { m.append(("quality", .double(quality))) }
        m.append(("estimated_cost_micro_usd", .integer(estimatedCostMicroUSD)))
        m.append(("estimated_latency_ms", .integer(Int64(estimatedLatencyMs))))
        if let score { m.append(("score", .double(score))) }
        if let selected { m.append(("selected", .string(selected))) }
        if let rejected { m.append(("rejected", .string(rejected.description))) }
        return .object(JSONObject(m))
    }
}
