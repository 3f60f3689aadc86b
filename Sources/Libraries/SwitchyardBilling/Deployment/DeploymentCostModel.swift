import SwitchyardContract
import SwitchyardCore

/// The bill before the deploy: what each kind of request costs per million, by AWS service, and
/// what a month costs at a traffic mix, for one deployment of `infra/template.yaml`.
///
/// Every line is a sum of `rate × quantity / divisor` terms kept as one exact fraction and
/// rounded once, half to even, to whole pico-dollars (as `CostCalculator` bills a record), so the
/// figures can be checked by hand against the rates table.
public struct DeploymentCostModel: Sendable {
    public let rates: RatesTable
    public let infrastructure: InfrastructureRates
    public let profile: DeploymentProfile
    public let measurements: CostMeasurements
    /// Epoch ms the prices are taken at.
    public let time: Int64

    public init(
        rates: RatesTable, infrastructure: InfrastructureRates, profile: DeploymentProfile,
        measurements: CostMeasurements, time: Int64
    ) {
        self.rates = rates
        self.infrastructure = infrastructure
        self.profile = profile
        self.measurements = measurements
        self.time = time
    }

    /// The lines of a bill, in the order reports show them.
    public enum Line: String, Sendable, CaseIterable, Codable {
        case apiGateway = "API Gateway"
        case ingress = "Lambda ingress"
        case authorizer = "Lambda authorizer"
        case stepFunctions = "Step Functions Express"
        case router = "Lambda router"
        case llmCaller = "Lambda llm-caller"
        case vision = "Lambda vision"
        case usageLogger = "Lambda usage-logger"
        case modelTokens = "model tokens"
        case visionBackend = "detector (amortised)"
        case sqs = "SQS"
        case vpcEndpointData = "VPC endpoint data"
        case natData = "NAT data"
        case logs = "CloudWatch Logs"
        case xray = "X-Ray"
    }

    /// Lines of the monthly bill that do not depend on traffic.
    public enum FixedLine: String, Sendable, CaseIterable, Codable {
        case interfaceEndpoints = "VPC interface endpoints"
        case natGateway = "NAT gateway + address"
        case sageMakerAlwaysOn = "SageMaker instances (always on)"
        case fargateAlwaysOn = "Fargate tasks (minimum, always on)"
        case loadBalancer = "internal load balancer"
        case hostedZone = "Route 53 private zone"
        case secrets = "Secrets Manager"
        case alarms = "CloudWatch alarms"
        case repairSchedule = "usage repair schedule"
        case sqsPolling = "SQS idle polling"
    }

    /// A scenario's cost per million requests.
    public struct ScenarioCost: Sendable, Equatable {
        public var scenario: String
        public var visionHome: VisionHome?
        /// Billed duration of the Express execution, ms (before Express's 100 ms rounding).
        public var executionMs: Int64
        public var lines: [Line: PicoUSD]
        public var total: PicoUSD
        /// The part of `total` an always-on detector (SageMaker instances, Fargate's minimum
        /// tasks) already bills in the fixed monthly lines: the amortised view of their busy time.
        /// A month's bill leaves it out, so that capacity is counted once.
        public var inFixedCapacity: PicoUSD
    }

    // MARK: - Per request

