import Foundation

/// Runs `Tests/Fakes/fake_providers.py` on a free loopback port for the duration of a test
/// class, and stops exactly that process.
final class FakeProvidersServer {
    let process = Process()
    let baseURL: String

    init() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let venvPython = root.appendingPathComponent(".venv/bin/python").path
        let python = FileManager.default.isExecutableFile(atPath: venvPython) ? venvPython : "/usr/bin/python3"
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [root.appendingPathComponent("Tests/Fakes/fake_providers.py").path, "--port", "0"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The first line names the port: "fake-providers listening on http://127.0.0.1:PORT".
        guard let text = out.fileHandleForReading.readLine() else {
            throw NSError(domain: "FakeProvidersServer", code: 1)
        }
        guard let range = text.range(of: "http://") else { throw NSError(domain: "FakeProvidersServer", code: 2) }
        baseURL = String(text[range.lowerBound...])
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

extension FileHandle {
    /// The next line a child process printed, without its line break; nil once the output ends.
    /// Byte by byte, so nothing after the line is consumed (the child keeps writing to the pipe).
    func readLine() -> String? {
        var line = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty { return nil }
            if byte.first == 0x0A {
                return String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            }
            line.append(byte)
        }
    }
}
