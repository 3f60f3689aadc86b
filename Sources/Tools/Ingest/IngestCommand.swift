import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardLLMCallerFunction
import SwitchyardRetrieval
import SwitchyardRetrievalStore
import SwitchyardUsage

/// `ingest`: chunk, embed what is new, store; idempotent by content hash. Prints what changed
/// and the throughput with and without embedding.
enum IngestCommand {
    static func run(_ options: Options) async -> Never {
        let tenant = options.string("tenant")
        let collection = options.string("collection")
        // The store filters by embedding model: the chunks must carry the model the query side
        // searches for (the policy's passage model), unless --model says otherwise.
        let model = ModelID(
            options.values["model"] ?? PolicyModels.passageModel(options, environment: .process) ?? "e5-small-passage")
        guard Identifier.isValid(tenant, maxBytes: 128) else {
            Tool.fail("--tenant: 1...128 bytes, no control characters")
        }
        do { try RetrievalError.checkCollection(collection) } catch { Tool.fail(error.errorMessage) }
        guard !options.positional.isEmpty else { Tool.fail("no files to ingest") }
        let environment = Environment.process
        guard let uri = MongoChunkStore.uri(in: environment) else {
            Tool.fail("RETRIEVAL_MONGODB_URI (or MONGODB_URI) is not set")
        }
        let chunker: Chunker
        let store: MongoChunkStore
        let handler: LLMCallerHandler
        do {
            chunker = try Chunker(
                maxCharacters: options.int("max-chars", default: 1000, range: 100...20_000),
                overlapCharacters: options.int("overlap", default: 150, range: 0...9_999))
            store = try MongoChunkStore(
                uri: uri, database: environment.string("RETRIEVAL_DATABASE", default: "switchyard"))
            try store.ensureIndexes(deadline: .now + .seconds(30))
            handler = try LLMCallerHandler(configuration: LLMCallerConfiguration(environment: environment))
        } catch { Tool.fail("\(error)") }
        let runID = "ingest-\(collection)-\(WallClock.nowMilliseconds())"
        let embedder = Embedder(
            handler: handler, model: model,
            context: UsageContext(requestID: runID, tenantID: tenant, route: "ingest \(collection)"))

        let queue = usageQueue(options.values["usage-queue"] ?? environment["SWITCHYARD_USAGE_QUEUE_DIR"])
        var totals = (chunks: 0, embedded: 0, moved: 0, deleted: 0, unchanged: 0, tokens: Int64(0))
        var times = (chunk: 0.0, embed: 0.0, store: 0.0)
        var usage: [UsageRecord] = []
        let started = ContinuousClock.now
        for (i, path) in options.positional.enumerated() {
            do {
                var t = ContinuousClock.now
                let chunks = try chunker.chunks(of: try DocumentReader.text(of: path), source: path)
                times.chunk += Tool.elapsedMs(since: t)
                t = .now
                let stored = try store.stored(
                    tenantID: tenant, collection: collection, source: path, deadline: .now + .seconds(30))
                let plan = IngestPlan(chunks: chunks, stored: stored, embeddingModel: model.rawValue)
                times.store += Tool.elapsedMs(since: t)
                t = .now
                var vectors: [[Float]] = []
                if !plan.toEmbed.isEmpty {
                    let result = try await embedder.embed(plan.toEmbed.map(\.embeddingText), invocation: "file\(i)")
                    // Billed before the chunks are stored: a failed store re-embeds (and re-bills)
                    // next time; the reverse could store chunks whose embedding was never billed.
                    await bill(result.usage, to: queue)
                    usage += result.usage
                    vectors = result.vectors
                    totals.tokens += result.inputTokens
                }
                times.embed += Tool.elapsedMs(since: t)
                t = .now
                if !plan.changesNothing {
                    try store.apply(
                        plan, vectors: vectors, tenantID: tenant, collection: collection,
                        embeddingModel: model.rawValue, deadline: .now + .seconds(60))
                }
                times.store += Tool.elapsedMs(since: t)
                totals.chunks += chunks.count
                totals.embedded += plan.toEmbed.count
                totals.moved += plan.toMove.count
                totals.deleted += plan.toDelete.count
                totals.unchanged += plan.unchanged
            } catch let error as RetrievalError {
                Tool.fail("\(path): \(error)")
            } catch let error as RetrievalToolError {
                Tool.fail("\(path): \(error)")
            } catch {
                Tool.fail("\(path): \(error)")
            }
        }
        let total = Tool.elapsedMs(since: started)
        let withoutEmbedding = times.chunk + times.store
        let summary: JSONObject = [
            "tenant": .string(tenant), "collection": .string(collection), "embeddingModel": .string(model.rawValue),
            "files": .integer(Int64(options.positional.count)), "chunks": .integer(Int64(totals.chunks)),
            "embedded": .integer(Int64(totals.embedded)), "moved": .integer(Int64(totals.moved)),
            "deleted": .integer(Int64(totals.deleted)), "unchanged": .integer(Int64(totals.unchanged)),
            "inputTokens": .integer(totals.tokens), "usageRecords": .integer(Int64(usage.count)),
            "usageQueue": queue.map { .string($0.directory) } ?? .null,
            "ms": .object([
                "chunking": .double(times.chunk.rounded()), "embedding": .double(times.embed.rounded()),
                "store": .double(times.store.rounded()), "total": .double(total.rounded()),
            ]),
            "chunksPerSecond": .object([
                "excludingEmbedding": .double(rate(totals.chunks, withoutEmbedding)),
                "includingEmbedding": .double(rate(totals.chunks, total)),
            ]),
        ]
        print(JSON.object(summary).serializedString)
        exit(0)
    }

    static func rate(_ count: Int, _ ms: Double) -> Double {
        ms > 0 ? (Double(count) / ms * 1000).rounded() : 0
    }

    /// The embedding calls' usage records go onto the journaled usage queue the local stack
    /// drains (`--usage-queue`, else `SWITCHYARD_USAGE_QUEUE_DIR`), like any billed call.
    static func usageQueue(_ directory: String?) -> JournaledUsageQueue? {
        guard let directory, !directory.isEmpty else {
            FileHandle.standardError.write(
                Data("switchyard-retrieval: no usage queue (--usage-queue): embedding usage is not billed\n".utf8))
            return nil
        }
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            return try JournaledUsageQueue(directory: directory)
        } catch { Tool.fail("usage queue \(directory): \(error)") }
    }

    static func bill(_ usage: [UsageRecord], to queue: JournaledUsageQueue?) async {
        guard let queue, !usage.isEmpty else { return }
        do { try await queue.enqueue(UsageBatch(records: usage), deadline: .now + .seconds(30)) } catch {
            Tool.fail("usage queue \(queue.directory): \(error)")
        }
    }
}