    /// The cost of one million requests of `scenario`.
    /// - Throws: `CostModel.*` for a model or instance type without a price, a measurement that is
    ///   missing, or amounts out of range.
    public func perMillion(_ scenario: CostScenario) throws(CostModelError) -> ScenarioCost {
        let million: Int128 = 1_000_000
        try check(scenario)
        var lines: [Line: ExactTotal] = [:]
        func add(_ line: Line, _ rate: PicoUSD, _ quantity: Int128, per divisor: Int128) throws(CostModelError) {
            var total = lines[line] ?? ExactTotal()
            try total.add(rate, times: quantity, per: divisor)
            lines[line] = total
        }
        guard let lambda = rates.lambda(profile.architecture, at: time) else {
            throw .unpriced("Lambda \(profile.architecture.rawValue)")
        }
        /// `count / per` invocations per request of `function`, `ms` each (`per` divides a million).
        func invoke(_ line: Line, _ function: String, count: Int128, ms: Int64, per: Int128 = 1)
            throws(CostModelError)
        {
            let memory = try configured { () throws(ConfigurationError) in try profile.memory(of: function) }
            guard per > 0, million % per == 0 else { throw .invalidInput("\(per) does not divide a million") }
            let invocations = count * (million / per)
            try add(line, lambda.perMillionRequests, invocations, per: 1_000_000)
            try add(line, lambda.perGBSecond, Int128(memory) * Int128(ms) * invocations, per: 1_024_000)
        }

        // What runs inside the execution, and for how long.
        let home = scenario.images > 0 ? (scenario.visionHome ?? profile.preferredVisionHome) : nil
        let visionFacts = try home.map { h throws(CostModelError) in try measurements.vision(h) }
        let imagesPerInvocation = scenario.visionInvocations > 0 ? scenario.images / scenario.visionInvocations : 0
        let visionMsPerInvocation = imagesPerInvocation * (visionFacts?.functionMsPerImage ?? 0)
        let llmMs = scenario.llm.reduce(Int64(0)) { $0 + measurements.llmCallerOverheadMs + $1.providerMs }
        let waves = (scenario.visionInvocations + scenario.mapConcurrency - 1) / scenario.mapConcurrency
        let executionMs = measurements.expressOverheadMs + measurements.routerMs + llmMs + waves * visionMsPerInvocation

        try add(.apiGateway, infrastructure.apiGatewayRESTPerMillionRequests, million, per: 1_000_000)
        var invocationsPerRequest = Int128(1 + scenario.llm.count) + Int128(scenario.visionInvocations)
        if scenario.entry == .openai {
            try invoke(.ingress, "ingress", count: 1, ms: measurements.ingressOverheadMs + executionMs)
            invocationsPerRequest += 1
        }
        try invoke(
            .authorizer, "authorizer", count: Int128(measurements.authorizerInvocationsPerMillion),
            ms: measurements.authorizerMs, per: 1_000_000)

        // Step Functions Express: per request, and GB-seconds in 64 MB and 100 ms steps.
        guard let express = rates.expressWorkflow(at: time) else { throw .unpriced("Step Functions Express") }
        let memory = try money { () throws(MoneyError) in
            try CostCalculator.roundUp(max(measurements.expressMemoryMB, 1), to: express.memoryIncrementMB)
        }
        let duration = try money { () throws(MoneyError) in
            try CostCalculator.roundUp(max(executionMs, 1), to: express.durationIncrementMilliseconds)
        }
        try add(.stepFunctions, express.perMillionRequests, million, per: 1_000_000)
        try add(.stepFunctions, express.perGBSecond, Int128(memory) * Int128(duration) * million, per: 1_024_000)

        try invoke(.router, "router", count: 1, ms: measurements.routerMs)
        for call in scenario.llm {
            try invoke(.llmCaller, "llm-caller", count: 1, ms: measurements.llmCallerOverheadMs + call.providerMs)
            guard let rate = rates.model(call.model, at: time) else { throw .unpriced("model \(call.model)") }
            try add(.modelTokens, rate.inputPerMillionTokens, Int128(call.inputTokens) * million, per: 1_000_000)
            try add(.modelTokens, rate.outputPerMillionTokens, Int128(call.outputTokens) * million, per: 1_000_000)
        }
        if scenario.visionInvocations > 0 {
            try invoke(.vision, "vision", count: Int128(scenario.visionInvocations), ms: visionMsPerInvocation)
        }
        if let home, let facts = visionFacts {
            try addDetector(home, facts, images: Int128(scenario.images) * million, into: add)
        }

        // The usage path: one send per message; the mapping receives and deletes in batches.
        let messages = Int128(scenario.usageMessages) * million
        let batch = Int128(measurements.usageBatchSize)
        try add(.sqs, infrastructure.sqsPerMillionRequests, messages, per: 1_000_000)
        try add(.sqs, infrastructure.sqsPerMillionRequests, 2 * messages, per: 1_000_000 * batch)
        try invoke(
            .usageLogger, "usage-logger", count: Int128(scenario.usageMessages), ms: measurements.usageLoggerBatchMs,
            per: batch)

        if profile.natGateway {
            try add(
                .natData, infrastructure.natGatewayPerGB, Int128(scenario.providerBytes) * million, per: Self.gigabyte)
        }
        // One EMF line per invocation; the usage-logger's are shared by a batch.
        let logged = invocationsPerRequest * batch + Int128(scenario.usageMessages)
        try add(
            .logs, infrastructure.logsPerGBIngested, logged * Int128(measurements.logBytesPerInvocation) * million,
            per: Self.gigabyte * batch)
        try add(
            .xray, infrastructure.xrayPerMillionTraces, Int128(measurements.xrayTracesPerMillion),
            per: 1_000_000)

        var rounded: [Line: PicoUSD] = [:]
        for (line, total) in lines { rounded[line] = try total.rounded() }
        let total = try money { () throws(MoneyError) in try PicoUSD.sum(rounded.values) }
        let alwaysOn = home == .fargate || (home == .sagemaker && profile.sageMaker?.serverlessMemoryMB == nil)
        return ScenarioCost(
            scenario: scenario.name, visionHome: home, executionMs: executionMs, lines: rounded, total: total,
            inFixedCapacity: alwaysOn ? rounded[.visionBackend] ?? .zero : .zero)
    }

