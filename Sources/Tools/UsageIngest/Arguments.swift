/// `usage-ingest COMMAND --name value --flag …`: every `--name` followed by a value is an option,
/// one followed by another `--name` (or nothing) is a flag.
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
