import Foundation

/// This thread's CPU time in seconds. Not wall time: on a shared machine a long measurement is
/// descheduled more often than a short one, and wall time would make large documents look slower
/// per byte than they are.
func cpuSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Times `body` the way the simdjson side does: one sample repeats the work until it lasts about
/// 2 ms, at least five samples, then more until `budget` CPU seconds are spent; the best sample
/// wins. `body` validates its own result and returns false on a mismatch, which ends the
/// measurement.
func measure(budget: Double, _ body: () -> Bool) -> (seconds: Double, samples: Int)? {
    let firstStart = cpuSeconds()
    var calibration = 0
    while calibration < 16 && (calibration < 2 || cpuSeconds() - firstStart < 0.05) {
        guard body() else { return nil }
        calibration += 1
    }
    let once = (cpuSeconds() - firstStart) / Double(calibration)
    let reps = once < 0.002 ? max(1, Int(0.002 / max(once, 1e-9))) : 1
    var best = Double.infinity
    var samples = 0
    let started = cpuSeconds()
    while samples < 5 || cpuSeconds() - started < budget {
        let t0 = cpuSeconds()
        for _ in 0..<reps where !body() { return nil }
        best = min(best, (cpuSeconds() - t0) / Double(reps))
        samples += 1
    }
    return (best, samples)
}

/// One result line, in the same shape as the simdjson program's.
func report(
    impl: String, file: String, bytes: Int, documents: Int, result: (seconds: Double, samples: Int)?,
    checksum: Checksum?, note: String? = nil
) {
    var line =
        "{\"impl\":\"\(impl)\",\"file\":\"\(file)\",\"bytes\":\(bytes),\"documents\":\(documents),"
        + "\"ok\":\(result != nil),\"iterations\":\(result?.samples ?? 0),\"bestSeconds\":\(result?.seconds ?? 0)"
    if let checksum { line += ",\"checksum\":\(checksum)" }
    if let note { line += ",\"note\":\"\(note)\"" }
    FileHandle.standardOutput.write(Data((line + "}\n").utf8))
}
