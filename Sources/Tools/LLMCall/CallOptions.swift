/// The command line of `llm-call` (see main.swift).
struct CallOptions {
    var repeatCount = 0
    var warmup = 20
    var sseMegabytes = 0
    var expect = Expectation()
    var embed = false
    var positional: [String] = []

    /// The input file (`-` for standard input) when none is named.
    var inputPath: String { positional.first ?? "-" }

    init(_ arguments: [String]) {
        var args = arguments
        while !args.isEmpty {
            let a = args.removeFirst()
            switch a {
            case "--repeat": repeatCount = ToolIO.number(&args, a)
            case "--warmup": warmup = ToolIO.number(&args, a)
            case "--sse-bench": sseMegabytes = ToolIO.number(&args, a)
            case "--embed": embed = true
            case "--expect-text-bytes": expect.textBytes = ToolIO.number(&args, a)
            case "--expect-input-tokens": expect.inputTokens = Int64(ToolIO.number(&args, a))
            case "--expect-output-tokens": expect.outputTokens = Int64(ToolIO.number(&args, a))
            default: positional.append(a)
            }
        }
    }
}
