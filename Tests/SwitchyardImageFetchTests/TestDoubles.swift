import Foundation
import SwitchyardCore
import SwitchyardHTTP
import Synchronization

@testable import SwitchyardImageFetch

/// A resolver whose answers are scripted per call (the last answer repeats), counting calls: a
/// DNS server that changes its mind between the check and the connection.
final class ScriptedResolver: HostResolver {
    private let state: Mutex<(answers: [[IPAddress]], calls: Int)>

    init(_ answers: [[String]]) { state = Mutex((answers.map { $0.compactMap(IPAddress.init) }, 0)) }

    var calls: Int { state.withLock { $0.calls } }

    func resolve(host: String, port: Int) throws(ImageFetchError) -> [IPAddress] {
        state.withLock { s in
            s.calls += 1
            return s.answers.count > 1 ? s.answers.removeFirst() : s.answers[0]
        }
    }
}

/// A real HTTP server on 127.0.0.1 (Python's http.server in a child process), serving `body` at
/// every path and counting the requests it received; stopped by pid.
final class LocalImageServer {
    let process = Process()
    let port: Int
    private let countFile: URL

    init(body: Data) throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("imgsrv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let bodyFile = directory.appendingPathComponent("body")
        try body.write(to: bodyFile)
        countFile = directory.appendingPathComponent("count")
        let script = """
            import http.server, sys
            body = open(sys.argv[1], 'rb').read()
            count = [0]
            class H(http.server.BaseHTTPRequestHandler):
                def log_message(self, *a): pass
                def do_GET(self):
                    count[0] += 1
                    open(sys.argv[2], 'w').write(str(count[0]))
                    self.send_response(200)
                    self.send_header('Content-Length', str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
            s = http.server.HTTPServer(('127.0.0.1', 0), H)
            print(s.server_address[1], flush=True)
            s.serve_forever()
            """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
        process.arguments = ["-c", script, bodyFile.path, countFile.path]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let byte = out.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { throw NSError(domain: "LocalImageServer", code: 1) }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        else { throw NSError(domain: "LocalImageServer", code: 2) }
        self.port = port
    }

    var requests: Int { (try? String(contentsOf: countFile, encoding: .utf8)).flatMap { Int($0) } ?? 0 }

    /// SIGKILL: the child inherits the test runner's blocked signals, SIGTERM among them.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}
