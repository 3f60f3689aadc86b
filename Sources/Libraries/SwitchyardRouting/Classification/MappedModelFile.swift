import SwitchyardCore

/// A classifier file mapped read-only (`PROT_READ`, `MAP_PRIVATE`) instead of read into the heap.
///
/// The router's int8 table is 2 MiB; read into an array it was 2 MiB of anonymous memory at init
/// beside the same bytes in the page cache. Mapped, the process shares the page cache's copy: the
/// pages the load's checksum (when it is verified) or scoring touched stay mapped (resident, but the
/// page cache's, not a second copy), and later scoring reads them without faulting again. Dropping
/// them after the checksum (`MADV_DONTNEED`)
/// was tried and undone: scoring faulted most of them back within the first invokes, and the
/// advice flushed the TLB of every other CPU running the process (docs/packaging.md, tenth pass).
///
/// The file must not change while it is mapped: a file truncated in place makes a later access a
/// SIGBUS. Lambda's `/var/task` is read-only; locally, `scripts/train-router` writes a temporary file
/// and renames it over the model (a new inode), so a running router keeps the pages it mapped.
final class MappedModelFile: @unchecked Sendable {
    // @unchecked: `bytes` is set once and the mapping is read-only; nothing writes through it.
    let bytes: UnsafeRawBufferPointer

    /// Maps the regular file at `path`, refusing files larger than `limit` bytes. An empty file
    /// maps nothing (`mmap` refuses length 0) and reads as no bytes.
    /// - Throws: the reason, for `ClassifierModelError.unreadable`.
    init(path: String, limit: Int) throws(MappingFailure) {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw MappingFailure(errno: errno) }
        defer { close(fd) }
        var status = stat()
        guard fstat(fd, &status) == 0 else { throw MappingFailure(errno: errno) }
        guard status.st_mode & S_IFMT == S_IFREG else { throw MappingFailure(reason: "not a regular file") }
        guard status.st_size <= limit else { throw MappingFailure(reason: "larger than \(limit) bytes") }
        let size = Int(status.st_size)
        if size == 0 {
            bytes = UnsafeRawBufferPointer(start: nil, count: 0)
            return
        }
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), base != MAP_FAILED else {
            throw MappingFailure(errno: errno)
        }
        bytes = UnsafeRawBufferPointer(start: base, count: size)
    }

    deinit {
        if let base = bytes.baseAddress { munmap(UnsafeMutableRawPointer(mutating: base), bytes.count) }
    }

    struct MappingFailure: Error {
        var reason: String
        init(reason: String) { self.reason = reason }
        init(errno code: Int32) { reason = String(cString: strerror(code)) }
    }
}
