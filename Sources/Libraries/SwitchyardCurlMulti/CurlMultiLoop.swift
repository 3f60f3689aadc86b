import CCurl
import NIOCore
import SwitchyardHTTP
import Synchronization

/// One libcurl multi handle, driven by one SwiftNIO event loop: every call into it runs on that
/// loop's thread (a `CURLM` must be used from one thread only).
///
/// The loop adds a transfer and lets curl act on it at once (connect, or reuse a kept-alive
/// connection, and send), then returns to its selector. `CurlSocketWatcher` reports the sockets
/// curl waits on; curl's timer (deadlines, connect timeouts) is a NIO scheduled task. When a
/// transfer ends, its caller's continuation is resumed on the loop, where the caller's task
/// (started on this loop by the server) carries on without a thread hop.
///
/// The multi handle owns the connection cache, so connections are reused across all transfers
/// of this loop; easy handles are pooled only to save their setup.
final class CurlMultiLoop: @unchecked Sendable {
    /// A socket curl asked us to watch: what for, and whether its one-shot watch is armed.
    private struct Watched {
        var flags: UInt32
        var armed: Bool
    }

    let loop: EventLoop
    private let owner: Int
    private let watcher: CurlSocketWatcher
    private let configuration: CurlTransport.Configuration
    private let multi: UnsafeMutableRawPointer
    private let maxIdleHandles: Int

    // Loop-confined state.
    private var active: [UnsafeMutableRawPointer: CurlMultiCall] = [:]
    private var idle: [CurlEasyHandle] = []
    private var sockets: [Int32: Watched] = [:]
    /// Sockets curl stopped watching while their one-shot watch had already fired: still in the
    /// epoll set but silent, so a kept-alive connection's next transfer re-arms it (one
    /// `epoll_ctl`) instead of removing and adding it (two). Closing a socket takes it out of the set.
    private var parked: Set<Int32> = []
    /// curl asked to be called "now" (timeout 0): done right after the current call into curl.
    private var timeoutDue = false
    /// When curl wants its timeout call; nil: none.
    private var timerDeadline: NIODeadline?
    /// The scheduled wake-up, which may be earlier than `timerDeadline` (it is then moved on when
    /// it fires, instead of being cancelled and scheduled again on every change).
    private var timer: (task: Scheduled<Void>, at: NIODeadline)?

    init(
        loop: EventLoop, owner: Int, watcher: CurlSocketWatcher, configuration: CurlTransport.Configuration
    ) throws(TransportError) {
        guard let multi = curl_multi_init() else { throw .io("curl_multi_init failed") }
        self.loop = loop
        self.owner = owner
        self.watcher = watcher
        self.configuration = configuration
        self.multi = multi
        self.maxIdleHandles = configuration.maxIdleHandles
        // The multi handle lives as long as the process (the server's transport is never freed).
        let user = Unmanaged.passUnretained(self).toOpaque()
        _ = switchyard_curl_multi_setopt_socketfunction(multi, Self.socketCallback)
        _ = switchyard_curl_multi_setopt_ptr(multi, CURLMOPT_SOCKETDATA, user)
        _ = switchyard_curl_multi_setopt_timerfunction(multi, Self.timerCallback)
        _ = switchyard_curl_multi_setopt_ptr(multi, CURLMOPT_TIMERDATA, user)
        // Kept-alive connections per loop: as many as the easy transport kept idle handles.
        _ = switchyard_curl_multi_setopt_long(multi, CURLMOPT_MAXCONNECTS, max(8, configuration.maxIdleHandles))
    }

    // MARK: - Transfers (on the loop)

    /// Adds a call's transfer and lets curl start it. The call is resumed on the loop exactly once.
    func start(_ call: CurlMultiCall) {
        loop.assertInEventLoop()
        if call.cancelled.load(ordering: .relaxed) {
            call.resume(.failure(.aborted))
            return
        }
        let handle = idle.popLast() ?? CurlEasyHandle()
        let h = handle.raw
        let request = call.request
        call.handle = handle
        call.options = CurlRequestOptions(
            handle: h, request: request, timeoutMs: call.timeoutMs, configuration: configuration,
            transfer: call.transfer)
        // Copied: the request's bytes are not kept alive by this frame while the transfer runs.
        request.body.withUnsafeBytes { CurlRequestOptions.setMethod(h, request.method, body: $0, copy: true) }
        active[h] = call
        let added = curl_multi_add_handle(multi, h)
        guard added == CURLM_OK else {
            active[h] = nil
            call.resume(.failure(.io("curl_multi_add_handle: \(String(cString: curl_multi_strerror(added)))")))
            return
        }
        afterCurl()
    }

    /// Stops a call whose caller went away; it ends with `TransportError.aborted`.
    func cancel(_ call: CurlMultiCall) {
        guard let h = call.handle?.raw, active[h] === call else { return }
        finish(h, call, .failure(.aborted))
        afterCurl()
    }

    /// A socket the watcher reported ready.
    func ready(_ event: CurlSocketWatcher.Ready) {
        guard sockets[event.socket] != nil else { return }  // forgotten since it was reported
        sockets[event.socket]?.armed = false
        var mask: Int32 = 0
        if event.flags & Epoll.in != 0 { mask |= CURL_CSELECT_IN }
        if event.flags & Epoll.out != 0 { mask |= CURL_CSELECT_OUT }
        if event.flags & (Epoll.error | Epoll.hangUp) != 0 { mask |= CURL_CSELECT_ERR }
        var running: Int32 = 0
        _ = curl_multi_socket_action(multi, event.socket, mask, &running)
        // curl still wants it and did not change what for: watch it again.
        if let watched = sockets[event.socket], !watched.armed {
            sockets[event.socket]?.armed = true
            _ = watcher.arm(event.socket, owner: owner, flags: watched.flags, added: true)
        }
        afterCurl()
    }

