import SwitchyardCore

/// What this Lambda function runs on, for the `compute` of its usage records: memory from
/// `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` (MB, what Lambda bills) and the architecture this binary was
/// built for. Kept in this one small type so a shared runtime helper can replace it later.
public struct ComputeFacts: Sendable, Equatable {
    public var memoryMB: Int64
    /// `x86_64` or `arm64`, Lambda's spelling.
    public var architecture: String

    public init(memoryMB: Int64, architecture: String = ComputeFacts.buildArchitecture) {
        self.memoryMB = memoryMB
        self.architecture = architecture
    }

    /// - Throws: `Config.Invalid` when the memory size is not an integer in Lambda's 128...10240 MB.
    public init(environment: Environment) throws(ConfigurationError) {
        self.init(
            memoryMB: Int64(
                try environment.int("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", default: 128, range: 128...10_240)))
    }

    public static var buildArchitecture: String {
        #if arch(arm64)
            "arm64"
        #else
            "x86_64"
        #endif
    }
}
