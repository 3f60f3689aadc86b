import Foundation
import SwitchyardAWS
import SwitchyardCore
import Synchronization
import XCTest

final class BundleMirrorTests: XCTestCase {
    var root = ""

    override func setUp() {
        root = NSTemporaryDirectory() + "bundle-mirror-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(
            atPath: root + "/package/classifier", withIntermediateDirectories: true)
        FileManager.default.createFile(atPath: root + "/package/policy.json", contents: Data("policy v1".utf8))
        FileManager.default.createFile(atPath: root + "/package/catalog.json", contents: Data("catalog v1".utf8))
        FileManager.default.createFile(atPath: root + "/package/classifier/model.bin", contents: Data([1, 2, 3]))
    }

    override func tearDown() { try? FileManager.default.removeItem(atPath: root) }

    func read(_ path: String) -> String? {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) }
    }

    /// S3 as a dictionary the test changes; a missing object fails the fetch.
    final class Store: Sendable {
        let objects = Mutex<[String: String]>([:])
        let calls = Mutex(0)
    }

    func mirror(_ store: Store, ttl: Duration) throws -> BundleMirror {
        try BundleMirror(
            directory: root + "/mirror", files: ["policy.json", "catalog.json"], seed: root + "/package",
            linked: ["classifier"], ttl: ttl
        ) { name, _ in
            store.calls.withLock { $0 += 1 }
            guard let text = store.objects.withLock({ $0[name] }) else {
                throw ConfigurationError.unreadableFile(path: name, reason: "NoSuchKey")
            }
            return Array(text.utf8)
        }
    }

    func testSeedsFromThePackageThenFollowsTheSourceOncePerTTL() async throws {
        let store = Store()
        let m = try mirror(store, ttl: .seconds(3600))
        XCTAssertEqual(read(m.path("policy.json")), "policy v1")
        XCTAssertEqual(FileManager.default.contents(atPath: m.path("classifier/model.bin")), Data([1, 2, 3]))
        store.objects.withLock { $0 = ["policy.json": "policy v2", "catalog.json": "catalog v2"] }
        let deadline = ContinuousClock.now.advanced(by: .seconds(5))
        let first = await m.refreshIfDue(deadline: deadline)
        XCTAssertNil(first)
        XCTAssertEqual(read(m.path("policy.json")), "policy v2")
        XCTAssertEqual(read(m.path("catalog.json")), "catalog v2")
        store.objects.withLock { $0["policy.json"] = "policy v3" }
        let second = await m.refreshIfDue(deadline: deadline)
        XCTAssertNil(second)
        XCTAssertEqual(read(m.path("policy.json")), "policy v2", "within the TTL nothing is fetched")
        XCTAssertEqual(store.calls.withLock { $0 }, 2)
    }

    func testAFailedFetchLeavesTheWholePreviousSet() async throws {
        let store = Store()
        let m = try mirror(store, ttl: .zero)
        // The policy would change, but the catalog is missing: neither file may be replaced.
        store.objects.withLock { $0 = ["policy.json": "policy v2"] }
        let error = await m.refreshIfDue(deadline: ContinuousClock.now.advanced(by: .seconds(5)))
        XCTAssertNotNil(error)
        XCTAssertEqual(read(m.path("policy.json")), "policy v1")
        XCTAssertEqual(read(m.path("catalog.json")), "catalog v1")
        store.objects.withLock { $0["catalog.json"] = "catalog v2" }
        let retried = await m.refreshIfDue(deadline: ContinuousClock.now.advanced(by: .seconds(5)))
        XCTAssertNil(retried)
        XCTAssertEqual(read(m.path("policy.json")), "policy v2")
    }
}
