import Synchronization
import XCTest

@testable import SwitchyardFrontDoor

/// `MongoKeyStore`'s cache in front of a key collection played by the test (each reader call is
/// one read of MongoDB), through the front door's real authentication path (`GET /v1/models`).
final class MongoKeyStoreTests: XCTestCase {
    /// The "collection" and how often it was read.
    final class Collection: Sendable {
        let keys = Mutex(try! KeyStore())
        let reads = Mutex<[ContinuousClock.Instant]>([])

        func read(_ deadline: ContinuousClock.Instant) throws(FrontDoorError) -> KeyStore {
            reads.withLock { $0.append(.now) }
            return keys.withLock { $0 }
        }

        func create() throws -> APIKey {
            try keys.withLock { store in
                try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
            }
        }
    }

    static func models(_ service: FrontDoorService, key: String) async -> Int {
        await service.handle(
            FrontDoorRequest(
                method: "GET", path: "/v1/models", headers: [(name: "authorization", value: "Bearer \(key)")], body: [])
        ).status
    }

    /// A key is used the moment it is created, 20 times in a row: each is served, however recently
    /// the server last read the keys (before: refused when created within 100 ms of that read).
    func testAKeyUsedTheMomentItIsCreatedIsServed() async throws {
        let collection = Collection()
        let store = MongoKeyStore(reader: { deadline throws(FrontDoorError) in try collection.read(deadline) })
        let service = FrontDoorService(keys: store, backend: try FakeBackend(), billing: nil)
        let first = try collection.create()
        let started = ContinuousClock.now
        let firstStatus = await Self.models(service, key: first.text)
        XCTAssertEqual(firstStatus, 200)
        for i in 0..<20 {
            let key = try collection.create()
            let status = await Self.models(service, key: key.text)
            XCTAssertEqual(status, 200, "key \(i) was refused")
            // The keys known before stay served from memory, without a read.
            let known = await Self.models(service, key: first.text)
            XCTAssertEqual(known, 200)
        }
        let took = ContinuousClock.now - started
        let reads = collection.reads.withLock { $0 }
        // One read per new key (plus the first), each at least the interval after the one before.
        XCTAssertEqual(reads.count, 21)
        for (a, b) in zip(reads, reads.dropFirst()) {
            XCTAssertGreaterThanOrEqual(b - a, .milliseconds(100), "two reads within the recheck interval")
        }
        XCTAssertGreaterThanOrEqual(took, .milliseconds(2_000))
    }

    /// The blocking path (the authorizer's: the cached keys, then one more look for an unknown
    /// id) serves a key the moment it is created too, 20 times in a row, one read per new key at
    /// least the interval apart.
    func testTheBlockingPathServesAKeyTheMomentItIsCreated() throws {
        let collection = Collection()
        let store = MongoKeyStore(reader: { deadline throws(FrontDoorError) in try collection.read(deadline) })
        func authenticate(_ key: APIKey) throws -> StoredKey {
            do { return try store.keys(recheck: false).authenticate(key.text) } catch .invalidAPIKey {
                return try store.keys(recheck: true).authenticate(key.text)
            }
        }
        let first = try collection.create()
        XCTAssertEqual(try authenticate(first).id, first.id)
        for _ in 0..<20 {
            let key = try collection.create()
            XCTAssertEqual(try authenticate(key).id, key.id)
            XCTAssertEqual(try authenticate(first).id, first.id)
        }
        let reads = collection.reads.withLock { $0 }
        XCTAssertEqual(reads.count, 21)
        for (a, b) in zip(reads, reads.dropFirst()) {
            XCTAssertGreaterThanOrEqual(b - a, .milliseconds(100), "two reads within the recheck interval")
        }
        // A made-up key is still refused, after one more read.
        XCTAssertThrowsError(
            try store.keys(recheck: true).authenticate("sk-sy-0000000000ff_" + String(repeating: "a", count: 64)))
    }

    /// Made-up keys from 32 clients at once for a second: every one refused (401), and MongoDB read
    /// at most once per 100 ms however many ask.
    func testAFloodOfMadeUpKeysReadsAtMostTenTimesASecond() async throws {
        let collection = Collection()
        let known = try collection.create()
        let store = MongoKeyStore(reader: { deadline throws(FrontDoorError) in try collection.read(deadline) })
        let service = FrontDoorService(keys: store, backend: try FakeBackend(), billing: nil)
        let knownStatus = await Self.models(service, key: known.text)
        XCTAssertEqual(knownStatus, 200)
        let readsBefore = collection.reads.withLock { $0.count }
        let started = ContinuousClock.now
        let end = started + .seconds(1)
        let (statuses, slowest) = await withTaskGroup(of: ([Int], Duration).self) { group in
            for client in 0..<32 {
                group.addTask {
                    var statuses: [Int] = []
                    var slowest = Duration.zero
                    var n = 0
                    while ContinuousClock.now < end {
                        let id = String(String(client * 100_000 + n, radix: 16).suffix(12))
                        let made =
                            "sk-sy-" + String(repeating: "0", count: 12 - id.count) + id + "_"
                            + String(repeating: "a", count: 64)
                        let asked = ContinuousClock.now
                        statuses.append(await Self.models(service, key: made))
                        slowest = max(slowest, ContinuousClock.now - asked)
                        n += 1
                    }
                    return (statuses, slowest)
                }
            }
            var all: [Int] = []
            var slowest = Duration.zero
            for await (s, d) in group {
                all += s
                slowest = max(slowest, d)
            }
            return (all, slowest)
        }
        let elapsed = ContinuousClock.now - started
        let reads = collection.reads.withLock { $0.count } - readsBefore
        XCTAssertGreaterThan(statuses.count, 32)
        XCTAssertEqual(Set(statuses), [401])
        // One read per 100 ms of the flood, and one for a request that came just at its end.
        let bound = Int(elapsed / .milliseconds(100)) + 1
        XCTAssertLessThanOrEqual(reads, bound, "\(reads) reads in \(elapsed) for \(statuses.count) made-up keys")
        XCTAssertGreaterThanOrEqual(reads, 2, "unknown keys did not look again")
        // Each waits for the next read: about the interval, never the flood's length.
        XCTAssertLessThan(slowest, .milliseconds(800))
        // The known key is still served from memory after.
        let after = await Self.models(service, key: known.text)
        XCTAssertEqual(after, 200)
    }
}
