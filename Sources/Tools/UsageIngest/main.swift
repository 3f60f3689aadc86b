// usage-ingest: drives MongoUsageSink for load tests, fault tests and benchmarks (a developer
// tool, not a Lambda function; it may use Foundation).
//
//   usage-ingest load   --count N [--batch B] [--seed S] [--tenants T] [--start MS] [--no-rollups]
//                       [--duplicate-every K] [--retry-seconds S]
//       Writes records in batches. A batch that fails with Usage.StoreUnavailable is sent again
//       after 0.5 s, as Step Functions' Retry would, until --retry-seconds pass (then exit 3).
//   usage-ingest single --count N [--seed S]       one record per write; prints p50/p99 latency
//   usage-ingest export --count N [--seed S]       priced records as JSON lines (for pymongo runs)
//   usage-ingest repair [--grace-ms G]             completes unfinished rollups (grace 0 by default)
//   usage-ingest rebuild --from MS --to MS         recomputes rollups of a range from raw records
//   usage-ingest cost-bench --expected FILE [--iterations N]   ns per cost computation, each result checked
//   usage-ingest enqueue --queue-url URL --count N [--batch B] [--seed S]
//       Sends the records as UsageBatch messages to SQS (SQSUsageQueue; AWS_REGION, AWS_* keys,
//       AWS_ENDPOINT_URL_SQS for a local endpoint).
//   usage-ingest reserve --tenant T --ceiling PICO --budget PICO --requests N [--prefix P] [--connections C]
//       Fires N budget reservations at once from C connections; prints how many were admitted.
// Env: MONGODB_URI, SWITCHYARD_DB, USAGE_* (see MongoUsageConfiguration); --rates PATH (default infra/rates.json).
// Prints one JSON object on stdout.
import Foundation
import SwitchyardAWS
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardUsage

struct Arguments {
    var command: String
    var options: [String: String] = [:]
    var flags: Set<String> = []

    init(_ argv: [String]) {
        command = argv.first ?? "help"
        var i = 1
        while i < argv.count {
            let name = argv[i].hasPrefix("--") ? String(argv[i].dropFirst(2)) : argv[i]
            if i + 1 < argv.count, !argv[i + 1].hasPrefix("--") {
                options[name] = argv[i + 1]
                i += 2
            } else {
                flags.insert(name)
                i += 1
            }
        }
    }

    func int(_ name: String, _ fallback: Int) -> Int { options[name].flatMap(Int.init) ?? fallback }
    func int64(_ name: String, _ fallback: Int64) -> Int64 { options[name].flatMap(Int64.init) ?? fallback }
}

func emit(_ object: [String: Any]) {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
}

func fail(_ message: String, code: Int32 = 2) -> Never {
    FileHandle.standardError.write(Data("usage-ingest: \(message)\n".utf8))
    exit(code)
}

func percentile(_ sorted: [Double], _ q: Double) -> Double {
    guard !sorted.isEmpty else { return 0 }
    return sorted[min(sorted.count - 1, Int((q * Double(sorted.count)).rounded(.up)) - 1)]
}

let arguments = Arguments(Array(CommandLine.arguments.dropFirst()))
let ratesPath = arguments.options["rates"] ?? "infra/rates.json"
let calculator: CostCalculator
do {
    calculator = CostCalculator(rates: try RatesTable(bytes: try FileReader.read(ratesPath)))
} catch { fail("\(error)") }
let generator = SyntheticRecords(
    seed: UInt64(arguments.int64("seed", 1)), tenants: arguments.int("tenants", 20),
    start: arguments.int64("start", 1_795_003_200_000))

func makeSink() -> MongoUsageSink {
    do { return try MongoUsageSink(configuration: MongoUsageConfiguration(environment: .process)) } catch {
        fail("\(error)")
    }
}

