import XCTest

@testable import SwitchyardCore

/// `RawValueIndex` against the definition it replaces: the first case whose raw value equals the
/// string.
final class RawValueIndexTests: XCTestCase {
    enum Sample: String, CaseIterable, Sendable {
        case empty = ""
        case a, ab, ba, abc, cab
        case long = "a-much-longer-raw-value"
        case accented = "café"
        case emoji = "😀x"
    }

    func reference(_ raw: String) -> Sample? { Sample.allCases.first { $0.rawValue == raw } }

    /// ASCII only, the fast path's case.
    enum Plain: String, CaseIterable, Sendable {
        case chat, code, math, k
        case semi = ";"
        case visionQA = "vision-qa"
    }

    func testEveryStringFindsWhatTheLinearDefinitionFinds() {
        let plain = RawValueIndex<Plain>()
        // Canonically equivalent spellings (KELVIN SIGN is K, GREEK QUESTION MARK is ';') are equal Strings.
        for probe in ["chat", "Chat", "chat ", "cha", "math", "k", "K", "\u{212A}", ";", "\u{37E}", "vision-qa", ""] {
            XCTAssertEqual(plain.value(probe), Plain.allCases.first { $0.rawValue == probe }, probe.debugDescription)
        }
        let index = RawValueIndex<Sample>()
        var probes = Sample.allCases.map(\.rawValue)
        for raw in Sample.allCases.map(\.rawValue) {
            probes += [raw + "x", "x" + raw, String(raw.dropLast()), String(raw.dropFirst()), raw.uppercased()]
        }
        probes += ["cafe", "cafe\u{301}", "😀", "abd", "b", " a", "\u{0}"]
        for probe in probes {
            XCTAssertEqual(index.value(probe), reference(probe), probe.debugDescription)
        }
        // A string that is not native UTF-8 storage (a substring's copy) reads the same.
        XCTAssertEqual(index.value(String("xabcx".dropFirst().dropLast())), .abc)
    }
}
