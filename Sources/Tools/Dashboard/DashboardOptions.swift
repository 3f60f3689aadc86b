import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardDashboardAPIFunction
import SwitchyardJSON
import SwitchyardMetrics

/// Command-line flags and environment of `switchyard-dashboard`.
struct DashboardOptions {
    var host = "127.0.0.1"
    var port = 8088
    var dist = "dashboard/dist"
    var recordsFile: String?
    var environment: Environment

    init(arguments: [String], environment: Environment) throws {
        self.environment = environment
        var rest = arguments[...]
        while let argument = rest.popFirst() {
            func value() throws -> String {
                guard let v = rest.popFirst() else { throw DashboardServerError.usage("\(argument) needs a value") }
                return v
            }
            switch argument {
            case "--host": host = try value()
            case "--port":
                guard let p = Int(try value()), (0...65535).contains(p) else {
                    throw DashboardServerError.usage("--port needs 0...65535")
                }
                port = p
            case "--dist": dist = try value()
            case "--records": recordsFile = try value()
            case "-h", "--help":
                print("usage: switchyard-dashboard [--host H] [--port P] [--dist DIR] [--records FILE.jsonl]")
                exit(0)
            default: throw DashboardServerError.usage("unknown argument \(argument)")
            }
        }
    }

    /// Over the usage store (`MONGODB_URI`, with the what-if) unless `--records` names a file.
    func makeAPI() throws -> MetricsAPI {
        guard recordsFile != nil else { return try DashboardAPIConfiguration(environment: environment).makeAPI() }
        let key = environment["DASHBOARD_ADMIN_KEY"].flatMap { $0.isEmpty ? nil : $0 }
        return MetricsAPI(store: try makeStore(), adminKey: key)
    }

    func makeStore() throws -> any MetricsStore {
        guard let recordsFile else {
            throw DashboardServerError.usage("--records FILE is needed (no store configured)")
        }
        guard let data = FileManager.default.contents(atPath: recordsFile) else {
            throw DashboardServerError.usage("cannot read \(recordsFile)")
        }
        var records: [UsageRecord] = []
        for line in data.split(separator: UInt8(ascii: "\n")) where !line.isEmpty {
            records.append(try JSON.decode(UsageRecord.self, from: Array(line)))
        }
        return MemoryMetricsStore(records: records)
    }
}
