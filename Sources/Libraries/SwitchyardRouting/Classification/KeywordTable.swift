import SwitchyardContract

/// Open-addressing hash table from word hashes to category weights, built once.
///
/// Keys are FNV-1a hashes of lowercased words; phrases of two or three words are chained hashes
/// of their words, so the scanner can look a phrase up as it walks the text without building
/// strings. A lookup is a multiply, a mask and usually one probe.
struct KeywordTable: Sendable {
    struct Entry: Sendable {
        var key: UInt64
        var signal: Int8
        var weight: Float
    }

    private var slots: [Entry]
    private let mask: Int

    /// `signal` is a `TaskCategory.index`, or one of the difficulty markers below.
    static let hardMarker: Int8 = 100
    static let easyMarker: Int8 = 101

    init(_ entries: [(phrase: String, signal: Int8, weight: Float)]) {
        var capacity = 16
        while capacity < entries.count * 3 { capacity <<= 1 }
        slots = Array(repeating: Entry(key: 0, signal: -1, weight: 0), count: capacity)
        mask = capacity - 1
        for entry in entries {
            var hash: UInt64 = 0
            var words = 0
            WordScanner.forEachWord(Array(entry.phrase.utf8)) { word in
                hash = words == 0 ? word : Self.chain(hash, word)
                words += 1
            }
            precondition(words >= 1 && words <= 3, "keyword \"\(entry.phrase)\" must have 1 to 3 words")
            insert(Entry(key: hash, signal: entry.signal, weight: entry.weight))
        }
    }

    @inline(__always) static func chain(_ previous: UInt64, _ next: UInt64) -> UInt64 {
        (previous &* 0x9E37_79B9_7F4A_7C15) ^ next ^ 0x5555
    }

    private mutating func insert(_ entry: Entry) {
        var i = Int(truncatingIfNeeded: (entry.key &* 0xFF51_AFD7_ED55_8CCD) >> 40) & mask
        while slots[i].signal >= 0 {
            if slots[i].key == entry.key { return }  // first listing wins
            i = (i + 1) & mask
        }
        slots[i] = entry
    }

    @inline(__always) func lookup(_ key: UInt64) -> Entry? {
        var i = Int(truncatingIfNeeded: (key &* 0xFF51_AFD7_ED55_8CCD) >> 40) & mask
        while true {
            let slot = slots[i]
            if slot.signal < 0 { return nil }
            if slot.key == key { return slot }
            i = (i + 1) & mask
        }
    }
}

/// Splits lowercased UTF-8 into words (runs of ASCII letters and digits and of non-ASCII bytes)
/// and hashes each with FNV-1a, without allocating.
enum WordScanner {
    static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    static let prime: UInt64 = 0x100_0000_01b3

    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x30 && b <= 0x39) || b >= 0x80 || (b >= 0x41 && b <= 0x5A)
    }

    @inline(__always) static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }

    static func forEachWord(_ bytes: [UInt8], _ body: (UInt64) -> Void) {
        bytes.withUnsafeBufferPointer { buffer in
            var hash = offsetBasis
            var inWord = false
            for b in buffer {
                if isWordByte(b) {
                    hash = (hash ^ UInt64(lower(b))) &* prime
                    inWord = true
                } else if inWord {
                    body(hash)
                    hash = offsetBasis
                    inWord = false
                }
            }
            if inWord { body(hash) }
        }
    }

    /// FNV-1a of `bytes[start..<end]`, lowercased, optionally followed by extra bytes.
    @inline(__always) static func hash(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, appending extra: UInt8? = nil
    ) -> UInt64 {
        var hash = offsetBasis
        var i = start
        while i < end {
            hash = (hash ^ UInt64(lower(bytes[i]))) &* prime
            i += 1
        }
        if let extra { hash = (hash ^ UInt64(extra)) &* prime }
        return hash
    }
}
