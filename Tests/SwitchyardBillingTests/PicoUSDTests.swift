import SwitchyardBilling
import SwitchyardContract
import XCTest

final class PicoUSDTests: XCTestCase {
    func testParsesPublishedRatesExactly() {
        XCTAssertEqual(PicoUSD(decimal: "5.00")?.rawValue, 5_000_000_000_000)
        XCTAssertEqual(PicoUSD(decimal: "0.0000166667")?.rawValue, 16_666_700)
        XCTAssertEqual(PicoUSD(decimal: "0.0000133334")?.rawValue, 13_333_400)
        XCTAssertEqual(PicoUSD(decimal: "0.736")?.rawValue, 736_000_000_000)
        XCTAssertEqual(PicoUSD(decimal: "0.000000000001")?.rawValue, 1)
        XCTAssertEqual(PicoUSD(decimal: "0")?.rawValue, 0)
        XCTAssertEqual(PicoUSD(decimal: ".5")?.rawValue, 500_000_000_000)
    }

    func testRefusesWhatCannotBeExact() {
        XCTAssertNil(PicoUSD(decimal: "0.0000000000001"), "13 fraction digits cannot be exact in pico-USD")
        XCTAssertNil(PicoUSD(decimal: "1e-6"))
        XCTAssertNil(PicoUSD(decimal: ""))
        XCTAssertNil(PicoUSD(decimal: "."))
        XCTAssertNil(PicoUSD(decimal: "1.2.3"))
        XCTAssertNil(PicoUSD(decimal: "99999999999"), "beyond Int64 pico range")
    }

    func testDescriptionIsExactDecimalDollars() {
        XCTAssertEqual(PicoUSD(15_000_000_000).description, "0.015")
        XCTAssertEqual(PicoUSD(208_334).description, "0.000000208334")
        XCTAssertEqual(PicoUSD(25 * PicoUSD.perUSD).description, "25.00")
        XCTAssertEqual(PicoUSD(-1).description, "-0.000000000001")
    }

    func testHalfEvenRounding() {
        XCTAssertEqual(try ExactAmount(numerator: 5, denominator: 2).roundedHalfEven(), 2)
        XCTAssertEqual(try ExactAmount(numerator: 7, denominator: 2).roundedHalfEven(), 4)
        XCTAssertEqual(try ExactAmount(numerator: 11, denominator: 4).roundedHalfEven(), 3)
        XCTAssertEqual(try ExactAmount(numerator: 9, denominator: 4).roundedHalfEven(), 2)
        XCTAssertEqual(try ExactAmount(numerator: -5, denominator: 2).roundedHalfEven(), -2)
        XCTAssertEqual(try ExactAmount(numerator: -7, denominator: 2).roundedHalfEven(), -4)
        XCTAssertEqual(PicoUSD(1_500_000).microUSDRounded, 2)
        XCTAssertEqual(PicoUSD(2_500_000).microUSDRounded, 2)
    }
}
