// json-bench: SwitchyardJSON beside Foundation on the documents of scripts/bench-json.
//   json-bench <seconds-per-measurement> <file>...
// For each file: SwitchyardJSON parse + visit, Foundation JSONSerialization + visit, and for the
// router event and provider response a typed decode (JSON.decode vs JSONDecoder into the same
// Codable types). Files ending in .ndjson hold one document per line (an SSE stream's chunks).
// `--reject-many-keys FILE` times how fast the default limits refuse the hostile object.
// Prints one JSON line per measurement; every timed parse is validated (see Checksum).
import Foundation
import SwitchyardContract
import SwitchyardJSON

let arguments = Array(CommandLine.arguments.dropFirst())
guard arguments.count >= 2, let budget = Double(arguments[0]) else {
    FileHandle.standardError.write(Data("usage: json-bench <seconds> <file>... [--reject-many-keys FILE]\n".utf8))
    exit(2)
}
var failures = 0
var rejectNext = false
for path in arguments.dropFirst() {
    if path == "--reject-many-keys" {
        rejectNext = true
        continue
    }
    failures += benchmark(path, budget: budget, rejectManyKeys: rejectNext)
    rejectNext = false
}
exit(failures == 0 ? 0 : 1)
