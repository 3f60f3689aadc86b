import SwitchyardCore

/// Keeps log lines honest and free of secrets: one entry is one line, whatever its text holds,
/// and anything that looks like a credential is replaced before it is written.
///
/// Both passes are linear in the text (each position is looked at a bounded number of times).
public enum LogSanitizer {
    /// What a redacted value becomes.
    public static let marker = "[REDACTED]"

    // MARK: - Escaping

    /// Escapes what could end or forge a line: `\n`, `\r` and `\t` as themselves, other C0
    /// controls, DEL, C1 controls and the Unicode line/paragraph separators as `\u{XXXX}`, and
    /// the backslash as `\\`, so the escaping cannot be imitated and the original is recoverable.
    public static func escapeControlCharacters(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 8)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\\": out += "\\\\"
            case _ where needsEscape(scalar): out += "\\u{\(String(scalar.value, radix: 16))}"
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x5C, 0x7F...0x9F, 0x2028, 0x2029: true
        default: false
        }
    }

    // MARK: - Redaction

    /// Whether a metadata key names a secret (`authorization`, `x-api-key`, `apiKey`,
    /// `sessionToken`, `client_secret`, `password`, `cookie`, `signature`, …), so its value is
    /// never written. `tokens` (counts) is not a secret; `token` is.
    public static func isSensitive(key: String) -> Bool {
        // Lower-cased letters and digits only. ASCII keys (all of ours) are folded byte by byte: this
        // runs for every metadata key of every log line.
        var normalized: [UInt8] = []
        normalized.reserveCapacity(key.utf8.count)
        for byte in key.utf8 {
            switch byte {
            case 0x41...0x5A: normalized.append(byte | 0x20)
            case 0x30...0x39, 0x61...0x7A: normalized.append(byte)
            case 0x80...: return isSensitive(normalized: unicodeNormalized(key))
            default: continue
            }
        }
        return isSensitive(normalized: normalized)
    }

    /// `isSensitive(key:)`'s folding for keys beyond ASCII: alphabetic scalars of any script stay.
    private static func unicodeNormalized(_ key: String) -> [UInt8] {
        Array(
            String(key.lowercased().unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) })
                .utf8)
    }

    private static func isSensitive(normalized: [UInt8]) -> Bool {
        if sensitiveKeyFragments.contains(where: { TextSearch.contains($0, in: normalized) }) { return true }
        return normalized.elementsEqual("key".utf8)
            || sensitiveKeySuffixes.contains {
                normalized.count >= $0.count && normalized.suffix($0.count).elementsEqual($0)
            }
    }

    private static let sensitiveKeyFragments = [
        "authorization", "apikey", "secret", "password", "passwd", "cookie", "credential", "signature",
    ].map { Array($0.utf8) }

    private static let sensitiveKeySuffixes = ["token", "apikey", "privatekey", "secretkey", "accesskey"].map {
        Array($0.utf8)
    }

    /// Replaces credential-looking parts of free text: `Bearer <token>`, `Authorization: …`,
    /// `api_key=…`, `"password": "…"`, `X-Amz-Signature=…` and other key/value spellings of
    /// secrets, OpenAI/Anthropic-style keys (`sk-…`) and AWS access key ids (`AKIA…`, `ASIA…`).
    public static func redact(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { isTrigger($0) }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            let atBoundary = i == 0 || !isWordByte(bytes[i - 1])
            if atBoundary, isTrigger(bytes[i]), let (valueStart, valueEnd) = secretValue(in: bytes, at: i) {
                out += bytes[i..<valueStart]
                out += Array(marker.utf8)
                i = valueEnd
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Keywords introducing a secret value with `:` or `=` (after optional quotes and spaces).
    /// Lower-case; matched case-insensitively at a word start and followed by a non-word byte.
    private static let keyValueKeywords: [(keyword: [UInt8], toEndOfLine: Bool)] =
        [
            ("authorization", true), ("proxy-authorization", true), ("cookie", true), ("set-cookie", true),
            ("api_key", false), ("api-key", false), ("apikey", false), ("x-api-key", false), ("access_token", false),
            ("access-token", false), ("accesstoken", false), ("refresh_token", false), ("refreshtoken", false),
            ("session_token", false), ("sessiontoken", false), ("secret_access_key", false),
            ("secretaccesskey", false), ("client_secret", false), ("clientsecret", false), ("password", false),
            ("passwd", false), ("x-amz-security-token", false), ("x-amz-signature", false),
            ("x-amz-credential", false), ("signature", false), ("token", false), ("secret", false),
        ].map { (Array($0.0.utf8), $0.1) }

    /// The range of the secret starting at `start`, if one does.
    private static func secretValue(in bytes: [UInt8], at start: Int) -> (Int, Int)? {
        // Bearer <token>, Basic <credentials>
        for (scheme, minimum) in [(Array("bearer".utf8), 1), (Array("basic".utf8), 8)]
        where hasPrefix(bytes, start, scheme) {
            var j = start + scheme.count
            guard j < bytes.count, bytes[j] == UInt8(ascii: " ") else { continue }
            while j < bytes.count, bytes[j] == UInt8(ascii: " ") { j += 1 }
            let end = scan(bytes, from: j, while: isTokenByte)
            if end - j >= minimum { return (j, end) }
        }
        // sk-… (OpenAI, Anthropic), AKIA…/ASIA… (AWS access key ids)
        if hasPrefix(bytes, start, Array("sk-".utf8)) {
            let end = scan(bytes, from: start + 3, while: { isWordByte($0) || $0 == UInt8(ascii: "-") })
            if end - start - 3 >= 20 { return (start, end) }
        }
        for prefix in ["AKIA", "ASIA"] where bytes[start...].starts(with: prefix.utf8) {
            let end = scan(bytes, from: start + 4, while: { (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) })
            if end - start == 20 { return (start, end) }
        }
        // key: value, key=value, "key": "value"
        for (keyword, toEndOfLine) in keyValueKeywords where hasPrefix(bytes, start, keyword) {
            var j = start + keyword.count
            if j < bytes.count, isWordByte(bytes[j]) { continue }
            while j < bytes.count, bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "'") { j += 1 }
            while j < bytes.count, bytes[j] == UInt8(ascii: " ") { j += 1 }
            guard j < bytes.count, bytes[j] == UInt8(ascii: ":") || bytes[j] == UInt8(ascii: "=") else { continue }
            j += 1
            while j < bytes.count,
                bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\"")
                    || bytes[j] == UInt8(ascii: "'")
            {
                j += 1
            }
            let end =
                toEndOfLine
                ? scan(bytes, from: j, while: { $0 != 0x0A && $0 != 0x0D && $0 != UInt8(ascii: "\"") })
                : scan(bytes, from: j, while: isValueByte)
            if end > j { return (j, end) }
        }
        return nil
    }

    private static func hasPrefix(_ bytes: [UInt8], _ start: Int, _ lowercased: [UInt8]) -> Bool {
        guard bytes.count - start >= lowercased.count else { return false }
        for k in 0..<lowercased.count where lower(bytes[start + k]) != lowercased[k] { return false }
        return true
    }

    private static func scan(_ bytes: [UInt8], from start: Int, while predicate: (UInt8) -> Bool) -> Int {
        var j = start
        while j < bytes.count, predicate(bytes[j]) { j += 1 }
        return j
    }

    private static func lower(_ byte: UInt8) -> UInt8 { (0x41...0x5A).contains(byte) ? byte | 0x20 : byte }
    private static func isWordByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "_")
    }
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        isWordByte(byte) || "-.~+/=".utf8.contains(byte)
    }
    private static func isValueByte(_ byte: UInt8) -> Bool {
        byte > 0x20 && !"&\"',;}]<>".utf8.contains(byte)
    }
    /// First bytes of every pattern, so text without any skips the scan.
    private static func isTrigger(_ byte: UInt8) -> Bool {
        switch lower(byte) {
        case UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "c"), UInt8(ascii: "p"), UInt8(ascii: "r"),
            UInt8(ascii: "s"), UInt8(ascii: "t"), UInt8(ascii: "x"):
            true
        default: false
        }
    }
}