    /// After every call into curl: run the timeouts it asked for now, hand back finished
    /// transfers, and move the timer.
    private func afterCurl() {
        var rounds = 0
        repeat {
            if timeoutDue {
                timeoutDue = false
                var running: Int32 = 0
                _ = curl_multi_socket_action(multi, Self.socketTimeout, 0, &running)
            }
            collectFinished()
            rounds += 1
        } while timeoutDue && rounds < 16
        if timeoutDue {
            // Still more to do: let the loop serve others first.
            timeoutDue = false
            timerDeadline = .now()
        }
        moveTimer()
    }

    private func collectFinished() {
        var left: Int32 = 0
        while let message = curl_multi_info_read(multi, &left) {
            guard message.pointee.msg == CURLMSG_DONE, let h = message.pointee.easy_handle, let call = active[h]
            else { continue }
            let code = switchyard_curl_msg_result(message)
            if code == CURLE_OK {
                call.transfer.deliverHead()
                finish(h, call, .success(CurlRequestOptions.timeToFirstByte(h)))
            } else {
                finish(
                    h, call,
                    .failure(CurlRequestOptions.error(for: code, transfer: call.transfer, timeoutMs: call.timeoutMs)))
            }
        }
    }

    private func finish(
        _ h: UnsafeMutableRawPointer, _ call: CurlMultiCall, _ result: Result<Duration?, TransportError>
    ) {
        active[h] = nil
        _ = curl_multi_remove_handle(multi, h)
        if let handle = call.handle, idle.count < maxIdleHandles { idle.append(handle) }
        call.handle = nil
        call.options = nil
        call.resume(result)
    }

    // MARK: - curl's timer

    private func moveTimer() {
        guard let deadline = timerDeadline else { return }  // a stale wake-up is harmless
        if let timer, timer.at <= deadline { return }
        timer?.task.cancel()
        let task = loop.scheduleTask(deadline: deadline) { [self] in timerFired() }
        timer = (task, deadline)
    }

    private func timerFired() {
        timer = nil
        guard let deadline = timerDeadline else { return }
        guard deadline <= .now() else {
            moveTimer()
            return
        }
        timerDeadline = nil
        timeoutDue = true
        afterCurl()
    }

    // MARK: - libcurl's callbacks (called inside our calls into curl, on the loop)

    /// CURL_SOCKET_TIMEOUT (= CURL_SOCKET_BAD): "no socket, check the timeouts".
    private static let socketTimeout: curl_socket_t = -1

    private static let socketCallback:
        @convention(c) (
            UnsafeMutableRawPointer?, curl_socket_t, Int32, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?
        ) -> Int32 = { _, socket, what, user, _ in
            Unmanaged<CurlMultiLoop>.fromOpaque(user!).takeUnretainedValue().watch(socket, what)
            return 0
        }

    private static let timerCallback:
        @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeMutableRawPointer?) -> Int32 = { _, milliseconds, user in
            Unmanaged<CurlMultiLoop>.fromOpaque(user!).takeUnretainedValue().setTimer(milliseconds)
            return 0
        }

    private func watch(_ socket: curl_socket_t, _ what: Int32) {
        if what == CURL_POLL_REMOVE {
            guard let watched = sockets.removeValue(forKey: socket) else { return }
            if watched.armed {
                watcher.forget(socket)
            } else {
                parked.insert(socket)
            }
            return
        }
        var flags: UInt32 = 0
        if what & CURL_POLL_IN != 0 { flags |= Epoll.in }
        if what & CURL_POLL_OUT != 0 { flags |= Epoll.out }
        // A parked socket may have been closed and its number reused: `arm` then adds it afresh.
        let known = sockets[socket] != nil || parked.remove(socket) != nil
        sockets[socket] = Watched(flags: flags, armed: true)
        _ = watcher.arm(socket, owner: owner, flags: flags, added: known)
    }

    private func setTimer(_ milliseconds: Int) {
        if milliseconds < 0 {
            timerDeadline = nil
        } else if milliseconds == 0 {
            timerDeadline = nil
            timeoutDue = true
        } else {
            timerDeadline = .now() + .milliseconds(Int64(milliseconds))
        }
    }
}

/// One call of `CurlMultiTransport`: its request and transfer, and the caller's continuation.
/// Made by the caller, then used only on the loop until it is resumed; the caller reads the
/// transfer after that.
final class CurlMultiCall: @unchecked Sendable {
    let request: HTTPRequest
    let transfer: CurlTransfer
    let timeoutMs: Int
    /// Set when the caller's task is cancelled, possibly before the loop has started the transfer.
    let cancelled = Atomic<Bool>(false)
    private var continuation: UnsafeContinuation<Result<Duration?, TransportError>, Never>?
    // While the transfer runs (on the loop): its handle and the options libcurl reads.
    var handle: CurlEasyHandle?
    var options: CurlRequestOptions?

    init(request: HTTPRequest, transfer: CurlTransfer, timeoutMs: Int) {
        self.request = request
        self.transfer = transfer
        self.timeoutMs = timeoutMs
    }

    /// Starts the transfer on `driver`'s loop (inline when already there) and waits for its end.
    func run(on driver: CurlMultiLoop) async -> Result<Duration?, TransportError> {
        await withUnsafeContinuation { continuation in
            self.continuation = continuation
            if driver.loop.inEventLoop {
                driver.start(self)
            } else {
                driver.loop.execute { driver.start(self) }
            }
        }
    }

    func resume(_ result: Result<Duration?, TransportError>) {
        continuation?.resume(returning: result)
        continuation = nil
    }
}
