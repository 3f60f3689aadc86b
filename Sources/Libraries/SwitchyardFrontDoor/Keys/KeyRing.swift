import SwitchyardCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The key file as the server sees it: read at start, and read again when its identity, size or
/// modification time changes (checked at most every `checkInterval`), so a key revoked or created
/// with the key tool takes effect within that interval without a restart. A file that stops
/// parsing is reported and the last good keys stay.
public final class KeyRing: Sendable {
    public let path: String
    public let checkInterval: Duration
    private struct State {
        var store: KeyStore
        var stamp: Stamp
        var checkedAt: ContinuousClock.Instant
        var lastError: FrontDoorError?
    }
    /// The key tool replaces the file by rename, so a new file is a new inode even when a coarse
    /// file-system clock gives it the old modification time.
    private struct Stamp: Equatable {
        var device: UInt
        var inode: UInt
        var seconds: Int
        var nanoseconds: Int
        var size: Int
    }
    private let state: Mutex<State>
    /// Held while the file is read, so an older read never replaces a newer one.
    private let reading = Mutex(())

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
        state = Mutex(
            State(
                store: store, stamp: Stamp(device: 0, inode: 0, seconds: 0, nanoseconds: 0, size: 0), checkedAt: .now))
    }

    /// The current keys.
    /// - Parameter recheck: the caller holds a key the ring does not know, which may have been
    ///   created a moment ago: look at the file now, whenever it was last looked at. That costs one
    ///   `stat`, and a read only when the file changed, so a flood of made-up keys costs a `stat`
    ///   each. (A rate limit here once answered 401 for a key created within 20 ms of a routine
    ///   check.)
    public func current(recheck: Bool = false) -> KeyStore {
        guard !path.isEmpty else { return state.withLock { $0.store } }
        let now = ContinuousClock.now
        let due = state.withLock { s in
            guard recheck || now - s.checkedAt >= checkInterval else { return false }
            s.checkedAt = now
            return true
        }
        if due { reloadIfChanged() }
        return state.withLock { $0.store }
    }

    private func reloadIfChanged() {
        reading.withLock { _ in
            guard let stamp = Self.stamp(path), stamp != state.withLock({ $0.stamp }) else { return }
            do throws(FrontDoorError) {
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
        return Stamp(
            device: UInt(info.st_dev), inode: UInt(info.st_ino), seconds: info.st_mtim.tv_sec,
            nanoseconds: info.st_mtim.tv_nsec, size: Int(info.st_size))
    }
}
