import SwitchyardContract
// Evaluates the router on a labelled split: per classifier, category accuracy and macro-F1, the
// confusion matrix, difficulty accuracy, how often the chosen model is one a person accepts, cost
// and mean catalog quality against always-premium (the `best` strategy with the true labels),
// classification latency, and the cost/quality curve as the quality floors shift.
//   router-eval [--split eval|validation|test] [--cases FILE] [--bundle infra]
//               [--model FILE] [--json OUT] [--passes 30]
//               [--llm-url http://127.0.0.1:8765/v1 --llm-model smollm2-135m]
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardRouterFunction
import SwitchyardRouting

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String) -> String? {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
    return arguments[i + 1]
}

let split = option("--split") ?? "eval"
let bundleDir = option("--bundle") ?? "infra"
let policyPath = bundleDir + "/policy.json"
let casesPath =
    option("--cases") ?? (split == "eval" ? "events/routing/eval.jsonl" : "events/routing/corpus/\(split).jsonl")
let bundle = try RouterConfiguration.BundleFiles(
    policy: policyPath, catalog: bundleDir + "/catalog.json", rates: bundleDir + "/rates.json"
).load(at: WallClock.nowMilliseconds())
let policy = bundle.policy
let router = Router(bundle: bundle)
let acceptable = try AcceptableTable.load(option("--acceptable") ?? "events/routing/acceptable.json")
let cases = try EvalCase.load(casesPath, acceptable: acceptable)
let profiles = try cases.map { try RequestProfile($0.input, limits: policy.limits) }
let inputs = profiles.map { ClassificationInput($0) }

// The learned model, timed as the router's init loads it (read, checksum, dense table).
guard let learnedSpec = policy.classifier.learned else { fatalError("the policy names no learned classifier") }
var modelPath = option("--model") ?? learnedSpec.file
if !modelPath.hasPrefix("/"), option("--model") == nil, let slash = policyPath.lastIndex(of: "/") {
    modelPath = String(policyPath[...slash]) + modelPath
}
let loadStart = ContinuousClock.now
let learned = try NGramClassifier.load(path: modelPath, expectedVersion: learnedSpec.version)
let loadTime = ContinuousClock.now - loadStart
// Loads again to separate the one-off costs of a fresh process (page faults, first touches) from the work.
var reloads: [Duration] = []
for _ in 0..<5 {
    let start = ContinuousClock.now
    _ = try NGramClassifier.load(path: modelPath, expectedVersion: learnedSpec.version)
    reloads.append(ContinuousClock.now - start)
}
let threshold = policy.classifier.confidenceThreshold

/// The handler's hybrid mode: the learned verdict, and the LLM's when the learned one is unsure.
struct HybridClassifier: TaskClassifier {
    var learned: NGramClassifier
    var llm: LLMTaskClassifier
    var threshold: Double
    func classify(_ input: ClassificationInput, deadline: ContinuousClock.Instant) async -> Classification {
        let quick = learned.classify(input)
        guard quick.confidence < threshold else { return quick }
        let answer = await llm.classify(input, deadline: deadline)
        if answer.classifier == "llm" { return answer }
        var fallback = quick
        fallback.fallbackReason = answer.fallbackReason
        return fallback
    }
}

var classifiers: [(name: String, classifier: any TaskClassifier)] = [
    ("heuristic", HeuristicClassifier()), ("learned", learned),
]
if let url = option("--llm-url") {
    let llm = LLMTaskClassifier(
        transport: CurlTransport(), baseURL: url,
        model: option("--llm-model") ?? "smollm2-135m",
        timeout: .milliseconds(Int(option("--llm-timeout-ms") ?? "5000") ?? 5000))
    classifiers.append(("llm", llm))
    classifiers.append(("hybrid", HybridClassifier(learned: learned, llm: llm, threshold: threshold)))
}

// MARK: - Routing against always-premium

/// The model a decision's main step calls first: the LLM, else the embedder, else the detector.
func primaryModel(_ decision: RouteDecision) -> ModelID? {
    (decision.llm?.candidates.first ?? decision.embedding?.candidates.first)?.model
        ?? decision.vision?.candidates.first?.model
}

