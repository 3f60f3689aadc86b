import XCTest

@testable import SwitchyardFrontDoor

final class APIKeyTests: XCTestCase {
    func testGeneratedKeysHaveTheShapeAndAreDistinct() throws {
        let a = try APIKey.generate()
        let b = try APIKey.generate()
        XCTAssertNotEqual(a.text, b.text)
        XCTAssertTrue(a.text.hasPrefix("sk-sy-"))
        XCTAssertEqual(a.text.utf8.count, 6 + 12 + 1 + 64)
        XCTAssertEqual(APIKey.id(of: a.text), a.id)
        XCTAssertNil(APIKey.id(of: a.text + "0"))
        XCTAssertNil(APIKey.id(of: "sk-sy-" + String(repeating: "g", count: 77)))
        XCTAssertNil(APIKey.id(of: "Bearer"))
    }

    func testHashIsSHA256() {
        // FIPS 180-2 test vector.
        XCTAssertEqual(
            APIKey.hex(APIKey.hash("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    func testHashOfEmptyAndLongerInputs() {
        // FIPS 180-2 test vectors; the second also from a slice of a larger string.
        XCTAssertEqual(
            APIKey.hex(APIKey.hash("")), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        let message = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        let expected = "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        XCTAssertEqual(APIKey.hex(APIKey.hash(message)), expected)
        let wider = "é" + message + "é"
        XCTAssertEqual(APIKey.hex(APIKey.hash(String(wider.dropFirst().dropLast()))), expected)
    }

    func testHexOfEveryByte() {
        let bytes = (0...255).map { UInt8($0) }
        let expected = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        XCTAssertEqual(APIKey.hex(bytes), expected)
        XCTAssertEqual(APIKey.hex([]), "")
        XCTAssertEqual(APIKey.bytes(hex: APIKey.hex(bytes)), bytes)
    }

    func testConstantTimeEquality() {
        XCTAssertTrue(APIKey.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        XCTAssertFalse(APIKey.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        XCTAssertFalse(APIKey.constantTimeEquals([1, 2, 3], [1, 2]))
    }

    func testAuthenticateCreateRevokeRotate() throws {
        var store = try KeyStore()
        let (key, stored) = try store.create(
            tenant: "acme-startup", tier: "basic", name: "ci", limits: .defaults, now: 1000)
        XCTAssertNotEqual(stored.hash, key.text)
        XCTAssertFalse(String(decoding: store.serialized(), as: UTF8.self).contains(key.text))
        XCTAssertEqual(try store.authenticate(key.text).tenant, "acme-startup")
        // The same id with another secret.
        var forged = Array(key.text.utf8)
        forged[forged.count - 1] = forged[forged.count - 1] == UInt8(ascii: "0") ? UInt8(ascii: "1") : UInt8(ascii: "0")
        XCTAssertThrowsError(try store.authenticate(String(decoding: forged, as: UTF8.self))) {
            XCTAssertEqual($0 as? FrontDoorError, .invalidAPIKey)
        }
        XCTAssertThrowsError(try store.authenticate("sk-nothing")) {
            XCTAssertEqual($0 as? FrontDoorError, .invalidAPIKey)
        }

        // Round trip through the file format.
        let reread = try KeyStore.parse(store.serialized())
        XCTAssertEqual(reread, store)

        let (rotated, rotatedStored) = try store.rotate(id: key.id, now: 2000)
        XCTAssertEqual(rotatedStored.tenant, "acme-startup")
        XCTAssertEqual(store.key(id: key.id)?.rotatedTo, rotatedStored.id)
        XCTAssertThrowsError(try store.authenticate(key.text)) { XCTAssertEqual($0 as? FrontDoorError, .revokedAPIKey) }
        XCTAssertEqual(try store.authenticate(rotated.text).id, rotatedStored.id)
        _ = try store.revoke(id: rotatedStored.id, now: 3000)
        _ = try store.revoke(id: rotatedStored.id, now: 4000)
        XCTAssertEqual(store.key(id: rotatedStored.id)?.revokedAtMs, 3000)
        XCTAssertThrowsError(try store.authenticate(rotated.text)) {
            XCTAssertEqual($0 as? FrontDoorError, .revokedAPIKey)
        }
    }

    func testMalformedKeyFilesAreRefused() {
        XCTAssertThrowsError(try KeyStore.parse(Array(#"{"version": 2, "keys": []}"#.utf8)))
        let shortID =
            #"{"version": 1, "keys": [{"id": "abc", "hash": "00", "tenant": "t", "tier": "basic", "#
            + #""createdAtMs": 1, "limits": {"requestsPerMinute": 1, "tokensPerMinute": 1}}]}"#
        XCTAssertThrowsError(try KeyStore.parse(Array(shortID.utf8)))
    }
}
