// Substring search without `_StringProcessing`. Its `contains(_:)` and `firstRange(of:)` were the
// package's only uses of that module, and importing it linked it and `_RegexParser` (about 1 MB)
// into every bootstrap; the package now builds with its implicit import disabled (Package.swift,
// docs/packaging.md).
//
// The string methods are `@inlinable` so each caller gets them specialised for its concrete types,
// and they search the strings' contiguous UTF-8 in place through one non-generic byte search. A
// generic, unspecialised version called across modules (and copying its needle into an array) cost
// the usage-logger's log sanitiser about 200 k instructions per invoke (docs/packaging.md).

/// Byte-level substring search over contiguous UTF-8.
public enum TextSearch {
    /// The byte offsets of the first occurrence of `needle` in `haystack`; an empty range at 0 for an
    /// empty needle; nil when absent. Time is at most `haystack.count × needle.count` (for short,
    /// fixed needles); nothing is allocated.
    public static func firstOffsets(
        of needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>
    ) -> Range<Int>? {
        guard let first = needle.first else { return 0..<0 }
        guard needle.count <= haystack.count else { return nil }
        var start = 0
        let last = haystack.count - needle.count
        while start <= last {
            if haystack[start] == first {
                var matched = 1
                while matched < needle.count, haystack[start + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return start..<(start + matched) }
            }
            start += 1
        }
        return nil
    }

    /// Whether `needle` occurs in `haystack` (bytes; see `firstOffsets(of:in:)`).
    public static func contains(_ needle: [UInt8], in haystack: [UInt8]) -> Bool {
        needle.withUnsafeBufferPointer { n in
            haystack.withUnsafeBufferPointer { h in firstOffsets(of: n, in: h) != nil }
        }
    }
}

extension StringProtocol {
    /// The first occurrence of `text`, compared by UTF-8 bytes (Unicode scalars, exactly: no
    /// canonical equivalence, no case folding); nil when absent, an empty range at the start for an
    /// empty `text`. Time is at most this string's length times `text`'s: for short, fixed needles.
    @inlinable
    public func firstRange(ofText text: some StringProtocol) -> Range<Index>? {
        let found = _withUTF8Bytes { haystack in
            text._withUTF8Bytes { needle in TextSearch.firstOffsets(of: needle, in: haystack) }
        }
        guard let found else { return nil }
        let bytes = utf8
        let start = bytes.index(bytes.startIndex, offsetBy: found.lowerBound)
        return start..<bytes.index(start, offsetBy: found.count)
    }

    /// Whether `text` occurs in this string, compared by UTF-8 bytes (see `firstRange(ofText:)`).
    @inlinable
    public func contains(text: some StringProtocol) -> Bool {
        _withUTF8Bytes { haystack in
            text._withUTF8Bytes { needle in TextSearch.firstOffsets(of: needle, in: haystack) != nil }
        }
    }

    /// Runs `body` on this string's UTF-8 in place; a string without contiguous UTF-8 (a foreign one)
    /// is copied into a native string first.
    @inlinable
    func _withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = String(self)
        return copy.withUTF8(body)
    }
}

extension Sequence<String> {
    /// The strings with `separator` between them, as the standard library's `joined(separator:)`.
    /// That one is not specialized for the caller: its first call in a process looks up the
    /// collection's associated types by name (~0.13 M instructions, in the router's init); this one
    /// is compiled for the caller's sequence type.
    @inlinable
    public func joinedText(separator: String = "") -> String {
        var result = ""
        var first = true
        for element in self {
            if first { first = false } else { result.append(separator) }
            result.append(element)
        }
        return result
    }
}
