import SwitchyardCore
import XCTest

@testable import SwitchyardVisionFunction

final class VisionLimitsTests: XCTestCase {
    /// The caps for a few memory sizes, computed by hand from the formula in VisionLimits.
    func testCapsFollowTheMemorySize() {
        // 1024 MB, no in-process model: reserve 64 → 960 MB left; bytes 120 MB → capped at 20 MB;
        // pixels (960 − 16 − 40) MB / 3 = 904·2²⁰/3 = 315 970 901 → capped at 100 M; images 16.
        let remote = VisionLimits(memoryMB: 1024, inProcessModelBytes: 0)
        XCTAssertEqual(remote.reserveMB, 64)
        XCTAssertEqual(remote.maxImageBytes, 20 << 20)
        XCTAssertEqual(remote.decode.maxPixels, 100_000_000)
        XCTAssertEqual(remote.maxImages, 16)
        // 512 MB with a 12.7 MB model (rounded up to 13): reserve 64 + 48 + 78 = 190 → 322 MB left;
        // bytes 40.25 MB → 20 MB; pixels (322 − 16 − 40)·2²⁰/3 = 92 975 786; images 8.
        let small = VisionLimits(memoryMB: 512, inProcessModelBytes: 12_726_792)
        XCTAssertEqual(small.reserveMB, 190)
        XCTAssertEqual(small.maxImageBytes, 20 << 20)
        XCTAssertEqual(small.decode.maxPixels, (322 - 16 - 40) * (1 << 20) / 3)
        XCTAssertEqual(small.maxImages, 8)
        // 256 MB in-process: 66 MB left: bytes 8.25 MB; pixels (66 − 16 − 16.5)·2²⁰/3 = 11 709 098:
        // under a 12 MP photo (refused up front rather than running out of memory).
        let tiny = VisionLimits(memoryMB: 256, inProcessModelBytes: 12_726_792)
        XCTAssertEqual(tiny.maxImageBytes, 66 * (1 << 20) / 8)
        XCTAssertEqual(tiny.decode.maxPixels, (66 * (1 << 20) - 16 * (1 << 20) - 2 * (66 * (1 << 20) / 8)) / 3)
        XCTAssertLessThan(tiny.decode.maxPixels, 4032 * 3024)
        XCTAssertEqual(tiny.maxImages, 4)
    }

    func testVariablesOverrideTheDerivedCaps() throws {
        let limits = try VisionLimits.fromEnvironment(
            Environment(["AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "2048", "VISION_MAX_IMAGES": "3"]), inProcessModelBytes: 0)
        XCTAssertEqual(limits.maxImages, 3)
        XCTAssertEqual(limits.memoryMB, 2048)
        XCTAssertThrowsError(
            try VisionLimits.fromEnvironment(
                Environment(["AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "64"]), inProcessModelBytes: 0))
    }

    /// One thread per full vCPU share (1,769 MB each), rounded, within 1...6 and the CPUs present.
    func testInferenceThreadsFollowTheVCPUShare() {
        XCTAssertEqual(VisionLimits.inferenceThreads(memoryMB: 512, onlineCPUs: 8), 1)
        XCTAssertEqual(VisionLimits.inferenceThreads(memoryMB: 1769, onlineCPUs: 8), 1)
        XCTAssertEqual(VisionLimits.inferenceThreads(memoryMB: 3008, onlineCPUs: 8), 2)
        XCTAssertEqual(VisionLimits.inferenceThreads(memoryMB: 10240, onlineCPUs: 8), 6)
        XCTAssertEqual(VisionLimits.inferenceThreads(memoryMB: 10240, onlineCPUs: 2), 2)
    }
}
