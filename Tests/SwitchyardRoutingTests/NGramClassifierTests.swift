import Foundation
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting
import XCTest

/// The learned classifier against the trainer: same features, same predictions, typed errors for
/// files it cannot use.
final class NGramClassifierTests: XCTestCase {
    static let modelPath = RoutingFixtures.repoRoot + "/infra/classifier/router-ngram-3.bin"

    static let classifier: NGramClassifier = {
        do { return try NGramClassifier.load(path: modelPath, expectedVersion: nil) } catch {
            fatalError("\(error)")
        }
    }()

    func jsonLines(_ path: String) throws -> [JSON] {
        let bytes = try Array(Data(contentsOf: URL(fileURLWithPath: RoutingFixtures.repoRoot + "/" + path)))
        return try bytes.split(separator: UInt8(ascii: "\n")).map { try JSON.parse($0) }
    }

    /// `scripts/train-router` writes the probabilities it computes for every validation prompt
    /// with the shipped (f16) weights; Swift inference must reproduce them.
    func testInferenceReproducesTheTrainersValidationPredictions() throws {
        let records = try jsonLines("events/routing/corpus/validation.jsonl")
        let reference = try jsonLines("events/routing/corpus/validation.predictions.jsonl")
        XCTAssertEqual(records.count, reference.count)
        XCTAssertGreaterThan(records.count, 200)
        var worst = 0.0
        for (record, expected) in zip(records, reference) {
            let id = record["id"]?.stringValue ?? "?"
            XCTAssertEqual(expected["id"]?.stringValue, id)
            let prediction = Self.classifier.predict(
                text: record["text"]!.stringValue!, imageCount: Int(record["images"]!.int64Value!))
            let categories = expected["category"]!.arrayValue!.map { $0.doubleValue! }
            let difficulties = expected["difficulty"]!.arrayValue!.map { $0.doubleValue! }
            for (a, b) in zip(prediction.categories + prediction.difficulties, categories + difficulties) {
                worst = max(worst, abs(a - b))
                XCTAssertEqual(a, b, accuracy: 1e-5, id)
            }
            XCTAssertEqual(argmax(prediction.categories), argmax(categories), id)
            XCTAssertEqual(argmax(prediction.difficulties), argmax(difficulties), id)
        }
        print("largest probability difference Swift vs trainer: \(worst)")
    }

    private func argmax(_ values: [Double]) -> Int { values.indices.max { values[$0] < values[$1] }! }

    func testClassifyNamesTheLearnedModelAndCalibratedConfidence() {
        let verdict = Self.classifier.classify(
            ClassificationInput(
                text: "Translate into German: the meeting is moved to Friday.", imageCount: 0, modality: .text))
        XCTAssertEqual(verdict.classifier, "learned")
        XCTAssertEqual(verdict.category, .translation)
        let p = Self.classifier.predict(text: "Translate into German: the meeting is moved to Friday.", imageCount: 0)
        XCTAssertEqual(verdict.confidence, (p.categories.max()! * 1000).rounded() / 1000)
        XCTAssertEqual(p.categories.reduce(0, +), 1, accuracy: 1e-9)
    }

    func testReadsOnlyTheFirstTwoKilobytes() {
        let head =
            "Summarize this report for the board. " + String(repeating: "Revenue grew in every region. ", count: 70)
        XCTAssertGreaterThan(head.utf8.count, 2048)
        let tail = " Also translate it into Japanese and write a poem about medicine and law, in Python."
        let a = Self.classifier.predict(text: head, imageCount: 0)
        let b = Self.classifier.predict(text: head + tail, imageCount: 0)
        // Only the length bucket (a meta feature of the whole prompt) may differ; this pair shares it.
        XCTAssertEqual(a, b)
    }

    // MARK: - Files it cannot use

    func temporaryFile(_ bytes: [UInt8]) throws -> String {
        let path = NSTemporaryDirectory() + "model-\(UUID().uuidString).bin"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func assertCorrupt(_ bytes: [UInt8], mentions: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let path = try temporaryFile(bytes)
        XCTAssertThrowsError(try NGramClassifier.load(path: path, expectedVersion: nil), file: file, line: line) {
            error in
            guard case .corrupt(_, let detail)? = error as? ClassifierModelError else {
                return XCTFail("expected .corrupt, got \(error)", file: file, line: line)
            }
            XCTAssertEqual((error as? ClassifierModelError)?.errorType, "Router.InvalidClassifier")
            XCTAssertTrue(detail.contains(mentions), detail, file: file, line: line)
        }
    }

    func testCorruptFilesAreTypedInitErrors() throws {
        let good = try Array(Data(contentsOf: URL(fileURLWithPath: Self.modelPath)))
        var flipped = good
        flipped[good.count / 2] ^= 0x40
        try assertCorrupt(flipped, mentions: "checksum")
        try assertCorrupt(Array(good.prefix(good.count - 100)), mentions: "checksum")
        var magic = good
        magic[0] = UInt8(ascii: "X")
        try assertCorrupt(magic, mentions: "magic")
        try assertCorrupt([], mentions: "magic")
        try assertCorrupt(Array("{\"version\": 1}".utf8), mentions: "magic")
    }

    func testMissingFileAndWrongVersionAreTypedInitErrors() {
        XCTAssertThrowsError(try NGramClassifier.load(path: "/nonexistent/model.bin", expectedVersion: nil)) { error in
            guard case .unreadable? = error as? ClassifierModelError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try NGramClassifier.load(path: Self.modelPath, expectedVersion: "router-ngram-0")) {
            error in
            XCTAssertEqual(
                error as? ClassifierModelError,
                .versionMismatch(
                    path: Self.modelPath, expected: "router-ngram-0", found: Self.classifier.model.version))
        }
    }

    func testPolicyNamesTheShippedModelVersion() {
        let learned = RoutingFixtures.policy.classifier.learned
        XCTAssertEqual(learned?.version, Self.classifier.model.version)
        XCTAssertEqual(RoutingFixtures.policy.classifier.mode, .learned)
    }
}
