import Hummingbird

// The same two routes the front door's HTTP layer is measured with: a fixed GET and a POST whose
// body is read whole and answered.
let router = Router()
router.get("health") { _, _ -> ByteBuffer in ByteBuffer(string: #"{"status":"ok"}"#) }
router.post("echo") { request, _ -> ByteBuffer in try await request.body.collect(upTo: 1 << 20) }
let port = Int(CommandLine.arguments[1]) ?? 8080
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
