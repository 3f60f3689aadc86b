// switchyard-retrieval: the retrieval tool (scripts/ingest and scripts/eval-retrieval start it).
//
//   switchyard-retrieval ingest --tenant T --collection C [--model e5-small-passage]
//       [--usage-queue DIR] [--max-chars 1000] [--overlap 150] FILE…
//       chunks the files (text, Markdown; PDF through poppler's pdftotext), embeds the new chunks,
//       stores them in MongoDB (RETRIEVAL_MONGODB_URI, else MONGODB_URI; RETRIEVAL_DATABASE); prints a JSON summary
//   switchyard-retrieval eval --corpus DIR --questions FILE [--query-model e5-small-query]
//       [--passage-model e5-small-passage] [--k 5]
//       recall@k and MRR of the exact scan beside BM25 on the same questions (in memory)
//   switchyard-retrieval atlas-index [--model M | --dimensions N] [--index-name chunks_vector]
//       [--policy FILE] [--dry-run]
//       creates the Atlas Vector Search index (or updates a differing one; idempotent); the model
//       defaults to the policy's retrieval passage model
//   switchyard-retrieval bench-step --input LLMSTEPINPUT.json [--calls 50] [--warmup 5]
//       the retrieval step's added latency in one warm handler (scripts/bench-retrieval part 3)
//
// Endpoints, keys and the catalog come from the environment exactly as for the llm-caller.
import Foundation

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else {
    Tool.fail("usage: switchyard-retrieval ingest|eval|atlas-index|bench-step …")
}
let options = Options(Array(arguments.dropFirst()))
switch command {
case "ingest": await IngestCommand.run(options)
case "eval": await EvalCommand.run(options)
case "atlas-index": await AtlasIndexCommand.run(options)
case "bench-step": await BenchStepCommand.run(options)
default: Tool.fail("unknown command \(command): ingest, eval, atlas-index or bench-step")
}
