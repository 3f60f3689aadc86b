import SwitchyardCore
import SwitchyardJSON

/// Small I/O helpers of the `llm-call` tool.
enum ToolIO {
    static func fail(_ message: String) -> Never {
        let line = Array("llm-call: \(message)\n".utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(64)
    }

    static func number(_ args: inout [String], _ flag: String) -> Int {
        guard !args.isEmpty, let n = Int(args.removeFirst()) else { fail("\(flag) needs a number") }
        return n
    }

    /// A file's bytes, or standard input for `-`.
    static func read(_ path: String) -> [UInt8] {
        if path == "-" {
            var out: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = Glibc.read(0, &buffer, buffer.count)
                if n <= 0 { break }
                out.append(contentsOf: buffer[0..<n])
            }
            return out
        }
        do { return try FileReader.read(path) } catch { fail("\(error)") }
    }

    static func print(_ bytes: [UInt8]) { Swift.print(String(decoding: bytes, as: UTF8.self)) }

    /// Peak resident set size of this process, KB.
    static func maxRSSKilobytes() -> Int64 {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Int64(usage.ru_maxrss)
    }
}
