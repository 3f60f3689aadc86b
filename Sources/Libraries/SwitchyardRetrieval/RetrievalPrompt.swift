import SwitchyardContract
import SwitchyardCore

/// The system message that puts retrieved chunks into the prompt as numbered sources, and the
/// citations that say which number is which chunk.
///
/// Bounded: sources are added best first until `maxCharacters` of chunk text; the rest are left
/// out (and not cited).
public enum RetrievalPrompt {
    public static let maxCharacters = 12_000

    /// What the model is told before the sources (the router's cost estimate counts it:
    /// `RetrievalPolicy.instructionTokens`).
    public static let instruction =
        "Answer the question using the numbered sources below. Cite the sources you use as [1], [2] "
        + "after the sentence they support. If the sources do not contain the answer, say so "
        + "instead of guessing."

    /// The instruction and the sources, and one citation per source given.
    public static func build(_ hits: [ScoredChunk], maxCharacters: Int = maxCharacters) -> (
        message: String, citations: [Citation]
    ) {
        var lines = [instruction, ""]
        var citations: [Citation] = []
        var used = 0
        for hit in hits {
            let chunk = hit.chunk.chunk
            if used > 0, used + chunk.text.count > maxCharacters { break }
            used += chunk.text.count
            let n = citations.count + 1
            var label = "[\(n)] \(chunk.source)"
            if let heading = chunk.heading { label += " — \(heading)" }
            lines.append(label)
            lines.append(chunk.text)
            lines.append("")
            citations.append(
                Citation(
                    index: n, source: chunk.source, position: chunk.position, heading: chunk.heading,
                    score: (hit.score * 10_000).rounded() / 10_000, chunkID: hit.chunk.id))
        }
        return (lines.joinedText(separator: "\n"), citations)
    }
}
