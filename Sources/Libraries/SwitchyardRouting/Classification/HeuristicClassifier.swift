import SwitchyardContract

/// Keyword and symbol scanning over lowercased UTF-8: microseconds, no allocation per word, no
/// regular expressions.
///
/// Long prompts are read at the head and the tail only, where instructions sit ("Summarise the
/// following…", "…translate the above into French"); the middle of a pasted document says little
/// about the task and would make the cost grow with the prompt.
public struct HeuristicClassifier: TaskClassifier {
    /// Bytes read from the start and the end of a long prompt.
    public static let headBytes = 3072
    public static let tailBytes = 1024

    public init() {}

    public func classify(_ input: ClassificationInput, deadline: ContinuousClock.Instant) async -> Classification {
        classify(input)
    }

    /// The synchronous form the router and the benchmark call.
    public func classify(_ input: ClassificationInput) -> Classification {
        var text = input.text
        return text.withUTF8 { bytes in
            var scores = Scores()
            let count = bytes.count
            if count <= Self.headBytes + Self.tailBytes {
                scan(bytes, 0, count, into: &scores)
            } else {
                scan(bytes, 0, Self.headBytes, into: &scores)
                scan(bytes, count - Self.tailBytes, count, into: &scores)
            }
            return verdict(scores, bytes: count, input: input)
        }
    }

    struct Scores {
        /// Indexed by `TaskCategory.index`; a SIMD vector so the scores live on the stack.
        var category = SIMD16<Float>()
        var hard: Float = 0
        var easy: Float = 0
        var words = 0
        var codeSymbols = 0
        var fences = 0
        var mathOperators = 0
        var questions = 0

        subscript(index: Int) -> Float {
            get { category[index] }
            set { category[index] = newValue }
        }
    }

    // MARK: - Scanning

