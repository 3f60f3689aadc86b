import SwitchyardBilling
import SwitchyardJSON
import XCTest

/// Locates files of this repository (the rates table, the router's policy) from the test's path.
enum RepositoryFiles {
    static let root: String = {
        var parts = #filePath.split(separator: "/", omittingEmptySubsequences: false)
        parts.removeLast(3)  // Tests/SwitchyardBillingTests/RepositoryFiles.swift
        return parts.joined(separator: "/")
    }()

    static func bytes(_ relativePath: String) -> [UInt8]? {
        FileManager.default.contents(atPath: root + "/" + relativePath).map { Array($0) }
    }

    static func seededRates() throws -> RatesTable {
        let bytes = try XCTUnwrap(bytes("infra/rates.json"), "infra/rates.json is missing")
        return try RatesTable(bytes: bytes)
    }
}

/// Epoch milliseconds of a UTC date, for tests (independent of the library's date parser).
func utc(_ year: Int, _ month: Int, _ day: Int) -> Int64 {
    var components = DateComponents()
    components.year = year
    components.month = month
    components.day = day
    components.timeZone = TimeZone(identifier: "UTC")
    let date = Calendar(identifier: .gregorian).date(from: components)!
    return Int64(date.timeIntervalSince1970 * 1000)
}
