import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import XCTest

final class ImageReferenceTests: XCTestCase {
    func testEverySpellingOfALocalAddressIsRefused() throws {
        let policy = ImageAccessPolicy()
        for host in [
            "127.0.0.1", "127.1", "0177.0.0.1", "0x7f.0.0.1", "2130706433", "017700000001", "[::1]",
            "[0:0:0:0:0:0:0:1]", "[::ffff:127.0.0.1]", "[::ffff:7f00:1]", "[::ffff:a9fe:a9fe]", "169.254.169.254",
            "[fe80::1%25eth0]", "10.1.2.3", "172.16.0.1", "192.168.1.1", "100.64.0.1", "0.0.0.0", "[::]", "[fd00::1]",
            "[64:ff9b::7f00:1]", "[2002:7f00:1::]", "localhost", "api.localhost", "metadata.google.internal",
        ] {
            let reference = try ImageReference(parsing: "https://\(host)/cat.jpg")
            XCTAssertThrowsError(try policy.check(reference), host) {
                XCTAssertEqual(($0 as? ImageReferenceError)?.errorType, "Image.Forbidden", host)
            }
        }
        for host in ["images.example.com", "93.184.216.34", "[2606:2800:220:1:248:1893:25c8:1946]", "8.8.8.8"] {
            XCTAssertNoThrow(try policy.check(try ImageReference(parsing: "https://\(host)/a.png")), host)
        }
    }

    func testAddressParsingMatchesInetAtonAndRFC4291() {
        XCTAssertEqual(IPAddress("127.1"), .v4(0x7F00_0001))
        XCTAssertEqual(IPAddress("0177.0.0.1"), .v4(0x7F00_0001))
        XCTAssertEqual(IPAddress("2130706433"), .v4(0x7F00_0001))
        XCTAssertEqual(IPAddress("10.0x1.0377"), .v4(0x0A01_00FF))
        XCTAssertNil(IPAddress("256.0.0.1"))
        XCTAssertNil(IPAddress("1.2.3.4.5"))
        XCTAssertNil(IPAddress("08.0.0.1"), "8 is not an octal digit")
        XCTAssertNil(IPAddress("example.com"))
        XCTAssertEqual(IPAddress("[::1]"), IPAddress("0:0:0:0:0:0:0:1"))
        XCTAssertEqual(IPAddress("::ffff:127.0.0.1")?.embeddedV4, 0x7F00_0001)
        XCTAssertNil(IPAddress("1::2::3"))
        XCTAssertNil(IPAddress("1:2:3:4:5:6:7:8:9"))
        XCTAssertEqual(IPAddress("2001:db8::1")?.description, "2001:db8:0:0:0:0:0:1")
    }

    func testHTTPAndS3NeedTheDeploymentsPermission() throws {
        let http = try ImageReference(parsing: "http://images.example.com/a.jpg")
        XCTAssertThrowsError(try ImageAccessPolicy().check(http))
        XCTAssertNoThrow(try ImageAccessPolicy(allowHTTP: true).check(http))

        let s3 = try ImageReference(parsing: "s3://tenant-a-uploads/cam/1.jpg")
        XCTAssertThrowsError(try ImageAccessPolicy().check(s3), "no S3 before an allow-list exists")
        let allowed = ImageAccessPolicy(s3: [S3Prefix("s3://tenant-a-uploads/cam/")!])
        XCTAssertNoThrow(try allowed.check(s3))
        XCTAssertThrowsError(try allowed.check(try ImageReference(parsing: "s3://tenant-a-uploads/private/1.jpg")))
        XCTAssertThrowsError(try allowed.check(try ImageReference(parsing: "s3://tenant-b-uploads/cam/1.jpg")))
        XCTAssertThrowsError(
            try allowed.check(try ImageReference(parsing: "s3://tenant-a-uploads/cam/../private/1.jpg")))
    }

    func testMalformedReferencesAreTypedErrors() {
        for text in [
            "ftp://x/y.jpg", "s3://", "s3://Bad_Bucket/key", "s3://bucket-only", "https://user:pw@host/a.jpg",
            "https:///a.jpg", "https://host:99999/a.jpg", "data:text/plain;base64,aGk=", "data:image/png,notbase64",
            "not base64 at all!", "",
        ] {
            XCTAssertThrowsError(try ImageReference(parsing: text), text) {
                XCTAssertEqual(($0 as? ImageReferenceError)?.errorType, "Image.InvalidReference", text)
            }
        }
    }

    func testWireFormRoundTripsAndLogsRedactSignatures() throws {
        for text in [
            "https://bucket.s3.amazonaws.com/a.jpg?X-Amz-Signature=abc", "s3://bucket-1/a/b.png",
            "data:image/png;base64,iVBORw0KGgo=", "iVBORw0KGgo=",
        ] {
            let reference = try ImageReference(parsing: text)
            XCTAssertEqual(reference.wireValue, text)
            let json = try JSON.encode([reference])
            XCTAssertEqual(try JSON.decode([ImageReference].self, from: json), [reference])
        }
        let presigned = try ImageReference(parsing: "https://b.s3.amazonaws.com/a.jpg?X-Amz-Signature=secret")
        XCTAssertFalse(presigned.description.contains("secret"))
        let inline = try ImageReference(parsing: "data:image/png;base64,iVBORw0KGgo=")
        XCTAssertFalse(inline.description.contains("iVBOR"))
    }

    func testInlineImagesAreBoundedBeforeDecoding() throws {
        let big = ImageReference.inline(format: .png, base64: String(repeating: "A", count: 8_000_000))
        XCTAssertThrowsError(try ImageAccessPolicy(maxInlineBytes: 5 << 20).check(big)) {
            XCTAssertEqual(($0 as? ImageReferenceError)?.errorType, "Image.TooLarge")
        }
    }
}
