import Foundation
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage

/// Prices records and writes them through the usage sink, batch by batch, counting what happened;
/// with `--bulk`, through `UsageBulkLoader` instead (an empty store, plain inserts, the same sums);
/// with `--dump DIR`, the bulk loader's documents go to files in DIR for
/// `scripts/lib/secantus_load.py` (no store is contacted; `MONGODB_URI` is not needed).
struct SeedWriter {
    let sink: MongoUsageSink
    private var loader: UsageBulkLoader?
    let calculator: CostCalculator
    let batchSize: Int
    private(set) var inserted = 0
    private(set) var duplicates = 0
    private(set) var written = 0
    private var pending: [UsageRecord] = []
    let started = Date()

    init(arguments: SeedArguments) async throws {
        let ratesPath = arguments.options["rates"] ?? "infra/rates.json"
        calculator = CostCalculator(rates: try RatesTable(bytes: try FileReader.read(ratesPath)))
        let dump = arguments.options["dump"]
        var environment = Environment.process
        if dump != nil, environment["MONGODB_URI"] == nil {
            // Never connected: the dump only needs the sink's documents and index list.
            environment.values["MONGODB_URI"] = "mongodb://127.0.0.1:9/?directConnection=true"
        }
        var configuration = try MongoUsageConfiguration(environment: environment)
        // A bulk loader on a busy machine: one batch's bucket updates may take longer than a
        // function's call should (the defaults suit the usage logger), and a timed-out batch is
        // retried as duplicates, leaving its rollups to the repair. Environment values win.
        // The bulk loader builds every index at the end, one command each: over a large load one
        // build takes minutes on SecantusDB.
        let bulk = arguments.options["bulk"] != nil || dump != nil
        if environment["MONGODB_SOCKET_TIMEOUT_MS"] == nil {
            configuration.socketTimeoutMilliseconds = bulk ? 3_600_000 : 300_000
        }
        if environment["USAGE_OPERATION_TIMEOUT_MS"] == nil {
            configuration.operationTimeoutMilliseconds = bulk ? 4 * 3_600_000 : 900_000
        }
        sink = try MongoUsageSink(configuration: configuration)
        batchSize = try arguments.int("batch", 1_000, 1...50_000)
        if let dump {
            guard !dump.isEmpty else { throw SeedError("--dump needs a directory") }
            loader = try UsageBulkLoader(sink: sink, dumpDirectory: dump)
        } else if bulk {
            loader = try await UsageBulkLoader(sink: sink)
        }
    }

    /// Validates and prices one record and queues it; writes a batch when enough are queued.
    mutating func add(_ record: UsageRecord) async throws {
        try record.validate(index: written + pending.count)
        pending.append(try record.priced(by: calculator))
        if pending.count >= batchSize { try await flush() }
    }

    /// Writes what is pending. The bulk loader writes a day's buckets once the next day starts, so
    /// it gets records in time order: a request's later steps may start after the next request, so
    /// the last ten minutes stay pending until more records (or the final flush) come.
    mutating func flush(final: Bool = false) async throws {
        guard !pending.isEmpty else {
            if final, var loader {
                try await loader.finish()
                self.loader = loader
            }
            return
        }
        if var loader {
            pending.sort { $0.timestamp < $1.timestamp }
            let cut =
                final ? pending.count : (pending.firstIndex { $0.timestamp >= pending.last!.timestamp - 600_000 } ?? 0)
            let batch = Array(pending[..<cut])
            try await loader.add(batch)
            if final { try await loader.finish() }
            inserted = loader.inserted
            duplicates = loader.duplicates
            written += batch.count
            pending.removeFirst(cut)
            self.loader = loader
            return
        }
        let summary = try await sink.write(pending, rollups: true)
        inserted += summary.inserted
        duplicates += summary.duplicates
        written += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    func summary() -> [String: Any] {
        let seconds = Date().timeIntervalSince(started)
        return [
            "records": written, "inserted": inserted, "duplicates": duplicates,
            "seconds": (seconds * 10).rounded() / 10,
            "recordsPerSecond": seconds > 0 ? Int(Double(written) / seconds) : 0,
            "path": loader == nil
                ? "write (upserts, guarded bucket increments)" : "bulk (inserts, buckets written once)",
            "buckets": loader?.buckets ?? 0,
            "indexBuildSeconds": loader.map { Double($0.indexBuild.components.seconds) } ?? 0,
        ]
    }
}

/// `import --file F`: usage records as JSON lines, in any order (sorted by time before writing).
struct ImportCommand {
    let arguments: SeedArguments

    init(_ arguments: SeedArguments) { self.arguments = arguments }

    func run() async throws -> [String: Any] {
        guard let path = arguments.options["file"], let data = FileManager.default.contents(atPath: path) else {
            throw SeedError("import needs --file with a readable JSON-lines file")
        }
        var records: [UsageRecord] = []
        for (number, line) in data.split(separator: UInt8(ascii: "\n")).enumerated() where !line.isEmpty {
            do {
                records.append(try JSON.decode(UsageRecord.self, from: Array(line)))
            } catch {
                throw SeedError("line \(number + 1): \(describeDecodingError(error))")
            }
        }
        var writer = try await SeedWriter(arguments: arguments)
        for record in records.sorted(by: { $0.timestamp < $1.timestamp }) { try await writer.add(record) }
        try await writer.flush(final: true)
        return writer.summary()
    }
}
