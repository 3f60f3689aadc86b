import Foundation

/// Generates the test models with the repository's own scripts (Tests/Fakes), once per process,
/// into a temporary directory.
enum ModelFixtures {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let directory: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("switchyard-onnx-\(getpid())")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }()

    /// The colour-cell detector of make_yolo_model.py with `classes` classes at 640.
    static func colourCellModel(classes: Int = 3) throws -> String {
        let path = directory.appendingPathComponent("cells-\(classes).onnx").path
        if !FileManager.default.fileExists(atPath: path) {
            try python(["Tests/Fakes/make_yolo_model.py", path, "--classes", String(classes)])
        }
        return path
    }

    static func python(_ arguments: [String]) throws {
        let process = Process()
        let venv = repository.appendingPathComponent(".venv/bin/python").path
        process.executableURL = URL(
            fileURLWithPath: FileManager.default.isExecutableFile(atPath: venv) ? venv : "/usr/bin/python3")
        process.arguments = arguments
        process.currentDirectoryURL = repository
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw NSError(domain: "ModelFixtures", code: Int(process.terminationStatus))
        }
    }
}
