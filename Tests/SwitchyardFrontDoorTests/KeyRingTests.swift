import Foundation
import XCTest

@testable import SwitchyardFrontDoor

/// The key file as the server reads it: a key the tool has just written is found by the next
/// request that presents it, however recently the file was last looked at.
final class KeyRingTests: XCTestCase {
    var folder: URL!
    var path: String { folder.appendingPathComponent("keys.json").path }

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("keyring-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try FileManager.default.removeItem(at: folder) }

    /// As the key tool writes it: a temporary file renamed over the old one.
    func save(_ store: KeyStore) throws {
        let temporary = path + ".tmp"
        try Data(store.serialized()).write(to: URL(fileURLWithPath: temporary))
        XCTAssertEqual(rename(temporary, path), 0)
    }

    func modified(_ path: String) -> timespec {
        var info = stat()
        XCTAssertEqual(stat(path, &info), 0)
        return info.st_mtim
    }

    func testAKeyCreatedAMomentAgoIsFoundOnRecheckAtOnce() throws {
        var store = try KeyStore()
        let first = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        try save(store)
        let ring = try KeyRing(path: path, checkInterval: .seconds(3600))
        XCTAssertNoThrow(try ring.current().authenticate(first.text))

        // A request with a key nobody created: the ring looks (and finds nothing new).
        XCTAssertThrowsError(try ring.current(recheck: true).authenticate("sk-sy-000000000000_nope"))
        // The tool creates a key right after that look; the very next request presents it.
        let second = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 2).0
        try save(store)
        XCTAssertThrowsError(try ring.current().authenticate(second.text), "the routine check waits its interval")
        XCTAssertEqual(try ring.current(recheck: true).authenticate(second.text).id, second.id)
    }

    func testAReplacedFileIsSeenEvenWithTheSameSizeAndModificationTime() throws {
        var store = try KeyStore()
        let acme = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        try save(store)
        let before = modified(path)
        let ring = try KeyRing(path: path, checkInterval: .seconds(3600))

        // Another key of the same length, with the old file's modification time (a coarse clock's tick).
        var other = try KeyStore()
        let globex = try other.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        let size = store.serialized().count
        XCTAssertEqual(other.serialized().count, size)
        try save(other)
        var times = [before, before]
        XCTAssertEqual(utimensat(AT_FDCWD, path, &times, 0), 0)

        let keys = ring.current(recheck: true)
        XCTAssertEqual(try keys.authenticate(globex.text).id, globex.id)
        XCTAssertThrowsError(try keys.authenticate(acme.text))
    }

    func testAFileThatStopsParsingKeepsTheLastGoodKeysAndSaysWhy() throws {
        var store = try KeyStore()
        let key = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        try save(store)
        let ring = try KeyRing(path: path, checkInterval: .seconds(3600))
        try Data("{not json".utf8).write(to: URL(fileURLWithPath: path + ".tmp"))
        XCTAssertEqual(rename(path + ".tmp", path), 0)

        XCTAssertEqual(try ring.current(recheck: true).authenticate(key.text).id, key.id)
        XCTAssertNotNil(ring.lastError)
        try save(store)
        _ = ring.current(recheck: true)
        XCTAssertNil(ring.lastError)
    }
}