func chosenModel(_ decision: RouteDecision, truth: TaskCategory) -> ModelID? {
    if truth == .detection, let detector = decision.vision?.candidates.first { return detector.model }
    return primaryModel(decision)
}

func qualityOf(_ decision: RouteDecision, truth: TaskCategory, table: RoutingTable) -> Double {
    chosenModel(decision, truth: truth).flatMap { table.model($0)?.quality[truth.rawValue] } ?? 0
}

func oracle(_ c: EvalCase) -> Classification {
    Classification(
        category: c.expectedCategory, difficulty: c.expectedDifficulty ?? .medium, confidence: 1, classifier: "oracle")
}

/// Always-premium: the `best` strategy with the true labels, on the same tier.
let premium: [(cost: Int64, quality: Double)?] = zip(cases, profiles).map { c, profile in
    var p = profile
    p.hints.route = .best
    guard let decision = try? router.decide(p, classification: oracle(c)) else { return nil }
    return (decision.estimatedCostPicoUSD.rawValue, qualityOf(decision, truth: c.expectedCategory, table: router.table))
}

func route(_ verdicts: [Classification], with router: Router) -> RoutingOutcome {
    var outcome = RoutingOutcome()
    for (i, (c, profile)) in zip(cases, profiles).enumerated() {
        guard let base = premium[i] else { continue }
        if verdicts[i].classifier != "hint", verdicts[i].confidence < router.table.policy.classifier.confidenceThreshold
        {
            outcome.uncertain += 1
        }
        do {
            let decision = try router.decide(profile, classification: verdicts[i])
            outcome.routed += 1
            let chosen = chosenModel(decision, truth: c.expectedCategory)?.rawValue ?? "-"
            outcome.mix[primaryModel(decision)?.rawValue ?? "-", default: 0] += 1
            if c.acceptableModels.contains(chosen) { outcome.acceptable += 1 }
            outcome.cost += decision.estimatedCostPicoUSD.rawValue
            outcome.premiumCost += base.cost
            outcome.quality += qualityOf(decision, truth: c.expectedCategory, table: router.table)
            outcome.premiumQuality += base.quality
        } catch {
            outcome.refused[error.errorType, default: 0] += 1
        }
    }
    return outcome
}

/// The policy with every quality floor (defaults and rules) moved by `delta`, clamped to 0...1.
func shifted(_ policy: RoutingPolicy, by delta: Double) throws -> Router {
    var p = policy
    func move(_ x: Double) -> Double { min(1, max(0, x + delta)) }
    p.defaults.qualityFloor = QualityFloors(
        easy: move(p.defaults.qualityFloor.easy), medium: move(p.defaults.qualityFloor.medium),
        hard: move(p.defaults.qualityFloor.hard))
    for i in p.rules.indices { p.rules[i].then.qualityFloor = p.rules[i].then.qualityFloor.map(move) }
    return Router(
        bundle: try RoutingBundle(
            policy: p, catalog: bundle.catalog, rates: bundle.rates, qualityVersion: bundle.qualityVersion,
            pricesAt: bundle.pricesAt))
}

// MARK: - Run

let passes = Int(option("--passes") ?? "30") ?? 30
print("routing evaluation: split \(split) (\(casesPath)), \(cases.count) cases, bundle \(bundle.version)")
print(
    "quality table \(bundle.qualityVersion.map { "\($0.id) (fnv1a64 \($0.fingerprint))" } ?? "not frozen"); "
        + "classifier \(learned.model.version) (\(modelPath)), confidence threshold \(threshold)")
print("always-premium: the best strategy with the true labels on the same tier; quality = catalog quality of the")
print("chosen model for the true category; acceptable = in events/routing/acceptable.json for tier and true category")
print("")

var rows: [(name: String, metrics: ClassificationMetrics, outcome: RoutingOutcome, p50: Int?, p99: Int?)] = []
var report: [(key: String, value: JSON)] = []
var verdictsByName: [String: [Classification]] = [:]
var rawLatency: [String: (p50: Int, p99: Int)] = [:]
var cpuLatency: [String: (p50: Int, p99: Int)] = [:]