    /// The detector's own charge for `images` images: busy time on an instance or task (the
    /// amortised view), serverless GB-seconds, and the tensors through the VPC endpoint.
    private func addDetector(
        _ home: VisionHome, _ facts: CostMeasurements.VisionMeasurement, images: Int128,
        into add: (Line, PicoUSD, Int128, Int128) throws(CostModelError) -> Void
    ) throws(CostModelError) {
        let busy = Int128(facts.backendMsPerImage) * images
        let bytes = Int128(facts.bytesPerImage) * images
        switch home {
        case .lambda:
            return  // inference runs inside the vision function, already billed as its GB-seconds
        case .sagemaker:
            guard let sageMaker = profile.sageMaker else { throw .notDeployed("SageMaker") }
            if let memory = sageMaker.serverlessMemoryMB {
                try add(.visionBackend, infrastructure.sagemakerServerlessPerGBSecond, Int128(memory) * busy, 1_024_000)
                try add(.visionBackend, infrastructure.sagemakerServerlessPerGB, bytes, Self.gigabyte)
            } else {
                guard let rate = rates.endpoint(sageMaker.instanceType, at: time) else {
                    throw .unpriced("instance \(sageMaker.instanceType)")
                }
                try add(.visionBackend, rate.perHour, busy, 3_600_000)
            }
            if profile.vpc { try add(.vpcEndpointData, infrastructure.interfaceEndpointPerGB, bytes, Self.gigabyte) }
        case .fargate:
            guard let fargate = profile.fargate else { throw .notDeployed("Fargate") }
            guard let rate = rates.fargate(.x86_64, at: time) else { throw .unpriced("Fargate x86_64") }
            try add(.visionBackend, rate.perVCPUHour, Int128(fargate.milliVCPU) * busy, 3_600_000_000)
            try add(.visionBackend, rate.perGBHour, Int128(fargate.memoryMB) * busy, 3_686_400_000)
        }
    }

    // MARK: - Per month

    /// What the deployment costs per month before the first request.
    public func fixedMonthly() throws(CostModelError) -> [FixedLine: PicoUSD] {
        let hours = Int128(measurements.hoursPerMonth)
        var lines: [FixedLine: PicoUSD] = [:]
        func line(_ name: FixedLine, _ terms: [(PicoUSD, Int128, Int128)]) throws(CostModelError) {
            var total = ExactTotal()
            for (rate, quantity, divisor) in terms { try total.add(rate, times: quantity, per: divisor) }
            lines[name] = try total.rounded()
        }
        if profile.vpc {
            let endpoints =
                profile.baseInterfaceEndpoints + (profile.fargate != nil ? profile.fargateInterfaceEndpoints : 0)
            try line(
                .interfaceEndpoints,
                [(infrastructure.interfaceEndpointPerAZHour, Int128(endpoints * profile.availabilityZones) * hours, 1)])
        }
        if profile.natGateway {
            try line(
                .natGateway,
                [(infrastructure.natGatewayPerHour, hours, 1), (infrastructure.publicIPv4PerHour, hours, 1)])
        }
        if let sageMaker = profile.sageMaker, sageMaker.serverlessMemoryMB == nil {
            guard let rate = rates.endpoint(sageMaker.instanceType, at: time) else {
                throw .unpriced("instance \(sageMaker.instanceType)")
            }
            try line(.sageMakerAlwaysOn, [(rate.perHour, Int128(sageMaker.instanceCount) * hours, 1)])
        }
        if let fargate = profile.fargate {
            guard let rate = rates.fargate(.x86_64, at: time) else { throw .unpriced("Fargate x86_64") }
            let tasks = Int128(fargate.minTasks) * hours
            try line(
                .fargateAlwaysOn,
                [
                    (rate.perVCPUHour, tasks * Int128(fargate.milliVCPU), 1000),
                    (rate.perGBHour, tasks * Int128(fargate.memoryMB), 1024),
                ])
            try line(
                .loadBalancer,
                [
                    (infrastructure.loadBalancerPerHour, hours, 1),
                    (infrastructure.loadBalancerPerLCUHour, hours * Int128(measurements.loadBalancerLCUs), 1),
                ])
            try line(.hostedZone, [(infrastructure.hostedZonePerMonth, 1, 1)])
        }
        try line(
            .secrets,
            [
                (infrastructure.secretPerMonth, Int128(profile.secrets), 1),
                (infrastructure.secretsPerTenThousandCalls, Int128(measurements.secretCallsPerMonth), 10_000),
            ])
        try line(.alarms, [(infrastructure.alarmMetricPerMonth, Int128(profile.alarmMetrics), 1)])
        guard let lambda = rates.lambda(profile.architecture, at: time) else {
            throw .unpriced("Lambda \(profile.architecture.rawValue)")
        }
        let repairs = hours * Int128(measurements.repairsPerHour)
        let memory = try configured { () throws(ConfigurationError) in try profile.memory(of: "usage-logger") }
        try line(
            .repairSchedule,
            [
                (lambda.perMillionRequests, repairs, 1_000_000),
                (lambda.perGBSecond, repairs * Int128(memory) * Int128(measurements.repairMs), 1_024_000),
            ])
        // Each idle poller long-polls for 20 s: three receives a minute.
        let polls = Int128(measurements.sqsIdlePollers) * 3 * 60 * hours
        try line(.sqsPolling, [(infrastructure.sqsPerMillionRequests, polls, 1_000_000)])
        return lines
    }

