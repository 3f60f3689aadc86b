import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting

/// One classifier's row: its metrics, its routing against always-premium, and (for the in-process
/// classifiers) the p50/p99 over prompts of each prompt's median time, in ns.
struct EvalRow {
    var name: String
    var metrics: ClassificationMetrics
    var outcome: RoutingOutcome
    var p50: Int?
    var p99: Int?
}

/// Every classifier's verdicts on every case, scored and timed.
struct ClassifierRuns {
    var rows: [EvalRow] = []
    var verdictsByName: [String: [Classification]] = [:]
    var oracleVerdicts: [Classification] = []
    /// Every sample, scheduler noise included.
    var rawLatency: [String: (p50: Int, p99: Int)] = [:]
    /// Thread CPU time per prompt (median of its passes).
    var cpuLatency: [String: (p50: Int, p99: Int)] = [:]

    init(_ setup: EvalSetup, comparison: PremiumComparison, passes: Int) async {
        for (name, classifier) in setup.classifiers {
            var verdicts: [Classification] = []
            for input in setup.inputs {
                verdicts.append(await classifier.classify(input, deadline: .now + .seconds(30)))
            }
            verdictsByName[name] = verdicts
            var metrics = ClassificationMetrics()
            for (c, v) in zip(setup.cases, verdicts) {
                metrics.add(expected: c.expectedCategory, predicted: v.category)
                if let d = c.expectedDifficulty {
                    metrics.difficultyTotal += 1
                    if d == v.difficulty { metrics.difficultyRight += 1 }
                }
            }
            var p50: Int?
            var p99: Int?
            if classifier is HeuristicClassifier || classifier is NGramClassifier {
                let medians = time(classifier, setup: setup, name: name, passes: passes)
                p50 = percentile(medians, 0.5)
                p99 = percentile(medians, 0.99)
            }
            rows.append(
                EvalRow(
                    name: name, metrics: metrics, outcome: comparison.route(verdicts, with: setup.router), p50: p50,
                    p99: p99))
        }
        oracleVerdicts = setup.cases.map(oracle)
        var oracleMetrics = ClassificationMetrics()
        for c in setup.cases { oracleMetrics.add(expected: c.expectedCategory, predicted: c.expectedCategory) }
        rows.append(
            EvalRow(
                name: "labels (oracle)", metrics: oracleMetrics,
                outcome: comparison.route(oracleVerdicts, with: setup.router), p50: nil, p99: nil))
    }

    /// In-process classification time: every prompt `passes` times after a warm-up pass. Each
    /// prompt's time is the median of its passes, so the percentiles over prompts show the cost of
    /// long prompts rather than the scheduler of a shared machine; the raw samples are reported too.
    /// Returns the sorted per-prompt medians (ns) and files the raw and CPU-time percentiles.
    private mutating func time(
        _ classifier: any TaskClassifier, setup: EvalSetup, name: String, passes: Int
    ) -> [Int] {
        let inputs = setup.inputs
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
                } else if let n = classifier as? NGramClassifier {
                    v = n.classify(input)
                } else {
                    v = setup.learned.classify(input)
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
        rawLatency[name] = (percentile(raw, 0.5), percentile(raw, 0.99))
        return medians
    }
}

/// CPU time of this thread: unlike wall time it stops while the scheduler runs someone else.
func threadCPUNanoseconds() -> Int {
    var t = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
    return t.tv_sec * 1_000_000_000 + t.tv_nsec
}
