import SwitchyardContract
// Measures routing decision time with a 50-model catalog: rule routing (classification given)
// and heuristic routing (classify + decide), plus request validation and decision encoding.
//   router-benchmark [--policy infra/policy.json] [--iterations 20000] [--models 50]
import SwitchyardJSON
import SwitchyardRouting

let arguments = Array(CommandLine.arguments.dropFirst())
func option(_ name: String, _ fallback: String) -> String {
    guard let i = arguments.firstIndex(of: name), i + 1 < arguments.count else { return fallback }
    return arguments[i + 1]
}
let policyPath = option("--policy", "infra/policy.json")
let iterations = Int(option("--iterations", "20000")) ?? 20000
let modelCount = Int(option("--models", "50")) ?? 50
/// `--only rule` times one mode (for profiling).
let only = option("--only", "")

let base = try RoutingPolicy.load(path: policyPath)
let policy = SyntheticCatalog.grow(base, to: modelCount)
let router = try Router(policy: policy)
let heuristic = HeuristicClassifier()

// A realistic mix: chat, code, legal, summaries of pasted documents, images, hints.
let document = String(
    repeating: "The supplier shall deliver the goods within thirty days of the purchase order. ", count: 60)
let inputs: [RouterInput] = [
    RouterInput(tenantID: "acme-startup", prompt: "Hi! Can you recommend a couple of sci-fi novels for a long flight?"),
    RouterInput(
        tenantID: "lexcorp-legal",
        messages: [
            ChatMessage(role: "system", text: "You are a careful contracts analyst."),
            ChatMessage(
                role: "user", text: "Review this indemnification clause and flag liability risks for the licensee."),
        ]),
    RouterInput(
        tenantID: "globex-health", prompt: "Write a Python function that validates ICD-10 codes and add unit tests.",
        hints: RoutingHints(route: "cheapest", maxCostUSD: 0.01)),
    RouterInput(tenantID: "initech", prompt: "Summarize the following agreement in five bullet points:\n" + document),
    RouterInput(
        tenantID: "umbrella-labs", prompt: "hey, quick one: name ideas for a status page?",
        hints: RoutingHints(tags: ["realtime"])),
    RouterInput(
        tenantID: "lexcorp-legal",
        images: [ImageRef(url: "s3://bucket/cam/1.jpg", mediaType: "image/jpeg", sizeBytes: 200_000)]),
    RouterInput(
        tenantID: "globex-health", prompt: "What is happening in this picture?",
        images: [ImageRef(url: "https://cdn.example.com/p.png")]),
    RouterInput(
        tenantID: "initech", prompt: "Translate into German: the invoice is attached.",
        hints: RoutingHints(route: "fastest", maxLatencyMs: 5000)),
]
let profiles = try inputs.map { try RequestProfile($0, limits: policy.limits) }
let classifications = profiles.map { heuristic.classify(ClassificationInput($0)) }
let signals = SignalsSnapshot(
    monthToDateSpendMicroUSD: 1_000_000,
    health: ["gpt-4o-mini": ModelHealth(p50Ms: 1900, p95Ms: 5200, errorRate: 0.01, samples: 5000)])

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
let decisions = try profiles.indices.map {
    try router.decide(profiles[$0], classification: classifications[$0], signals: signals)
}
let encode = try measure("encode") { i in sink &+= try JSON.encode(decisions[i]).count }
let encodeDirect = measure("encode-direct") { i in sink &+= decisions[i].jsonValue.serialized().count }
let sizes = try decisions.map { try JSON.encode($0).count }

func us(_ ns: Int64) -> String {
    let tenths = (ns + 50) / 100
    return "\(tenths / 10).\(tenths % 10)"
}
print(
    "router benchmark: \(policy.models.count)-model catalog, \(profiles.count) request shapes, \(iterations) iterations each"
)
print("mode                                  p50 µs   p99 µs   max µs")
for (name, samples) in [
    ("rule routing (decide)", rule), ("heuristic routing (classify+decide)", heuristicRouting),
    ("validate+classify+decide", endToEnd), ("heuristic classify only", classifyOnly),
    ("encode decision (Codable)", encode),
    ("encode decision (jsonValue)", encodeDirect),
] {
    let pad = String(repeating: " ", count: max(0, 36 - name.count))
    print(
        "\(name)\(pad)  \(us(percentile(samples, 0.5)).leftPad(7))  \(us(percentile(samples, 0.99)).leftPad(7))  \(us(samples.last!).leftPad(7))"
    )
}
print(
    "decision JSON size: \(sizes.min()!)–\(sizes.max()!) bytes (candidates: \(decisions.map(\.candidates.count).max()!))"
)
print("targets: p50 ≤ 20 µs, p99 ≤ 100 µs for rule and heuristic routing")
if sink == 42 { print("") }

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