    /// A month at `monthlyRequests` requests split by `mix` (weights per scenario name): the
    /// per-million figures scaled to each scenario's share (rounded once more), less the amortised
    /// detector time that always-on capacity already bills, plus the fixed lines.
    public func monthly(
        costs: [ScenarioCost], mix: [String: Int64], monthlyRequests: Int64
    ) throws(CostModelError) -> (variable: PicoUSD, fixed: PicoUSD, total: PicoUSD) {
        let weights = mix.values.reduce(Int128(0)) { $0 + Int128($1) }
        guard weights > 0, mix.values.allSatisfy({ $0 >= 0 }), monthlyRequests >= 0 else {
            throw .invalidInput("the mix needs non-negative weights with a positive sum, and requests >= 0")
        }
        // Σ cost per million × requests × weight / (1,000,000 × Σ weights), rounded once.
        var numerator: Int128 = 0
        for (name, weight) in mix where weight > 0 {
            guard let cost = costs.first(where: { $0.scenario == name }) else {
                throw .invalidInput("the mix names \(name), which is not a scenario")
            }
            let traffic = Int128(cost.total.rawValue) - Int128(cost.inFixedCapacity.rawValue)
            let (a, o1) = traffic.multipliedReportingOverflow(by: Int128(monthlyRequests))
            let (b, o2) = a.multipliedReportingOverflow(by: Int128(weight))
            let (sum, o3) = numerator.addingReportingOverflow(b)
            guard !o1, !o2, !o3 else { throw .outOfRange("monthly cost of \(name) is out of range") }
            numerator = sum
        }
        let scaled = ExactAmount(numerator: numerator, denominator: 1_000_000 * weights).roundedHalfEven128()
        guard let variableTotal = Int64(exactly: scaled).map(PicoUSD.init) else {
            throw .outOfRange("the monthly cost is beyond ±$9.2M")
        }
        let fixedLines = try fixedMonthly()
        let fixed = try money { () throws(MoneyError) in try PicoUSD.sum(fixedLines.values) }
        let total = try money { () throws(MoneyError) in try variableTotal.adding(fixed) }
        return (variableTotal, fixed, total)
    }

    // MARK: - Crossover

    /// How an always-on detector home compares with detection inside the vision function.
    public struct Crossover: Sendable, Equatable {
        public var home: VisionHome
        /// What the home's minimum capacity (instances, or Fargate's minimum tasks) costs a month.
        public var fixedMonthly: PicoUSD
        /// Images per month that capacity can serve, busy all the time.
        public var capacityImagesPerMonth: Int64
        /// Cost of a million images detected in the vision function (its GB-seconds).
        public var lambdaPerMillionImages: PicoUSD
        /// Cost of a million images on the home at full use: the vision function's wait, the
        /// tensors through the VPC endpoint and the busy time of the capacity (amortised).
        public var homePerMillionImagesAtFullUse: PicoUSD
        /// Images per month above which the home's fixed capacity costs less than in-Lambda
        /// detection; nil when it never does, or not within the capacity it pays for.
        public var breakEvenImagesPerMonth: Int64?
    }

