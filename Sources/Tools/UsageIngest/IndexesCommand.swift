/// `indexes`: creates every index of the usage collections (idempotent). A deployment runs it once
/// (`scripts/deploy`), so the usage-logger's cold starts only check them (`MongoUsageSink.prepare`).
enum IndexesCommand {
    static func run(_ context: IngestContext) async {
        let sink = context.makeSink()
        do {
            try await sink.ensureIndexes()
            emit(["command": "indexes", "created": true, "writeConcern": sink.resolvedWriteConcern()])
        } catch { fail("\(error)", code: 1) }
    }
}