switch arguments.command {
case "load":
    let sink = makeSink()
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
        let batch = (index..<min(count, index + batchSize)).map { try! generator.record($0).priced(by: calculator) }
        await send(batch)
        batches += 1
        if duplicateEvery > 0, batches % duplicateEvery == 0, !previous.isEmpty { await send(previous) }
        previous = batch
        index += batch.count
    }
    let seconds =
        Double((clock.now - started).components.attoseconds) / 1e18 + Double((clock.now - started).components.seconds)
    emit([
        "command": "load", "records": count, "batch": batchSize, "seconds": seconds,
        "recordsPerSecond": Double(count) / seconds,
        "inserted": totals.inserted, "updated": totals.updated, "duplicates": totals.duplicates,
        "unpriced": totals.unpriced,
        "retries": retries, "rollups": rollups,
    ])

case "single":
    let sink = makeSink()
    let count = arguments.int("count", 200)
    var latencies: [Double] = []
    do { try await sink.prepare() } catch { fail("\(error)", code: 1) }
    let clock = ContinuousClock()
    for i in 0..<count {
        let record = try! generator.record(i).priced(by: calculator)
        let started = clock.now
        do { _ = try await sink.write([record], rollups: sink.configuration.rollups) } catch {
            fail("\(error)", code: 1)
        }
        let elapsed = clock.now - started
        latencies.append(Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15)
    }
    latencies.sort()
    emit([
        "command": "single", "records": count, "p50Ms": percentile(latencies, 0.5),
        "p99Ms": percentile(latencies, 0.99),
        "maxMs": latencies.last ?? 0,
    ])

case "export":
    let count = arguments.int("count", 1000)
    var out = [UInt8]()
    for i in 0..<count {
        out += try! JSON.encode(generator.record(i).priced(by: calculator))
        out.append(UInt8(ascii: "\n"))
        if out.count > 1 << 20 {
            FileHandle.standardOutput.write(Data(out))
            out.removeAll(keepingCapacity: true)
        }
    }
    FileHandle.standardOutput.write(Data(out))

case "repair":
    let sink = makeSink()
    do {
        let summary = try await sink.repairRollups(graceMilliseconds: arguments.int64("grace-ms", 0))
        emit([
            "command": "repair", "repaired": summary.batchesResumed + summary.documentsClaimed,
            "batchesResumed": summary.batchesResumed, "documentsClaimed": summary.documentsClaimed,
            "reservationsExpired": summary.reservationsExpired, "complete": summary.complete,
        ])
    } catch { fail("\(error)", code: 1) }

case "rebuild":
    let sink = makeSink()
    do {
        let read = try await sink.rebuildRollups(
            fromMinute: arguments.int64("from", 0), toMinute: arguments.int64("to", Int64.max / 2))
        emit(["command": "rebuild", "records": read])
    } catch { fail("\(error)", code: 1) }

