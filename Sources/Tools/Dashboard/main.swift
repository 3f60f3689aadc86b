// switchyard-dashboard: the monitoring dashboard and its metrics API on one port, for the local stack.
//
//   switchyard-dashboard [--host 127.0.0.1] [--port 8088] [--dist dashboard/dist] [--records FILE.jsonl]
//
// Reads the usage store named by MONGODB_URI / SWITCHYARD_DB, or with --records a file of usage
// records (one JSON object per line) held in memory. DASHBOARD_ADMIN_KEY, when set, is required
// on every API call. The what-if uses the routing bundle (SWITCHYARD_POLICY_FILE,
// SWITCHYARD_CATALOG_FILE, SWITCHYARD_RATES_FILE or the files under infra/). Prints
// "listening on http://HOST:PORT" once ready; SIGTERM/SIGINT stop it.
import Foundation
import SwitchyardCore

do {
    let options = try DashboardOptions(arguments: Array(CommandLine.arguments.dropFirst()), environment: .process)
    let server = try DashboardServer(api: try options.makeAPI(), files: StaticFiles(directory: options.dist))
    let listening = try await server.start(host: options.host, port: options.port)
    print("listening on http://\(options.host):\(listening.port)")
    fflush(stdout)
} catch {
    FileHandle.standardError.write(Data("switchyard-dashboard: \(error)\n".utf8))
    exit(64)
}
signal(SIGTERM, SIG_DFL)
while true { try? await Task.sleep(for: .seconds(3600)) }
