import SwitchyardContract
import SwitchyardCore
import SwitchyardUsage
import Synchronization

/// Admission against the budget ledger with group commit and a bound on waiting.
///
/// Why: each reservation is a durable write; one store round trip per request limits admission to
/// the store's write rate, and against a slow store requests used to queue for seconds before
/// being refused. Here concurrent admissions wait in one bounded queue; up to `maxInFlight`
/// store round trips run at once, each taking everything queued (up to `maxBatch`) as one
/// `reserveMany`, so a slow trip gathers a bigger next batch. Each admission gets its own answer
/// (`reserveMany` equals one-by-one reservations in queue order). An admission that finds the
/// queue full is refused at once; one whose answer has not come within `wait` is refused then,
/// and never written if it had not been sent yet (released if its batch admits it later).
public final class ReservationBatcher: Sendable {
    /// Limits of the batcher; every field is range-checked by `init`.
    public struct Settings: Sendable, Equatable {
        /// Longest an admission waits for the store's answer before it is refused (1 ms…60 s; 250 ms).
        public var wait: Duration = .milliseconds(250)
        /// Admissions waiting for a place in a store round trip, past which new ones are refused
        /// at once (1…100 000; 512).
        public var maxQueue = 512
        /// Reservations per store round trip (1…1 000; 64).
        public var maxBatch = 64
        /// Store round trips at once (1…256; 4).
        public var maxInFlight = 4
        /// Deadline of one store round trip (1 ms…60 s; 3 s): past it the batch fails, its
        /// waiters get the failure, and whatever it may have written is released.
        public var storeTimeout: Duration = .seconds(3)

        public init() {}

        /// - Throws: `ConfigurationError.invalid` for a value out of range.
        public func validated() throws(ConfigurationError) -> Settings {
            func check(_ name: String, _ value: Int, _ range: ClosedRange<Int>) throws(ConfigurationError) {
                guard range.contains(value) else {
                    throw .invalid(variable: name, value: String(value), expected: "\(range)")
                }
            }
            try check("wait (ms)", Int(clamping: wait.milliseconds), 1...60_000)
            try check("maxQueue", maxQueue, 1...100_000)
            try check("maxBatch", maxBatch, 1...1_000)
            try check("maxInFlight", maxInFlight, 1...256)
            try check("storeTimeout (ms)", Int(clamping: storeTimeout.milliseconds), 1...60_000)
            return self
        }
    }

    /// What an admission got.
    public enum Outcome: Sendable, Equatable {
        /// The ledger's answer for this request.
        case reserved(Reservation)
        /// The store round trip failed; nothing of it stays reserved.
        case failed(UsageError)
        /// The queue was full: refused without waiting.
        case queueFull
        /// No answer within `wait`.
        case timedOut
    }

    private struct Waiter {
        var request: ReservationRequest
        var deadline: ContinuousClock.Instant
        var continuation: CheckedContinuation<Outcome, Never>
        /// Handed to a store round trip.
        var sent = false
    }

    private struct State {
        var waiters: [UInt64: Waiter] = [:]
        /// Ids not yet sent, in arrival order (from `head`); ids of expired waiters are skipped.
        var queue: [UInt64] = []
        var head = 0
        var queued = 0
        var inFlight = 0
        var nextID: UInt64 = 0
        var reaper = false
        /// How long the last store round trip took.
        var lastTrip: Duration = .zero

        /// Takes up to `limit` queued waiters, in order, marking them sent.
        mutating func take(_ limit: Int) -> [(UInt64, ReservationRequest)] {
            var batch: [(UInt64, ReservationRequest)] = []
            while head < queue.count && batch.count < limit {
                let id = queue[head]
                head += 1
                guard waiters[id] != nil else { continue }
                waiters[id]?.sent = true
                batch.append((id, waiters[id]!.request))
            }
            queued -= batch.count
            if head == queue.count || head > 1024 {
                queue.removeFirst(head)
                head = 0
            }
            return batch
        }
    }

    public let ledger: any BudgetLedger
    public let settings: Settings
    private let state = Mutex(State())

    public init(ledger: any BudgetLedger, settings: Settings = Settings()) {
        self.ledger = ledger
        self.settings = settings
    }

