/// `single`: one record per write; prints p50/p99/max latency in ms.
enum SingleCommand {
    static func run(_ context: IngestContext) async {
        let sink = context.makeSink()
        let count = context.arguments.int("count", 200)
        var latencies: [Double] = []
        do { try await sink.prepare() } catch { fail("\(error)", code: 1) }
        let clock = ContinuousClock()
        for i in 0..<count {
            let record = try! context.generator.record(i).priced(by: context.calculator)
            let started = clock.now
            do { _ = try await sink.write([record], rollups: sink.configuration.rollups) } catch {
                fail("\(error)", code: 1)
            }
            let elapsed = clock.now - started
            latencies.append(
                Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
        }
        latencies.sort()
        emit([
            "command": "single", "records": count, "p50Ms": percentile(latencies, 0.5),
            "p99Ms": percentile(latencies, 0.99),
            "maxMs": latencies.last ?? 0,
        ])
    }
}
