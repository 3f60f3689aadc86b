import SwitchyardVision
import XCTest

final class NPYFormatTests: XCTestCase {
    func testRoundTrip() throws {
        let tensor = Tensor(shape: [1, 3, 2, 2], values: (0..<12).map { Float($0) / 7 })
        let bytes = NPYFormat.encode(tensor)
        XCTAssertEqual(Array(bytes.prefix(6)), [0x93] + Array("NUMPY".utf8))
        XCTAssertEqual((bytes.count - 12 * 4) % 64, 0)  // header padded to 64 bytes, as NumPy writes it
        XCTAssertEqual(try NPYFormat.decode(bytes), tensor)
    }

    func testRejectsWrongDTypeAndTruncation() {
        var bytes = NPYFormat.encode(Tensor(shape: [2], values: [1, 2]))
        XCTAssertThrowsError(try NPYFormat.decode(Array(bytes.dropLast())))
        let descr = Array("<f4".utf8)
        let at = (0..<(bytes.count - 3)).first { Array(bytes[$0..<($0 + 3)]) == descr }!
        bytes[at + 1] = UInt8(ascii: "i")
        XCTAssertThrowsError(try NPYFormat.decode(bytes)) { error in
            XCTAssertEqual((error as? VisionError)?.errorType, "Vision.BadModelOutput")
        }
        XCTAssertThrowsError(try NPYFormat.decode(Array("not numpy".utf8)))
    }

    /// What endpoints are sent: the letterboxed image as `|u1`, a quarter of the float bytes.
    func testUInt8RoundTripMatchesNumPysLayout() throws {
        let pixels: [UInt8] = (0..<24).map { UInt8($0 * 10) }
        let bytes = NPYFormat.encode(uint8: pixels, shape: [1, 2, 4, 3])
        let header = String(decoding: bytes[10..<(bytes.count - 24)], as: UTF8.self)
        XCTAssertTrue(header.hasPrefix("{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2, 4, 3), }"), header)
        XCTAssertEqual((bytes.count - 24) % 64, 0)
        XCTAssertEqual(Array(bytes.suffix(24)), pixels)
        XCTAssertEqual(try NPYFormat.decode(bytes), Tensor(shape: [1, 2, 4, 3], values: pixels.map { Float($0) }))
    }
}
