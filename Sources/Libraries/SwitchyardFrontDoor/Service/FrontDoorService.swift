import Logging
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage

/// Where a request's money goes: the budget ledger it reserves its cost ceiling in at admission,
/// and the durable usage queue its usage records are enqueued on (decisions.md: "One durable
/// usage path", "Budgets that hold under concurrency"). The queue's drain stores the records and
/// settles the reservation.
public struct FrontDoorBilling: Sendable {
    public var ledger: any BudgetLedger
    public var queue: any UsageQueue
    /// Usage messages enqueued but not yet stored; nil: not known (no back-pressure).
    public var backlog: (@Sendable () async -> Int)?
    /// Past this backlog, new requests are refused with 503 and `retry-after` before anything is
    /// reserved: the store sets the pace, and memory (the queue's pending messages, the ledger's
    /// open reservations) stays bounded instead of growing while the drain falls behind.
    public var maxBacklog: Int
    /// Admission's way to the ledger: concurrent reservations grouped into one store round trip,
    /// each waiting at most its bound (`ReservationBatcher`).
    public var reservations: ReservationBatcher

    public init(
        ledger: any BudgetLedger, queue: any UsageQueue, backlog: (@Sendable () async -> Int)? = nil,
        maxBacklog: Int = 2_000, admission: ReservationBatcher.Settings = ReservationBatcher.Settings()
    ) {
        self.ledger = ledger
        self.queue = queue
        self.backlog = backlog
        self.maxBacklog = maxBacklog
        self.reservations = ReservationBatcher(ledger: ledger, settings: admission)
    }
}

/// Settings of the front door; every field has a default.
public struct FrontDoorConfiguration: Sendable {
    /// Longest one request may run, upstream calls included. Default 120 s.
    public var requestTimeout: Duration = .seconds(120)
    /// Longest a ledger balance read, or one reservation round trip of `switchyard-server`'s
    /// batcher (`ReservationBatcher.Settings.storeTimeout`), may take (503, fail closed); an
    /// admission itself waits at most the batcher's `wait`. Default 3 s.
    public var ledgerTimeout: Duration = .seconds(3)
    /// Longest enqueueing a request's usage may take. Default 10 s.
    public var enqueueTimeout: Duration = .seconds(10)
    /// Output tokens assumed for the tokens-per-minute estimate when `max_tokens` is absent. Default 512.
    public var assumedOutputTokens = 512

    public init() {}
}

/// The OpenAI-compatible API, independent of the transport: authenticates the key, applies its
/// rate limits, maps the request to the contract, routes it, reserves its cost ceiling, runs the
/// LLM or embedding step, enqueues the usage on the durable path, and answers in OpenAI's shape
/// with the routing summary in `x-switchyard-*` headers.
public final class FrontDoorService: Sendable {
    public let keys: any KeySource
    public let limiter: RateLimiter
    public let backend: any FrontDoorBackend
    /// nil: billing off (no reservation, no usage enqueued) — the benchmark's second mode.
    public let billing: FrontDoorBilling?
    public let configuration: FrontDoorConfiguration
    public let idempotency = IdempotencyCache()
    /// The job API's store and scheduler; nil: `/v1/batches` answers 503.
    public let batches: FrontDoorBatches?
    let logger: Logger

    public init(
        keys: any KeySource, backend: any FrontDoorBackend, billing: FrontDoorBilling?,
        configuration: FrontDoorConfiguration = FrontDoorConfiguration(), limiter: RateLimiter = RateLimiter(),
        batches: FrontDoorBatches? = nil, logger: Logger = Logger(label: "switchyard.frontdoor")
    ) {
        self.batches = batches
        self.keys = keys
        self.backend = backend
        self.billing = billing
        self.configuration = configuration
        self.limiter = limiter
        self.logger = logger
    }

