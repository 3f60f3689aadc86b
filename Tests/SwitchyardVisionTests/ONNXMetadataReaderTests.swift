import XCTest

@testable import SwitchyardVision

final class ONNXMetadataReaderTests: XCTestCase {
    func testParsesUltralyticsNamesDictLiterals() {
        XCTAssertEqual(
            ONNXMetadataReader.parseNames("{0: 'person', 1: \"it's\", 2: 'say \"hi\"'}"),
            [0: "person", 1: "it's", 2: "say \"hi\""])
        XCTAssertEqual(ONNXMetadataReader.parseNames("{}"), [:])
        XCTAssertEqual(ONNXMetadataReader.parseNames("{0: 'a\\'b'}"), [0: "a'b"])
        XCTAssertNil(ONNXMetadataReader.parseNames("['person']"))
        XCTAssertNil(ONNXMetadataReader.parseNames("{0: person}"))
        XCTAssertNil(ONNXMetadataReader.parseNames("{0: 'unterminated"))
    }

    func testParsesImageSizes() {
        XCTAssertEqual(ONNXMetadataReader.parseInts("[480, 640]"), [480, 640])
        XCTAssertEqual(ONNXMetadataReader.parseInts("640"), [640, 640])
    }

    /// A hand-encoded ModelProto with only metadata_props (field 14).
    func testReadsMetadataPropsFromProtobuf() throws {
        func field(_ number: Int, _ payload: [UInt8]) -> [UInt8] {
            [UInt8(number << 3 | 2), UInt8(payload.count)] + payload
        }
        func entry(_ key: String, _ value: String) -> [UInt8] {
            field(14, field(1, Array(key.utf8)) + field(2, Array(value.utf8)))
        }
        let model = [0x08, 0x08] + entry("names", "{0: 'cat', 1: 'dog'}") + entry("imgsz", "[320, 480]")
        let metadata = try ONNXMetadataReader.read(model, source: "test.onnx")
        XCTAssertEqual(metadata.classNames, [0: "cat", 1: "dog"])
        XCTAssertEqual(metadata.inputHeight, 320)
        XCTAssertEqual(metadata.inputWidth, 480)
        XCTAssertThrowsError(try ONNXMetadataReader.read(Array(model.dropLast(3)), source: "test.onnx"))
    }
}
