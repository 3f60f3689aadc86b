func percentile(_ sorted: [Int64], _ p: Double) -> Int64 {
    sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]
}

func nanoseconds(_ d: Duration) -> Int64 {
    d.components.seconds * 1_000_000_000 + d.components.attoseconds / 1_000_000_000
}

/// Microseconds with one decimal, rounded.
func us(_ ns: Int64) -> String {
    let tenths = (ns + 50) / 100
    return "\(tenths / 10).\(tenths % 10)"
}

/// Times `body` once per iteration after 2000 warm-up calls, cycling through `count` requests;
/// returns sorted ns samples (`[0]` when `only` names another mode).
func measure(
    _ name: String, only: String, iterations: Int, count: Int, _ body: (Int) throws -> Void
) rethrows -> [Int64] {
    if !only.isEmpty, only != name { return [0] }
    let clock = ContinuousClock()
    for i in 0..<2000 { try body(i % count) }  // warm-up
    var samples = [Int64](repeating: 0, count: iterations)
    for i in 0..<iterations {
        let start = clock.now
        try body(i % count)
        samples[i] = nanoseconds(clock.now - start)
    }
    return samples.sorted()
}

extension String {
    func leftPad(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