    /// The break-even of `home` against in-Lambda detection, or nil when the deployment does not
    /// run that home with always-on capacity.
    public func crossover(_ home: VisionHome) throws(CostModelError) -> Crossover? {
        let lines = try fixedMonthly()
        let fixed: PicoUSD
        let units: Int64
        let facts = try measurements.vision(home)
        switch home {
        case .lambda: return nil
        case .sagemaker:
            guard let sageMaker = profile.sageMaker, sageMaker.serverlessMemoryMB == nil else { return nil }
            fixed = lines[.sageMakerAlwaysOn] ?? .zero
            units = sageMaker.instanceCount
        case .fargate:
            guard let fargate = profile.fargate, fargate.minTasks > 0 else { return nil }
            // Without NAT the VPC and its endpoints exist only for the tasks: they are part of the price.
            let parts =
                [lines[.fargateAlwaysOn], lines[.loadBalancer], lines[.hostedZone]]
                + (profile.natGateway ? [] : [lines[.interfaceEndpoints]])
            fixed = try money { () throws(MoneyError) in try PicoUSD.sum(parts.compactMap { $0 }) }
            units = fargate.minTasks
        }
        let monthMs = Int128(measurements.hoursPerMonth) * 3_600_000
        let capacity = facts.backendMsPerImage > 0 ? monthMs * Int128(units) / Int128(facts.backendMsPerImage) : 0
        let onLambda = try perImage(.lambda, amortised: false)
        let onHome = try perImage(home, amortised: false)
        let atFullUse = try perImage(home, amortised: true)
        var breakEven: Int64?
        let saving = onLambda - onHome
        if saving > 0 {
            // ceil(fixed / saving), both over ExactTotal.denominator.
            let images = (Int128(fixed.rawValue) * ExactTotal.denominator + saving - 1) / saving
            if images <= capacity { breakEven = Int64(exactly: images) }
        }
        func perMillion(_ numerator: Int128) throws(MoneyError) -> PicoUSD {
            PicoUSD(
                try ExactAmount(numerator: numerator * 1_000_000, denominator: ExactTotal.denominator).roundedHalfEven()
            )
        }
        return Crossover(
            home: home, fixedMonthly: fixed, capacityImagesPerMonth: Int64(clamping: capacity),
            lambdaPerMillionImages: try money { () throws(MoneyError) in try perMillion(onLambda) },
            homePerMillionImagesAtFullUse: try money { () throws(MoneyError) in try perMillion(atFullUse) },
            breakEvenImagesPerMonth: breakEven)
    }

    /// The cost of one image detected at `home` as a numerator over `ExactTotal.denominator`: the
    /// vision function's GB-seconds, the tensor through the VPC endpoint, and with `amortised`
    /// the home's busy time at its hourly price.
    func perImage(_ home: VisionHome, amortised: Bool) throws(CostModelError) -> Int128 {
        let facts = try measurements.vision(home)
        guard let lambda = rates.lambda(profile.architecture, at: time) else {
            throw .unpriced("Lambda \(profile.architecture.rawValue)")
        }
        let memory = try configured { () throws(ConfigurationError) in try profile.memory(of: "vision") }
        var total = ExactTotal()
        try total.add(lambda.perGBSecond, times: Int128(memory) * Int128(facts.functionMsPerImage), per: 1_024_000)
        if home == .sagemaker, profile.vpc {
            try total.add(infrastructure.interfaceEndpointPerGB, times: Int128(facts.bytesPerImage), per: Self.gigabyte)
        }
        if amortised {
            let busy = Int128(facts.backendMsPerImage)
            switch home {
            case .lambda: break
            case .sagemaker:
                if let type = profile.sageMaker?.instanceType, let rate = rates.endpoint(type, at: time) {
                    try total.add(rate.perHour, times: busy, per: 3_600_000)
                }
            case .fargate:
                if let fargate = profile.fargate, let rate = rates.fargate(.x86_64, at: time) {
                    try total.add(rate.perVCPUHour, times: Int128(fargate.milliVCPU) * busy, per: 3_600_000_000)
                    try total.add(rate.perGBHour, times: Int128(fargate.memoryMB) * busy, per: 3_686_400_000)
                }
            }
        }
        return total.numerator
    }

    // MARK: - Helpers

    /// Per-GB prices count 2³⁰ bytes.
    static let gigabyte: Int128 = 1 << 30

