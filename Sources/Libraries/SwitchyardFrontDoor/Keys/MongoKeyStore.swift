import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Where a key check gets the current keys: the key file (`KeyRing`) or MongoDB (`MongoKeyStore`).
public protocol KeySource: Sendable {
    /// The current keys.
    /// - Parameter recheck: the caller holds a key the keys do not know (it may have just been
    ///   created): look again if the last look is more than a moment old.
    /// - Throws: `FrontDoor.Unavailable` when no keys could ever be read.
    func keys(recheck: Bool) throws(FrontDoorError) -> KeyStore

    /// The current keys for a caller that must not block (a server's event loop): a source whose
    /// reads block answers from memory and reads elsewhere. The default calls `keys(recheck:)`.
    func currentKeys(recheck: Bool) async throws(FrontDoorError) -> KeyStore
}

extension KeySource {
    public func currentKeys(recheck: Bool) async throws(FrontDoorError) -> KeyStore { try keys(recheck: recheck) }
}

extension KeyRing: KeySource {
    public func keys(recheck: Bool) throws(FrontDoorError) -> KeyStore { current(recheck: recheck) }
}

/// The keys in MongoDB: collection `keys`, one document per `StoredKey` (the key file's fields,
/// `_id` = the key id; only the SHA-256 of a key is stored). Read whole and cached for `ttl`, so a
/// revocation takes effect within it. When MongoDB cannot be read, the last keys read stay in use;
/// before any were read, it throws.
///
/// `keys(recheck:)` reads on the caller's thread (the authorizer's Lambda); for an unknown key id it
/// reads again, at most once per `recheckInterval` (sleeping out the rest of one).
/// `currentKeys(recheck:)`, the server's path, never
/// blocks its caller: expired keys are answered at once while one read runs on `pool` (a revocation
/// then takes effect within the TTL plus one read). A caller that needs a read's answer — no keys
/// yet, or an unknown key id (`recheck`: a key created a moment ago) — waits suspended for a read
/// that *starts after it came*, so a key created just before its request is found, however recently
/// the keys were last read. Reads are one at a time and start at most once per `recheckInterval`;
/// every caller waiting when one starts shares it. A flood of made-up keys therefore costs at most
/// one read per interval (ten a second), and each such request waits at most about the interval
/// plus one read (`readTimeout`).
public final class MongoKeyStore: KeySource {
    public static let collection = "keys"
    /// nil for a store made over `reader` (tests).
    public let documents: MongoDocuments?
    /// Reads every key; nil: `load` over `documents`.
    private let reader: (@Sendable (ContinuousClock.Instant) throws(FrontDoorError) -> KeyStore)?
    public let ttl: Duration
    public let recheckInterval: Duration
    public let readTimeout: Duration
    /// Where `currentKeys` runs its reads; nil: a detached task (the global executor).
    public let pool: BlockingPool?
    private struct Cache {
        var store: KeyStore?
        var loadedAt: ContinuousClock.Instant?
        /// A read runs for `currentKeys`; these wait for the answer of a read started after they came.
        var reading = false
        /// When the last `currentKeys` read started: the next starts no sooner than `recheckInterval` after.
        var lastReadStarted: ContinuousClock.Instant?
        var waiters: [(since: ContinuousClock.Instant, CheckedContinuation<Result<KeyStore, FrontDoorError>, Never>)] =
            []
    }
    private let cache = Mutex(Cache())

    public init(
        documents: MongoDocuments, ttl: Duration = .seconds(30), recheckInterval: Duration = .milliseconds(100),
        readTimeout: Duration = .seconds(2), pool: BlockingPool? = nil
    ) {
        self.documents = documents
        self.reader = nil
        self.ttl = ttl
        self.recheckInterval = recheckInterval
        self.readTimeout = readTimeout
        self.pool = pool
    }

    /// Over any reader of the whole key set (each call is one read), for tests of the cache.
    init(
        reader: @escaping @Sendable (ContinuousClock.Instant) throws(FrontDoorError) -> KeyStore,
        ttl: Duration = .seconds(30), recheckInterval: Duration = .milliseconds(100),
        readTimeout: Duration = .seconds(2), pool: BlockingPool? = nil
    ) {
        self.documents = nil
        self.reader = reader
        self.ttl = ttl
        self.recheckInterval = recheckInterval
        self.readTimeout = readTimeout
        self.pool = pool
    }

    /// Over `MONGODB_URI` / `SWITCHYARD_DB` (the usage store's variables).
    /// - Throws: `ConfigurationError` naming the variable.
    public convenience init(environment: Environment, ttl: Duration = .seconds(30), pool: BlockingPool? = nil)
        throws(ConfigurationError)
    {
        let configuration = try MongoUsageConfiguration(environment: environment)
        self.init(
            documents: try MongoDocuments(configuration: configuration, collection: Self.collection), ttl: ttl,
            pool: pool)
    }

    /// The keys in memory, and whether they are due to be read again (older than the TTL).
    private func cached(at now: ContinuousClock.Instant) -> (KeyStore?, due: Bool) {
        cache.withLock { c in
            guard let store = c.store else { return (nil, true) }
            guard let at = c.loadedAt else { return (store, true) }
            return (store, now - at >= ttl)
        }
    }

    public func currentKeys(recheck: Bool) async throws(FrontDoorError) -> KeyStore {
        let now = ContinuousClock.now
        // An unknown key id waits for a read that starts after it came, however fresh the cache.
        let (cached, due) = cached(at: now)
        if let cached, !due, !recheck { return cached }
        if let cached, !recheck {
            // Expired: these keys now, fresh ones for the requests after the read.
            startRead(waiter: nil)
            return cached
        }
        let result = await withCheckedContinuation { startRead(waiter: $0) }
        return try result.get()
    }

