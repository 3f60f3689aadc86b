import SwitchyardContract
import SwitchyardUsage

/// `load`: writes records in batches; a batch that fails with Usage.StoreUnavailable is sent again
/// after 0.5 s, as Step Functions' Retry would, until --retry-seconds pass (then exit 3).
enum LoadCommand {
    static func run(_ context: IngestContext) async {
        let arguments = context.arguments
        let sink = context.makeSink()
        let count = arguments.int("count", 1000)
        let batchSize = arguments.int("batch", 100)
        let duplicateEvery = arguments.int("duplicate-every", 0)
        let retryLimit = Double(arguments.int("retry-seconds", 120))
        let rollups = !arguments.flags.contains("no-rollups")
        var totals = UsageWriteSummary()
        var retries = 0
        var batches = 0
        var previous: [UsageRecord] = []
        // Connect and check indexes before the clock starts, as a long-lived client would have.
        do { try await sink.prepare() } catch { fail("\(error)", code: 1) }
        let clock = ContinuousClock()
        let started = clock.now
        func send(_ batch: [UsageRecord]) async {
            let first = clock.now
            while true {
                do {
                    let summary = try await sink.write(batch, rollups: rollups)
                    totals.inserted += summary.inserted
                    totals.updated += summary.updated
                    totals.duplicates += summary.duplicates
                    totals.unpriced += summary.unpriced
                    return
                } catch let error where error.errorType == "Usage.StoreUnavailable" {
                    retries += 1
                    let waited = clock.now - first
                    if waited > .seconds(retryLimit) { fail("store unavailable for \(waited): \(error)", code: 3) }
                    try? await Task.sleep(for: .milliseconds(500))
                } catch {
                    fail("\(error)", code: 1)
                }
            }
        }
        var index = 0
        while index < count {
            let batch = (index..<min(count, index + batchSize)).map {
                try! context.generator.record($0).priced(by: context.calculator)
            }
            await send(batch)
            batches += 1
            if duplicateEvery > 0, batches % duplicateEvery == 0, !previous.isEmpty { await send(previous) }
            previous = batch
            index += batch.count
        }
        let elapsed = clock.now - started
        let seconds = Double(elapsed.components.attoseconds) / 1e18 + Double(elapsed.components.seconds)
        emit([
            "command": "load", "records": count, "batch": batchSize, "seconds": seconds,
            "recordsPerSecond": Double(count) / seconds,
            "inserted": totals.inserted, "updated": totals.updated, "duplicates": totals.duplicates,
            "unpriced": totals.unpriced,
            "retries": retries, "rollups": rollups,
        ])
    }
}
