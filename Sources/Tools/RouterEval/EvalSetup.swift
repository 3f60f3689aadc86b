import SwitchyardCore
import SwitchyardHTTP
import SwitchyardRouterFunction
import SwitchyardRouting

/// The command line: `--name value` pairs.
struct EvalOptions {
    var arguments: [String]

    func option(_ name: String) -> String? {
        guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return nil }
        return arguments[i + 1]
    }
}

/// What the evaluation reads before it runs: the bundle, the labelled cases and their profiles,
/// the learned model (timed as the router's init loads it) and the classifiers to compare.
struct EvalSetup {
    var split: String
    var casesPath: String
    var modelPath: String
    var bundle: RoutingBundle
    var router: Router
    var cases: [EvalCase]
    var profiles: [RequestProfile]
    var inputs: [ClassificationInput]
    var learned: NGramClassifier
    /// The first load in this fresh process, and five reloads after it.
    var loadTime: Duration
    var reloads: [Duration]
    var classifiers: [(name: String, classifier: any TaskClassifier)]

    var policy: RoutingPolicy { bundle.policy }
    var threshold: Double { policy.classifier.confidenceThreshold }

    init(_ options: EvalOptions) throws {
        split = options.option("--split") ?? "eval"
        let bundleDir = options.option("--bundle") ?? "infra"
        let policyPath = bundleDir + "/policy.json"
        casesPath =
            options.option("--cases")
            ?? (split == "eval" ? "events/routing/eval.jsonl" : "events/routing/corpus/\(split).jsonl")
        bundle = try RouterConfiguration.BundleFiles(
            policy: policyPath, catalog: bundleDir + "/catalog.json", rates: bundleDir + "/rates.json"
        ).load(at: WallClock.nowMilliseconds())
        let policy = bundle.policy
        router = Router(bundle: bundle)
        let acceptable = try AcceptableTable.load(options.option("--acceptable") ?? "events/routing/acceptable.json")
        cases = try EvalCase.load(casesPath, acceptable: acceptable)
        profiles = try cases.map { try RequestProfile($0.input, limits: policy.limits) }
        inputs = profiles.map { ClassificationInput($0) }

        // The learned model, timed as the router's init loads it (read, checksum, dense table).
        guard let learnedSpec = policy.classifier.learned else { fatalError("the policy names no learned classifier") }
        modelPath = options.option("--model") ?? learnedSpec.file
        if !modelPath.hasPrefix("/"), options.option("--model") == nil, let slash = policyPath.lastIndex(of: "/") {
            modelPath = String(policyPath[...slash]) + modelPath
        }
        let loadStart = ContinuousClock.now
        learned = try NGramClassifier.load(path: modelPath, expectedVersion: learnedSpec.version)
        loadTime = ContinuousClock.now - loadStart
        // Loads again to separate the one-off costs of a fresh process (page faults, first touches) from the work.
        reloads = []
        for _ in 0..<5 {
            let start = ContinuousClock.now
            _ = try NGramClassifier.load(path: modelPath, expectedVersion: learnedSpec.version)
            reloads.append(ContinuousClock.now - start)
        }

        classifiers = [("heuristic", HeuristicClassifier()), ("learned", learned)]
        // An older model beside the shipped one in the same run (any version: it is not the policy's).
        if let baselinePath = options.option("--baseline-model") {
            let baseline = try NGramClassifier.load(path: baselinePath, expectedVersion: nil)
            classifiers.insert((baseline.model.version, baseline), at: 1)
        }
        if let url = options.option("--llm-url") {
            let llm = LLMTaskClassifier(
                transport: CurlTransport(), baseURL: url,
                model: options.option("--llm-model") ?? "smollm2-135m",
                timeout: .milliseconds(Int(options.option("--llm-timeout-ms") ?? "5000") ?? 5000))
            classifiers.append(("llm", llm))
            classifiers.append(
                (
                    "hybrid",
                    HybridClassifier(learned: learned, llm: llm, threshold: policy.classifier.confidenceThreshold)
                )
            )
        }
    }
}
