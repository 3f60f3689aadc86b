// Evaluates the router on a labelled split: per classifier, category accuracy and macro-F1, the
// confusion matrix, difficulty accuracy, how often the chosen model is one a person accepts, cost
// and mean catalog quality against always-premium (the `best` strategy with the true labels),
// classification latency, and the cost/quality curve as the quality floors shift.
//   router-eval [--split eval|validation|test] [--cases FILE] [--bundle infra]
//               [--model FILE] [--baseline-model OLD.bin] [--json OUT] [--passes 30]
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
let curve = try report.curve(comparison)
if let out = options.option("--json") { report.writeJSON(to: out, curve: curve) }
