import NIOCore
import SwitchyardCore
import SwitchyardFrontDoor

/// The single-process server's settings, read once from the environment.
///
/// | variable | meaning (default) |
/// |---|---|
/// | `SWITCHYARD_HOST`, `SWITCHYARD_PORT` | where to listen (127.0.0.1, 8080; 0 picks a free port, printed at start) |
/// | `SWITCHYARD_KEYS_FILE` | the key file the key tool writes (the local path); unset: the keys are MongoDB's |
/// |  | `keys` collection over `MONGODB_URI`, the authorizer's store (`scripts/keys --mongo`) |
/// | `SWITCHYARD_KEYS_TTL_MS` | how long keys read from MongoDB are used before they are read again (30000) |
/// | `SWITCHYARD_BILLING` | `on`: reserve budgets in the ledger and enqueue usage; `off`: neither (on) |
/// | `MONGODB_URI` | the usage store and budget ledger (required when billing is on) |
/// | `SWITCHYARD_USAGE_QUEUE_DIR` | the journaled usage queue's folder (`.run/usage-queue`) |
/// | `SWITCHYARD_MAX_BODY_BYTES` | largest request body (8 MiB) |
/// | `SWITCHYARD_MAX_HEADER_BYTES` | largest request head (16 KiB) |
/// | `SWITCHYARD_CLIENT_TIMEOUT_MS` | a request must arrive whole within this; idle connections close (30000) |
/// | `SWITCHYARD_MAX_CONNECTIONS` | connections open at once; past it a new one gets 503 and is closed (512) |
/// | `SWITCHYARD_REQUEST_TIMEOUT_MS` | longest a request may run upstream (120000) |
/// | `SWITCHYARD_THREADS` | event-loop threads (the number of cores) |
/// | `SWITCHYARD_UPSTREAM_THREADS` | threads for blocking upstream and store calls: most calls in flight (64) |
/// | `SWITCHYARD_UPSTREAM_CLIENT` | `nio`: provider calls run on the event loops, `http://` ones on NIO's own |
/// |  | channels (`NIOHTTPTransport`), `https://` ones with libcurl's multi interface; `multi`: all with |
/// |  | libcurl's multi interface (`CurlMultiTransport`); `easy`: on the upstream threads, libcurl's blocking |
/// |  | easy interface (docs/frontdoor.md, "The upstream client on the loop", "http providers on NIO's |
/// |  | selector") (nio) |
/// | `SWITCHYARD_VISION` | `on`: load the catalog's detectors at start (a failure stops the start); `off`: no |
/// |  | detectors, vision steps fail with `Vision.Unavailable` (off) |
/// | `SWITCHYARD_BATCH_JOBS` | batch jobs run at once; the job API needs `MONGODB_URI`, billing on or off (2) |
/// | `DASHBOARD_ADMIN_KEY` | mounts the dashboard's metrics API at `/dashboard/api/…` behind this key (unset) |
/// | `SWITCHYARD_USAGE_BACKLOG` | usage messages not yet stored past which requests get 503 (2000) |
/// | `SWITCHYARD_DRAIN_BATCH` | usage messages stored per round trip by the in-process drain (100) |
/// | `SWITCHYARD_LEDGER_CONNECTIONS` | usage-store connections for budget reservations, and reservation |
/// |  | round trips at once (8) |
/// | `SWITCHYARD_ADMISSION_WAIT_MS` | longest an admission waits for the ledger's answer before a 503 (250) |
/// | `SWITCHYARD_ADMISSION_QUEUE` | admissions waiting for a ledger round trip past which new ones get 503 (512) |
/// | `SWITCHYARD_RESERVE_BATCH` | reservations grouped into one ledger round trip, at most (64) |
///
/// The router, the llm-caller and vision read their own variables (bundle, catalog overlay, provider
/// endpoints and keys), as their Lambda functions do.
struct ServerConfiguration {
    var host: String
    var port: Int
    /// nil: the keys are in MongoDB (`MongoKeyStore`), as the authorizer reads them.
    var keysFile: String?
    var keysTTL: Duration
    var billing: Bool
    var mongoURI: String?
    var usageQueueDirectory: String
    var limits: ConnectionLimits
    var frontDoor: FrontDoorConfiguration
    var threads: Int
    var upstreamThreads: Int
    var upstreamClient: UpstreamClient
    /// Provider calls on the event loops (`multi`, `nio`), or on the upstream threads (`easy`).
    var nonBlockingUpstream: Bool { upstreamClient != .easy }
    var ledgerConnections: Int
    var vision: Bool
    var batchJobs: Int
    var maxUsageBacklog: Int
    var drainBatch: Int
    var admission: ReservationBatcher.Settings

