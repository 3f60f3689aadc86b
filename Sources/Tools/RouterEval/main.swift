import SwitchyardContract
// Evaluates the router on a labelled set: classification accuracy per classifier, the chosen-model
// mix, how often the choice is one a person would accept, and the estimated cost against an
// always-premium baseline (the `best` strategy on the same tier and quality floor).
//   router-eval [--policy infra/policy.json] [--cases events/routing/eval.jsonl]
//               [--llm-url http://127.0.0.1:8765/v1 --llm-model smollm2-135m]
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardRouting

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

let policy = try RoutingPolicy.load(path: option("--policy") ?? "infra/policy.json")
let router = try Router(policy: policy)
let cases = try EvalCase.load(option("--cases") ?? "events/routing/eval.jsonl")
let profiles = try cases.map { try RequestProfile($0.input, limits: policy.limits) }

var classifiers: [(name: String, classifier: any TaskClassifier)] = [("heuristic", HeuristicClassifier())]
if let url = option("--llm-url") {
    let llm = LLMTaskClassifier(
        transport: HTTPClassifierTransport(CurlTransport()), baseURL: url,
        model: option("--llm-model") ?? "smollm2-135m",
        timeout: .milliseconds(Int(option("--llm-timeout-ms") ?? "5000") ?? 5000))
    classifiers.append(("llm", llm))
}

func pct(_ part: Int, _ whole: Int) -> String {
    guard whole > 0 else { return "-" }
    let tenths = (part * 1000 + whole / 2) / whole
    return "\(tenths / 10).\(tenths % 10)%"
}

func usd(_ micro: Int64) -> String {
    let cents = (micro + 5_000) / 10_000
    return "$\(cents / 100).\(cents % 100 < 10 ? "0" : "")\(cents % 100)"
}

func pad(_ s: String, _ width: Int) -> String {
    s.count >= width ? s : s + String(repeating: " ", count: width - s.count)
}

print("routing evaluation: \(cases.count) cases, policy \(policy.policyID)\n")
for (name, classifier) in classifiers {
    var correct = 0
    var perCategory: [TaskCategory: (right: Int, total: Int)] = [:]
    var confusions: [String: Int] = [:]
    var mix: [String: Int] = [:]
    var acceptable = 0
    var routed = 0
    var cost: Int64 = 0
    var premiumCost: Int64 = 0
    var quality = 0.0
    var premiumQuality = 0.0
    var latencies: [Int] = []
    var fallbacks = 0
    var modelAnswered = 0
    var modelRight = 0
    var unsure = 0
    var tierCost: [String: (routed: Int64, premium: Int64)] = [:]
    var refusals: [String: Int] = [:]
    for (c, profile) in zip(cases, profiles) {
        let verdict = await classifier.classify(ClassificationInput(profile), deadline: .now + .seconds(30))
        if let ms = verdict.llmLatencyMs { latencies.append(ms) }
        if verdict.fallbackReason != nil { fallbacks += 1 }
        let right = verdict.category == c.expectedCategory
        if verdict.classifier == "llm" {
            modelAnswered += 1
            if right { modelRight += 1 }
        }
        if verdict.confidence < policy.classifier.confidenceThreshold { unsure += 1 }
        if right {
            correct += 1
        } else {
            confusions["\(c.expectedCategory.rawValue)→\(verdict.category.rawValue)", default: 0] += 1
        }
        perCategory[c.expectedCategory, default: (0, 0)].total += 1
        if right { perCategory[c.expectedCategory]!.right += 1 }
        do {
            let decision = try router.decide(profile, classification: verdict)
            var premiumProfile = profile
            premiumProfile.hints.route = .best
            let premium = try router.decide(premiumProfile, classification: verdict)
            routed += 1
            let chosen = decision.backend == .vision ? decision.primary.model : decision.primary.model
            mix[chosen, default: 0] += 1
            if let vision = decision.vision { mix[vision.primary.model, default: 0] += 1 }
            if c.acceptableModels.contains(chosen) { acceptable += 1 }
            cost += decision.estimatedCostMicroUSD
            premiumCost += premium.estimatedCostMicroUSD
            tierCost[c.tier, default: (0, 0)].routed += decision.estimatedCostMicroUSD
            tierCost[c.tier, default: (0, 0)].premium += premium.estimatedCostMicroUSD
            quality += decision.candidates.first { $0.selected == "primary" && $0.model == chosen }?.quality ?? 0
            premiumQuality +=
                premium.candidates.first { $0.selected == "primary" && $0.model == premium.primary.model }?.quality ?? 0
        } catch {
            refusals[error.errorType, default: 0] += 1
        }
    }
    print("== classifier: \(name)")
    print("classification accuracy: \(correct)/\(cases.count) = \(pct(correct, cases.count))")
    if !latencies.isEmpty {
        let sorted = latencies.sorted()
        print(
            "classifier call latency: p50 \(sorted[sorted.count / 2]) ms, p95 \(sorted[min(sorted.count - 1, sorted.count * 95 / 100)]) ms; fell back to heuristic \(fallbacks)×"
        )
        print(
            "model's own verdicts (fallbacks excluded): \(modelRight)/\(modelAnswered) = \(pct(modelRight, modelAnswered))"
        )
    } else {
        print(
            "below the hybrid threshold \(policy.classifier.confidenceThreshold) (would ask the model in hybrid mode): \(unsure)/\(cases.count) = \(pct(unsure, cases.count))"
        )
    }
    print("per category:")
    for category in TaskCategory.allCases {
        guard let stats = perCategory[category] else { continue }
        print(
            "  \(pad(category.rawValue, 14)) \(pad("\(stats.right)/\(stats.total)", 7)) \(pct(stats.right, stats.total))"
        )
    }
    let topConfusions = confusions.sorted { $0.value > $1.value }.prefix(6).map { "\($0.key) ×\($0.value)" }
    if !topConfusions.isEmpty { print("most common confusions: \(topConfusions.joined(separator: ", "))") }
    print("chosen-model mix (primary, plus detectors on vision+llm):")
    for (model, count) in mix.sorted(by: { $0.value > $1.value }) {
        print("  \(pad(model, 22)) \(pad(String(count), 4)) \(pct(count, routed))")
    }
    print("choice acceptable to a person: \(acceptable)/\(routed) = \(pct(acceptable, routed))")
    if !refusals.isEmpty { print("refused: \(refusals)") }
    let saved = premiumCost > 0 ? Int((Double(premiumCost - cost) / Double(premiumCost) * 1000).rounded()) : 0
    print(
        "estimated cost: routed \(usd(cost)) vs always-premium (best strategy, same tier and floor) \(usd(premiumCost)): \(saved / 10).\(abs(saved % 10))% saved"
    )
    for tier in ["basic", "pro", "enterprise"] {
        guard let t = tierCost[tier], t.premium > 0 else { continue }
        let saved = Int((Double(t.premium - t.routed) / Double(t.premium) * 1000).rounded())
        print(
            "  \(pad(tier, 11)) routed \(usd(t.routed)) vs premium \(usd(t.premium)): \(saved / 10).\(abs(saved % 10))% saved"
        )
    }
    let q = routed > 0 ? Int((quality / Double(routed)) * 1000) : 0
    let pq = routed > 0 ? Int((premiumQuality / Double(routed)) * 1000) : 0
    print("mean catalog quality of the choice: routed 0.\(q) vs premium 0.\(pq)\n")
}
