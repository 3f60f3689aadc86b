import Foundation

/// `--name value` options, the value-less flags (`--dry-run`), and the remaining positional arguments.
struct Options {
    static let flagNames: Set<String> = ["dry-run"]
    var values: [String: String] = [:]
    var flags: Set<String> = []
    var positional: [String] = []

    init(_ arguments: [String]) {
        var i = 0
        while i < arguments.count {
            let a = arguments[i]
            if a.hasPrefix("--"), Self.flagNames.contains(String(a.dropFirst(2))) {
                flags.insert(String(a.dropFirst(2)))
                i += 1
            } else if a.hasPrefix("--"), i + 1 < arguments.count {
                values[String(a.dropFirst(2))] = arguments[i + 1]
                i += 2
            } else {
                positional.append(a)
                i += 1
            }
        }
    }

    func string(_ name: String, default value: String? = nil) -> String {
        guard let v = values[name] ?? value else { Tool.fail("--\(name) is required") }
        return v
    }

    func int(_ name: String, default value: Int, range: ClosedRange<Int>) -> Int {
        guard let text = values[name] else { return value }
        guard let v = Int(text), range.contains(v) else { Tool.fail("--\(name): a number in \(range)") }
        return v
    }
}

enum Tool {
    static func fail(_ message: String) -> Never {
        FileHandle.standardError.write(Data("switchyard-retrieval: \(message)\n".utf8))
        exit(64)
    }

    static func elapsedMs(since start: ContinuousClock.Instant) -> Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) * 1000 + Double(d.components.attoseconds) / 1e15
    }
}