/// CPU time of this thread: unlike wall time it stops while the scheduler runs someone else.
func threadCPUNanoseconds() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return t.tv_sec * 1_000_000_000 + t.tv_nsec
}
for (name, classifier) in classifiers {
    var verdicts: [Classification] = []
    for input in inputs { verdicts.append(await classifier.classify(input, deadline: .now + .seconds(30))) }
    verdictsByName[name] = verdicts
    var metrics = ClassificationMetrics()
    for (c, v) in zip(cases, verdicts) {
        metrics.add(expected: c.expectedCategory, predicted: v.category)
        if let d = c.expectedDifficulty {
            metrics.difficultyTotal += 1
            if d == v.difficulty { metrics.difficultyRight += 1 }
        }
    }
    var p50: Int?
    var p99: Int?
    if name == "heuristic" || name == "learned" {
        // In-process classification time: every prompt `passes` times after a warm-up pass. Each
        // prompt's time is the median of its passes, so the percentiles over prompts show the cost of
        // long prompts rather than the scheduler of a shared machine; the raw samples are reported too.
        var sink = 0.0
        var perPrompt = [[Int]](repeating: [], count: inputs.count)
        var perPromptCPU = [[Int]](repeating: [], count: inputs.count)
        for pass in 0...passes {
            for (i, input) in inputs.enumerated() {
                let cpuStart = threadCPUNanoseconds()
                let start = ContinuousClock.now
                let v: Classification
                if let h = classifier as? HeuristicClassifier {
                    v = h.classify(input)
                } else {
                    v = learned.classify(input)
                }
                let elapsed = ContinuousClock.now - start
                let cpu = threadCPUNanoseconds() - cpuStart
                sink += v.confidence
                if pass > 0 {
                    perPrompt[i].append(
                        Int(elapsed.components.attoseconds / 1_000_000_000) + Int(elapsed.components.seconds)
                            * 1_000_000_000)
                    perPromptCPU[i].append(cpu)
                }
            }
        }
        let cpuMedians = perPromptCPU.map { $0.sorted()[$0.count / 2] }.sorted()
        cpuLatency[name] = (percentile(cpuMedians, 0.5), percentile(cpuMedians, 0.99))
        if sink < 0 { print(sink) }
        let medians = perPrompt.map { $0.sorted()[$0.count / 2] }.sorted()
        let raw = perPrompt.flatMap { $0 }.sorted()
        p50 = percentile(medians, 0.5)
        p99 = percentile(medians, 0.99)
        rawLatency[name] = (percentile(raw, 0.5), percentile(raw, 0.99))
    }
    rows.append((name, metrics, route(verdicts, with: router), p50, p99))
}
let oracleVerdicts = cases.map(oracle)
var oracleMetrics = ClassificationMetrics()
for c in cases { oracleMetrics.add(expected: c.expectedCategory, predicted: c.expectedCategory) }
rows.append(("labels (oracle)", oracleMetrics, route(oracleVerdicts, with: router), nil, nil))

print(
    pad("classifier", 16) + padLeft("accuracy", 9) + padLeft("macro-F1", 10) + padLeft("difficulty", 11)
        + padLeft("acceptable", 11) + padLeft("cost saved", 11) + padLeft("quality", 9) + padLeft("uncertain", 10)
        + padLeft("p50 µs", 9) + padLeft("p99 µs", 9))
