import SwitchyardAWS
import SwitchyardContract
import SwitchyardCore
import SwitchyardVision

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Finds a detector's model file (`DetectorSpec.modelFile`) at init:
/// - `s3://bucket/key`: downloaded once into the cache directory (`/tmp` survives between
///   invocations of a warm environment), then read from there;
/// - an absolute path: as is;
/// - a relative path: under `VISION_MODEL_DIR` when it is there (the local stack's generated
///   models), else in the bundle (`ConfigLocator`: `$LAMBDA_TASK_ROOT/models/yolov8n.onnx` in the zip).
///
/// A file that cannot be found or fetched is `Vision.ModelUnavailable`, an init error.
public struct ModelFiles: Sendable {
    public var modelDirectory: String?
    public var cacheDirectory: String
    public var environment: Environment
    public var s3: S3Client?
    /// Largest model fetched from S3.
    public var maxBytes = 1 << 30

    public init(modelDirectory: String?, cacheDirectory: String, environment: Environment, s3: S3Client?) {
        self.modelDirectory = modelDirectory
        self.cacheDirectory = cacheDirectory
        self.environment = environment
        self.s3 = s3
    }

    /// The local path of `file`.
    public func path(for file: String, deadline: ContinuousClock.Instant) async throws(VisionError) -> String {
        if file.hasPrefix("s3://") { return try await cached(file, deadline: deadline) }
        if file.hasPrefix("/") {
            guard access(file, R_OK) == 0 else {
                throw .modelUnavailable("\(file): \(String(cString: strerror(errno)))")
            }
            return file
        }
        if let directory = modelDirectory, !directory.isEmpty {
            let path = directory.hasSuffix("/") ? directory + file : directory + "/" + file
            if access(path, R_OK) == 0 { return path }
        }
        guard let path = ConfigLocator.locate(file, environment: environment) else {
            throw .modelUnavailable(
                "\(file) is in neither VISION_MODEL_DIR, SWITCHYARD_BUNDLE_DIR, $LAMBDA_TASK_ROOT nor an infra/ folder")
        }
        return path
    }

    /// Reads `file` whole (metadata JSON, or an `.onnx` for its metadata).
    public func bytes(for file: String, deadline: ContinuousClock.Instant) async throws(VisionError) -> [UInt8] {
        let path = try await path(for: file, deadline: deadline)
        do { return try FileReader.read(path, limit: maxBytes) } catch {
            throw .modelUnavailable(error.errorMessage)
        }
    }

    private func cached(_ uri: String, deadline: ContinuousClock.Instant) async throws(VisionError) -> String {
        guard case .s3(let bucket, let key)? = try? ImageReference(parsing: uri) else {
            throw .modelUnavailable("\(uri.prefix(200)) is not s3://bucket/key")
        }
        // One flat name per object: bucket and key with every `/` made `_` (the key's own
        // characters are checked by the reference parser; no `..` can climb out).
        let name = "\(bucket)_\(key)".map { $0 == "/" ? "_" : $0 }
        let path = "\(cacheDirectory)/\(String(name))"
        var info = stat()
        if stat(path, &info) == 0, info.st_size > 0 { return path }
        guard let s3 else { throw .modelUnavailable("\(uri): no AWS credentials to read it with") }
        let bytes: [UInt8]
        do {
            bytes = try await s3.getObject(bucket: bucket, key: key, maxBytes: maxBytes, deadline: deadline)
        } catch {
            throw .modelUnavailable("\(uri): \(error.errorMessage)")
        }
        mkdir(cacheDirectory, 0o700)
        // Written to a temporary name and renamed, so a crash never leaves a partial model behind.
        let temporary = "\(path).partial-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw .modelUnavailable("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                close(fd)
                unlink(temporary)
                throw .modelUnavailable("cannot write \(temporary): \(String(cString: strerror(errno)))")
            }
            offset += n
        }
        close(fd)
        guard rename(temporary, path) == 0 else {
            unlink(temporary)
            throw .modelUnavailable("cannot rename \(temporary): \(String(cString: strerror(errno)))")
        }
        return path
    }
}
