import Foundation
import SwitchyardCore
import XCTest

/// `Environment.process` against Foundation's own reading of the same environment.
final class EnvironmentTests: XCTestCase {
    func testProcessEnvironmentMatchesFoundation() {
        let set: [(String, String)] = [
            ("SWITCHYARD_ENV_TEST_PLAIN", "value"), ("SWITCHYARD_ENV_TEST_EQUALS", "a=b==c"),
            ("SWITCHYARD_ENV_TEST_EMPTY", ""), ("SWITCHYARD_ENV_TEST_UTF8", "é≠\u{338}=x 🙂"),
            ("SWITCHYARD_ENV_TEST_JSON", #"{"basic": "b", "pro": "p"}"#),
        ]
        for (name, value) in set { setenv(name, value, 1) }
        defer { for (name, _) in set { unsetenv(name) } }
        let values = Environment.process.values
        XCTAssertEqual(values, ProcessInfo.processInfo.environment)
        for (name, value) in set { XCTAssertEqual(values[name], value, name) }
    }

    func testAnEntryIsSplitAtItsFirstEqualsByte() {
        // A value starting with a combining mark: split by Character, "=\u{338}" is one grapheme ("≠")
        // and the entry had no "=" at all; the name ends at the first "=" byte, as getenv reads it.
        setenv("SWITCHYARD_ENV_TEST_COMBINING", "\u{338}x", 1)
        defer { unsetenv("SWITCHYARD_ENV_TEST_COMBINING") }
        XCTAssertEqual(Environment.process["SWITCHYARD_ENV_TEST_COMBINING"], "\u{338}x")
        XCTAssertEqual(String(cString: getenv("SWITCHYARD_ENV_TEST_COMBINING")), "\u{338}x")
    }
}
