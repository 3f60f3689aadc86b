/// The compute an execution environment runs on, as a function reports it on its usage records
/// (`UsageRecord.Compute(kind: "lambda", architecture:, memoryMB:, durationMs:)`).
///
/// The runtime reads it once at init and hands it to every handler as `InvocationContext.compute`;
/// code that runs outside the runtime (the single-process server, tools) builds it the same way
/// with `init(environment:)`.
public struct ComputeEnvironment: Sendable, Equatable {
    /// Lambda's memory setting in MB (`AWS_LAMBDA_FUNCTION_MEMORY_SIZE`), which also sets the
    /// function's CPU share and its GB-second price. `Int64`, as usage records carry it.
    public var memoryMB: Int64
    /// The architecture of the running binary as Lambda names it: `x86_64` or `arm64`.
    public var architecture: String

    /// Memory sizes Lambda accepts, in MB.
    public static let memoryRange = 128...10_240

    /// The architecture this binary was compiled for.
    public static let binaryArchitecture: String = {
        #if arch(x86_64)
            "x86_64"
        #elseif arch(arm64)
            "arm64"
        #else
            "unknown"
        #endif
    }()

    public init(memoryMB: Int64, architecture: String = ComputeEnvironment.binaryArchitecture) {
        self.memoryMB = memoryMB
        self.architecture = architecture
    }

    /// Reads `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (MB, 128...10240). Lambda always sets it; where it
    /// is absent (tests, tools) the smallest size, 128, is assumed.
    /// - Throws: `Config.Invalid` for a value that is not an integer in range.
    public init(environment: Environment) throws(ConfigurationError) {
        memoryMB = Int64(try environment.int("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", default: 128, range: Self.memoryRange))
        architecture = Self.binaryArchitecture
    }
}
