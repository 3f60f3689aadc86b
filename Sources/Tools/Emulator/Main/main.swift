// switchyard-emulator: a local Lambda service running the functions' real bootstrap binaries.
//
//   switchyard-emulator [--config infra/local/functions.json] [--host 127.0.0.1] [--port 9001]
//
// Prints "listening on http://HOST:PORT" once ready; SIGTERM/SIGINT stop it and every
// process it started.
import Foundation
import NIOPosix
import SwitchyardCore
import SwitchyardEmulator

var configPath = "infra/local/functions.json"
var host = "127.0.0.1"
var port = 9001
var arguments = CommandLine.arguments.dropFirst()
while let argument = arguments.popFirst() {
    switch argument {
    case "--config": configPath = arguments.popFirst() ?? configPath
    case "--host": host = arguments.popFirst() ?? host
    case "--port":
        guard let value = arguments.popFirst().flatMap(Int.init) else {
            FileHandle.standardError.write(Data("--port needs a number\n".utf8))
            exit(64)
        }
        port = value
    case "-h", "--help":
        print("usage: switchyard-emulator [--config FILE] [--host HOST] [--port PORT]")
        exit(0)
    default:
        FileHandle.standardError.write(Data("unknown argument \(argument)\n".utf8))
        exit(64)
    }
}

let configuration: EmulatorConfiguration
do {
    configuration = try EmulatorConfiguration.load(path: configPath, environment: .process)
} catch {
    FileHandle.standardError.write(Data("switchyard-emulator: \(error)\n".utf8))
    exit(78)
}

let emulator: Emulator
do {
    emulator = try await Emulator.start(
        configuration: configuration, host: host, port: port, group: MultiThreadedEventLoopGroup.singleton)
} catch {
    FileHandle.standardError.write(Data("switchyard-emulator: cannot listen on \(host):\(port): \(error)\n".utf8))
    exit(69)
}
print("listening on http://\(host):\(emulator.port)")
fflush(stdout)

signal(SIGTERM, SIG_IGN)
signal(SIGINT, SIG_IGN)
// Signals are handled on a background queue: the main thread is inside Swift concurrency's
// async top level, where dispatchMain() must not be called.
let signals = [SIGTERM, SIGINT].map { DispatchSource.makeSignalSource(signal: $0, queue: .global()) }
for source in signals {
    source.setEventHandler {
        ChildProcesses.shared.killAll()
        exit(0)
    }
    source.resume()
}
while true { try? await Task.sleep(for: .seconds(3600)) }
