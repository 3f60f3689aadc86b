import Foundation
import SwitchyardCore
import Synchronization
import XCTest

/// The pool starts its threads on demand: none before the first job, one more only while every
/// started thread is busy, never more than its limit.
final class BlockingPoolTests: XCTestCase {
    final class Counter: Sendable { let value = Mutex(0) }

    /// Runs `body` on the pool and returns the thread it ran on.
    static func threadOf(_ pool: BlockingPool, _ body: @escaping @Sendable () -> Void = {}) async -> UInt {
        await withTaskExecutorPreference(pool) {
            body()
            return UInt(bitPattern: Int(bitPattern: UnsafeRawPointer(bitPattern: UInt(pthread_self()))))
        }
    }

    func testNoThreadStartsBeforeTheFirstJob() async {
        let pool = BlockingPool(threads: 4)
        XCTAssertEqual(pool.startedThreads, 0)
        _ = await Self.threadOf(pool)
        XCTAssertEqual(pool.startedThreads, 1)
        // A job queued while the only thread is still finishing the last one may start another
        // (it does not wait to see whether that thread comes back); never more than the limit.
        for _ in 0..<50 { _ = await Self.threadOf(pool) }
        XCTAssertLessThanOrEqual(pool.startedThreads, 4)
    }

    func testAOneThreadPoolRunsEveryJobOnOneThread() async {
        let pool = BlockingPool(threads: 1)
        var threads = Set<UInt>()
        for _ in 0..<50 { threads.insert(await Self.threadOf(pool)) }
        XCTAssertEqual(threads.count, 1)
        XCTAssertEqual(pool.startedThreads, 1)
    }

    /// Three jobs that each block until all three run at once need three threads; a fourth pool
    /// thread is never started.
    func testBlockedJobsGetThreadsUpToTheLimit() async {
        let pool = BlockingPool(threads: 3)
        let arrived = Counter()
        let release = DispatchSemaphore(value: 0)
        let threads = await withTaskGroup(of: UInt.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await Self.threadOf(pool) {
                        arrived.value.withLock { $0 += 1 }
                        release.wait()
                    }
                }
            }
            // Wait without blocking a cooperative thread; a pool that cannot run all three at
            // once never gets there, and the test fails instead of hanging.
            let start = ContinuousClock.now
            while arrived.value.withLock({ $0 }) < 3, ContinuousClock.now - start < .seconds(10) {
                try? await Task.sleep(for: .milliseconds(1))
            }
            XCTAssertEqual(arrived.value.withLock { $0 }, 3, "three blocked jobs should run at once")
            for _ in 0..<3 { release.signal() }
            var seen = Set<UInt>()
            for await thread in group { seen.insert(thread) }
            return seen
        }
        XCTAssertEqual(threads.count, 3)
        XCTAssertEqual(pool.startedThreads, 3)

        // More jobs than threads: they queue for the three, and all run.
        let more = await withTaskGroup(of: UInt.self) { group in
            for _ in 0..<12 { group.addTask { await Self.threadOf(pool) { usleep(1000) } } }
            var seen = Set<UInt>()
            for await thread in group { seen.insert(thread) }
            return seen
        }
        XCTAssertLessThanOrEqual(more.count, 3)
        XCTAssertEqual(pool.startedThreads, 3)
    }
}
