import NIOCore
import NIOHTTP1
import NIOPosix
import SwitchyardHTTP

/// One event loop's upstream connections and calls. Every method runs on `loop`.
///
/// Kept-alive connections wait in `idle` by host:port, most recently used last (reused first: its
/// peer is least likely to be closing it). One scheduled wake-up serves every deadline and idle
/// timeout of the loop, moved lazily: a call whose deadline is later than the wake-up (the common
/// case) schedules nothing, so a request costs no timer change.
final class UpstreamLoop: @unchecked Sendable {
    let loop: EventLoop
    private let configuration: NIOHTTPTransport.Configuration
    private let idleTimeout: TimeAmount
    private let connectTimeout: TimeAmount

    // Loop-confined state.
    private var idle: [String: [UpstreamConnection]] = [:]
    private var idleCount = 0
    private var active: [ObjectIdentifier: UpstreamCall] = [:]
    private var targets: [String: UpstreamTarget] = [:]
    private var wakeUp: (task: Scheduled<Void>, at: NIODeadline)?

    init(loop: EventLoop, configuration: NIOHTTPTransport.Configuration) {
        self.loop = loop
        self.configuration = configuration
        idleTimeout = Self.timeAmount(configuration.idleTimeout)
        connectTimeout = Self.timeAmount(configuration.connectTimeout)
    }

    private static func timeAmount(_ duration: Duration) -> TimeAmount {
        let (seconds, attoseconds) = duration.components
        return .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }

    // MARK: - Calls

    func start(_ call: UpstreamCall) {
        loop.assertInEventLoop()
        if call.cancelled.load(ordering: .relaxed) {
            call.finish(.failure(.aborted))
            return
        }
        let target: UpstreamTarget
        do {
            target = try self.target(call.request.url)
        } catch {
            call.finish(.failure(error))
            return
        }
        active[ObjectIdentifier(call)] = call
        wake(at: call.deadline)
        if let connection = takeIdle(target.key) {
            call.connection = connection
            connection.send(call, target: target, userAgent: configuration.userAgent)
        } else {
            connect(call, target)
        }
    }

    /// Ends a call; its connection, if it still carries it, is closed (its response is unread).
    func finish(_ call: UpstreamCall, _ result: Result<Void, TransportError>) {
        guard !call.finished else { return }
        if let connection = call.connection, connection.call === call {
            connection.call = nil
            connection.close()
        }
        active[ObjectIdentifier(call)] = nil
        call.finish(result)
    }

    /// A caller went away: its call ends with `aborted`. A call not started yet is left to `start`,
    /// which sees `cancelled` (its continuation may not be stored before then).
    func cancel(_ call: UpstreamCall) {
        guard active[ObjectIdentifier(call)] === call else { return }
        finish(call, .failure(.aborted))
    }

    /// A response arrived whole: the call succeeds and the connection waits for the next.
    func completed(_ call: UpstreamCall, on connection: UpstreamConnection, reusable: Bool) {
        if reusable { park(connection) } else { connection.close() }
        active[ObjectIdentifier(call)] = nil
        call.finish(.success(()))
    }

    /// A connection closed. Its call, if any, fails, or is moved once to a fresh connection when
    /// nothing of it was sent on a kept-alive one.
    func closed(_ connection: UpstreamConnection, during call: UpstreamCall?, error: TransportError) {
        if var parked = idle[connection.key], let i = parked.firstIndex(where: { $0 === connection }) {
            parked.remove(at: i)
            idle[connection.key] = parked.isEmpty ? nil : parked
            idleCount -= 1
        }
        guard let call, !call.finished else { return }
        if connection.reused, connection.writeFailed, !call.headArrived, !call.retried,
            let target = try? target(call.request.url)
        {
            call.retried = true
            connect(call, target)
            return
        }
        finish(call, .failure(error))
    }

    // MARK: - Connections

    private func takeIdle(_ key: String) -> UpstreamConnection? {
        guard var parked = idle[key] else { return nil }
        let now = NIODeadline.now()
        var found: UpstreamConnection?
        while let connection = parked.popLast() {
            idleCount -= 1
            if !connection.closed, connection.idleSince + idleTimeout > now {
                found = connection
                break
            }
            connection.close()
        }
        idle[key] = parked.isEmpty ? nil : parked
        return found
    }

    private func park(_ connection: UpstreamConnection) {
        guard !connection.closed, idleCount < configuration.maxIdlePerLoop else {
            connection.close()
            return
        }
        connection.idleSince = .now()
        idle[connection.key, default: []].append(connection)
        idleCount += 1
        wake(at: connection.idleSince + idleTimeout)
    }

    private func connect(_ call: UpstreamCall, _ target: UpstreamTarget) {
        let connection = UpstreamConnection(key: target.key, pool: self)
        call.connection = connection
        let timeout = min(connectTimeout, .milliseconds(Int64(call.timeoutMs)))
        let bootstrap = ClientBootstrap(group: loop)
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(connection)
                }
            }
        let connecting =
            if let address = target.address {
                bootstrap.connect(to: address)
            } else {
                bootstrap.connect(host: target.host, port: target.port)
            }
        connecting.whenComplete { [self] result in
            switch result {
            case .success(let channel):
                connection.connected(channel)
                if !call.finished, call.connection === connection {
                    connection.send(call, target: target, userAgent: configuration.userAgent)
                } else {
                    park(connection)  // its call ended meanwhile; the connection is good
                }
            case .failure(let error):
                guard !call.finished, call.connection === connection else { return }
                finish(call, .failure(Self.connectError(error, target: target, timeoutMs: call.timeoutMs)))
            }
        }
    }

    /// A connection that could not be made: its timeout is the call's (as libcurl reports a connect
    /// timeout), anything else `connectFailed`.
    private static func connectError(_ error: Error, target: UpstreamTarget, timeoutMs: Int) -> TransportError {
        if let channelError = error as? ChannelError, case .connectTimeout = channelError {
            return .timeout(milliseconds: Int64(timeoutMs))
        }
        return .connectFailed("\(target.key): \(error)")
    }

    /// The parsed URL, kept per loop (a server calls a handful of URLs, over and over).
    private func target(_ url: String) throws(TransportError) -> UpstreamTarget {
        if let known = targets[url] { return known }
        let target = try UpstreamTarget(url: url)
        if targets.count >= 256 { targets.removeAll(keepingCapacity: true) }
        targets[url] = target
        return target
    }

    // MARK: - The loop's one wake-up: deadlines and idle timeouts

    private func wake(at deadline: NIODeadline) {
        if let wakeUp, wakeUp.at <= deadline { return }
        wakeUp?.task.cancel()
        wakeUp = (loop.scheduleTask(deadline: deadline) { [self] in woke() }, deadline)
    }

    private func woke() {
        wakeUp = nil
        let now = NIODeadline.now()
        var next: NIODeadline?
        for call in active.values {
            if call.deadline <= now {
                finish(call, .failure(.timeout(milliseconds: Int64(call.timeoutMs))))
            } else {
                next = min(next ?? call.deadline, call.deadline)
            }
        }
        for (_, parked) in idle {
            for connection in parked {
                let expiry = connection.idleSince + idleTimeout
                if expiry <= now {
                    connection.close()  // `closed` takes it out of `idle` when the channel goes
                } else {
                    next = min(next ?? expiry, expiry)
                }
            }
        }
        if let next { wake(at: next) }
    }
}
