import SwitchyardContract
import SwitchyardCore
import SwitchyardUsage
import Synchronization

/// The budget ledger over several usage-store connections, each call on the blocking pool.
///
/// Why: `MongoUsageSink` holds one connection behind a lock, and a reservation is a durable
/// (journaled) write, tens of milliseconds on a local disk; through one connection, reservations
/// of concurrent requests would queue behind each other. Spread over connections, they overlap
/// (and the store's group commit serves them together).
final class PooledLedger: BudgetLedger, Sendable {
    let sinks: [MongoUsageSink]
    let pool: BlockingPool
    private let next = Atomic<Int>(0)

    init(sinks: [MongoUsageSink], pool: BlockingPool) {
        precondition(!sinks.isEmpty)
        self.sinks = sinks
        self.pool = pool
    }

    private var sink: MongoUsageSink { sinks[next.add(1, ordering: .relaxed).oldValue % sinks.count] }

    func reserve(
        tenant: String, requestID: String, ceiling: PicoUSD, budget: PicoUSD, deadline: ContinuousClock.Instant
    ) async throws(UsageError) -> Reservation {
        let sink = self.sink
        let result: Result<Reservation, UsageError> = await withTaskExecutorPreference(pool) {
            do throws(UsageError) {
                return .success(
                    try await sink.reserve(
                        tenant: tenant, requestID: requestID, ceiling: ceiling, budget: budget, deadline: deadline))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    func reserveMany(_ requests: [ReservationRequest], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> [Reservation]
    {
        let sink = self.sink
        let result: Result<[Reservation], UsageError> = await withTaskExecutorPreference(pool) {
            do throws(UsageError) {
                return .success(try await sink.reserveMany(requests, deadline: deadline))
            } catch { return .failure(error) }
        }
        return try result.get()
    }

    func settle(_ requests: [LedgerRequest], deadline: ContinuousClock.Instant) async throws(UsageError) -> Int {
        let sink = self.sink
        let result: Result<Int, UsageError> = await withTaskExecutorPreference(pool) {
            do throws(UsageError) { return .success(try await sink.settle(requests, deadline: deadline)) } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    func release(_ request: LedgerRequest, deadline: ContinuousClock.Instant) async throws(UsageError) -> Bool {
        try await settle([request], deadline: deadline) > 0
    }

    func balance(tenant: String, at: Int64, deadline: ContinuousClock.Instant) async throws(UsageError)
        -> LedgerBalance
    {
        let sink = self.sink
        let result: Result<LedgerBalance, UsageError> = await withTaskExecutorPreference(pool) {
            do throws(UsageError) {
                return .success(try await sink.balance(tenant: tenant, at: at, deadline: deadline))
            } catch { return .failure(error) }
        }
        return try result.get()
    }
}
