/// `repair` (completes unfinished rollups) and `rebuild` (recomputes a range's rollups from raw records).
enum RollupCommands {
    static func repair(_ context: IngestContext) async {
        let sink = context.makeSink()
        do {
            let summary = try await sink.repairRollups(graceMilliseconds: context.arguments.int64("grace-ms", 0))
            emit([
                "command": "repair", "repaired": summary.batchesResumed + summary.documentsClaimed,
                "batchesResumed": summary.batchesResumed, "documentsClaimed": summary.documentsClaimed,
                "reservationsExpired": summary.reservationsExpired, "complete": summary.complete,
            ])
        } catch { fail("\(error)", code: 1) }
    }

    static func rebuild(_ context: IngestContext) async {
        let sink = context.makeSink()
        do {
            let read = try await sink.rebuildRollups(
                fromMinute: context.arguments.int64("from", 0), toMinute: context.arguments.int64("to", Int64.max / 2))
            emit(["command": "rebuild", "records": read])
        } catch { fail("\(error)", code: 1) }
    }
}
