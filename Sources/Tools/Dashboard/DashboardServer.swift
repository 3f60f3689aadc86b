import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardEmulator
import SwitchyardMetrics

/// The local dashboard: the built single-page app and the metrics API on one port, on the same
/// small NIO server the Lambda emulator uses. `/api/…` goes to `MetricsAPI` (the handlers the
/// `dashboard-api` function runs on AWS); everything else is a static file.
struct DashboardServer: Sendable {
    let api: MetricsAPI
    let files: StaticFiles

    func handle(_ request: ServerRequest) async -> ServerResponse {
        let target = request.path
        let path = String(target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        if path.hasPrefix("/api/") {
            var headers: [String: String] = [:]
            for (name, value) in request.headers { headers[name.lowercased()] = value }
            if request.bodyTooLarge {
                return ServerResponse.json(
                    .payloadTooLarge,
                    Array(#"{"errorType":"Dashboard.InvalidParameter","errorMessage":"body over 1 MiB"}"#.utf8))
            }
            let answer = await api.respond(
                to: APIRequest(
                    method: request.method.rawValue, target: target, headers: headers, body: request.body))
            return ServerResponse(
                status: HTTPResponseStatus(statusCode: answer.status), headers: answer.headers,
                body: request.method == .HEAD ? [] : answer.body)
        }
        guard request.method == .GET || request.method == .HEAD else {
            return ServerResponse(status: .methodNotAllowed, headers: [("Allow", "GET, HEAD")])
        }
        guard let file = files.file(at: path) else {
            return ServerResponse(
                status: .notFound, headers: [("Content-Type", "text/plain")], body: Array("not found\n".utf8))
        }
        return ServerResponse(
            status: .ok, headers: [("Content-Type", file.contentType), ("Cache-Control", "no-cache")],
            body: request.method == .HEAD ? [] : file.body)
    }

    /// Binds and serves until the process ends.
    func start(host: String, port: Int) async throws -> HTTPServer {
        let server = self
        return try await HTTPServer.start(
            host: host, port: port, group: MultiThreadedEventLoopGroup.singleton, maxBodyBytes: 1 << 20
        ) { request in await server.handle(request) }
    }
}
