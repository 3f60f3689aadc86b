import Foundation
import SwitchyardCore
import SwitchyardRouting
import XCTest

/// The int8 model file is mapped, not copied into the heap: its resident pages are the page cache's
/// (docs/packaging.md, sixth and tenth passes). Read from the kernel's own account of this
/// process's mappings (`/proc/self/smaps`), so nothing here trusts the loader's word.
final class NGramModelMappingTests: XCTestCase {
    /// A private copy of the shipped model, so no other test's scoring has touched its pages.
    func privateModelCopy() throws -> String {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: NGramClassifierTests.modelPath))
        let path = NSTemporaryDirectory() + "mapped-model-\(UUID().uuidString).bin"
        try bytes.write(to: URL(fileURLWithPath: path))
        addTeardownBlock { try? FileManager.default.removeItem(atPath: path) }
        return URL(fileURLWithPath: path).resolvingSymlinksInPath().path
    }

    /// Resident kilobytes of every mapping of `path` in this process, or nil when nothing maps it.
    func residentKilobytes(mapping path: String) throws -> Int? {
        // FileReader reads procfs files, whose stat size is 0, to their end.
        let smaps = String(decoding: try FileReader.read("/proc/self/smaps"), as: UTF8.self)
        var inside = false
        var total: Int?
        for line in smaps.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard let first = fields.first else { continue }
            if first.contains("-"), first.allSatisfy({ $0.isHexDigit || $0 == "-" }) {
                // A mapping's first line: range, permissions, offset, device, inode, path.
                inside = fields.count >= 6 && fields[5...].joined(separator: " ") == path
            } else if inside, first == "Rss:", fields.count >= 2, let kilobytes = Int(fields[1]) {
                total = (total ?? 0) + kilobytes
            }
        }
        return total
    }

    func testTheTableIsScoredWhereItIsMapped() throws {
        #if os(Linux)
            let path = try privateModelCopy()
            let size = try XCTUnwrap(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
            let classifier = try NGramClassifier.load(path: path, expectedVersion: nil)
            XCTAssertEqual(classifier.model.weightEncoding, "i8")
            // The load's checksum read every page of the mapping and left them mapped.
            let atLoad = try XCTUnwrap(
                try residentKilobytes(mapping: path), "the model file should be mapped, not read into the heap")
            XCTAssertGreaterThan(atLoad, size / 1024 / 2, "resident after load")
            XCTAssertLessThanOrEqual(atLoad, (size + 4095) / 4096 * 4)
            // Scoring reads the mapping: the same verdict as the shared model's, no new mapping.
            let prompt = "Write a Python function that merges two sorted lists, with tests and a docstring."
            let verdict = classifier.classify(ClassificationInput(text: prompt, imageCount: 0, modality: .text))
            XCTAssertEqual(
                verdict,
                NGramClassifierTests.classifier.classify(
                    ClassificationInput(text: prompt, imageCount: 0, modality: .text)))
            let scored = try XCTUnwrap(try residentKilobytes(mapping: path))
            XCTAssertLessThanOrEqual(scored, (size + 4095) / 4096 * 4)
        #else
            throw XCTSkip("reads /proc/self/smaps")
        #endif
    }

    func testADirectoryIsUnreadableNotCorrupt() throws {
        XCTAssertThrowsError(try NGramClassifier.load(path: NSTemporaryDirectory(), expectedVersion: nil)) { error in
            guard case .unreadable(_, let reason)? = error as? ClassifierModelError else {
                return XCTFail("expected .unreadable, got \(error)")
            }
            XCTAssertEqual(reason, "not a regular file")
            XCTAssertEqual((error as? ClassifierModelError)?.errorType, "Router.InvalidClassifier")
        }
    }

    /// A file truncated to each boundary the format names is a typed error, never a read past the
    /// mapping's end (the loads from the mapping are unchecked).
    func testTruncationAtEveryBoundaryIsATypedError() throws {
        let good = try Array(Data(contentsOf: URL(fileURLWithPath: NGramClassifierTests.modelPath)))
        let headerEnd = 12 + (Int(good[8]) | Int(good[9]) << 8 | Int(good[10]) << 16 | Int(good[11]) << 24)
        for length in [
            0, 7, 8, 19, 20, 21, headerEnd - 1, headerEnd, headerEnd + 1, good.count / 2, good.count - 9,
            good.count - 8, good.count - 1,
        ] {
            let path = NSTemporaryDirectory() + "truncated-model-\(UUID().uuidString).bin"
            try Data(good.prefix(length)).write(to: URL(fileURLWithPath: path))
            defer { try? FileManager.default.removeItem(atPath: path) }
            XCTAssertThrowsError(try NGramClassifier.load(path: path, expectedVersion: nil), "\(length) bytes") {
                error in
                guard case .corrupt? = error as? ClassifierModelError else {
                    return XCTFail("\(length) bytes: expected .corrupt, got \(error)")
                }
            }
        }
    }
}