    private func check(_ scenario: CostScenario) throws(CostModelError) {
        let counts = [scenario.images, scenario.visionInvocations, scenario.usageMessages, scenario.providerBytes]
        guard counts.allSatisfy({ (0...1_000_000_000).contains($0) }),
            (1...10_000).contains(scenario.mapConcurrency),
            scenario.llm.allSatisfy({
                (0...100_000_000).contains($0.inputTokens) && (0...100_000_000).contains($0.outputTokens)
                    && (0...900_000).contains($0.providerMs)
            }),
            scenario.visionInvocations > 0 || scenario.images == 0,
            scenario.visionInvocations == 0 || scenario.images % scenario.visionInvocations == 0
        else {
            throw .invalidInput(
                "scenario \(scenario.name.prefix(60)): counts out of range, or images not a multiple of visionInvocations"
            )
        }
    }

    private func configured<T>(_ body: () throws(ConfigurationError) -> T) throws(CostModelError) -> T {
        do { return try body() } catch { throw .invalidInput(error.errorMessage) }
    }

    private func money<T>(_ body: () throws(MoneyError) -> T) throws(CostModelError) -> T {
        do { return try body() } catch { throw .outOfRange(error.errorMessage) }
    }
}

/// Why the cost model could not price something.
public enum CostModelError: FunctionError, Equatable {
    /// A model, instance type or service with no price in force.
    case unpriced(String)
    /// A scenario needs a home the deployment does not have.
    case notDeployed(String)
    case missingMeasurement(String)
    case invalidInput(String)
    case outOfRange(String)

    public var errorType: String {
        switch self {
        case .unpriced: "CostModel.Unpriced"
        case .notDeployed: "CostModel.NotDeployed"
        case .missingMeasurement: "CostModel.MissingMeasurement"
        case .invalidInput: "CostModel.InvalidInput"
        case .outOfRange: "Billing.AmountOutOfRange"
        }
    }

    public var errorMessage: String {
        switch self {
        case .unpriced(let what): "no price in force for \(what)"
        case .notDeployed(let what): "the scenario needs \(what), which this deployment does not run"
        case .missingMeasurement(let what): "measurements have no \(what)"
        case .invalidInput(let detail), .outOfRange(let detail): detail
        }
    }
}

/// `rate × quantity / divisor` terms summed exactly over one denominator: the least common
/// multiple of every divisor the cost model uses (per million, MB·ms → GB-s, ms → hours,
/// milli-vCPU·ms → vCPU-hours, MB·ms → GB-hours, bytes → GB (2³⁰), per ten thousand) times the
/// usage batch size of 10, checked against overflow. A batch size that does not divide it is refused.
struct ExactTotal: Sendable {
    /// 2³¹ · 3² · 5⁸.
    static let denominator: Int128 = 7_549_747_200_000_000
    private(set) var numerator: Int128 = 0

    mutating func add(_ rate: PicoUSD, times quantity: Int128, per divisor: Int128) throws(CostModelError) {
        guard divisor > 0, Self.denominator % divisor == 0 else {
            throw .invalidInput("divisor \(divisor) does not divide the cost model's denominator")
        }
        let (a, o1) = Int128(rate.rawValue).multipliedReportingOverflow(by: quantity)
        let (term, o2) = a.multipliedReportingOverflow(by: Self.denominator / divisor)
        let (sum, o3) = numerator.addingReportingOverflow(term)
        guard !o1, !o2, !o3 else { throw .outOfRange("rate \(rate) × \(quantity) / \(divisor) is out of range") }
        numerator = sum
    }

    /// The sum rounded once to whole pico-dollars, or `Billing.AmountOutOfRange` past ±$9.2M.
    func rounded() throws(CostModelError) -> PicoUSD {
        let value = ExactAmount(numerator: numerator, denominator: Self.denominator).roundedHalfEven128()
        guard let amount = Int64(exactly: value) else { throw .outOfRange("an amount beyond ±$9.2M") }
        return PicoUSD(amount)
    }
}

extension ExactAmount {
    /// Rounded half to even, kept in 128 bits (an intermediate, not money yet).
    func roundedHalfEven128() -> Int128 {
        let (q, r) = numerator.quotientAndRemainder(dividingBy: denominator)
        let twice = 2 * r.magnitude
        let d = denominator.magnitude
        if twice > d || (twice == d && q & 1 != 0) { return q + (numerator < 0 ? -1 : 1) }
        return q
    }
}