    /// Answers one request; never throws (every refusal is an OpenAI-shaped error response).
    public func handle(_ request: FrontDoorRequest) async -> FrontDoorResponse {
        switch (request.method, request.path) {
        case ("GET", "/health"), ("GET", "/v1/health"):
            return .json(200, Array(#"{"status":"ok"}"#.utf8))
        case ("POST", "/v1/chat/completions"), ("POST", "/chat/completions"):
            return await withKey(request) { (key) async throws(FrontDoorError) in try await self.chat(request, key: key)
            }
        case ("POST", "/v1/embeddings"), ("POST", "/embeddings"):
            return await withKey(request) { (key) async throws(FrontDoorError) in
                try await self.embeddings(request, key: key)
            }
        case ("POST", "/v1/detect"), ("POST", "/detect"):
            return await withKey(request) { (key) async throws(FrontDoorError) in
                try await self.detect(request, key: key)
            }
        case ("POST", "/v1/batches"), ("POST", "/batches"):
            return await withKey(request) { (key) async throws(FrontDoorError) in
                try await self.createBatch(request, key: key)
            }
        case ("GET", _) where request.path.hasPrefix("/v1/batches/"):
            let rest = request.path.dropFirst("/v1/batches/".count)
            let parts = rest.split(separator: "/", omittingEmptySubsequences: false)
            return await withKey(request) { (key) async throws(FrontDoorError) in
                switch parts.count {
                case 1: return try await self.getBatch(String(parts[0]), key: key)
                case 2 where parts[1] == "results": return try await self.batchResults(String(parts[0]), key: key)
                default: throw .notFound(path: request.path)
                }
            }
        case ("GET", "/v1/models"), ("GET", "/models"):
            return await withKey(request) { key in self.models(key: key) }
        case ("GET", "/v1/usage"), ("GET", "/usage"):
            return await withKey(request) { (key) async throws(FrontDoorError) in try await self.usage(key: key) }
        case (_, "/v1/chat/completions"), (_, "/v1/embeddings"), (_, "/v1/models"), (_, "/v1/usage"),
            (_, "/v1/detect"), (_, "/v1/batches"):
            return .error(.methodNotAllowed(method: request.method, path: request.path), requestID: nil)
        default:
            return .error(.notFound(path: request.path), requestID: nil)
        }
    }

    /// Authenticates, then runs `body`; a thrown `FrontDoorError` becomes its response.
    ///
    /// Not inlined: `handle`'s async frame, allocated per request, would otherwise hold every
    /// endpoint's inlined work at once (it was 8.3 KB); this way each request allocates the frame
    /// of its own endpoint only.
    @inline(never)
    private func withKey(
        _ request: FrontDoorRequest, _ body: (StoredKey) async throws(FrontDoorError) -> FrontDoorResponse
    ) async -> FrontDoorResponse {
        do {
            let key = try await authenticated(request)
            return try await body(key)
        } catch {
            return .error(error, requestID: nil)
        }
    }

    /// The key of `Authorization: Bearer <key>`, or the request's `authenticatedKey`, without
    /// blocking the caller's thread on a key store read (`currentKeys`).
    /// - Throws: `FrontDoor.InvalidAPIKey`, `FrontDoor.RevokedAPIKey`.
    func authenticated(_ request: FrontDoorRequest) async throws(FrontDoorError) -> StoredKey {
        // Checked by an earlier stage (API Gateway's authorizer, for the ingress).
        if let key = request.authenticatedKey { return key }
        let presented = try Self.presentedKey(request)
        do {
            return try await keys.currentKeys(recheck: false).authenticate(presented)
        } catch .invalidAPIKey {
            // A key created a moment ago: look once more before refusing.
            return try await keys.currentKeys(recheck: true).authenticate(presented)
        }
    }

    /// The key of `Authorization: Bearer <key>`.
    static func presentedKey(_ request: FrontDoorRequest) throws(FrontDoorError) -> String {
        guard let header = request.header("authorization") else { throw .invalidAPIKey }
        let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { throw .invalidAPIKey }
        return String(parts[1])
    }

    // MARK: - Request ids

    /// The request id: derived from `Idempotency-Key` (or the client's `X-Request-Id`) and the
    /// tenant, so a retry maps to the same reservation and usage keys; random otherwise.
    @inline(never)  // synchronous: its temporaries stay off the caller's async frame
    func requestID(_ request: FrontDoorRequest, tenant: String) throws(FrontDoorError) -> (id: String, idempotent: Bool)
    {
        if let key = request.header("idempotency-key") ?? request.header("x-request-id") {
            guard (1...256).contains(key.utf8.count), Identifier.isValid(key) else {
                throw .invalidRequest(
                    param: "Idempotency-Key", message: "Idempotency-Key must be 1...256 printable bytes")
            }
            let digest = APIKey.hash(tenant + "\u{1F}" + key)
            return ("req_" + APIKey.hex(Array(digest.prefix(16))), true)
        }
        // No silent fallback: an id without randomness would collide across requests.
        return ("req_" + APIKey.hex(try APIKey.randomBytes(12)), false)
    }

    static func now() -> Int64 { WallClock.nowMilliseconds() }
}
