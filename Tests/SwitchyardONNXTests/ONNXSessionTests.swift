import Foundation
import SwitchyardCore
import XCTest

@testable import SwitchyardONNX

final class ONNXSessionTests: XCTestCase {
    func runtime() throws -> ONNXRuntime { try ONNXRuntime.load(environment: .process) }

    func testDescribesInputsAndOutputsByName() throws {
        let session = try ONNXSession(modelPath: try ModelFixtures.colourCellModel(classes: 3), runtime: try runtime())
        XCTAssertEqual(session.inputs, [.init(name: "images", elementType: .float, shape: [1, 3, 640, 640])])
        // 80² + 40² + 20² anchors, 4 box rows and 3 classes.
        XCTAssertEqual(session.outputs, [.init(name: "output0", elementType: .float, shape: [1, 7, 8400])])
    }

    /// The colour-cell model's output is known in closed form (make_yolo_model.py): on an all-red
    /// input, class 0 scores 2·1 − 1 = 1 on the stride-16 cells (times 0.9) and the stride-32 cells
    /// (times 1), green and blue score 0, and each box is its cell's centre.
    func testRunsTheGraphOnOurBufferAndReturnsTheKnownOutput() throws {
        let session = try ONNXSession(modelPath: try ModelFixtures.colourCellModel(classes: 3), runtime: try runtime())
        var input = [Float](repeating: 0, count: 3 * 640 * 640)
        for i in 0..<(640 * 640) { input[i] = 1 }  // red plane
        let output = try input.withUnsafeBufferPointer {
            try session.run(input: "images", shape: [1, 3, 640, 640], values: $0, output: "output0")
        }
        XCTAssertEqual(output.shape, [1, 7, 8400])
        let anchors = 8400
        func value(_ row: Int, _ anchor: Int) -> Float { output.values[row * anchors + anchor] }
        // Anchor 0: stride 8, cell (0, 0): box centred at 4, 4, 8 wide, scores 0.
        XCTAssertEqual([value(0, 0), value(1, 0), value(2, 0), value(3, 0)], [4, 4, 8, 8])
        XCTAssertEqual(value(4, 0), 0)
        // First stride-16 anchor (6400): cell (0, 0) centred at 8, 8, two cells (32 px) wide.
        XCTAssertEqual([value(0, 6400), value(1, 6400), value(2, 6400)], [8, 8, 32])
        XCTAssertEqual(value(4, 6400), 0.9, accuracy: 1e-6)
        XCTAssertEqual(value(5, 6400), 0)
        // Last stride-32 anchor: cell (19, 19) centred at 624, 624, 32 wide, class 0 scores 1.
        XCTAssertEqual([value(0, 8399), value(1, 8399), value(2, 8399)], [624, 624, 32])
        XCTAssertEqual(value(4, 8399), 1, accuracy: 1e-6)
        XCTAssertEqual(value(6, 8399), 0)
    }

    func testMissingModelIsInvalidModel() throws {
        XCTAssertThrowsError(try ONNXSession(modelPath: "/nonexistent/model.onnx", runtime: try runtime())) {
            XCTAssertEqual(($0 as? ONNXError)?.errorType, "ONNX.InvalidModel")
        }
    }

    func testCorruptModelIsInvalidModel() throws {
        let good = try Data(contentsOf: URL(fileURLWithPath: try ModelFixtures.colourCellModel(classes: 3)))
        for (name, bytes) in [
            ("garbage", Data("this is not a protobuf at all".utf8)),
            ("truncated", good.prefix(good.count / 2)),
            ("empty", Data()),
        ] {
            let path = ModelFixtures.directory.appendingPathComponent("\(name).onnx")
            try bytes.write(to: path)
            XCTAssertThrowsError(try ONNXSession(modelPath: path.path, runtime: try runtime()), name) {
                XCTAssertEqual(($0 as? ONNXError)?.errorType, "ONNX.InvalidModel", "\(name): \($0)")
            }
        }
    }

    func testInputThatDoesNotFitIsRefusedBeforeRunning() throws {
        let session = try ONNXSession(modelPath: try ModelFixtures.colourCellModel(classes: 3), runtime: try runtime())
        let small = [Float](repeating: 0, count: 3 * 32 * 32)
        for (input, shape) in [("images", [1, 3, 32, 32]), ("pixels", [1, 3, 640, 640]), ("images", [3, 640, 640])] {
            XCTAssertThrowsError(
                try small.withUnsafeBufferPointer {
                    try session.run(input: input, shape: shape, values: $0, output: "output0")
                }
            ) { XCTAssertEqual(($0 as? ONNXError)?.errorType, "ONNX.InvalidInput", "\(input) \(shape)") }
        }
    }

    /// onnxruntime reads `ORT_DISABLE_TELEMETRY` when its environment is created; loading the
    /// library sets it first (Tests/Integration/test_vision_function.py checks that the function then
    /// writes no telemetry store).
    func testLoadingTurnsOnnxruntimeTelemetryOff() throws {
        _ = try runtime()
        let value = getenv(ONNXRuntime.telemetryVariable).map { String(cString: $0) }
        XCTAssertEqual(value, "1")
    }

    func testLibraryCandidatesPreferTheExplicitPath() {
        XCTAssertEqual(
            ONNXRuntime.libraryCandidates(
                environment: Environment(["ONNXRUNTIME_LIBRARY": "/opt/ort/libonnxruntime.so"])),
            ["/opt/ort/libonnxruntime.so"])
        let defaults = ONNXRuntime.libraryCandidates(environment: Environment([:]))
        XCTAssertEqual(Array(defaults.prefix(2)), ["libonnxruntime.so.1", "libonnxruntime.so"])
    }
}
