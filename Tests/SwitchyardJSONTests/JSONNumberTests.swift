import XCTest

@testable import SwitchyardJSON

/// Decimal literals the parser converts without `strtod` (Clinger's fast path) must give the very
/// double `strtod` gives; the reference here is the standard library's `Double(String)`, which is
/// `strtod`, compared bit for bit.
final class JSONNumberTests: XCTestCase {
    func double(_ literal: String) throws -> Double {
        guard case .double(let value) = try JSON.parse(literal) else {
            XCTFail("\(literal) did not parse as a double")
            return .nan
        }
        return value
    }

    func assertSameAsStrtod(_ literal: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try XCTUnwrap(Double(literal), literal, file: file, line: line)
        let parsed = try double(literal)
        XCTAssertEqual(
            parsed.bitPattern, reference.bitPattern, "\(literal): \(parsed) vs \(reference)", file: file, line: line)
    }

    func testEdgesOfTheFastPath() throws {
        for literal in [
            "0.0", "-0.0", "0e0", "-0e5", "0.1", "0.2", "0.3", "0.15", "2.5e-7", "1e22", "1e23", "1e-22", "1e-23",
            "9007199254740992.0", "9007199254740993.0", "9007199254740993e-3", "123456789012345678.9",
            "1234567890123456789.0", "12345678901234567890.0", "1.7976931348623157e308", "4.9e-324",
            "2.2250738585072014e-308",
            "1E+2", "1e+0022", "1e-0022", "1e00022", "3.14159265358979", "-2.718281828459045", "0.000001", "1e-5",
            "100000000000000000000000.0", "0.30000000000000004", "5e-324", "1.5", "-1.5e1", "7e0", "7.0e-0",
        ] {
            try assertSameAsStrtod(literal)
        }
        XCTAssertEqual(try double("-0.0").sign, .minus)
    }

    func testRandomDecimalsMatchStrtod() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let integerDigits = Int.random(in: 1...12, using: &generator)
            let fractionDigits = Int.random(in: 1...12, using: &generator)
            var literal = Bool.random(using: &generator) ? "-" : ""
            literal += String(Int.random(in: 1...9, using: &generator))
            for _ in 1..<integerDigits { literal += String(Int.random(in: 0...9, using: &generator)) }
            literal += "."
            for _ in 0..<fractionDigits { literal += String(Int.random(in: 0...9, using: &generator)) }
            if Bool.random(using: &generator) {
                literal += "e" + String(Int.random(in: -40...40, using: &generator))
            }
            try assertSameAsStrtod(literal)
        }
    }
}
