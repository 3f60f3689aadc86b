import SwitchyardCore

/// Splits a document into chunks by its structure first — headings, then paragraphs — and only
/// then by size: paragraphs of one section are packed up to `maxCharacters`; a paragraph longer
/// than that is cut into windows at sentence or word boundaries that overlap by `overlapCharacters`.
///
/// Headings are Markdown ATX headings (`#` … `######`) and, in plain text, short lines that
/// open with `Article`, `Section`, `Chapter`, `Part`, `Schedule` or `Appendix` or are all capitals.
/// Linear in the document; bounded by `maxDocumentBytes` and `maxChunks`.
public struct Chunker: Sendable {
    public var maxCharacters: Int
    public var overlapCharacters: Int
    public static let maxDocumentBytes = 8 << 20
    public static let maxChunks = 100_000

    /// - Throws: `Retrieval.InvalidInput` unless 100 ≤ maxCharacters ≤ 20 000 and
    ///   0 ≤ overlap < maxCharacters / 2.
    public init(maxCharacters: Int = 1000, overlapCharacters: Int = 150) throws(RetrievalError) {
        guard (100...20_000).contains(maxCharacters), overlapCharacters >= 0, overlapCharacters < maxCharacters / 2
        else { throw .invalidInput("chunker: maxCharacters 100...20000, overlap 0..<maxCharacters/2") }
        self.maxCharacters = maxCharacters
        self.overlapCharacters = overlapCharacters
    }

    /// The chunks of `text`, in document order, positions 0, 1, 2…
    /// - Throws: `Retrieval.InvalidDocument` for an empty or oversized document.
    public func chunks(of text: String, source: String) throws(RetrievalError) -> [DocumentChunk] {
        guard text.utf8.count <= Self.maxDocumentBytes else {
            throw .invalidDocument("\(source.prefix(100)): larger than \(Self.maxDocumentBytes >> 20) MiB")
        }
        var pieces: [(heading: String?, text: String)] = []
        var headings: [(level: Int, title: String)] = []
        var paragraph: [Substring] = []
        var section: [String] = []
        var sectionLength = 0

        func heading() -> String? { headings.isEmpty ? nil : headings.map(\.title).joinedText(separator: " > ") }
        func flushSection() {
            if !section.isEmpty { pieces.append((heading(), section.joinedText(separator: "\n\n"))) }
            section = []
            sectionLength = 0
        }
        func add(_ text: String) {
            let length = text.count
            if length > maxCharacters {
                flushSection()
                for window in windows(of: text) { pieces.append((heading(), window)) }
                return
            }
            if sectionLength > 0, sectionLength + 2 + length > maxCharacters { flushSection() }
            section.append(text)
            sectionLength += (sectionLength > 0 ? 2 : 0) + length
        }
        func flushParagraph() {
            let joined = paragraph.map { $0.trimmingSpaces }.filter { !$0.isEmpty }.joinedText(separator: " ")
            paragraph = []
            if !joined.isEmpty { add(joined) }
        }

        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingSpaces
            if trimmed.isEmpty {
                flushParagraph()
            } else if let (level, title) = Self.heading(trimmed) {
                flushParagraph()
                flushSection()
                headings.removeAll { $0.level >= level }
                headings.append((level, title))
            } else {
                paragraph.append(trimmed[...])
            }
        }
        flushParagraph()
        flushSection()
        guard !pieces.isEmpty else { throw .invalidDocument("\(source.prefix(100)): no text") }
        guard pieces.count <= Self.maxChunks else {
            throw .invalidDocument("\(source.prefix(100)): more than \(Self.maxChunks) chunks")
        }
        var seen: [String: Int] = [:]
        return pieces.enumerated().map { position, piece in
            var hash = SHA256.hex((piece.heading ?? "") + "\u{1F}" + piece.text)
            let repeats = seen[hash, default: 0]
            seen[hash] = repeats + 1
            if repeats > 0 { hash += "#\(repeats)" }
            return DocumentChunk(
                source: source, position: position, heading: piece.heading, text: piece.text, hash: hash)
        }
    }

    /// Windows of at most `maxCharacters`, each ending at a sentence end (or a space) in its last
    /// third when there is one, the next starting `overlapCharacters` before the previous end.
    func windows(of text: String) -> [String] {
        let characters = Array(text)
        var result: [String] = []
        var start = 0
        while start < characters.count {
            var end = min(start + maxCharacters, characters.count)
            if end < characters.count {
                let floor = start + maxCharacters * 2 / 3
                var cut = -1
                var i = end - 1
                while i > floor {
                    if characters[i] == " " {
                        if cut < 0 { cut = i }
                        if i > 0, characters[i - 1] == "." || characters[i - 1] == ";" {
                            cut = i
                            break
                        }
                    }
                    i -= 1
                }
                if cut > 0 { end = cut }
            }
            result.append(String(characters[start..<end]).trimmingSpaces)
            if end >= characters.count { break }
            // Always advance: the overlap is less than half a window.
            start = max(end - overlapCharacters, start + 1)
            while start < end, characters[start] != " " { start += 1 }
        }
        return result.filter { !$0.isEmpty }
    }

    /// A heading line's level and title, or nil.
    static func heading(_ line: String) -> (Int, String)? {
        if line.hasPrefix("#") {
            let level = line.prefix { $0 == "#" }.count
            let title = line.dropFirst(level).trimmingSpaces
            guard level <= 6, line.dropFirst(level).first == " ", !title.isEmpty else { return nil }
            return (level, title)
        }
        guard line.count <= 80, !line.hasSuffix("."), !line.hasSuffix(","), !line.hasSuffix(";") else { return nil }
        for word in [
            "Article ", "ARTICLE ", "Section ", "SECTION ", "Chapter ", "CHAPTER ", "Part ", "PART ",
            "Schedule ", "SCHEDULE ", "Appendix ", "APPENDIX ",
        ] where line.hasPrefix(word) {
            // Numbered: "Section 4", "Article IV — Termination".
            return (7, line)
        }
        let letters = line.unicodeScalars.filter { $0.properties.isAlphabetic }
        if letters.count >= 4, letters.allSatisfy({ $0.properties.isUppercase }) { return (7, line) }
        return nil
    }
}

extension StringProtocol {
    /// Without leading and trailing spaces, tabs and carriage returns.
    var trimmingSpaces: String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else {
            return ""
        }
        return String(self[first...last])
    }
}