    /// Starts the one read (unless it runs already) off the caller's thread; `waiter` gets its answer.
    private func startRead(waiter: CheckedContinuation<Result<KeyStore, FrontDoorError>, Never>?) {
        let now = ContinuousClock.now
        let start = cache.withLock { c in
            if let waiter { c.waiters.append((now, waiter)) }
            guard !c.reading else { return false }
            c.reading = true
            return true
        }
        guard start else { return }
        let read: @Sendable () async -> Void = { await self.read() }
        if let pool { Task(executorPreference: pool, operation: read) } else { Task.detached(operation: read) }
    }

    /// Blocking reads, one at a time; hands the keys (or, on failure, the last good ones) to every
    /// waiter that came before the read started. One that came during it (it may hold a key created
    /// after the read began) waits for the next read, at most one per `recheckInterval`.
    private func read() async {
        while true {
            // At most one read per interval, whoever asks: made-up keys cannot hammer MongoDB.
            if let last = cache.withLock({ $0.lastReadStarted }), ContinuousClock.now < last + recheckInterval {
                try? await Task.sleep(until: last + recheckInterval, clock: .continuous)
            }
            let started = ContinuousClock.now
            cache.withLock { $0.lastReadStarted = started }
            let result: Result<KeyStore, FrontDoorError>
            do { result = .success(try load(deadline: started + readTimeout)) } catch { result = .failure(error) }
            let (answer, waiters, again) = cache.withLock { c -> (Result<KeyStore, FrontDoorError>, _, Bool) in
                let served = c.waiters.filter { $0.since <= started }.map(\.1)
                c.waiters.removeAll { $0.since <= started }
                c.reading = !c.waiters.isEmpty
                var answer = result
                switch result {
                case .success(let store):
                    c.store = store
                    c.loadedAt = started
                case .failure:
                    // Keep the last good keys; look again after the interval, not on every request.
                    if let store = c.store {
                        c.loadedAt = started
                        answer = .success(store)
                    }
                }
                return (answer, served, c.reading)
            }
            for waiter in waiters { waiter.resume(returning: answer) }
            guard again else { return }
        }
    }

    /// The blocking path (the authorizer's Lambda, one invocation at a time). An unknown key id
    /// (`recheck`) reads again, as `currentKeys` does — at most once per `recheckInterval`: within
    /// it, the caller sleeps until the interval is over and then reads, rather than being answered
    /// from a read that may predate its key.
    public func keys(recheck: Bool) throws(FrontDoorError) -> KeyStore {
        var now = ContinuousClock.now
        let (cached, due) = cached(at: now)
        if let cached, !due, !recheck { return cached }
        if recheck, cached != nil, let last = cache.withLock({ $0.lastReadStarted }), now < last + recheckInterval {
            Self.sleep(until: last + recheckInterval)
            now = .now
        }
        cache.withLock { $0.lastReadStarted = now }
        do {
            let store = try load(deadline: now + readTimeout)
            // The fields, not a new Cache: that would drop the waiters of a `currentKeys` read.
            cache.withLock {
                $0.store = store
                $0.loadedAt = now
            }
            return store
        } catch {
            guard let cached else { throw error }
            // Keep the last good keys; look again after the interval, not on every request.
            cache.withLock { $0.loadedAt = now }
            return cached
        }
    }

    private static func sleep(until instant: ContinuousClock.Instant) {
        let left = ContinuousClock.now.duration(to: instant)
        guard left > .zero else { return }
        let (seconds, attoseconds) = left.components
        var time = timespec(tv_sec: Int(seconds), tv_nsec: Int(attoseconds / 1_000_000_000))
        var remaining = timespec()
        while nanosleep(&time, &remaining) != 0, errno == EINTR { time = remaining }
    }

    /// Every key in the collection.
    /// - Throws: `FrontDoor.Unavailable` (MongoDB unreachable), `FrontDoor.Internal` (a malformed key).
    public func load(deadline: ContinuousClock.Instant) throws(FrontDoorError) -> KeyStore {
        if let reader { return try reader(deadline) }
        guard let documents else { throw .internalError("the key store has no collection") }
        let found: [JSON]
        do { found = try documents.find([:], deadline: deadline) } catch {
            throw .unavailable("the key store did not answer (\(error.errorType))")
        }
        var keys: [StoredKey] = []
        keys.reserveCapacity(found.count)
        for document in found {
            guard case .object(var object) = document else { continue }
            object["_id"] = nil
            do { keys.append(try JSON.decode(StoredKey.self, from: JSON.object(object).serialized())) } catch {
                throw .internalError("a key in MongoDB does not parse: \(describeDecodingError(error).prefix(200))")
            }
        }
        return try KeyStore(keys: keys)
    }

    /// Writes one key (created, revoked or rotated), journaled.
    /// - Throws: `FrontDoor.Unavailable` when MongoDB did not take it.
    public func save(_ key: StoredKey, deadline: ContinuousClock.Instant) throws(FrontDoorError) {
        guard let documents else { throw .internalError("the key store has no collection") }
        guard case .object(let object)? = try? JSON.encodeToJSON(key) else {
            throw .internalError("key \(key.id) does not encode")
        }
        do { try documents.upsert(id: key.id, object, deadline: deadline) } catch {
            throw .unavailable("the key store did not take key \(key.id) (\(error.errorType))")
        }
        cache.withLock { $0.loadedAt = nil }
    }
}
