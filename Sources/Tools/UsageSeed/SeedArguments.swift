/// `command --name value --flag …`.
struct SeedArguments {
    var command: String
    var options: [String: String] = [:]

    init(_ argv: [String]) {
        command = argv.first ?? "help"
        var i = 1
        while i < argv.count {
            let name = argv[i].hasPrefix("--") ? String(argv[i].dropFirst(2)) : argv[i]
            if i + 1 < argv.count, !argv[i + 1].hasPrefix("--") {
                options[name] = argv[i + 1]
                i += 2
            } else {
                options[name] = ""
                i += 1
            }
        }
    }

    func int(_ name: String, _ fallback: Int, _ range: ClosedRange<Int>) throws -> Int {
        guard let text = options[name] else { return fallback }
        guard let value = Int(text), range.contains(value) else {
            throw SeedError("--\(name) must be an integer within \(range.lowerBound)...\(range.upperBound)")
        }
        return value
    }

    func int64(_ name: String, _ fallback: Int64) throws -> Int64 {
        guard let text = options[name] else { return fallback }
        guard let value = Int64(text), value >= 0 else { throw SeedError("--\(name) must be a non-negative integer") }
        return value
    }
}

struct SeedError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
