// usage-ingest: drives MongoUsageSink for load tests, fault tests and benchmarks (a developer
// tool, not a Lambda function; it may use Foundation).
//
//   usage-ingest load   --count N [--batch B] [--seed S] [--tenants T] [--start MS] [--no-rollups]
//                       [--duplicate-every K] [--retry-seconds S]
//       Writes records in batches. A batch that fails with Usage.StoreUnavailable is sent again
//       after 0.5 s, as Step Functions' Retry would, until --retry-seconds pass (then exit 3).
//   usage-ingest single --count N [--seed S]       one record per write; prints p50/p99 latency
//   usage-ingest export --count N [--seed S]       priced records as JSON lines (for pymongo runs)
//   usage-ingest indexes                          creates every usage index (once per deployment: scripts/deploy)
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
let context = IngestContext(Arguments(Array(CommandLine.arguments.dropFirst())))
switch context.arguments.command {
case "load": await LoadCommand.run(context)
case "single": await SingleCommand.run(context)
case "export": ExportCommand.run(context)
case "indexes": await IndexesCommand.run(context)
case "repair": await RollupCommands.repair(context)
case "rebuild": await RollupCommands.rebuild(context)
case "cost-bench": CostBenchCommand.run(context)
case "enqueue": await EnqueueCommand.run(context)
case "reserve": await ReserveCommand.run(context)
default:
    fail(
        "commands: load, single, export, indexes, repair, rebuild, cost-bench, enqueue, reserve"
            + " (see the header of main.swift)")
}
