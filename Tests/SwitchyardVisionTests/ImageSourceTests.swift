import SwitchyardCore
import SwitchyardVision
import XCTest

final class ImageSourceTests: XCTestCase {
    func testReferencesAndInlineForms() throws {
        XCTAssertEqual(
            try ImageSource.parse("s3://bucket/a/b.jpg", maxBytes: 10), .s3(bucket: "bucket", key: "a/b.jpg"))
        XCTAssertEqual(
            try ImageSource.parse("https://example.com/x.png", maxBytes: 10), .url("https://example.com/x.png"))
        XCTAssertEqual(try ImageSource.parse("data:image/png;base64,AQID", maxBytes: 10), .inline([1, 2, 3]))
        XCTAssertEqual(try ImageSource.parse("AQID", maxBytes: 10), .inline([1, 2, 3]))
    }

    func testMalformedReferencesAreInvalidRequests() {
        for text in ["s3://", "s3://bucket", "s3:///key", "data:image/png,rawtext", "not base64 at all!"] {
            XCTAssertThrowsError(try ImageSource.parse(text, maxBytes: 100)) { error in
                XCTAssertEqual((error as? VisionError)?.errorType, "Vision.InvalidRequest", text)
            }
        }
    }

    func testInlineSizeIsCheckedBeforeDecoding() {
        let big = Base64.encode([UInt8](repeating: 7, count: 3000))
        XCTAssertThrowsError(try ImageSource.parse(big, maxBytes: 1000)) { error in
            XCTAssertEqual((error as? VisionError)?.errorType, "Vision.PayloadTooLarge")
        }
    }

    func testSummaryNeverContainsInlineBytes() throws {
        XCTAssertEqual(try ImageSource.parse("AQID", maxBytes: 10).summary, "inline (3 bytes)")
    }
}
