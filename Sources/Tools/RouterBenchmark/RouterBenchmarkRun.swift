import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

#if canImport(Glibc)
    import Glibc
#endif

/// The benchmark's options: `--bundle infra --iterations 20000 --models 50 --only MODE`.
struct BenchmarkOptions {
    var arguments: [String]

    func option(_ name: String, _ fallback: String) -> String {
        guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
        return arguments[i + 1]
    }
}

/// The router on a catalog grown to `--models` models, the request mix, and its checked decisions.
struct RouterBenchmarkRun {
    var iterations: Int
    /// `--only rule` times one mode (for profiling).
    var only: String
    var policy: RoutingPolicy
    var bundle: RoutingBundle
    var router: Router
    var heuristic = HeuristicClassifier()
    var inputs: [InferenceRequest]
    var profiles: [RequestProfile]
    var classifications: [Classification]
    var decisions: [RouteDecision]

    init(_ options: BenchmarkOptions) throws {
        let bundleDir = options.option("--bundle", "infra")
        iterations = Int(options.option("--iterations", "20000")) ?? 20000
        let modelCount = Int(options.option("--models", "50")) ?? 50
        only = options.option("--only", "")

        let now = WallClock.nowMilliseconds()
        policy = try RoutingPolicy.parse(try FileReader.read(bundleDir + "/policy.json"))
        let catalog = try Catalog.parse(try FileReader.read(bundleDir + "/catalog.json"), source: "catalog.json")
        let ratesDocument = try JSON.parse(try FileReader.read(bundleDir + "/rates.json"))
        bundle = try SyntheticCatalog.grow(
            policy: policy, catalog: catalog, ratesDocument: ratesDocument, to: modelCount, at: now)
        router = Router(bundle: bundle)
        inputs = try RequestMix.requests()
        let limits = policy.limits
        profiles = try inputs.map { try RequestProfile($0, limits: limits) }
        let heuristic = heuristic
        classifications = profiles.map { heuristic.classify(ClassificationInput($0)) }
        decisions = []
    }

    /// Validates before timing: every request must route, to the route its shape implies; exits 1 when one does not.
    mutating func validate() throws {
        decisions = try profiles.indices.map {
            try router.decide(profiles[$0], classification: classifications[$0], signals: RequestMix.signals)
        }
        for (i, decision) in decisions.enumerated() where decision.route != RequestMix.expectedRoutes[i] {
            print(
                "request \(i) routed to \(decision.route.rawValue), expected \(RequestMix.expectedRoutes[i].rawValue); "
                    + "not timed")
            exit(1)
        }
    }

    /// Times every mode and prints the table.
    func run() throws {
        let signals = RequestMix.signals
        func time(_ name: String, _ body: (Int) throws -> Void) rethrows -> [Int64] {
            try measure(name, only: only, iterations: iterations, count: profiles.count, body)
        }
        var sink = 0
        let rule = try time("rule") { i in
            let d = try router.decide(profiles[i], classification: classifications[i], signals: signals)
            sink &+= d.candidates.count
        }
        let heuristicRouting = try time("heuristic") { i in
            let c = heuristic.classify(ClassificationInput(profiles[i]))
            let d = try router.decide(profiles[i], classification: c, signals: signals)
            sink &+= d.candidates.count
        }
        let endToEnd = try time("end-to-end") { i in
            let p = try RequestProfile(inputs[i], limits: policy.limits)
            let d = try router.decide(p, classification: heuristic.classify(ClassificationInput(p)), signals: signals)
            sink &+= d.candidates.count
        }
        let classifyOnly = time("classify") { i in
            sink &+= heuristic.classify(ClassificationInput(profiles[i])).category.index
        }
        let encode = try time("encode") { i in sink &+= try JSON.encode(decisions[i]).count }
        let encodeDirect = try time("encode-direct") { i in sink &+= try decisions[i].encodedJSON().count }
        let sizes = try decisions.map { try JSON.encode($0).count }
        for decision in decisions where try decision.encodedJSON() != JSON.encode(decision) {
            print("encodedJSON() differs from JSON.encode for \(decision.requestID); not comparable")
            exit(1)
        }

        print(
            "router benchmark: \(bundle.catalog.models.count)-model catalog, \(profiles.count) request shapes, "
                + "\(iterations) iterations each")
        print("mode                                  p50 µs   p99 µs   max µs")
        for (name, samples) in [
            ("rule routing (decide)", rule), ("heuristic routing (classify+decide)", heuristicRouting),
            ("validate+classify+decide", endToEnd), ("heuristic classify only", classifyOnly),
            ("encode decision (Codable)", encode), ("encode decision (encodedJSON)", encodeDirect),
        ] {
            let pad = String(repeating: " ", count: max(0, 36 - name.count))
            let p50 = us(percentile(samples, 0.5)).leftPad(7)
            let p99 = us(percentile(samples, 0.99)).leftPad(7)
            print("\(name)\(pad)  \(p50)  \(p99)  \(us(samples.last!).leftPad(7))")
        }
        let largestReport = decisions.map(\.candidates.count).max()!
        print("decision JSON size: \(sizes.min()!)–\(sizes.max()!) bytes (candidates: \(largestReport))")
        print("targets: p50 ≤ 20 µs, p99 ≤ 100 µs for rule and heuristic routing")
        if sink == 42 { print("") }
    }
}
