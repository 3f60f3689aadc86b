import Foundation
import SwitchyardRetrieval

/// A document's text: text and Markdown as they are (UTF-8), PDF through poppler's `pdftotext`
/// (`-layout` off, so paragraphs stay paragraphs).
enum DocumentReader {
    static func text(of path: String) throws(RetrievalError) -> String {
        if path.lowercased().hasSuffix(".pdf") { return try pdfText(path) }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw .invalidDocument("\(path): cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw .invalidDocument("\(path): not UTF-8 text") }
        return text
    }

    static func pdfText(_ path: String) throws(RetrievalError) -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/pdftotext")
        process.arguments = ["-enc", "UTF-8", path, "-"]
        let pipe = Pipe()
        process.standardOutput = pipe
        do { try process.run() } catch {
            throw .invalidDocument("\(path): pdftotext is missing (apt-get install poppler-utils)")
        }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0, let text = String(data: data, encoding: .utf8) else {
            throw .invalidDocument("\(path): pdftotext failed (status \(process.terminationStatus))")
        }
        // pdftotext separates pages with form feeds: paragraph breaks for the chunker.
        return text.replacingOccurrences(of: "\u{0C}", with: "\n\n")
    }
}