case "cost-bench":
    // Every timed cost is checked against --expected (one JSON line per record index:
    // [model, compute, orchestration, total] pico-USD, from scripts/bench-usage's Python
    // `fractions` reference); a mismatch fails the run instead of being timed.
    let iterations = arguments.int("iterations", 2_000_000)
    let usages = (0..<1024).map { generator.record($0).billableUsage() }
    guard let expectedPath = arguments.options["expected"],
        let expectedText = FileManager.default.contents(atPath: expectedPath)
    else { fail("cost-bench needs --expected FILE (see scripts/bench-usage)") }
    let expected: [[Int64]] = String(decoding: expectedText, as: UTF8.self).split(separator: "\n").map { line in
        (try? JSON.decode([Int64].self, from: Array(line.utf8))) ?? []
    }
    guard expected.count == usages.count, expected.allSatisfy({ $0.count == 4 }) else {
        fail("--expected must hold \(usages.count) lines of [model, compute, orchestration, total]")
    }
    func check(_ i: Int, _ cost: CostBreakdown) -> Bool {
        let want = expected[i]
        return cost.model.rawValue == want[0] && cost.compute.rawValue == want[1]
            && cost.orchestration.rawValue == want[2] && (try? cost.total.rawValue) == want[3]
    }
    for i in 0..<usages.count {
        guard let cost = try? calculator.cost(of: usages[i]), check(i, cost) else {
            let got = (try? calculator.cost(of: usages[i])).map { "\($0)" } ?? "an error"
            fail("record \(i): got \(got), the reference says \(expected[i])", code: 1)
        }
    }
    var mismatches = 0
    let clock = ContinuousClock()
    let started = clock.now
    for i in 0..<iterations {
        let k = i & 1023
        do {
            if !check(k, try calculator.cost(of: usages[k])) { mismatches += 1 }
        } catch {
            mismatches += 1
        }
    }
    let elapsed = clock.now - started
    guard mismatches == 0 else { fail("\(mismatches) timed costs differ from the reference", code: 1) }
    let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
    let records = (0..<1024).map { generator.record($0) }
    let pricedStart = clock.now
    for i in 0..<(iterations / 10) {
        let k = i & 1023
        guard (try? records[k].priced(by: calculator).cost?.totalPicoUSD) == expected[k][3] else {
            fail("priced record \(k) differs from the reference", code: 1)
        }
    }
    let pricedElapsed = clock.now - pricedStart
    let pricedNs = Double(pricedElapsed.components.seconds) * 1e9 + Double(pricedElapsed.components.attoseconds) / 1e9
    emit([
        "command": "cost-bench", "iterations": iterations, "nsPerCost": nanoseconds / Double(iterations),
        "nsPerPricedRecord": pricedNs / Double(iterations / 10), "validated": iterations + iterations / 10,
    ])

case "enqueue":
    guard let queueURL = arguments.options["queue-url"] else { fail("enqueue needs --queue-url") }
    let queue: SQSUsageQueue
    do {
        queue = SQSUsageQueue(
            client: try SQSClient(environment: .process, transport: CurlTransport()), queueURL: queueURL)
    } catch { fail("\(error)") }
    let count = arguments.int("count", 100)
    let batchSize = arguments.int("batch", 5)
    var messages = 0
    var index = 0
    while index < count {
        let records = (index..<min(count, index + batchSize)).map { generator.record($0) }
        do { try await queue.enqueue(UsageBatch(records: records), deadline: .now + .seconds(30)) } catch {
            fail("\(error)", code: 1)
        }
        messages += 1
        index += records.count
    }
    emit(["command": "enqueue", "records": count, "messages": messages])

case "reserve":
    guard let tenant = arguments.options["tenant"] else { fail("reserve needs --tenant") }
    let ceiling = PicoUSD(arguments.int64("ceiling", 30))
    let budget = PicoUSD(arguments.int64("budget", 1000))
    let requests = arguments.int("requests", 20)
    let prefix = arguments.options["prefix"] ?? "req"
    // Separate connections, so the reservations really reach the server at the same time.
    let ledgers = (0..<max(1, arguments.int("connections", 4))).map { _ in makeSink() }
    for ledger in ledgers { do { try await ledger.prepare() } catch { fail("\(error)", code: 1) } }
    let outcomes: [Reservation]
    do {
        outcomes = try await withThrowingTaskGroup(of: Reservation.self) { group in
            for i in 0..<requests {
                let ledger = ledgers[i % ledgers.count]
                group.addTask {
                    try await ledger.reserve(
                        tenant: tenant, requestID: "\(prefix)-\(i)", ceiling: ceiling, budget: budget,
                        deadline: .now + .seconds(60))
                }
            }
            var all: [Reservation] = []
            for try await outcome in group { all.append(outcome) }
            return all
        }
    } catch { fail("\(error)", code: 1) }
    emit([
        "command": "reserve", "requests": requests, "admitted": outcomes.filter(\.isAdmitted).count,
        "overBudget": outcomes.filter { !$0.isAdmitted }.count,
    ])

default:
    fail(
        "commands: load, single, export, repair, rebuild, cost-bench, enqueue, reserve (see the header of main.swift)")
}
