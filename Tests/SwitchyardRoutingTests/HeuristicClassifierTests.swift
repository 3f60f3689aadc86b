import SwitchyardContract
import SwitchyardRouting
import XCTest

final class HeuristicClassifierTests: XCTestCase {
    let classifier = HeuristicClassifier()

    private func classify(_ text: String, images: Int = 0) -> Classification {
        classifier.classify(
            ClassificationInput(
                text: text, imageCount: images, modality: images == 0 ? .text : (text.isEmpty ? .image : .imageText)))
    }

    func testCategoriesFromTypicalPrompts() {
        let cases: [(String, TaskCategory)] = [
            ("Hey! How are you today? Any tips for a rainy weekend?", .chat),
            ("Write a Python function that parses ISO dates and add unit tests.", .code),
            ("```swift\nfunc f(x: Int) -> Int { return x * 2 }\n```\nWhy does this not compile?", .code),
            (
                "Summarize the following article in three bullet points: The city council met on Tuesday...",
                .summarization
            ),
            ("Extract the invoice number, total and due date from this text as JSON: Invoice #4411 ...", .extraction),
            ("Translate this paragraph into French: The meeting is postponed until next week.", .translation),
            ("Write a short poem about autumn leaves and a lonely lighthouse.", .creative),
            ("Solve the equation 3x + 7 = 22 and show the derivative of x^3.", .math),
            (
                "Review this NDA clause: the receiving party shall indemnify the disclosing party for any breach.",
                .legal
            ),
            (
                "The patient has a fever of 39C, chronic cough and takes 20 mg of lisinopril. Possible diagnosis?",
                .medical
            ),
        ]
        for (text, expected) in cases {
            XCTAssertEqual(classify(text).category, expected, text)
        }
    }

    func testInflectedWordsAreStemmed() {
        XCTAssertEqual(classify("Could you summarizing these notes for me").category, .summarization)
        XCTAssertEqual(classify("The contracts were breached by the landlords").category, .legal)
    }

    func testImagesChooseBetweenDetectionAndQuestion() {
        XCTAssertEqual(classify("", images: 1).category, .detection)
        XCTAssertEqual(classify("Detect all cars and draw bounding boxes", images: 1).category, .detection)
        XCTAssertEqual(classify("What is in this image? Describe the mood.", images: 1).category, .visionQA)
    }

    func testDifficulty() {
        XCTAssertEqual(classify("hi there, thanks!").difficulty, .easy)
        let hard =
            "Prove step by step that the algorithm is correct, analyze its complexity in detail, "
            + "and compare and contrast it with two alternatives, discussing edge cases and trade-offs."
        XCTAssertEqual(classify(hard).difficulty, .hard)
        XCTAssertGreaterThanOrEqual(classify("Is this lease clause enforceable?").difficulty, .medium)
    }

    func testConfidenceIsLowWhenNothingSpeaks() {
        let vague = classify("banana umbrella purple")
        XCTAssertEqual(vague.category, .chat)
        XCTAssertLessThan(vague.confidence, 0.5)
        XCTAssertGreaterThan(classify("Translate into Spanish: good morning, translation please").confidence, 0.5)
    }

    func testLongPromptsReadHeadAndTailOnly() {
        let filler = String(repeating: "the weather was mild and the river ran slowly past the old mill. ", count: 3000)
        let text = "Summarize the following report.\n" + filler + "\nKeep it under 100 words."
        let result = classify(text)
        XCTAssertEqual(result.category, .summarization)
        // Bounded work: ~200 KB of text costs about what 4 KB does.
        let short = String(text.prefix(HeuristicClassifier.headBytes + HeuristicClassifier.tailBytes))
        func time(_ s: String) -> Duration {
            let start = ContinuousClock.now
            for _ in 0..<50 { _ = classify(s) }
            return ContinuousClock.now - start
        }
        _ = time(short)
        XCTAssertLessThan(time(text), time(short) * 3)
    }

    func testNonASCIITextDoesNotConfuseTheScanner() {
        let result = classify("東京は大きい都市です。 Übersetze bitte: please translate this into English.")
        XCTAssertEqual(result.category, .translation)
    }
}
