import XCTest

@testable import SwitchyardRouting

/// The model loader widens ~1M f16 weights at init, 16 lanes at a time; every one of the 65,536
/// half bit patterns must widen to what the platform's own `Float16` conversion gives (bit for
/// bit, signed zeros and subnormals included; NaNs stay NaNs) and exactly to the scalar path.
final class NGramHalfConversionTests: XCTestCase {
    func testEveryHalfWidensExactly() {
        var mismatches: [(UInt16, UInt32, UInt32)] = []
        for start in stride(from: 0, to: 65_536, by: 16) {
            var halves = SIMD16<UInt16>()
            for lane in 0..<16 { halves[lane] = UInt16(start + lane) }
            let wide = NGramModel.floats(halves: halves)
            for lane in 0..<16 {
                let h = halves[lane], got = wide[lane]
                // The platform's conversion; a NaN only has to stay a NaN (it may quiet a signalling one).
                let reference = Float(Float16(bitPattern: h))
                let agrees = reference.isNaN ? got.isNaN : got.bitPattern == reference.bitPattern
                if !agrees || got.bitPattern != NGramModel.float(half: h).bitPattern {
                    mismatches.append((h, got.bitPattern, reference.bitPattern))
                }
            }
        }
        XCTAssertTrue(mismatches.isEmpty, "first mismatches (half, got, expected): \(mismatches.prefix(5))")
    }

    func testSpotValues() {
        let halves = SIMD16<UInt16>(
            0x0000, 0x8000, 0x0001, 0x8001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x3555, 0x7BFF, 0xFBFF, 0x7C00, 0xFC00,
            0x7E00, 0x4000, 0xC000)
        let wide = NGramModel.floats(halves: halves)
        let expected: [Float] = [
            0, -0.0, 0x1p-24, -0x1p-24, 0x3FFp-24, 0x1p-14, 1, -1, 0x1.554p-2, 65504, -65504, .infinity, -.infinity,
            .nan, 2, -2,
        ]
        for lane in 0..<16 {
            if expected[lane].isNaN {
                XCTAssertTrue(wide[lane].isNaN, "lane \(lane)")
            } else {
                XCTAssertEqual(wide[lane].bitPattern, expected[lane].bitPattern, "lane \(lane): \(wide[lane])")
            }
        }
    }
}
