import Foundation

/// Prints one JSON object (sorted keys) on stdout: each command's result.
func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

/// Reports `message` on stderr and exits with `code` (2: bad arguments or setup, 1: the run failed,
/// 3: the store stayed unavailable past --retry-seconds).
func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("usage-ingest: \(message)\n".utf8))
    exit(code)
}

func percentile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)]
}