for row in rows {
    let d =
        row.metrics.difficultyTotal == 0
        ? "-" : pct(Double(row.metrics.difficultyRight) / Double(row.metrics.difficultyTotal))
    print(
        pad(row.name, 16) + padLeft(pct(row.metrics.accuracy), 9) + padLeft(fixed(row.metrics.macroF1, 3), 10)
            + padLeft(d, 11) + padLeft(pct(row.outcome.acceptableRate), 11) + padLeft(pct(row.outcome.costSaved), 11)
            + padLeft(pct(row.outcome.qualityRatio), 9) + padLeft(String(row.outcome.uncertain), 10)
            + padLeft(row.p50.map { fixed(Double($0) / 1000, 1) } ?? "-", 9)
            + padLeft(row.p99.map { fixed(Double($0) / 1000, 1) } ?? "-", 9))
}
print("(quality: mean catalog quality of the routed choice over always-premium's;")
print(" uncertain: learned verdicts below the confidence threshold, which take the safe default;")
print(" p50/p99 over prompts of each prompt's median time in \(passes) passes, release build, in-process)")
for (name, latency) in cpuLatency.sorted(by: { $0.key < $1.key }) {
    print(
        "\(name): thread CPU time per prompt (median of its passes, includes ~0.3 µs of clock calls): p50 "
            + "\(fixed(Double(latency.p50) / 1000, 1)) µs, p99 \(fixed(Double(latency.p99) / 1000, 1)) µs")
}
for (name, latency) in rawLatency.sorted(by: { $0.key < $1.key }) {
    print(
        "\(name): every sample (\(passes) × \(inputs.count)), scheduler noise included: p50 "
            + "\(fixed(Double(latency.p50) / 1000, 1)) µs, p99 \(fixed(Double(latency.p99) / 1000, 1)) µs")
}
let loadMs = Double(loadTime.components.attoseconds) / 1e15 + Double(loadTime.components.seconds) * 1000
let tableRows = 1 << learned.model.features.bits
let reloadMs = reloads.map { Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000 }.min()!
print(
    "learned model init (read, checksum, \(learned.model.storedRows) rows into a \(tableRows)-row table): "
        + "\(fixed(loadMs, 1)) ms in this fresh process, \(fixed(reloadMs, 1)) ms at best when reloaded")

for row in rows where row.name == "learned" || row.name == "heuristic" {
    print("\n== \(row.name): confusion matrix (rows: true category, columns: predicted)")
    let short = TaskCategory.allCases.map { String($0.rawValue.prefix(5)) }
    print(pad("", 14) + short.map { padLeft($0, 6) }.joined() + padLeft("F1", 7))
    for category in TaskCategory.allCases {
        let line = row.metrics.confusion[category.index]
        guard line.reduce(0, +) > 0 else { continue }
        print(
            pad(category.rawValue, 14) + line.map { padLeft($0 == 0 ? "." : String($0), 6) }.joined()
                + padLeft(row.metrics.f1(category.index).map { fixed($0, 2) } ?? "-", 7))
    }
    let o = row.outcome
    let refused = o.refused.isEmpty ? "none" : "\(o.refused)"
    print("routed \(o.routed), refused \(refused); cost \(o.cost) vs premium \(o.premiumCost) pico-USD")
    print("model mix: " + o.mix.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", "))
}

// The trade-off curve: every quality floor shifted by delta, for the learned verdicts and the labels.
var curve: [JSON] = []
for step in -12...3 {
    let delta = Double(step) * 0.05
    let shiftedRouter = try shifted(policy, by: delta)
    for (name, verdicts) in [("learned", verdictsByName["learned"]!), ("labels", oracleVerdicts)] {
        let o = route(verdicts, with: shiftedRouter)
        curve.append([
            "classifier": .string(name), "floor_shift": .double(delta), "cost_ratio": .double(1 - o.costSaved),
            "quality_ratio": .double(o.qualityRatio), "acceptable": .double(o.acceptableRate),
        ])
    }
}

if let out = option("--json") {
    var results: [JSON] = []
    for row in rows {
        results.append([
            "classifier": .string(row.name), "accuracy": .double(row.metrics.accuracy),
            "macro_f1": .double(row.metrics.macroF1), "acceptable": .double(row.outcome.acceptableRate),
            "cost_saved": .double(row.outcome.costSaved), "quality_ratio": .double(row.outcome.qualityRatio),
            "p50_ns": row.p50.map { .integer(Int64($0)) } ?? .null,
            "p99_ns": row.p99.map { .integer(Int64($0)) } ?? .null,
        ])
    }
    let document: JSON = [
        "split": .string(split), "cases": .integer(Int64(cases.count)), "policy": .string(policy.policyID),
        "quality_version": .string(bundle.qualityVersion?.id ?? ""),
        "classifier_version": .string(learned.model.version),
        "init_ms": .double(loadMs), "results": .array(results), "curve": .array(curve),
    ]
    let bytes = document.serialized()
    guard let f = fopen(out, "w") else { fatalError("cannot write \(out)") }
    _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
    fclose(f)
}
