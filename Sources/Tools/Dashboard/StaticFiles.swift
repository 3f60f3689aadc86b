import Foundation

/// The built dashboard (`dashboard/dist`), read once at start and served from memory: three small
/// files, so every request is a dictionary lookup.
struct StaticFiles: Sendable {
    struct File: Sendable {
        var contentType: String
        var body: [UInt8]
    }

    let files: [String: File]

    /// Reads `index.html`, `app.js` and `app.css` from `directory`.
    /// - Throws: when a file is missing (the dashboard was not built: `scripts/build-dashboard`).
    init(directory: String) throws {
        var files: [String: File] = [:]
        for (name, type) in [
            ("index.html", "text/html; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8"),
            ("app.css", "text/css; charset=utf-8"),
        ] {
            let url = URL(fileURLWithPath: directory).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: url.path) else {
                throw DashboardServerError.missingBuild(url.path)
            }
            files["/" + name] = File(contentType: type, body: Array(data))
        }
        files["/"] = files["/index.html"]
        self.files = files
    }

    func file(at path: String) -> File? { files[path] }
}

enum DashboardServerError: Error, CustomStringConvertible {
    case missingBuild(String)
    case usage(String)

    var description: String {
        switch self {
        case .missingBuild(let path): "\(path) missing: run scripts/build-dashboard"
        case .usage(let text): text
        }
    }
}
