// Measures routing decision time with a 50-model catalog: rule routing (classification given)
// and heuristic routing (classify + decide), plus request validation and decision encoding.
// Every decision it times is checked first: a request that does not route is reported, not timed.
//   router-benchmark [--bundle infra] [--iterations 20000] [--models 50] [--only rule]
//   router-benchmark [--bundle infra] --bundle-only   (loads the bundle once: BundleOnly)
let options = BenchmarkOptions(arguments: Array(CommandLine.arguments.dropFirst()))
if options.arguments.contains("--bundle-only") {
    try BundleOnly.run(directory: options.option("--bundle", "infra"))
} else {
    var benchmark = try RouterBenchmarkRun(options)
    try benchmark.validate()
    try benchmark.run()
}
