import Foundation
import XCTest

/// What a test does when a service it needs is not configured: skip on a developer's machine,
/// fail where `SWITCHYARD_REQUIRE_SERVICES=1` (scripts/test and CI set it), so a database that
/// did not start can never turn the MongoDB tests into silent skips.
enum RequiredServices {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    static func missing(_ what: String) -> any Error {
        if ProcessInfo.processInfo.environment["SWITCHYARD_REQUIRE_SERVICES"] == "1" {
            return Missing(description: "\(what) (required: SWITCHYARD_REQUIRE_SERVICES=1)")
        }
        return XCTSkip(what)
    }
}
