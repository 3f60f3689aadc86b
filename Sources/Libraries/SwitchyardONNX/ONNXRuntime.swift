import COnnxRuntime
import SwitchyardCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// onnxruntime in this process: the library (opened once) and its one `OrtEnv`, shared by every
/// session, as onnxruntime recommends.
///
/// The library is the PyPI wheel's `libonnxruntime.so`, opened with `dlopen` so that only a
/// process that runs a model needs it (`scripts/package` bundles it under `lib/` for the vision
/// zip). Where it is looked for, first hit wins:
/// 1. `ONNXRUNTIME_LIBRARY`: an explicit path (nothing else is tried when it is set);
/// 2. `$LAMBDA_TASK_ROOT/lib/libonnxruntime.so` (the deployment zip);
/// 3. `libonnxruntime.so.1`, then `libonnxruntime.so`, through the dynamic loader's search path;
/// 4. the wheel inside `.venv/` in the working directory or one of its parents (local runs).
///
/// Before the library is opened, onnxruntime's telemetry is turned off in this process
/// (`ORT_DISABLE_TELEMETRY=1`, unless the process environment sets that variable itself): the
/// wheel's telemetry otherwise creates an SQLite store under `$XDG_CACHE_HOME` or `~/.cache`,
/// fsyncs it, writes `/tmp/.ses` and starts a thread while the environment is created: 17.3 M
/// instructions and 2.8 MB at the vision function's init (docs/packaging.md, ninth pass), and nothing
/// a function should do on its requests' machine.
public final class ONNXRuntime: @unchecked Sendable {
    /// onnxruntime's version string, e.g. `1.32.0`.
    public let version: String
    /// The library that was opened.
    public let libraryPath: String
    let env: OpaquePointer

    private init(version: String, libraryPath: String, env: OpaquePointer) {
        self.version = version
        self.libraryPath = libraryPath
        self.env = env
    }

    private static let shared = Mutex<ONNXRuntime?>(nil)

    /// The process's runtime, loading the library on first use.
    /// - Throws: `ONNX.LibraryUnavailable` naming every place that was tried.
    public static func load(environment: Environment) throws(ONNXError) -> ONNXRuntime {
        let result: Result<ONNXRuntime, ONNXError> = shared.withLock { slot in
            if let runtime = slot { return .success(runtime) }
            disableTelemetry()
            let opened = Result { () throws(ONNXError) in
                try open(candidates: libraryCandidates(environment: environment))
            }
            if case .success(let runtime) = opened { slot = runtime }
            return opened
        }
        return try result.get()
    }

    /// The variable onnxruntime reads when it creates its environment; see the type's documentation.
    static let telemetryVariable = "ORT_DISABLE_TELEMETRY"

    /// Sets `ORT_DISABLE_TELEMETRY=1` in the process environment, keeping a value already there
    /// (an explicit choice). Called once, under the load lock, before the library is opened.
    private static func disableTelemetry() {
        _ = setenv(telemetryVariable, "1", 0)
    }

    private static func open(candidates: [String]) throws(ONNXError) -> ONNXRuntime {
        guard !candidates.isEmpty else { throw .libraryUnavailable("no candidate path") }
        var reasons: [String] = []
        for path in candidates {
            var message = [CChar](repeating: 0, count: 512)
            if sy_ort_load(path, 16, &message, message.count) == 0 {
                let version = sy_ort_version().map { String(cString: $0) } ?? "unknown"
                var env: OpaquePointer?
                try check(sy_ort_create_env(Int32(SY_ORT_LOGGING_ERROR), "switchyard", &env)) {
                    .libraryUnavailable("cannot create the environment: \($0)")
                }
                guard let env else { throw .libraryUnavailable("cannot create the environment") }
                return ONNXRuntime(version: version, libraryPath: path, env: env)
            }
            reasons.append(message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) })
        }
        throw .libraryUnavailable(
            "tried \(candidates.joinedText(separator: ", ")): \(reasons.last ?? ""); set ONNXRUNTIME_LIBRARY")
    }

    /// Where the library is looked for, in order (see the type's documentation).
    public static func libraryCandidates(environment: Environment) -> [String] {
        if let explicit = environment["ONNXRUNTIME_LIBRARY"], !explicit.isEmpty { return [explicit] }
        var candidates: [String] = []
        if let root = environment["LAMBDA_TASK_ROOT"], !root.isEmpty,
            access(root + "/lib/libonnxruntime.so", R_OK) == 0
        {
            candidates.append(root + "/lib/libonnxruntime.so")
        }
        candidates += ["libonnxruntime.so.1", "libonnxruntime.so"]
        if let wheel = wheelLibrary() { candidates.append(wheel) }
        return candidates
    }

    /// `.venv/lib/python3.*/site-packages/onnxruntime/capi/libonnxruntime.so.<version>` in the
    /// working directory or up to seven parents.
    static func wheelLibrary() -> String? {
        var prefix = ""
        for _ in 0..<8 {
            let lib = prefix + ".venv/lib"
            for python in entries(lib) where python.hasPrefix("python3") {
                let capi = "\(lib)/\(python)/site-packages/onnxruntime/capi"
                if let name = entries(capi).sorted().last(where: { $0.hasPrefix("libonnxruntime.so.") }) {
                    return "\(capi)/\(name)"
                }
            }
            prefix += "../"
        }
        return nil
    }

    private static func entries(_ directory: String) -> [String] {
        guard let dir = opendir(directory) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(cString: raw.bindMemory(to: CChar.self).baseAddress!)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Turns a non-nil status into `error(message)`, releasing the status.
    static func check(_ status: OpaquePointer?, _ error: (String) -> ONNXError) throws(ONNXError) {
        guard let status else { return }
        let message = sy_ort_error_message(status).map { String(cString: $0) } ?? "code \(sy_ort_error_code(status))"
        sy_ort_release_status(status)
        throw error(message)
    }
}