    init(environment: Environment) throws {
        host = environment.string("SWITCHYARD_HOST", default: "127.0.0.1")
        port = try environment.int("SWITCHYARD_PORT", default: 8080, range: 0...65535)
        keysFile = environment["SWITCHYARD_KEYS_FILE"].flatMap { $0.isEmpty ? nil : $0 }
        keysTTL = .milliseconds(try environment.int("SWITCHYARD_KEYS_TTL_MS", default: 30_000, range: 0...3_600_000))
        let billingText = environment.string("SWITCHYARD_BILLING", default: "on")
        guard billingText == "on" || billingText == "off" else {
            throw ConfigurationError.invalid(variable: "SWITCHYARD_BILLING", value: billingText, expected: "on or off")
        }
        billing = billingText == "on"
        mongoURI = environment["MONGODB_URI"].flatMap { $0.isEmpty ? nil : $0 }
        if billing, mongoURI == nil {
            throw ConfigurationError.missing(
                variable: "MONGODB_URI (billing is on; SWITCHYARD_BILLING=off turns it off)")
        }
        if keysFile == nil, mongoURI == nil {
            throw ConfigurationError.missing(
                variable: "SWITCHYARD_KEYS_FILE or MONGODB_URI (where the API keys are: a key file, or MongoDB's keys)")
        }
        usageQueueDirectory = environment.string("SWITCHYARD_USAGE_QUEUE_DIR", default: ".run/usage-queue")
        limits = ConnectionLimits(
            maxBodyBytes: try environment.int("SWITCHYARD_MAX_BODY_BYTES", default: 8 << 20, range: 1024...(64 << 20)),
            maxHeaderBytes: try environment.int(
                "SWITCHYARD_MAX_HEADER_BYTES", default: 16 << 10, range: 1024...(64 << 10)),
            requestTimeout: .milliseconds(
                Int64(try environment.int("SWITCHYARD_CLIENT_TIMEOUT_MS", default: 30_000, range: 100...3_600_000))),
            maxConnections: try environment.int("SWITCHYARD_MAX_CONNECTIONS", default: 512, range: 1...65_536))
        frontDoor = FrontDoorConfiguration()
        frontDoor.requestTimeout = .milliseconds(
            try environment.int("SWITCHYARD_REQUEST_TIMEOUT_MS", default: 120_000, range: 1000...900_000))
        threads = try environment.int("SWITCHYARD_THREADS", default: System.coreCount, range: 1...256)
        upstreamThreads = try environment.int("SWITCHYARD_UPSTREAM_THREADS", default: 64, range: 1...4096)
        let upstreamText = environment.string("SWITCHYARD_UPSTREAM_CLIENT", default: "nio")
        guard let upstreamClient = UpstreamClient(rawValue: upstreamText) else {
            throw ConfigurationError.invalid(
                variable: "SWITCHYARD_UPSTREAM_CLIENT", value: upstreamText, expected: "nio, multi or easy")
        }
        self.upstreamClient = upstreamClient
        ledgerConnections = try environment.int("SWITCHYARD_LEDGER_CONNECTIONS", default: 8, range: 1...256)
        let visionText = environment.string("SWITCHYARD_VISION", default: "off")
        guard visionText == "on" || visionText == "off" else {
            throw ConfigurationError.invalid(variable: "SWITCHYARD_VISION", value: visionText, expected: "on or off")
        }
        vision = visionText == "on"
        batchJobs = try environment.int("SWITCHYARD_BATCH_JOBS", default: 2, range: 1...64)
        maxUsageBacklog = try environment.int("SWITCHYARD_USAGE_BACKLOG", default: 2_000, range: 1...1_000_000)
        drainBatch = try environment.int("SWITCHYARD_DRAIN_BATCH", default: 100, range: 1...1_000)
        admission = ReservationBatcher.Settings()
        admission.wait = .milliseconds(
            try environment.int("SWITCHYARD_ADMISSION_WAIT_MS", default: 250, range: 1...60_000))
        admission.maxQueue = try environment.int("SWITCHYARD_ADMISSION_QUEUE", default: 512, range: 1...100_000)
        admission.maxBatch = try environment.int("SWITCHYARD_RESERVE_BATCH", default: 64, range: 1...1_000)
        admission.maxInFlight = ledgerConnections
        admission.storeTimeout = frontDoor.ledgerTimeout
        admission = try admission.validated()
    }
}

/// The provider calls' HTTP client (`SWITCHYARD_UPSTREAM_CLIENT`).
enum UpstreamClient: String {
    /// `http://` on NIO's channels (`NIOHTTPTransport`), `https://` on libcurl's multi interface.
    case nio
    /// libcurl's multi interface on the event loops (`CurlMultiTransport`).
    case multi
    /// libcurl's easy interface on the upstream threads (`CurlTransport`).
    case easy
}
