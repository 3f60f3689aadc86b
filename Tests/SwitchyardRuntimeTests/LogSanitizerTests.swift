import XCTest

@testable import SwitchyardRuntime

final class LogSanitizerTests: XCTestCase {
    func testControlCharactersAreEscapedSoALineStaysOneLine() {
        XCTAssertEqual(LogSanitizer.escapeControlCharacters("plain text"), "plain text")
        XCTAssertEqual(LogSanitizer.escapeControlCharacters("a\nb\r\nc\td"), #"a\nb\r\nc\td"#)
        XCTAssertEqual(LogSanitizer.escapeControlCharacters("nul\u{0}bel\u{7}del\u{7F}"), #"nul\u{0}bel\u{7}del\u{7f}"#)
        XCTAssertEqual(
            LogSanitizer.escapeControlCharacters("ls\u{2028}ps\u{2029}nel\u{85}"), #"ls\u{2028}ps\u{2029}nel\u{85}"#)
        // A literal backslash-n cannot pass for an escaped newline.
        XCTAssertEqual(LogSanitizer.escapeControlCharacters(#"C:\new"#), #"C:\\new"#)
        XCTAssertEqual(LogSanitizer.escapeControlCharacters("héllo ✓"), "héllo ✓")
    }

    func testCredentialsInTextAreRedacted() {
        let cases: [(String, String)] = [
            ("Authorization: Bearer abc.def-ghi", "Authorization: [REDACTED]"),
            ("sent Bearer eyJhbGciOi.x.y to upstream", "sent Bearer [REDACTED] to upstream"),
            (
                "header authorization=AWS4-HMAC-SHA256 Credential=AKIA/x, Signature=ab",
                "header authorization=[REDACTED]"
            ),
            ("key sk-proj-abcdefghijklmnopqrstuvwx failed", "key [REDACTED] failed"),
            ("anthropic sk-ant-api03-abcdefghijklmnopqrstu", "anthropic [REDACTED]"),
            ("id AKIAIOSFODNN7EXAMPLE used", "id [REDACTED] used"),
            (
                "https://h/o?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA%2F",
                "https://h/o?X-Amz-Signature=[REDACTED]&X-Amz-Credential=[REDACTED]"
            ),
            (#"{"api_key": "k-123", "model": "gpt-4o"}"#, #"{"api_key": "[REDACTED]", "model": "gpt-4o"}"#),
            ("password=hunter2 user=bob", "password=[REDACTED] user=bob"),
            ("x-api-key: abc123", "x-api-key: [REDACTED]"),
            ("Basic dXNlcjpwYXNzd29yZA==", "Basic [REDACTED]"),
        ]
        for (input, expected) in cases {
            XCTAssertEqual(LogSanitizer.redact(input), expected, input)
        }
    }

    func testOrdinaryTextIsLeftAlone() {
        for text in [
            "input_tokens=12 output_tokens: 30", "switchyard.tokens=42", "basic tier", "token bucket refilled",
            "sk-short", "AKIA123", "route chosen: premium", "secretary=no", "maxTokens: 512",
        ] {
            XCTAssertEqual(LogSanitizer.redact(text), text)
        }
    }

    func testSensitiveKeys() {
        for key in [
            "authorization", "Authorization", "x-api-key", "apiKey", "api_key", "sessionToken", "x-amz-security-token",
            "client_secret", "password", "Cookie", "set-cookie", "awsSecretAccessKey", "signature",
        ] {
            XCTAssertTrue(LogSanitizer.isSensitive(key: key), key)
        }
        for key in ["switchyard.tokens", "switchyard.model", "tokens", "cacheKey", "errorType", "aws-request-id"] {
            XCTAssertFalse(LogSanitizer.isSensitive(key: key), key)
        }
        // Keys beyond ASCII take the scalar path: letters of any script stay, the rest goes.
        for key in ["cl\u{E9}_password", "x-api-key-\u{E9}", "\u{C9}T\u{C9}_TOKEN", "mot-de-passe.secret"] {
            XCTAssertTrue(LogSanitizer.isSensitive(key: key), key)
        }
        for key in ["t\u{F6}kens", "gr\u{F6}\u{DF}e", "\u{E4}pikey", "token\u{E9}"] {
            XCTAssertFalse(LogSanitizer.isSensitive(key: key), key)
        }
    }

    func testRedactionIsLinear() {
        // Adversarial input: a keyword at every word start, none completed.
        let unit = "token token= bearer Authorization "
        let small = String(repeating: unit, count: 1_000)
        let large = String(repeating: unit, count: 10_000)
        // The fastest of five runs of each: a loaded machine (CI, parallel builds) stretches single
        // runs at random, but not the minimum.
        let clock = ContinuousClock()
        let tSmall = (0..<5).map { _ in clock.measure { _ = LogSanitizer.redact(small) } }.min()!
        let tLarge = (0..<5).map { _ in clock.measure { _ = LogSanitizer.redact(large) } }.min()!
        XCTAssertLessThan(tLarge, tSmall * 30, "10× the input must not take 30× the time")
    }
}
