import SwitchyardCore

/// Minimal output without Foundation: whole-file writes and stderr.
enum FileHandleWriter {
    static func write(_ bytes: [UInt8], to path: String) throws(VisionToolError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io("cannot create \(path)") }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io("cannot write \(path)")
            }
            offset += n
        }
    }

    static func stderr(_ text: String) {
        var text = text
        text.withUTF8 { _ = Glibc.write(2, $0.baseAddress, $0.count) }
    }
}

/// Usage mistakes of the tool itself.
enum VisionToolError: FunctionError {
    case usage(String)
    case io(String)

    var errorType: String {
        switch self {
        case .usage: "VisionTool.Usage"
        case .io: "VisionTool.IO"
        }
    }

    var errorMessage: String {
        switch self {
        case .usage(let text), .io(let text): text
        }
    }
}
