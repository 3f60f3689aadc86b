import CCurl
import SwitchyardHTTP

#if canImport(Glibc)
    import Glibc
#endif

/// Watches libcurl's sockets for the event loops that drive them, from one thread of its own.
///
/// Why a thread: SwiftNIO's selector has no public API to watch a descriptor it did not open, and
/// a NIO channel over curl's socket would read curl's bytes itself. The loop still owns each
/// transfer (it sends the request as soon as the handle is added, with no hand-off); this thread
/// only waits in `epoll_wait` and tells the owning loop which sockets are ready. Each registration
/// is one-shot (`EPOLLONESHOT`): a socket reports once, then stays quiet until its owner has let
/// curl act on it and armed it again, so a readable socket that the loop has not read yet does not
/// wake this thread again and again.
final class CurlSocketWatcher: @unchecked Sendable {
    /// A socket that is ready: its descriptor and the `EPOLL*` flags it reported.
    struct Ready {
        var socket: Int32
        var flags: UInt32
    }

    private let epoll: Int32
    /// Indexed by the owner number carried in each registration; set once, before the thread starts.
    private var owners: [(Ready) -> Void] = []

    init() throws(TransportError) {
        epoll = switchyard_epoll_create()
        guard epoll >= 0 else { throw .io("epoll_create1 failed: errno \(errno)") }
    }

    /// Starts the thread. `owners[i]` receives, on the watcher's thread, each ready socket
    /// registered by owner `i`; it must hand it to its own loop.
    func start(owners: [(Ready) -> Void]) throws(TransportError) {
        self.owners = owners
        var thread = pthread_t()
        // The thread keeps the watcher alive for the life of the process.
        let box = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(
            &thread, nil, { raw in Unmanaged<CurlSocketWatcher>.fromOpaque(raw!).takeRetainedValue().run() }, box)
        guard created == 0 else {
            Unmanaged<CurlSocketWatcher>.fromOpaque(box).release()
            throw .io("could not start the socket watcher thread: error \(created)")
        }
        pthread_detach(thread)
    }

    /// Watches `socket` for `flags` (`Epoll.in`/`Epoll.out`) once, for `owner`. `added`: the socket
    /// is registered already (re-arm or change), else it is new. Thread-safe (`epoll_ctl`).
    func arm(_ socket: Int32, owner: Int, flags: UInt32, added: Bool) -> Bool {
        let data = UInt64(UInt32(owner)) << 32 | UInt64(UInt32(bitPattern: socket))
        let op = added ? Epoll.modify : Epoll.add
        if switchyard_epoll_ctl(epoll, op, socket, flags | Epoll.oneShot, data) == 0 { return true }
        // A descriptor closed and reused behind our back: registered afresh, or still registered.
        if added, errno == ENOENT {
            return switchyard_epoll_ctl(epoll, Epoll.add, socket, flags | Epoll.oneShot, data) == 0
        }
        if !added, errno == EEXIST {
            return switchyard_epoll_ctl(epoll, Epoll.modify, socket, flags | Epoll.oneShot, data) == 0
        }
        return false
    }

    /// Stops watching `socket` (curl no longer needs it, or is closing it).
    func forget(_ socket: Int32) {
        // EBADF/ENOENT: curl closed it first, and closing removed it.
        _ = switchyard_epoll_ctl(epoll, Epoll.delete, socket, 0, 0)
    }

    private func run() -> Never {
        switchyard_name_thread("curl-sockets")
        let capacity = 64
        var flags = [UInt32](repeating: 0, count: capacity)
        var data = [UInt64](repeating: 0, count: capacity)
        while true {
            let count = flags.withUnsafeMutableBufferPointer { f in
                data.withUnsafeMutableBufferPointer { d in
                    switchyard_epoll_wait(epoll, f.baseAddress, d.baseAddress, Int32(capacity), -1)
                }
            }
            guard count > 0 else { continue }  // EINTR
            for i in 0..<Int(count) {
                let owner = Int(data[i] >> 32)
                guard owner < owners.count else { continue }
                let socket = Int32(bitPattern: UInt32(truncatingIfNeeded: data[i]))
                owners[owner](Ready(socket: socket, flags: flags[i]))
            }
        }
    }
}

/// `<sys/epoll.h>`'s values (Linux ABI), spelled out: glibc declares the flags as an enum Swift
/// does not import as plain integers.
enum Epoll {
    static let add: Int32 = 1
    static let delete: Int32 = 2
    static let modify: Int32 = 3
    static let `in`: UInt32 = 0x001
    static let out: UInt32 = 0x004
    static let error: UInt32 = 0x008
    static let hangUp: UInt32 = 0x010
    static let oneShot: UInt32 = 1 << 30
}
