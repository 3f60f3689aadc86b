import Foundation
import XCTest

@testable import SwitchyardBilling

/// `YYYY-MM-DD` to epoch milliseconds, against Foundation's Gregorian calendar in UTC.
final class CivilDateTests: XCTestCase {
    func testEveryDayFrom1900To2100MatchesFoundation() throws {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try XCTUnwrap(TimeZone(identifier: "UTC"))
        var day = try XCTUnwrap(calendar.date(from: DateComponents(year: 1900, month: 1, day: 1)))
        let end = try XCTUnwrap(calendar.date(from: DateComponents(year: 2101, month: 1, day: 1)))
        var checked = 0
        while day < end {
            let parts = calendar.dateComponents([.year, .month, .day], from: day)
            let text = String(format: "%04d-%02d-%02d", parts.year!, parts.month!, parts.day!)
            XCTAssertEqual(CivilDate.epochMilliseconds(text), Int64(day.timeIntervalSince1970 * 1000), text)
            day = try XCTUnwrap(calendar.date(byAdding: .day, value: 1, to: day))
            checked += 1
        }
        XCTAssertEqual(checked, 73_414)
    }

    func testWhatIsNotADateIsNil() {
        for text in [
            "", "2026-02-29", "1900-02-29", "2026-13-01", "2026-00-10", "2026-01-00", "2026-04-31", "2026-1-01",
            "2026-01-1", "+202-01-01", "-202-01-01", "2026-01-01 ", " 2026-01-01", "2026/01/01", "20260101",
            "2026-01-01T00:00:00Z", "２０２６-01-01", "2026-0a-01", "2026--1-01",
        ] {
            XCTAssertNil(CivilDate.epochMilliseconds(text), text)
        }
        XCTAssertEqual(CivilDate.epochMilliseconds("2024-02-29"), 1_709_164_800_000)
        XCTAssertEqual(CivilDate.epochMilliseconds("2000-02-29"), 951_782_400_000)
        XCTAssertEqual(CivilDate.epochMilliseconds("1970-01-01"), 0)
        XCTAssertEqual(CivilDate.epochMilliseconds("0000-03-01"), -62_162_035_200_000)
    }
}
