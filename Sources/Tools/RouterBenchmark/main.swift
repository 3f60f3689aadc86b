import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

// Measures routing decision time with a 50-model catalog: rule routing (classification given)
// and heuristic routing (classify + decide), plus request validation and decision encoding.
// Every decision it times is checked first: a request that does not route is reported, not timed.
//   router-benchmark [--bundle infra] [--iterations 20000] [--models 50] [--only rule]
#if canImport(Glibc)
    import Glibc
#endif

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: String) -> String {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    return arguments[i + 1]
}
let bundleDir = option("--bundle", "infra")
let iterations = Int(option("--iterations", "20000")) ?? 20000
let modelCount = Int(option("--models", "50")) ?? 50
/// `--only rule` times one mode (for profiling).
let only = option("--only", "")

let now = WallClock.nowMilliseconds()
let policy = try RoutingPolicy.parse(try FileReader.read(bundleDir + "/policy.json"))
let catalog = try Catalog.parse(try FileReader.read(bundleDir + "/catalog.json"), source: "catalog.json")
let ratesDocument = try JSON.parse(try FileReader.read(bundleDir + "/rates.json"))
let bundle = try SyntheticCatalog.grow(
    policy: policy, catalog: catalog, ratesDocument: ratesDocument, to: modelCount, at: now)
let router = Router(bundle: bundle)
let heuristic = HeuristicClassifier()

// A realistic mix: chat, code, legal, summaries of pasted documents, images, hints.
let document = String(
    repeating: "The supplier shall deliver the goods within thirty days of the purchase order. ", count: 60)
func request(
    _ tenant: String, _ messages: [Message] = [], images: [String]? = nil, hints: RoutingHints? = nil
) throws -> InferenceRequest {
    InferenceRequest(
        requestID: "bench", tenantID: tenant, messages: messages,
        images: try images?.map { try ImageReference(parsing: $0) }, hints: hints)
}
let inputs: [InferenceRequest] = [
    try request(
        "acme-startup",
        [Message(role: .user, text: "Hi! Can you recommend a couple of sci-fi novels for a long flight?")]),
    try request(
        "lexcorp-legal",
        [
            Message(role: .system, text: "You are a careful contracts analyst."),
            Message(role: .user, text: "Review this indemnification clause and flag liability risks for the licensee."),
        ]),
    try request(
        "globex-health",
        [Message(role: .user, text: "Write a Python function that validates ICD-10 codes and add unit tests.")],
        hints: RoutingHints(route: .cheapest, maxCostPicoUSD: PicoUSD(decimal: "0.01"))),
    try request(
        "initech", [Message(role: .user, text: "Summarize the following agreement in five bullet points:\n" + document)]
    ),
    try request(
        "umbrella-labs", [Message(role: .user, text: "hey, quick one: name ideas for a status page?")],
        hints: RoutingHints(tags: ["realtime"])),
    try request("lexcorp-legal", images: ["s3://bucket/cam/1.jpg"]),
    try request(
        "globex-health", [Message(role: .user, text: "What is happening in this picture?")],
        images: ["https://cdn.example.com/p.png"]),
    try request(
        "initech", [Message(role: .user, text: "Translate into German: the invoice is attached.")],
        hints: RoutingHints(route: .fastest, maxLatencyMs: 5000)),
]
let profiles = try inputs.map { try RequestProfile($0, limits: policy.limits) }
let classifications = profiles.map { heuristic.classify(ClassificationInput($0)) }
let signals = SignalsSnapshot(
    monthToDateSpend: PicoUSD(decimal: "1.00"),
    health: ["gpt-4o-mini": ModelHealth(p50Ms: 1900, p95Ms: 5200, errorRate: 0.01, samples: 5000)])

// Validate before timing: every request must route, to the route its shape implies.
let decisions = try profiles.indices.map {
    try router.decide(profiles[$0], classification: classifications[$0], signals: signals)
}
let expectedRoutes: [Route] = [.llm, .llm, .llm, .llm, .llm, .vision, .visionLLM, .llm]
for (i, decision) in decisions.enumerated() where decision.route != expectedRoutes[i] {
    print("request \(i) routed to \(decision.route.rawValue), expected \(expectedRoutes[i].rawValue); not timed")
    exit(1)
}

func percentile(_ sorted: [Int64], _ p: Double) -> Int64 {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func nanoseconds(_ d: Duration) -> Int64 {
    d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
}

/// Times `body` once per iteration, cycling through the request mix; returns sorted ns samples.
func measure(_ name: String, _ body: (Int) throws -> Void) rethrows -> [Int64] {
    if !only.isEmpty, only != name { return [0] }
    let clock = ContinuousClock()
    for i in 0..<2000 { try body(i % profiles.count) }  // warm-up
    var samples = [Int64](repeating: 0, count: iterations)
    for i in 0..<iterations {
        let start = clock.now
        try body(i % profiles.count)
        samples[i] = nanoseconds(clock.now - start)
    }
    return samples.sorted()
}

var sink = 0
let rule = try measure("rule") { i in
    let d = try router.decide(profiles[i], classification: classifications[i], signals: signals)
    sink &+= d.candidates.count
}
let heuristicRouting = try measure("heuristic") { i in
    let c = heuristic.classify(ClassificationInput(profiles[i]))
    let d = try router.decide(profiles[i], classification: c, signals: signals)
    sink &+= d.candidates.count
}
let endToEnd = try measure("end-to-end") { i in
    let p = try RequestProfile(inputs[i], limits: policy.limits)
    let d = try router.decide(p, classification: heuristic.classify(ClassificationInput(p)), signals: signals)
    sink &+= d.candidates.count
}
let classifyOnly = measure("classify") { i in
    sink &+= heuristic.classify(ClassificationInput(profiles[i])).category.index
}
let encode = try measure("encode") { i in sink &+= try JSON.encode(decisions[i]).count }
let encodeDirect = try measure("encode-direct") { i in sink &+= try decisions[i].encodedJSON().count }
let sizes = try decisions.map { try JSON.encode($0).count }
for decision in decisions where try decision.encodedJSON() != JSON.encode(decision) {
    print("encodedJSON() differs from JSON.encode for \(decision.requestID); not comparable")
    exit(1)
}

func us(_ ns: Int64) -> String {
    let tenths = (ns + 50) / 100
    return "\(tenths / 10).\(tenths % 10)"
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

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