    private func scan(_ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, into scores: inout Scores) {
        let table = HeuristicKeywords.table
        var wordStart = -1
        var hash = WordScanner.offsetBasis
        var previous: UInt64 = 0  // hash of the word before, 0 at a sentence break
        var bigram: UInt64 = 0  // chained hash of the two words before
        var lastByte: UInt8 = 0x20
        var backticks = 0
        var i = start
        while i <= end {
            let b: UInt8 = i < end ? bytes[i] : 0x20
            if WordScanner.isWordByte(b) {
                if wordStart < 0 {
                    wordStart = i
                    hash = WordScanner.offsetBasis
                }
                hash = (hash ^ UInt64(WordScanner.lower(b))) &* WordScanner.prime
            } else {
                if wordStart >= 0 {
                    scores.words += 1
                    if let entry = table.lookup(hash) ?? stemmed(bytes, wordStart, i, table) {
                        add(entry, to: &scores)
                    }
                    if previous != 0 {
                        let two = KeywordTable.chain(previous, hash)
                        if let entry = table.lookup(two) { add(entry, to: &scores) }
                        if bigram != 0, let entry = table.lookup(KeywordTable.chain(bigram, hash)) {
                            add(entry, to: &scores)
                        }
                        bigram = two
                    } else {
                        bigram = 0
                    }
                    previous = hash
                    wordStart = -1
                }
                switch b {
                case UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: ";"), UInt8(ascii: "("), UInt8(ascii: "<"),
                    UInt8(ascii: "_"), UInt8(ascii: "#"), UInt8(ascii: "["):
                    scores.codeSymbols += 1
                case UInt8(ascii: "="):
                    scores.codeSymbols += 1
                    if lastByte == 0x20 || (lastByte >= 0x30 && lastByte <= 0x39) { scores.mathOperators += 1 }
                case UInt8(ascii: "+"), UInt8(ascii: "*"), UInt8(ascii: "^"), UInt8(ascii: "/"):
                    if lastByte >= 0x30 && lastByte <= 0x39 || lastByte == 0x20 { scores.mathOperators += 1 }
                case UInt8(ascii: "?"):
                    scores.questions += 1
                    previous = 0
                case UInt8(ascii: "`"):
                    backticks += 1
                    if backticks % 3 == 0 && lastByte == UInt8(ascii: "`") { scores.fences += 1 }
                case UInt8(ascii: "."), UInt8(ascii: "!"), UInt8(ascii: "\n"), UInt8(ascii: ":"):
                    previous = 0
                default:
                    break
                }
            }
            lastByte = b
            i += 1
        }
    }

    @inline(__always) private func add(_ entry: KeywordTable.Entry, to scores: inout Scores) {
        switch entry.signal {
        case KeywordTable.hardMarker: scores.hard += entry.weight
        case KeywordTable.easyMarker: scores.easy += entry.weight
        default: scores[Int(entry.signal)] += entry.weight
        }
    }

    /// Tries the word without a common English ending: `summarizing` → `summariz` + `e`,
    /// `contracts` → `contract`, `detected` → `detect`.
    @inline(__always) private func stemmed(
        _ bytes: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int, _ table: KeywordTable
    ) -> KeywordTable.Entry? {
        let length = end - start
        guard length >= 4 else { return nil }
        let last = WordScanner.lower(bytes[end - 1])
        let second = WordScanner.lower(bytes[end - 2])
        if last == UInt8(ascii: "s") {
            if let e = table.lookup(WordScanner.hash(bytes, start, end - 1)) { return e }
            if second == UInt8(ascii: "e"), let e = table.lookup(WordScanner.hash(bytes, start, end - 2)) { return e }
            return nil
        }
        if last == UInt8(ascii: "d"), second == UInt8(ascii: "e") {
            if let e = table.lookup(WordScanner.hash(bytes, start, end - 1)) { return e }
            return table.lookup(WordScanner.hash(bytes, start, end - 2))
        }
        if length >= 6, last == UInt8(ascii: "g"), second == UInt8(ascii: "n"),
            WordScanner.lower(bytes[end - 3]) == UInt8(ascii: "i")
        {
            if let e = table.lookup(WordScanner.hash(bytes, start, end - 3)) { return e }
            return table.lookup(WordScanner.hash(bytes, start, end - 3, appending: UInt8(ascii: "e")))
        }
        if length >= 5, last == UInt8(ascii: "y"), second == UInt8(ascii: "l") {
            return table.lookup(WordScanner.hash(bytes, start, end - 2))
        }
        return nil
    }

    // MARK: - Verdict

    private func verdict(_ raw: Scores, bytes: Int, input: ClassificationInput) -> Classification {
        var scores = raw
        // Code and math leave marks that words miss.
        scores[TaskCategory.code.index] += Float(min(raw.codeSymbols, 40)) / 8 + Float(raw.fences) * 4
        scores[TaskCategory.math.index] += Float(min(raw.mathOperators, 8)) * 0.75

        let category: TaskCategory
        var top: Float
        var second: Float
        if input.imageCount > 0 {
            // With images the choice is between detecting objects and answering about the image.
            let detection = scores[TaskCategory.detection.index]
            let question = scores[TaskCategory.visionQA.index] + (raw.words > 0 ? 0.5 : 0) + Float(raw.questions)
            if raw.words == 0 || detection > question {
                category = .detection
                top = raw.words == 0 ? 3 : detection
                second = raw.words == 0 ? 0 : question
            } else {
                category = .visionQA
                top = question
                second = detection
            }
        } else {
            var best = TaskCategory.chat
            top = 0.75  // chat wins when nothing else speaks
            second = 0
            for candidate in TaskCategory.textCategories where candidate != .chat {
                let score = scores[candidate.index]
                if score > top {
                    second = max(second, top)
                    top = score
                    best = candidate
                } else if score > second {
                    second = score
                }
            }
            let chat = scores[TaskCategory.chat.index] + 0.75
            if best != .chat, chat > second { second = chat }
            if best == .chat { top = chat }
            category = best
        }
        // Chat by default (no keyword spoke) is a guess, and says so.
        let guessed = category == .chat && raw[TaskCategory.chat.index] == 0 && raw.codeSymbols < 3
        let confidence = guessed ? 0.2 : Double(max(0, min(1, (top - second) / (top + 1))))
        return Classification(
            category: category, difficulty: difficulty(scores: raw, category: category, bytes: bytes),
            confidence: (confidence * 100).rounded() / 100, classifier: "heuristic")
    }

    private func difficulty(scores: Scores, category: TaskCategory, bytes: Int) -> Difficulty {
        var points: Float = scores.hard - scores.easy * 0.5
        if scores.words > 150 { points += 1 }
        if scores.words > 600 || bytes > 8000 { points += 1 }
        if scores.words < 20, scores.hard == 0 { points -= 1 }
        switch category {
        case .legal, .medical: points += 1.5
        case .chat, .translation, .detection: points -= 0.5
        default: break
        }
        if scores.questions > 2 { points += 0.5 }
        if points >= 2 { return .hard }
        if points >= 0.5 { return .medium }
        return .easy
    }
}

extension TaskCategory {
    /// Categories a text-only request can fall into (not embedding: only a hint asks for that).
    public static let textCategories: [TaskCategory] = [
        .chat, .code, .summarization, .extraction, .translation, .creative, .math, .legal, .medical,
    ]
}
