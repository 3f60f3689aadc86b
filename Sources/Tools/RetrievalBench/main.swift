// retrieval-bench: query latency of the exact cosine scan (ExactScanIndex: float32 unit vectors
// cached in one matrix) over N synthetic chunks, for scripts/bench-retrieval.
//
//   retrieval-bench --chunks N --dims D --queries Q --top-k K --seed S --out DIR
//
// Writes DIR/vectors.f32 (N×D) and DIR/queries.f32 (Q×D), little-endian float32, so NumPy times
// its brute-force dot product on the very same vectors, and prints JSON: build time, per-query
// latency percentiles (µs) and every query's top-k rows (the script checks them against NumPy's).
import Foundation
import SwitchyardCore
import SwitchyardRetrieval

func value(_ name: String, _ fallback: Int) -> Int {
    let args = CommandLine.arguments
    guard let i = args.firstIndex(of: "--\(name)"), i + 1 < args.count, let v = Int(args[i + 1]) else {
        return fallback
    }
    return v
}
let count = value("chunks", 10_000)
let dims = value("dims", 384)
let queries = value("queries", 200)
let topK = value("top-k", 5)
var rng = SplitMix64(seed: UInt64(value("seed", 18)))
let out = CommandLine.arguments.firstIndex(of: "--out").map { CommandLine.arguments[$0 + 1] } ?? "."

/// Roughly Gaussian components (sum of four uniforms), like embedding coordinates.
func vector() -> [Float] {
    (0..<dims).map { _ in
        var s: Float = 0
        for _ in 0..<4 { s += Float(rng.next() >> 40) / Float(1 << 24) - 0.5 }
        return s
    }
}
func write(_ rows: [[Float]], to path: String) {
    var data = Data(capacity: rows.count * dims * 4)
    for row in rows { row.withUnsafeBytes { data.append(contentsOf: $0) } }
    FileManager.default.createFile(atPath: path, contents: data)
}

let vectors = (0..<count).map { _ in vector() }
let queryVectors = (0..<queries).map { _ in vector() }
write(vectors, to: out + "/vectors.f32")
write(queryVectors, to: out + "/queries.f32")
let chunks = vectors.enumerated().map { i, v in
    StoredChunk(
        id: String(i), tenantID: "bench", collection: "bench",
        chunk: DocumentChunk(source: "bench", position: i, heading: nil, text: "", hash: String(i)),
        embeddingModel: "bench", vector: v)
}
let clock = ContinuousClock()
var index: ExactScanIndex!
let build = clock.measure { index = try! ExactScanIndex(chunks: chunks) }
// Warm-up: the first pass faults the matrix's pages in.
for q in queryVectors.prefix(5) { _ = try! index.search(q, topK: topK) }
var latencies: [Double] = []
var results: [[Int]] = []
for q in queryVectors {
    let start = clock.now
    let hits = try! index.search(q, topK: topK)
    let elapsed = clock.now - start
    // Validated, not only timed: k hits, best first.
    guard hits.count == topK, zip(hits, hits.dropFirst()).allSatisfy({ $0.score >= $1.score }) else {
        FileHandle.standardError.write(Data("retrieval-bench: a search returned a wrong result\n".utf8))
        exit(1)
    }
    latencies.append(Double(elapsed.components.attoseconds) / 1e12 + Double(elapsed.components.seconds) * 1e6)
    results.append(hits.map { Int($0.chunk.id)! })
}
let sorted = latencies.sorted()
func percentile(_ p: Double) -> Double {
    sorted[min(sorted.count - 1, Int((p * Double(sorted.count)).rounded(.up)) - 1)]
}
let report: [String: Any] = [
    "chunks": count, "dims": dims, "queries": queries, "topK": topK,
    "buildMs": Double(build.components.attoseconds) / 1e15 + Double(build.components.seconds) * 1000,
    "p50Us": percentile(0.5), "p99Us": percentile(0.99), "meanUs": latencies.reduce(0, +) / Double(queries),
    "topRows": results,
]
print(String(data: try! JSONSerialization.data(withJSONObject: report), encoding: .utf8)!)
