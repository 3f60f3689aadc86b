/// Checks for the free-text identifiers that cross function boundaries and become database keys
/// (request ids, tenant ids, step names): bounded length and no control characters, so no two
/// distinct keys can be joined into the same string and no id can forge a log line.
public enum Identifier {
    /// True when `text` is 1...`maxBytes` UTF-8 bytes with no C0/C1 control characters or DEL.
    public static func isValid(_ text: String, maxBytes: Int = 256) -> Bool {
        let count = text.utf8.count
        guard count > 0, count <= maxBytes else { return false }
        for scalar in text.unicodeScalars {
            let v = scalar.value
            if v < 0x20 || (v >= 0x7F && v <= 0x9F) { return false }
        }
        return true
    }
}
