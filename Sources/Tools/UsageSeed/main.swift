// switchyard-seed: fills the usage store for the dashboard — a realistic month, or a file of records.
//
//   switchyard-seed month  [--days 30] [--requests N] [--end MS] [--seed S] [--batch 1000] [--bulk | --dump DIR]
//   switchyard-seed import --file RECORDS.jsonl [--batch 1000] [--bulk]
//
// Records are priced from the rates table (--rates, default infra/rates.json) and written through
// MongoUsageSink with its rollups (MONGODB_URI, SWITCHYARD_DB, USAGE_*), in time order so that a
// batch shares few rollup buckets. --bulk (an empty store only) inserts raw records already rolled
// up and writes each bucket once (UsageBulkLoader): the same sums, ~10× faster on SecantusDB.
// --dump DIR writes the bulk loader's documents to files instead, for scripts/lib/secantus_load.py
// to put into a SecantusDB storage directory in-process (a million records in minutes).
// Prints one JSON summary line.
import Foundation
import SwitchyardCore

let arguments = SeedArguments(Array(CommandLine.arguments.dropFirst()))
do {
    let summary: [String: Any]
    switch arguments.command {
    case "import": summary = try await ImportCommand(arguments).run()
    case "month": summary = try await MonthCommand(arguments).run()
    default:
        print("usage: switchyard-seed month|import [options] (see the header of Sources/Tools/UsageSeed/main.swift)")
        exit(arguments.command == "help" ? 0 : 64)
    }
    let data = try JSONSerialization.data(withJSONObject: summary, options: [.sortedKeys])
    print(String(decoding: data, as: UTF8.self))
} catch {
    FileHandle.standardError.write(Data("switchyard-seed: \(error)\n".utf8))
    exit(1)
}
