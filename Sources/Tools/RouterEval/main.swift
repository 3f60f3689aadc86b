// Evaluates the router on a labelled split: per classifier, category accuracy and macro-F1, the
// confusion matrix, difficulty accuracy, how often the chosen model is one a person accepts, cost
// and mean catalog quality against always-premium (the `best` strategy with the true labels),
// classification latency, and the cost/quality curve as the quality floors shift.
//   router-eval [--split eval|validation|test] [--cases FILE] [--bundle infra]
//               [--model FILE] [--baseline-model OLD.bin] [--json OUT] [--passes 30]
//               [--curve-step 0.05|0.01|...]   the floor shift's step on the curve (divides 0.05)
//               [--llm-url http://127.0.0.1:8765/v1 --llm-model smollm2-135m]
let options = EvalOptions(arguments: Array(CommandLine.arguments.dropFirst()))
let setup = try EvalSetup(options)
let comparison = PremiumComparison(cases: setup.cases, profiles: setup.profiles, router: setup.router)
let passes = Int(options.option("--passes") ?? "30") ?? 30
EvalReport.printPreamble(setup)
let report = EvalReport(
    setup: setup, runs: await ClassifierRuns(setup, comparison: comparison, passes: passes), passes: passes)
report.printSummary()
report.printConfusion()
let curveStep = Double(options.option("--curve-step") ?? "0.05") ?? 0
guard curveStep >= 0.001, curveStep <= 0.05, abs((0.05 / curveStep).rounded() * curveStep - 0.05) < 1e-9 else {
    fatalError("--curve-step must divide 0.05 and be at least 0.001")
}
let curve = try report.curve(comparison, step: curveStep)
if let out = options.option("--json") { report.writeJSON(to: out, curve: curve) }
