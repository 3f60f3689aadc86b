import SwitchyardCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A local folder that follows the configuration bundle in S3 (`SWITCHYARD_BUNDLE_S3`), so a
/// function's own file-based reloader (the router's `BundleStore`) picks up a new policy, catalog
/// or rates table without a redeploy (decisions.md "Configuration").
///
/// At init the folder is seeded from the packaged copies (`LAMBDA_TASK_ROOT`), so it is never
/// empty; `refreshIfDue` then fetches every mirrored file once per TTL, writes them all to
/// temporary names and only then renames them into place, so a reader after it sees the whole new
/// set or, when any fetch failed, the whole old one. A Lambda environment runs one invocation at a
/// time, and the owner calls `refreshIfDue` before it reloads, so no reader sits between renames.
/// Validation stays the reader's: a bundle that fails it is refused there, and the last good stays.
public final class BundleMirror: Sendable {
    /// Reads one file of the bundle from its source (S3 GetObject in a deployment).
    public typealias Fetch = @Sendable (_ name: String, _ deadline: ContinuousClock.Instant) async throws -> [UInt8]

    public let directory: String
    let files: [String]
    let ttl: Duration
    let fetch: Fetch
    let lastAttempt: Mutex<ContinuousClock.Instant?>

    /// - Parameters:
    ///   - directory: the local folder (created if missing), e.g. `/tmp/switchyard-bundle`.
    ///   - files: names relative to the bundle root that are mirrored (`policy.json`, …).
    ///   - seed: the packaged bundle folder; its copies of `files` are written first.
    ///   - linked: names (files or folders) of `seed` that are linked, not mirrored (a classifier
    ///     model read once at init).
    /// - Throws: `Config.UnreadableFile` when the folder cannot be made or seeded.
    public init(
        directory: String, files: [String], seed: String?, linked: [String] = [], ttl: Duration,
        fetch: @escaping Fetch
    ) throws(ConfigurationError) {
        self.directory = directory
        self.files = files
        self.ttl = ttl
        self.fetch = fetch
        lastAttempt = Mutex(nil)
        if mkdir(directory, 0o700) != 0 && errno != EEXIST {
            throw .unreadableFile(path: directory, reason: String(cString: strerror(errno)))
        }
        guard let seed else { return }
        for name in files {
            let source = seed + "/" + name
            guard access(source, R_OK) == 0 else { continue }
            try Self.writeFile(try FileReader.read(source), to: path(name))
        }
        for name in linked where access(seed + "/" + name, R_OK) == 0 {
            unlink(path(name))
            guard symlink(seed + "/" + name, path(name)) == 0 else {
                throw .unreadableFile(path: path(name), reason: String(cString: strerror(errno)))
            }
        }
    }

    /// The local path of a bundle file.
    public func path(_ name: String) -> String { directory + "/" + name }

    /// Fetches the bundle again when `ttl` has passed since the last attempt (or on the first call).
    /// - Returns: nil when nothing was due or every file was replaced; the error that left the
    ///   previous files in place otherwise (for the caller to log).
    @discardableResult
    public func refreshIfDue(deadline: ContinuousClock.Instant) async -> (any Error)? {
        let now = ContinuousClock.now
        let due = lastAttempt.withLock { last -> Bool in
            if let last, now - last < ttl { return false }
            last = now
            return true
        }
        guard due else { return nil }
        do {
            var fetched: [(String, [UInt8])] = []
            for name in files { fetched.append((name, try await fetch(name, deadline))) }
            for (name, bytes) in fetched { try Self.writeFile(bytes, to: path(name) + ".next") }
            for (name, _) in fetched where rename(path(name) + ".next", path(name)) != 0 {
                throw ConfigurationError.unreadableFile(path: path(name), reason: String(cString: strerror(errno)))
            }
            return nil
        } catch {
            return error
        }
    }

    static func writeFile(_ bytes: [UInt8], to path: String) throws(ConfigurationError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .unreadableFile(path: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw .unreadableFile(path: path, reason: String(cString: strerror(errno)))
            }
            offset += n
        }
    }
}