    /// Reserves `request`'s ceiling, batched with the admissions that arrive meanwhile.
    public func reserve(_ request: ReservationRequest) async -> Outcome {
        let deadline = ContinuousClock.now + settings.wait
        return await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
            let (accepted, flight, startReaper) = state.withLock { s -> (Bool, [(UInt64, ReservationRequest)], Bool) in
                guard s.queued < settings.maxQueue else { return (false, [], false) }
                let id = s.nextID
                s.nextID &+= 1
                s.waiters[id] = Waiter(request: request, deadline: deadline, continuation: continuation)
                s.queue.append(id)
                s.queued += 1
                var flight: [(UInt64, ReservationRequest)] = []
                if s.inFlight < settings.maxInFlight {
                    flight = s.take(settings.maxBatch)
                    if !flight.isEmpty { s.inFlight += 1 }
                }
                let startReaper = !s.reaper
                s.reaper = true
                return (true, flight, startReaper)
            }
            guard accepted else { return continuation.resume(returning: .queueFull) }
            if !flight.isEmpty { Task.detached { await self.fly(flight) } }
            if startReaper { Task.detached { await self.reap() } }
        }
    }

    /// Runs store round trips until nothing is queued; holds one of the `maxInFlight` places.
    private func fly(_ first: [(UInt64, ReservationRequest)]) async {
        var batch = first
        while !batch.isEmpty {
            let started = ContinuousClock.now
            let outcomes: [Outcome]
            do {
                let answers = try await ledger.reserveMany(
                    batch.map(\.1), deadline: .now + settings.storeTimeout)
                outcomes =
                    answers.count == batch.count
                    ? answers.map { .reserved($0) }
                    : Array(
                        repeating: .failed(.storeRejected(detail: "reserveMany answered \(answers.count)")),
                        count: batch.count)
            } catch {
                outcomes = Array(repeating: .failed(error), count: batch.count)
            }
            var release: [LedgerRequest] = []
            let now = WallClock.nowMilliseconds()
            let (resume, next) = state.withLock { s -> ([(CheckedContinuation<Outcome, Never>, Outcome)], _) in
                var resume: [(CheckedContinuation<Outcome, Never>, Outcome)] = []
                for ((id, request), outcome) in zip(batch, outcomes) {
                    let waiter = s.waiters.removeValue(forKey: id)
                    // Released: what a failed trip may have written, and what this trip reserved
                    // for an admission that has given up waiting (it was refused).
                    let releases: Bool
                    switch outcome {
                    case .failed: releases = true
                    case .reserved(.admitted): releases = waiter == nil
                    default: releases = false
                    }
                    if releases {
                        release.append(
                            LedgerRequest(tenant: request.tenant, requestID: request.requestID, timestamp: now))
                    }
                    if let waiter { resume.append((waiter.continuation, outcome)) }
                }
                s.lastTrip = ContinuousClock.now - started
                let next = s.take(settings.maxBatch)
                if next.isEmpty { s.inFlight -= 1 }
                return (resume, next)
            }
            for (continuation, outcome) in resume { continuation.resume(returning: outcome) }
            if !release.isEmpty {
                _ = try? await ledger.settle(release, deadline: .now + settings.storeTimeout)
            }
            batch = next
        }
    }

    /// Refuses waiters past their deadline; runs while any wait.
    private func reap() async {
        while true {
            let now = ContinuousClock.now
            let (expired, wake) = state.withLock {
                s -> ([CheckedContinuation<Outcome, Never>], ContinuousClock.Instant?) in
                var expired: [CheckedContinuation<Outcome, Never>] = []
                var earliest: ContinuousClock.Instant?
                for (id, waiter) in s.waiters {
                    if waiter.deadline <= now {
                        s.waiters.removeValue(forKey: id)
                        if !waiter.sent { s.queued -= 1 }
                        expired.append(waiter.continuation)
                    } else if earliest.map({ waiter.deadline < $0 }) ?? true {
                        earliest = waiter.deadline
                    }
                }
                if earliest == nil { s.reaper = false }
                return (expired, earliest)
            }
            for continuation in expired { continuation.resume(returning: .timedOut) }
            guard let wake else { return }
            try? await Task.sleep(until: wake, clock: .continuous)
        }
    }

    /// Whether an admission arriving now should be refused before it is routed: the queue is full,
    /// or the last store round trip took longer than the bound and another is running or waiting
    /// (an admission sent now would time out after routing, billing the router step and writing a
    /// reservation only to release it). Checked before routing, so the refusal costs nothing. With
    /// nothing running or waiting, one admission goes through and measures the store again.
    public var saturated: Bool {
        state.withLock { s in
            s.queued >= settings.maxQueue || (s.lastTrip > settings.wait && (s.queued > 0 || s.inFlight > 0))
        }
    }

    /// Admissions waiting (queued or in a round trip).
    public var waiting: Int { state.withLock { $0.waiters.count } }
}
