import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardLLMCallerFunction
import SwitchyardRetrieval

/// `eval`: recall@k and MRR of the exact cosine scan over the corpus, beside BM25 on the same
/// chunks and questions. Gold chunks are named by document and a phrase they contain, so the
/// questions stay valid when the chunker's sizes change.
///
/// Questions file: `[{"id", "question", "paraphrase": bool, "gold": [{"source", "contains"}]}]`,
/// sources relative to the corpus folder.
enum EvalCommand {
    struct Question: Decodable {
        struct Gold: Decodable {
            var source: String
            var contains: String
        }
        var id: String
        var question: String
        var paraphrase: Bool?
        var gold: [Gold]
    }

    static func run(_ options: Options) async -> Never {
        let corpus = options.string("corpus")
        let k = options.int("k", default: 5, range: 1...100)
        let questions: [Question]
        do {
            questions = try JSON.decode([Question].self, from: FileReader.read(options.string("questions")))
        } catch { Tool.fail("questions: \(error)") }
        let handler: LLMCallerHandler
        do { handler = try LLMCallerHandler(configuration: LLMCallerConfiguration(environment: .process)) } catch {
            Tool.fail("\(error)")
        }
        let context = UsageContext(requestID: "eval-retrieval", tenantID: "eval")
        let passages = Embedder(
            handler: handler, model: ModelID(options.string("passage-model", default: "e5-small-passage")),
            context: context)
        let queries = Embedder(
            handler: handler, model: ModelID(options.string("query-model", default: "e5-small-query")),
            context: context)

        var chunks: [DocumentChunk] = []
        do {
            let chunker = try Chunker()
            for path in documents(in: corpus) {
                chunks += try chunker.chunks(of: DocumentReader.text(of: corpus + "/" + path), source: path)
            }
        } catch { Tool.fail("corpus: \(error)") }
        let stored: [StoredChunk]
        let questionVectors: [[Float]]
        var embedMs = 0.0
        do {
            let t = ContinuousClock.now
            let vectors = try await passages.embed(chunks.map(\.embeddingText), invocation: "eval-passages").vectors
            embedMs = Tool.elapsedMs(since: t)
            stored = zip(chunks, vectors).map { chunk, vector in
                StoredChunk(
                    id: IngestPlan.chunkID(tenantID: "eval", collection: "eval", chunk: chunk), tenantID: "eval",
                    collection: "eval", chunk: chunk, embeddingModel: passages.model.rawValue, vector: vector)
            }
            questionVectors = try await queries.embed(questions.map(\.question), invocation: "eval-queries").vectors
        } catch { Tool.fail("\(error)") }

        let scan: ExactScanIndex
        do { scan = try ExactScanIndex(chunks: stored) } catch { Tool.fail("\(error)") }
        let bm25 = BM25Index(chunks: stored)
        var scores = ["scan": Score(), "bm25": Score()]
        var misses: [JSON] = []
        for (question, vector) in zip(questions, questionVectors) {
            let gold = Set(
                stored.filter { c in
                    question.gold.contains { c.chunk.source == $0.source && c.chunk.text.contains($0.contains) }
                }.map(\.id))
            guard !gold.isEmpty else { Tool.fail("question \(question.id): no chunk matches its gold") }
            let scanRanked: [String]
            do { scanRanked = try scan.search(vector, topK: max(k, 10)).map(\.chunk.id) } catch {
                Tool.fail("\(error)")
            }
            let bmRanked = bm25.search(question.question, topK: max(k, 10)).map(\.chunk.id)
            let paraphrase = question.paraphrase ?? false
            scores["scan"]!.add(scanRanked, gold: gold, k: k, paraphrase: paraphrase)
            scores["bm25"]!.add(bmRanked, gold: gold, k: k, paraphrase: paraphrase)
            if RankingMetrics.hit(scanRanked, gold: gold, k: k) == 0 {
                misses.append(.object(["id": .string(question.id), "question": .string(question.question)]))
            }
        }
        var plan = AtlasQuery.pipeline(
            vector: Array(questionVectors.first?.prefix(3) ?? []), tenantID: "<tenant>", collection: "<collection>",
            embeddingModel: passages.model.rawValue, topK: k)
        plan.append(.string("(queryVector shown to 3 of \(scan.dimensions) dimensions)"))
        let report: JSONObject = [
            "chunks": .integer(Int64(stored.count)), "documents": .integer(Int64(Set(chunks.map(\.source)).count)),
            "questions": .integer(Int64(questions.count)),
            "paraphrased": .integer(Int64(questions.filter { $0.paraphrase ?? false }.count)), "k": .integer(Int64(k)),
            "scan": scores["scan"]!.json, "bm25": scores["bm25"]!.json,
            "scanMisses": .array(misses), "passageEmbeddingMs": .double(embedMs.rounded()),
            "atlasPipeline": .array(plan),
        ]
        print(JSON.object(report).serializedString)
        exit(0)
    }

    /// Markdown and text files under `root`, relative paths, sorted.
    static func documents(in root: String) -> [String] {
        let files = FileManager.default.enumerator(atPath: root)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".md") || $0.hasSuffix(".txt") || $0.hasSuffix(".pdf") }.sorted()
    }

    struct Score {
        var hits = 0.0, reciprocal = 0.0, count = 0
        var paraphraseHits = 0.0, paraphraseCount = 0

        mutating func add(_ ranked: [String], gold: Set<String>, k: Int, paraphrase: Bool) {
            let hit = RankingMetrics.hit(ranked, gold: gold, k: k)
            hits += hit
            reciprocal += RankingMetrics.reciprocalRank(ranked, gold: gold)
            count += 1
            if paraphrase {
                paraphraseHits += hit
                paraphraseCount += 1
            }
        }

        var json: JSON {
            func r(_ x: Double) -> JSON { .double((x * 1000).rounded() / 1000) }
            return .object([
                "recallAtK": r(hits / Double(max(count, 1))), "mrr": r(reciprocal / Double(max(count, 1))),
                "recallAtKParaphrased": r(paraphraseHits / Double(max(paraphraseCount, 1))),
            ])
        }
    }
}
