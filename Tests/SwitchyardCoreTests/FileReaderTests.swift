import Foundation
import SwitchyardCore
import XCTest

/// FileReader against Foundation's own read of the same files.
final class FileReaderTests: XCTestCase {
    func path(_ name: String, _ bytes: [UInt8]) throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("filereader-\(getpid())-\(name)")
        try Data(bytes).write(to: url)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url.path
    }

    func testReadsWholeFilesOfEverySize() throws {
        var rng = SystemRandomNumberGenerator()
        for size in [0, 1, 65_535, 65_536, 65_537, 2_300_000] {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let file = try path("\(size)", bytes)
            XCTAssertEqual(try FileReader.read(file), Array(try Data(contentsOf: URL(fileURLWithPath: file))))
            XCTAssertEqual(try FileReader.read(file).count, size)
        }
    }

    func testAFileOverTheLimitIsATypedErrorAndAMissingOneToo() throws {
        let file = try path("big", [UInt8](repeating: 7, count: 1000))
        XCTAssertEqual(try FileReader.read(file, limit: 1000).count, 1000)
        XCTAssertThrowsError(try FileReader.read(file, limit: 999)) {
            XCTAssertTrue("\($0)".contains("larger than 999"))
        }
        XCTAssertThrowsError(try FileReader.read("/nonexistent/switchyard")) {
            XCTAssertTrue("\($0)".contains("No such file"), "\($0)")
        }
        // A file whose length the kernel does not report up front (procfs) is still read to its end.
        XCTAssertFalse(try FileReader.read("/proc/self/status").isEmpty)
        XCTAssertEqual(
            try FileReader.read("/proc/self/cmdline"),
            Array(try Data(contentsOf: URL(fileURLWithPath: "/proc/self/cmdline"))))
        XCTAssertThrowsError(try FileReader.read("/proc/self/status", limit: 10)) {
            XCTAssertTrue("\($0)".contains("larger than 10"), "\($0)")
        }
    }
}
