import SwitchyardCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The key file as the server sees it: read at start, and read again when its modification time
/// or size changes (checked at most every `checkInterval`), so a key revoked or created with the
/// key tool takes effect within that interval without a restart. A file that stops parsing is
/// reported and the last good keys stay.
public final class KeyRing: Sendable {
    public let path: String
    public let checkInterval: Duration
    private struct State {
        var store: KeyStore
        var stamp: Stamp
        var checkedAt: ContinuousClock.Instant
        var lastError: FrontDoorError?
    }
    private struct Stamp: Equatable {
        var seconds: Int
        var nanoseconds: Int
        var size: Int
    }
    private let state: Mutex<State>

    /// Reads the key file.
    /// - Throws: `FrontDoor.Internal` when it cannot be read or parsed.
    public init(path: String, checkInterval: Duration = .milliseconds(250)) throws(FrontDoorError) {
        self.path = path
        self.checkInterval = checkInterval
        let (store, stamp) = try Self.load(path)
        state = Mutex(State(store: store, stamp: stamp, checkedAt: .now, lastError: nil))
    }

    /// A ring over fixed keys (tests).
    public init(store: KeyStore) {
        path = ""
        checkInterval = .seconds(3600 * 24 * 365)
        state = Mutex(State(store: store, stamp: Stamp(seconds: 0, nanoseconds: 0, size: 0), checkedAt: .now))
    }

    /// The current keys.
    /// - Parameter recheck: look at the file now if it was last looked at more than 20 ms ago
    ///   (a key the ring does not know may have just been created); floods of bad keys still
    ///   cost at most 50 `stat` calls a second.
    public func current(recheck: Bool = false) -> KeyStore {
        let now = ContinuousClock.now
        let interval = recheck ? min(checkInterval, .milliseconds(20)) : checkInterval
        let due: Stamp? = state.withLock { s in
            guard !path.isEmpty, now - s.checkedAt >= interval else { return nil }
            s.checkedAt = now
            return s.stamp
        }
        if let previous = due, let stamp = Self.stamp(path), stamp != previous {
            do {
                let (store, stamp) = try Self.load(path)
                state.withLock {
                    $0.store = store
                    $0.stamp = stamp
                    $0.lastError = nil
                }
            } catch {
                state.withLock {
                    $0.stamp = stamp
                    $0.lastError = error
                }
            }
        }
        return state.withLock { $0.store }
    }

    /// Why the last reload failed, if it did.
    public var lastError: FrontDoorError? { state.withLock { $0.lastError } }

    private static func load(_ path: String) throws(FrontDoorError) -> (KeyStore, Stamp) {
        guard let stamp = stamp(path) else { throw .internalError("cannot stat the key file \(path)") }
        let bytes: [UInt8]
        do { bytes = try FileReader.read(path, limit: 16 << 20) } catch {
            throw .internalError("cannot read the key file \(path): \(error)")
        }
        return (try KeyStore.parse(bytes), stamp)
    }

    private static func stamp(_ path: String) -> Stamp? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return Stamp(seconds: info.st_mtim.tv_sec, nanoseconds: info.st_mtim.tv_nsec, size: Int(info.st_size))
    }
}
