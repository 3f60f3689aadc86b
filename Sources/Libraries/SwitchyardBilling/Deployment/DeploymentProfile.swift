import SwitchyardContract
import SwitchyardCore

/// What a deployment of `infra/template.yaml` runs, as the cost model needs it: the template's
/// parameter values (its defaults, with a variant's overrides) and the counts of billed resources
/// the template declares.
///
/// The switches follow the template's conditions: SageMaker and Fargate exist only with a vision
/// container image; the VPC (and its interface endpoints) exists when Fargate or the NAT gateway
/// does.
public struct DeploymentProfile: Sendable, Equatable {
    public var architecture: Architecture
    /// Memory per function, MB, by the function's name (`router`, `llm-caller`, …).
    public var memoryMB: [String: Int64]
    public var natGateway: Bool
    public var sageMaker: SageMaker?
    public var fargate: Fargate?
    /// Interface endpoints of every VPC (Secrets Manager, SageMaker runtime, Step Functions, SQS).
    public var baseInterfaceEndpoints: Int64
    /// Interface endpoints the Fargate tasks add (ECR API, ECR Docker, CloudWatch Logs).
    public var fargateInterfaceEndpoints: Int64
    public var availabilityZones: Int64
    public var secrets: Int64
    /// Alarm metrics (a metric-math alarm is billed per metric it reads).
    public var alarmMetrics: Int64

    public struct SageMaker: Sendable, Equatable {
        public var instanceType: String
        public var instanceCount: Int64
        /// Serverless inference: memory of one concurrent invocation, MB; nil for instances.
        public var serverlessMemoryMB: Int64?
    }

    public struct Fargate: Sendable, Equatable {
        /// Thousandths of a vCPU (the template's `FargateCpu` is in ECS units, 1024 per vCPU).
        public var milliVCPU: Int64
        public var memoryMB: Int64
        public var minTasks: Int64
    }

    /// Whether the template creates the VPC (and its endpoints).
    public var vpc: Bool { natGateway || fargate != nil }

    /// The functions the template deploys, with the parameter that sets each one's memory.
    public static let memoryParameters: [(function: String, parameter: String)] = [
        ("router", "RouterMemoryMB"), ("llm-caller", "LLMCallerMemoryMB"), ("vision", "VisionMemoryMB"),
        ("usage-logger", "UsageLoggerMemoryMB"), ("ingress", "IngressMemoryMB"), ("authorizer", "AuthorizerMemoryMB"),
    ]

    /// Reads the template's parameters (`name → value`, every value a string as CloudFormation
    /// passes it) and its resource counts.
    /// - Throws: `Config.Missing` / `Config.Invalid` naming the parameter or count.
    public init(parameters: [String: String], resources: [String: Int64]) throws(ConfigurationError) {
        let values = Environment(parameters)
        func number(_ name: String, _ range: ClosedRange<Int>) throws(ConfigurationError) -> Int64 {
            guard values[name] != nil else { throw .missing(variable: name) }
            return Int64(try values.int(name, default: 0, range: range))
        }
        func count(_ name: String) throws(ConfigurationError) -> Int64 {
            guard let value = resources[name] else { throw .missing(variable: "resources.\(name)") }
            guard (0...10_000).contains(value) else {
                throw .invalid(variable: "resources.\(name)", value: "\(value)", expected: "0...10000")
            }
            return value
        }
        guard let architecture = Architecture(rawValue: values.string("Architecture", default: "")) else {
            throw .invalid(
                variable: "Architecture", value: values.string("Architecture", default: ""), expected: "x86_64 or arm64"
            )
        }
        self.architecture = architecture
        var memory: [String: Int64] = [:]
        for (function, parameter) in Self.memoryParameters { memory[function] = try number(parameter, 128...10_240) }
        memoryMB = memory
        natGateway = values.string("NatGateway", default: "none") == "single"
        let image = !values.string("VisionContainerImage", default: "").isEmpty
        if image, try values.bool("EnableSageMaker", default: false) {
            let serverless = try values.bool("SageMakerServerless", default: false)
            sageMaker = SageMaker(
                instanceType: try values.require("SageMakerInstanceType"),
                instanceCount: try number("SageMakerInstanceCount", 1...100),
                serverlessMemoryMB: serverless ? try number("SageMakerServerlessMemoryMB", 1024...6144) : nil)
        }
        if image, try values.bool("EnableFargate", default: false) {
            // ECS CPU units: 1024 per vCPU; the template allows multiples of 256.
            let units = try number("FargateCpu", 256...16_384)
            guard units % 128 == 0 else {
                throw .invalid(variable: "FargateCpu", value: "\(units)", expected: "ECS CPU units, a multiple of 256")
            }
            fargate = Fargate(
                milliVCPU: units * 1000 / 1024, memoryMB: try number("FargateMemoryMB", 512...122_880),
                minTasks: try number("FargateMinTasks", 0...1000))
        }
        baseInterfaceEndpoints = try count("baseInterfaceEndpoints")
        fargateInterfaceEndpoints = try count("fargateInterfaceEndpoints")
        availabilityZones = try count("availabilityZones")
        secrets = try count("secrets")
        alarmMetrics = try count("alarmMetrics")
    }

    /// Memory of `function`, MB.
    /// - Throws: `Config.Missing` for a function the template does not deploy.
    public func memory(of function: String) throws(ConfigurationError) -> Int64 {
        guard let value = memoryMB[function] else { throw .missing(variable: "memory of \(function)") }
        return value
    }

    /// Where detection runs when a request leaves the choice to the deployment: SageMaker when it
    /// is deployed, else Fargate, else in the vision function itself.
    public var preferredVisionHome: VisionHome {
        if sageMaker != nil { return .sagemaker }
        if fargate != nil { return .fargate }
        return .lambda
    }
}

/// The three homes of a detector (decisions.md "Vision containers").
public enum VisionHome: String, Sendable, Codable, CaseIterable {
    case lambda
    case sagemaker
    case fargate
}

extension DeploymentCostModel {
    /// Epoch ms of UTC midnight of a `YYYY-MM-DD` date, as the rates table reads dates; nil if invalid.
    public static func epochMilliseconds(date: String) -> Int64? { CivilDate.epochMilliseconds(date) }
}
