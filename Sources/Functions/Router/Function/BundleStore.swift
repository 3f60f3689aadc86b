import SwitchyardCore
import SwitchyardRouting
import Synchronization

/// The bundle in force, reloaded on a TTL from its source; a reload that fails keeps the last
/// good bundle (decisions.md "Configuration").
///
/// The reload runs on the invocation that finds the TTL passed: reading and validating three
/// small documents takes about a millisecond, once per TTL, and a frozen Lambda environment has
/// no background time to do it in anyway.
public final class BundleStore: Sendable {
    /// Reads and validates the whole bundle; `at` is the epoch ms its prices must be in force.
    public typealias Load = @Sendable (_ at: Int64) throws(BundleError) -> RoutingBundle

    private let load: Load
    private let ttl: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state: Mutex<State>

    private struct State: Sendable {
        var router: Router
        var loadedAt: ContinuousClock.Instant
    }

    /// Loads the first bundle.
    /// - Throws: `BundleError` when it does not load (the function does not start with it).
    public init(
        ttl: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        load: @escaping Load
    ) throws(BundleError) {
        self.load = load
        self.ttl = ttl
        self.now = now
        let bundle = try load(WallClock.nowMilliseconds())
        state = Mutex(State(router: Router(bundle: bundle), loadedAt: now()))
    }

    /// A store that never reloads (tests, benchmarks, the evaluation).
    public init(router: Router) {
        load = { _ throws(BundleError) in router.table.bundle }
        ttl = .seconds(Int64.max / 2)
        now = { ContinuousClock.now }
        state = Mutex(State(router: router, loadedAt: ContinuousClock.now))
    }

    /// What `body` reads from the router in force, without copying the router out of the lock (a
    /// copy retains and releases every array and string of its table and bundle: about half of
    /// `InProcessBackend.cost`'s time per request). No reload: `current()`, called by every
    /// routing, does that.
    public func read<Value: Sendable>(_ body: (borrowing Router) -> Value) -> Value {
        state.withLock { state in body(state.router) }
    }

    /// The router for this invocation, reloading first when the TTL has passed.
    /// - Returns: the router, and the error of a reload that failed on this call (the previous
    ///   bundle stays in force and is tried again after another TTL).
    public func current() -> (router: Router, reloadFailure: BundleError?) {
        state.withLock { state in
            let t = now()
            guard t - state.loadedAt >= ttl else { return (state.router, nil) }
            state.loadedAt = t
            do throws(BundleError) {
                state.router = Router(bundle: try load(WallClock.nowMilliseconds()))
                return (state.router, nil)
            } catch {
                return (state.router, error)
            }
        }
    }
}

extension RouterConfiguration.BundleFiles {
    /// Reads the three files and validates them together.
    public func load(at time: Int64) throws(BundleError) -> RoutingBundle {
        func read(_ path: String) throws(BundleError) -> [UInt8] {
            do { return try FileReader.read(path, limit: 8 << 20) } catch {
                throw .unreadable(source: path, reason: error.errorMessage)
            }
        }
        return try RoutingBundle.parse(
            RoutingBundle.Documents(
                policy: try read(policy), catalog: try read(catalog), rates: try read(rates),
                sources: (policy, catalog, rates)),
            pricesAt: time)
    }
}
