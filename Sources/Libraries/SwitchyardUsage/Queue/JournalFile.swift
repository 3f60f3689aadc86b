#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An append-only file with explicit durability: `append` writes, `sync` is `fsync`. Used by one
/// writer at a time (the journaled queue's flush), so it needs no lock of its own.
final class JournalFile: @unchecked Sendable {
    let path: String
    private let fd: Int32
    /// Bytes known to be in the file (what a failed append is cut back to).
    private(set) var size: Int

    /// Opens (creating it, and making its directory entry durable) `path`.
    init(path: String) throws(UsageError) {
        self.path = path
        let existed = access(path, F_OK) == 0
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw Self.failure("open \(path)") }
        self.fd = fd
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            close(fd)
            throw Self.failure("stat \(path)")
        }
        size = Int(info.st_size)
        if !existed { try Self.syncDirectory(of: path) }
    }

    deinit { close(fd) }

    /// The whole file.
    func readAll() throws(UsageError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: size)
        var done = 0
        while done < size {
            let n = bytes.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + done, size - done, off_t(done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw Self.failure("read \(path)") }
            done += n
        }
        return bytes
    }

    /// Writes `bytes` at the end; on failure the file is cut back to its previous size, so a
    /// half-written entry never sits in front of later ones.
    func append(_ bytes: [UInt8]) throws(UsageError) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress! + done, bytes.count - done, off_t(size + done)) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let error = Self.failure("write \(path)")
                _ = ftruncate(fd, off_t(size))
                throw error
            }
            done += n
        }
        size += bytes.count
    }

    func sync() throws(UsageError) {
        guard fsync(fd) == 0 else { throw Self.failure("fsync \(path)") }
    }

    /// Cuts the file to `length` bytes, durably.
    func truncate(to length: Int) throws(UsageError) {
        guard ftruncate(fd, off_t(length)) == 0 else { throw Self.failure("truncate \(path)") }
        size = length
        try sync()
    }

    /// `fsync` of the directory holding `path`, so a created or renamed file survives a crash.
    static func syncDirectory(of path: String) throws(UsageError) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw failure("open directory \(directory)") }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw failure("fsync directory \(directory)") }
    }

    /// Replaces `path` with `bytes` atomically and durably (write a temporary file, fsync,
    /// rename over, fsync the directory).
    static func replace(_ path: String, with bytes: [UInt8]) throws(UsageError) {
        let temporary = path + ".tmp"
        _ = unlink(temporary)
        do {
            let file = try JournalFile(path: temporary)
            try file.append(bytes)
            try file.sync()
        }
        guard rename(temporary, path) == 0 else { throw failure("rename \(temporary)") }
        try syncDirectory(of: path)
    }

    static func failure(_ what: String) -> UsageError {
        .queueUnavailable(detail: "\(what): \(String(cString: strerror(errno)))")
    }
}
