/// Whole-file reads without Foundation, for configuration and policy files read at init.
public enum FileReader {
    /// Reads the file at `path`, refusing files larger than `limit` bytes.
    public static func read(_ path: String, limit: Int = 64 << 20) throws(ConfigurationError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .unreadableFile(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var out: [UInt8] = []
        // Sized once from the file's length (a 2 MB classifier grew 64 KiB at a time, copied at
        // each doubling); the loop still reads to the end, so a file that grows meanwhile is whole.
        var status = stat()
        if fstat(fd, &status) == 0, status.st_size > 0 {
            guard status.st_size <= limit else {
                throw .unreadableFile(path: path, reason: "larger than \(limit) bytes")
            }
            out.reserveCapacity(Int(status.st_size) + 1)
        }
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
            if out.count > limit { throw .unreadableFile(path: path, reason: "larger than \(limit) bytes") }
        }
    }
}
