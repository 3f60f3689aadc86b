/// The n-gram classifier's feature recipe: which hash buckets a prompt lights up.
///
/// Mirrors `scripts/lib/train_router.py` byte for byte (the Swift tests check that inference
/// reproduces the trainer's predictions):
/// 1. Read at most the first `maxBytes` of UTF-8 (decisions.md: 2 KB).
/// 2. Normalise: ASCII, Latin-1 and Cyrillic capitals lowered, every digit becomes `0`, runs of
///    whitespace become one space.
/// 3. Per byte of the first `ngramBytes`, the byte n-grams ending there (each listed size; a
///    virtual space precedes the text); after a word ends (a run of `a-z`, `0` or bytes ≥ 0x80), its FNV-1a hash
///    (unigram), then the chained hash of it and the word before (bigram).
/// 4. Every feature hashes with its own seed and the SplitMix64 finaliser into `1 << bits` buckets.
public struct NGramFeatures: Sendable, Equatable {
    public var bits: Int
    /// Byte n-gram sizes, ascending, each 1...7, at most three.
    public var ngrams: [Int]
    public var words: Bool
    public var maxBytes: Int
    /// Byte n-grams come from this many leading bytes only; words from all `maxBytes`.
    public var ngramBytes: Int

    static let golden: UInt64 = 0x9E37_79B9_7F4A_7C15
    static let wordSeed: UInt64 = 0x5752_4F44
    static let bigramSeed: UInt64 = 0x4249_4752

    public init(bits: Int, ngrams: [Int], words: Bool, maxBytes: Int = 2048, ngramBytes: Int = 1024) {
        self.bits = bits
        self.ngrams = ngrams
        self.words = words
        self.maxBytes = maxBytes
        self.ngramBytes = ngramBytes
    }

    @inline(__always) static func bucket(_ key: UInt64, seed: UInt64, shift: UInt64) -> Int {
        var z = key ^ seed
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(truncatingIfNeeded: z >> shift)
    }

    @inline(__always) static func isWordByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || b == 0x30 || b >= 0x80
    }

    /// Writes the normalised head of `text` into `out` (capacity ≥ `maxBytes`); returns its length.
    func normalize(_ text: UnsafeBufferPointer<UInt8>, into out: UnsafeMutablePointer<UInt8>) -> Int {
        let n = min(text.count, maxBytes)
        var length = 0
        var i = 0
        while i < n {
            let b = text[i]
            let next: UInt8 = i + 1 < n ? text[i + 1] : 0
            if b >= 0x41 && b <= 0x5A {
                out[length] = b | 0x20
                length += 1
            } else if b >= 0x30 && b <= 0x39 {
                out[length] = 0x30
                length += 1
            } else if b == 0x09 || b == 0x0A || b == 0x0D || b == 0x20 {
                if length == 0 || out[length - 1] != 0x20 {
                    out[length] = 0x20
                    length += 1
                }
            } else if b == 0xC3 && next >= 0x80 && next <= 0x9E && next != 0x97 {
                out[length] = 0xC3
                out[length + 1] = next + 0x20
                length += 2
                i += 1
            } else if b == 0xD0 && next >= 0x90 && next <= 0x9F {
                out[length] = 0xD0
                out[length + 1] = next + 0x20
                length += 2
                i += 1
            } else if b == 0xD0 && next >= 0xA0 && next <= 0xAF {
                out[length] = 0xD1
                out[length + 1] = next - 0x20
                length += 2
                i += 1
            } else {
                out[length] = b
                length += 1
            }
            i += 1
        }
        return length
    }

    /// Calls `body` with every bucket of `text`, in the trainer's order; returns how many.
    @inline(__always)
    func forEachBucket(_ text: UnsafeBufferPointer<UInt8>, _ body: (Int) -> Void) -> Int {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: maxBytes + 1) { scratch -> Int in
            let length = normalize(text, into: scratch.baseAddress!)
            let shift = UInt64(64 - bits)
            // The n-gram sizes as fixed slots (0 = unused), so the per-byte loop has no array walk.
            let n1 = ngrams.count > 0 ? ngrams[0] : 0
            let n2 = ngrams.count > 1 ? ngrams[1] : 0
            let n3 = ngrams.count > 2 ? ngrams[2] : 0
            let mask1: UInt64 = n1 == 0 ? 0 : (1 << UInt64(8 * n1)) &- 1
            let mask2: UInt64 = n2 == 0 ? 0 : (1 << UInt64(8 * n2)) &- 1
            let mask3: UInt64 = n3 == 0 ? 0 : (1 << UInt64(8 * n3)) &- 1
            let seed1 = UInt64(n1) &* Self.golden
            let seed2 = UInt64(n2) &* Self.golden
            let seed3 = UInt64(n3) &* Self.golden
            var count = 0
            var gram: UInt64 = 0x20
            var filled = 1
            var word: UInt64 = WordScanner.offsetBasis
            var inWord = false
            var previous: UInt64 = 0
            var hasPrevious = false
            for index in 0...length {
                let end = index == length
                let b: UInt8 = end ? 0x20 : scratch[index]
                if !end && index < ngramBytes {
                    gram = (gram << 8) | UInt64(b)
                    filled += 1
                    if n1 != 0 && filled >= n1 {
                        body(Self.bucket(gram & mask1, seed: seed1, shift: shift))
                        count += 1
                    }
                    if n2 != 0 && filled >= n2 {
                        body(Self.bucket(gram & mask2, seed: seed2, shift: shift))
                        count += 1
                    }
                    if n3 != 0 && filled >= n3 {
                        body(Self.bucket(gram & mask3, seed: seed3, shift: shift))
                        count += 1
                    }
                }
                guard words else { continue }
                if !end && Self.isWordByte(b) {
                    word = (word ^ UInt64(b)) &* WordScanner.prime
                    inWord = true
                } else if inWord {
                    body(Self.bucket(word, seed: Self.wordSeed, shift: shift))
                    count += 1
                    if hasPrevious {
                        body(Self.bucket((previous &* Self.golden) ^ word, seed: Self.bigramSeed, shift: shift))
                        count += 1
                    }
                    previous = word
                    hasPrevious = true
                    word = WordScanner.offsetBasis
                    inWord = false
                }
            }
            return count
        }
    }
}
