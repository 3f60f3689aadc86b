import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

/// The evaluation's printed tables and its --json document.
struct EvalReport {
    var setup: EvalSetup
    var runs: ClassifierRuns
    var passes: Int

    var loadMs: Double {
        Double(setup.loadTime.components.attoseconds) / 1e15 + Double(setup.loadTime.components.seconds) * 1000
    }

    static func printPreamble(_ setup: EvalSetup) {
        let bundle = setup.bundle
        print(
            "routing evaluation: split \(setup.split) (\(setup.casesPath)), \(setup.cases.count) cases, "
                + "bundle \(bundle.version)")
        print(
            "quality table \(bundle.qualityVersion.map { "\($0.id) (fnv1a64 \($0.fingerprint))" } ?? "not frozen"); "
                + "classifier \(setup.learned.model.version) (\(setup.modelPath)), "
                + "confidence threshold \(setup.threshold)")
        print(
            "always-premium: the best strategy with the true labels on the same tier; quality = catalog quality of the")
        print(
            "chosen model for the true category; acceptable = in events/routing/acceptable.json for tier and "
                + "true category")
        print("")
    }

    func printSummary() {
        print(
            pad("classifier", 16) + padLeft("accuracy", 9) + padLeft("macro-F1", 10) + padLeft("difficulty", 11)
                + padLeft("acceptable", 11) + padLeft("cost saved", 11) + padLeft("quality", 9)
                + padLeft("uncertain", 10) + padLeft("p50 µs", 9) + padLeft("p99 µs", 9))
        for row in runs.rows {
            let d =
                row.metrics.difficultyTotal == 0
                ? "-" : pct(Double(row.metrics.difficultyRight) / Double(row.metrics.difficultyTotal))
            print(
                pad(row.name, 16) + padLeft(pct(row.metrics.accuracy), 9) + padLeft(fixed(row.metrics.macroF1, 3), 10)
                    + padLeft(d, 11) + padLeft(pct(row.outcome.acceptableRate), 11)
                    + padLeft(pct(row.outcome.costSaved), 11) + padLeft(pct(row.outcome.qualityRatio), 9)
                    + padLeft(String(row.outcome.uncertain), 10)
                    + padLeft(row.p50.map { fixed(Double($0) / 1000, 1) } ?? "-", 9)
                    + padLeft(row.p99.map { fixed(Double($0) / 1000, 1) } ?? "-", 9))
        }
        print("(quality: mean catalog quality of the routed choice over always-premium's;")
        print(" uncertain: learned verdicts below the confidence threshold, which take the safe default;")
        print(" p50/p99 over prompts of each prompt's median time in \(passes) passes, release build, in-process)")
        for (name, latency) in runs.cpuLatency.sorted(by: { $0.key < $1.key }) {
            print(
                "\(name): thread CPU time per prompt (median of its passes, includes ~0.3 µs of clock calls): p50 "
                    + "\(fixed(Double(latency.p50) / 1000, 1)) µs, p99 \(fixed(Double(latency.p99) / 1000, 1)) µs")
        }
        for (name, latency) in runs.rawLatency.sorted(by: { $0.key < $1.key }) {
            print(
                "\(name): every sample (\(passes) × \(setup.inputs.count)), scheduler noise included: p50 "
                    + "\(fixed(Double(latency.p50) / 1000, 1)) µs, p99 \(fixed(Double(latency.p99) / 1000, 1)) µs")
        }
        let tableRows = 1 << setup.learned.model.features.bits
        let reloadMs = setup.reloads.map {
            Double($0.components.attoseconds) / 1e15 + Double($0.components.seconds) * 1000
        }.min()!
        print(
            "learned model init (read, checksum, \(setup.learned.model.weightEncoding) weights, "
                + "\(setup.learned.model.storedRows) non-zero rows of \(tableRows)"
                + "): \(fixed(loadMs, 1)) ms in this fresh process, \(fixed(reloadMs, 1)) ms at best when reloaded"
        )
    }

    func printConfusion() {
        for row in runs.rows where row.name != "labels (oracle)" {
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
            print(
                "model mix: "
                    + o.mix.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            )
        }
    }

    /// The trade-off curve: every quality floor shifted by delta (-0.6 to +0.15 in steps of `step`, which
    /// divides 0.05), for the learned verdicts and the labels.
    func curve(_ comparison: PremiumComparison, step: Double = 0.05) throws -> [JSON] {
        var curve: [JSON] = []
        let perFive = Int((0.05 / step).rounded())
        for i in (-12 * perFive)...(3 * perFive) {
            // Rounded to the decimal a policy file would hold (-0.02, not -0.020000000000000018).
            let delta = (Double(i) * step * 1e6).rounded() / 1e6
            let shiftedRouter = try shifted(setup.policy, by: delta, bundle: setup.bundle)
            for (name, verdicts) in [("learned", runs.verdictsByName["learned"]!), ("labels", runs.oracleVerdicts)] {
                let o = comparison.route(verdicts, with: shiftedRouter)
                curve.append([
                    "classifier": .string(name), "floor_shift": .double(delta), "cost_ratio": .double(1 - o.costSaved),
                    "quality_ratio": .double(o.qualityRatio), "acceptable": .double(o.acceptableRate),
                ])
            }
        }
        return curve
    }

    func writeJSON(to out: String, curve: [JSON]) {
        var results: [JSON] = []
        for row in runs.rows {
            results.append([
                "classifier": .string(row.name), "accuracy": .double(row.metrics.accuracy),
                "macro_f1": .double(row.metrics.macroF1), "acceptable": .double(row.outcome.acceptableRate),
                "cost_saved": .double(row.outcome.costSaved), "quality_ratio": .double(row.outcome.qualityRatio),
                "p50_ns": row.p50.map { .integer(Int64($0)) } ?? .null,
                "p99_ns": row.p99.map { .integer(Int64($0)) } ?? .null,
            ])
        }
        let bundle = setup.bundle
        let document: JSON = [
            "split": .string(setup.split), "cases": .integer(Int64(setup.cases.count)),
            "policy": .string(setup.policy.policyID),
            "quality_version": .string(bundle.qualityVersion?.id ?? ""),
            "classifier_version": .string(setup.learned.model.version),
            "init_ms": .double(loadMs), "results": .array(results), "curve": .array(curve),
        ]
        let bytes = document.serialized()
        guard let f = fopen(out, "w") else { fatalError("cannot write \(out)") }
        _ = bytes.withUnsafeBufferPointer { fwrite($0.baseAddress, 1, $0.count, f) }
        fclose(f)
    }
}
