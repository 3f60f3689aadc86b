import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import XCTest

/// The cost model against an example computed by hand (every figure below is derived in its
/// comment from the example's prices), plus the shipped inputs and the error paths.
final class DeploymentCostModelTests: XCTestCase {
    /// Round prices, so the hand computation stays readable.
    static let rates = #"""
        {"version": "example-1",
         "models": [{"model": "m", "provider": "openai", "effectiveFrom": "2024-01-01",
                     "inputPerMillionTokens": "1.00", "outputPerMillionTokens": "2.00"}],
         "lambda": [{"architecture": "x86_64", "effectiveFrom": "2020-12-01", "perMillionRequests": "0.20",
                     "perGBSecond": "0.0000166667"}],
         "stepFunctionsExpress": [{"effectiveFrom": "2019-12-03", "perMillionRequests": "1.00",
                                   "perGBSecond": "0.00001667", "memoryIncrementMB": 64, "durationIncrementMs": 100}],
         "fargate": [{"architecture": "x86_64", "effectiveFrom": "2020-01-07", "perVCPUHour": "0.04",
                      "perGBHour": "0.004"}],
         "endpoints": [{"instanceType": "ml.test", "effectiveFrom": "2020-01-01", "perHour": "0.72"}],
         "infrastructure": {
           "apiGatewayREST": [{"effectiveFrom": "2016-11-01", "perMillionRequests": "9.99"},
                              {"effectiveFrom": "2020-01-01", "perMillionRequests": "3.50"}],
           "sqsStandard": [{"effectiveFrom": "2017-01-01", "perMillionRequests": "0.40"}],
           "vpcInterfaceEndpoint": [{"effectiveFrom": "2017-11-08", "perAZHour": "0.01", "perGBProcessed": "0.01"}],
           "natGateway": [{"effectiveFrom": "2015-12-17", "perHour": "0.045", "perGBProcessed": "0.045"}],
           "publicIPv4": [{"effectiveFrom": "2024-02-01", "perHour": "0.005"}],
           "applicationLoadBalancer": [{"effectiveFrom": "2017-09-01", "perHour": "0.0225", "perLCUHour": "0.008"}],
           "sagemakerServerless": [{"effectiveFrom": "2022-04-21", "perGBSecond": "0.00002", "perGBProcessed": "0.016"}],
           "secretsManager": [{"effectiveFrom": "2018-04-04", "perSecretMonth": "0.40", "perTenThousandCalls": "0.05"}],
           "cloudWatch": [{"effectiveFrom": "2017-01-01", "logsPerGBIngested": "0.50", "perAlarmMetricMonth": "0.10"}],
           "xray": [{"effectiveFrom": "2016-12-01", "perMillionTracesRecorded": "5.00"}],
           "route53": [{"effectiveFrom": "2016-01-01", "perHostedZoneMonth": "0.50"}]}}
        """#

    static let parameters: [String: String] = [
        "Architecture": "x86_64", "RouterMemoryMB": "128", "LLMCallerMemoryMB": "256", "VisionMemoryMB": "1024",
        "UsageLoggerMemoryMB": "256", "IngressMemoryMB": "512", "AuthorizerMemoryMB": "128", "NatGateway": "none",
        "VisionContainerImage": "", "EnableSageMaker": "true", "EnableFargate": "true",
        "SageMakerInstanceType": "ml.test",
        "SageMakerInstanceCount": "1", "SageMakerServerless": "false", "SageMakerServerlessMemoryMB": "4096",
        "FargateCpu": "1024", "FargateMemoryMB": "2048", "FargateMinTasks": "1",
    ]
    static let resources: [String: Int64] = [
        "baseInterfaceEndpoints": 4, "fargateInterfaceEndpoints": 3, "availabilityZones": 2, "secrets": 2,
        "alarmMetrics": 19,
    ]
    static let measurements = CostMeasurements(
        routerMs: 10, llmCallerOverheadMs: 100, ingressOverheadMs: 40, authorizerMs: 10,
        authorizerInvocationsPerMillion: 10_000, expressOverheadMs: 50, usageLoggerBatchMs: 100, usageBatchSize: 10,
        repairMs: 100,
        vision: [
            "lambda": .init(functionMsPerImage: 200),
            "sagemaker": .init(functionMsPerImage: 100, backendMsPerImage: 50, bytesPerImage: 1 << 20),
            "fargate": .init(functionMsPerImage: 100, backendMsPerImage: 60, bytesPerImage: 1 << 20),
        ],
        logBytesPerInvocation: 1024, xrayTracesPerMillion: 50_000, sqsIdlePollers: 5, secretCallsPerMonth: 50_000)

    func model(_ overrides: [String: String] = [:]) throws -> DeploymentCostModel {
        let json = try JSON.parse(Array(Self.rates.utf8))
        let time = utc(2026, 11, 30)
        return DeploymentCostModel(
            rates: try RatesTable(json: json), infrastructure: try InfrastructureRates(rates: json, at: time),
            profile: try DeploymentProfile(
                parameters: Self.parameters.merging(overrides) { $1 }, resources: Self.resources),
            measurements: Self.measurements, time: time)
    }

    /// One chat request through the OpenAI route: 1,000 input and 500 output tokens of `m`, the
    /// provider answering in 900 ms.
    static let chat = CostScenario(
        name: "chat", entry: .openai,
        llm: [.init(model: "m", inputTokens: 1000, outputTokens: 500, providerMs: 900)], usageMessages: 1)

    func testChatPerMillionRequestsMatchesTheHandComputedBill() throws {
        let cost = try model().perMillion(Self.chat)
        // Execution: 50 overhead + 10 router + (100 + 900) llm-caller = 1,060 ms.
        XCTAssertEqual(cost.executionMs, 1060)
        let expected: [DeploymentCostModel.Line: Int64] = [
            // $3.50 per million (the 2020 entry replaced the 2016 one).
            .apiGateway: 3_500_000_000_000,
            // 1M × $0.20/M + 0.5 GB × (40 + 1,060) ms = 550,000 GB-s × $0.0000166667 = $0.20 + $9.166685.
            .ingress: 9_366_685_000_000,
            // 10,000 invocations: $0.002 + 0.125 GB × 0.01 s × 10,000 = 12.5 GB-s × $0.0000166667.
            .authorizer: 2_208_333_750,
            // $1.00 + 64 MB and 1,100 ms (1,060 rounded up to 100 ms): 68,750 GB-s × $0.00001667.
            .stepFunctions: 2_146_062_500_000,
            // $0.20 + 0.125 GB × 0.01 s × 1M = 1,250 GB-s × $0.0000166667.
            .router: 220_833_375_000,
            // $0.20 + 0.25 GB × 1 s × 1M = 250,000 GB-s × $0.0000166667.
            .llmCaller: 4_366_675_000_000,
            // 1,000 × 1M tokens at $1/M + 500 × 1M at $2/M = $2,000.
            .modelTokens: 2_000_000_000_000_000,
            // 100,000 batch invocations: $0.02 + 0.25 GB × 0.1 s × 100,000 = 2,500 GB-s.
            .usageLogger: 61_666_750_000,
            // 1M sends + 200,000 receives and deletes (batches of 10) at $0.40/M.
            .sqs: 480_000_000_000,
            // (3 invocations + 1/10 of a usage-logger batch) × 1,024 bytes × 1M = 3,174,400,000 bytes
            // = 2.956390380859375 GiB × $0.50 = $1.4781951904296875, rounded half to even.
            .logs: 1_478_195_190_430,
            // 50,000 traces at $5/M.
            .xray: 250_000_000_000,
        ]
        XCTAssertEqual(cost.lines.mapValues(\.rawValue), expected)
        XCTAssertEqual(cost.total.rawValue, expected.values.reduce(0, +))
        XCTAssertEqual(cost.total.rawValue, 2_021_872_326_149_180)
        XCTAssertEqual(cost.inFixedCapacity, .zero)
    }

    func testFixedMonthlyWithoutVisionCapacity() throws {
        let fixed = try model().fixedMonthly()
        XCTAssertEqual(
            fixed.mapValues(\.rawValue),
            [
                // 2 × $0.40 + 50,000 calls × $0.05 / 10,000.
                .secrets: 1_050_000_000_000,
                .alarms: 1_900_000_000_000,
                // 730 h × 60 = 43,800 passes: $0.00876 + 0.25 GB × 0.1 s × 43,800 = 1,095 GB-s × $0.0000166667.
                .repairSchedule: 27_010_036_500,
                // 5 pollers × 3 receives a minute × 43,800 minutes = 657,000 at $0.40/M.
                .sqsPolling: 262_800_000_000,
            ])
    }

    func testMonthlyScalesTheMixAndAddsTheFixedLines() throws {
        let m = try model()
        let chat = try m.perMillion(Self.chat)
        let rejected = try m.perMillion(CostScenario(name: "rejected", entry: .native, usageMessages: 1))
        // 3,000,000 requests, 2:1 → 2M chat and 1M rejected.
        let month = try m.monthly(
            costs: [chat, rejected], mix: ["chat": 2, "rejected": 1], monthlyRequests: 3_000_000)
        XCTAssertEqual(month.variable.rawValue, 2 * chat.total.rawValue + rejected.total.rawValue)
        XCTAssertEqual(month.fixed.rawValue, 1_050_000_000_000 + 1_900_000_000_000 + 27_010_036_500 + 262_800_000_000)
        XCTAssertEqual(month.total.rawValue, month.variable.rawValue + month.fixed.rawValue)
        XCTAssertThrowsError(try m.monthly(costs: [chat], mix: ["nope": 1], monthlyRequests: 1))
    }

    func testSageMakerInstanceDetectionIsAmortisedPerRequestAndBilledOnceAMonth() throws {
        let m = try model(["VisionContainerImage": "image", "EnableFargate": "false"])
        XCTAssertFalse(m.profile.vpc)
        let detect = try m.perMillion(
            CostScenario(name: "detect", entry: .native, images: 1, visionInvocations: 1, usageMessages: 1))
        XCTAssertEqual(detect.visionHome, .sagemaker)
        // 50 ms busy × 1M images / 3,600,000 ms × $0.72 per hour = $10.00.
        XCTAssertEqual(detect.lines[.visionBackend], PicoUSD(10_000_000_000_000))
        XCTAssertEqual(detect.inFixedCapacity, PicoUSD(10_000_000_000_000))
        // No VPC: the tensor does not pass an endpoint.
        XCTAssertNil(detect.lines[.vpcEndpointData])
        // 1 instance × 730 h × $0.72.
        XCTAssertEqual(try m.fixedMonthly()[.sageMakerAlwaysOn], PicoUSD(525_600_000_000_000))
        let month = try m.monthly(costs: [detect], mix: ["detect": 1], monthlyRequests: 1_000_000)
        XCTAssertEqual(month.variable.rawValue, detect.total.rawValue - 10_000_000_000_000)

        let crossover = try XCTUnwrap(try m.crossover(.sagemaker))
        // 730 h × 3,600,000 ms / 50 ms per image.
        XCTAssertEqual(crossover.capacityImagesPerMonth, 52_560_000)
        // In Lambda: 1 GB × 0.2 s = 0.2 GB-s × $0.0000166667 × 1M = $3.33334.
        XCTAssertEqual(crossover.lambdaPerMillionImages, PicoUSD(3_333_340_000_000))
        // On SageMaker: 0.1 GB-s of waiting ($1.66667) + the amortised $10.00.
        XCTAssertEqual(crossover.homePerMillionImagesAtFullUse, PicoUSD(11_666_670_000_000))
        // Saving per image $0.00000166667: $525.60 / that = 315,359,369.4 → 315,359,370 images, beyond
        // the 52,560,000 the instance serves.
        XCTAssertNil(crossover.breakEvenImagesPerMonth)
        let cheap = try model([
            "VisionContainerImage": "image", "EnableFargate": "false", "SageMakerInstanceType": "ml.test",
            "VisionMemoryMB": "10240",
        ])
        // With 10 GB vision functions the saving is 10 × larger: $525.60 / $0.0000166667 → 31,535,937 images.
        XCTAssertEqual(try cheap.crossover(.sagemaker)?.breakEvenImagesPerMonth, 31_535_937)
    }

    func testFargateAddsTheVPCItsEndpointsAndTheLoadBalancer() throws {
        let m = try model(["VisionContainerImage": "image", "EnableSageMaker": "false"])
        XCTAssertTrue(m.profile.vpc)
        let fixed = try m.fixedMonthly()
        // (4 + 3) endpoints × 2 AZs × 730 h × $0.01.
        XCTAssertEqual(fixed[.interfaceEndpoints], PicoUSD(102_200_000_000_000))
        // 1 task × 730 h × (1 vCPU × $0.04 + 2 GB × $0.004).
        XCTAssertEqual(fixed[.fargateAlwaysOn], PicoUSD(35_040_000_000_000))
        // 730 h × ($0.0225 + 1 LCU × $0.008).
        XCTAssertEqual(fixed[.loadBalancer], PicoUSD(22_265_000_000_000))
        XCTAssertEqual(fixed[.hostedZone], PicoUSD(500_000_000_000))
        XCTAssertNil(fixed[.natGateway])
        let detect = try m.perMillion(CostScenario(name: "d", images: 2, visionInvocations: 1, usageMessages: 1))
        // 2M images × 60 ms = 120,000,000 ms: × 1,000 milli-vCPU / 3.6e9 × $0.04 = $1.3333…,
        // × 2,048 MB / 3,686,400,000 × $0.004 = $0.26666…; together $1.60 exactly.
        XCTAssertEqual(detect.lines[.visionBackend], PicoUSD(1_600_000_000_000))
    }

    func testNATBillsHoursAndProviderBytes() throws {
        let m = try model(["NatGateway": "single"])
        XCTAssertTrue(m.profile.vpc)
        // 730 h × ($0.045 + $0.005).
        XCTAssertEqual(try m.fixedMonthly()[.natGateway], PicoUSD(36_500_000_000_000))
        var chat = Self.chat
        chat.providerBytes = 1 << 20
        // 1 MiB × 1M = 976.5625 GiB × $0.045 = $43.9453125.
        XCTAssertEqual(try m.perMillion(chat).lines[.natData], PicoUSD(43_945_312_500_000))
    }

    func testErrorsAreTyped() throws {
        var unknown = Self.chat
        unknown.llm[0].model = "no-such-model"
        XCTAssertThrowsError(try model().perMillion(unknown)) { error in
            XCTAssertEqual((error as? CostModelError)?.errorType, "CostModel.Unpriced")
        }
        XCTAssertThrowsError(
            try model().perMillion(CostScenario(name: "x", images: 3, visionInvocations: 2, visionHome: .lambda))
        ) { error in XCTAssertEqual((error as? CostModelError)?.errorType, "CostModel.InvalidInput") }
        XCTAssertThrowsError(
            try model().perMillion(CostScenario(name: "x", images: 1, visionInvocations: 1, visionHome: .fargate))
        ) { error in XCTAssertEqual((error as? CostModelError)?.errorType, "CostModel.NotDeployed") }
        var huge = Self.chat
        huge.llm[0].inputTokens = 100_000_000
        huge.llm[0].model = "m"
        // 1e8 tokens × 1M requests at $1/M = $100M: beyond PicoUSD's ±$9.2M, a typed error, not a trap.
        XCTAssertThrowsError(try model().perMillion(huge)) { error in
            XCTAssertEqual((error as? CostModelError)?.errorType, "Billing.AmountOutOfRange")
        }
        XCTAssertThrowsError(try InfrastructureRates(rates: JSON.parse(Array(#"{"version":"v"}"#.utf8)), at: 0)) {
            error in XCTAssertEqual((error as? RatesError)?.errorType, "Billing.InvalidRates")
        }
        XCTAssertThrowsError(
            try DeploymentProfile(
                parameters: Self.parameters.merging(["RouterMemoryMB": "64"]) { $1 },
                resources: Self.resources))
    }

    /// The shipped inputs price every scenario of every deployment variant.
    func testShippedScenariosPriceWithTheShippedRates() throws {
        let rates = try XCTUnwrap(RepositoryFiles.bytes("infra/rates.json"))
        let json = try JSON.parse(rates)
        let measurements = try JSON.decode(
            CostMeasurements.self, from: try XCTUnwrap(RepositoryFiles.bytes("infra/cost/measurements.json")))
        struct Plan: Decodable {
            struct Deployment: Decodable {
                var name: String
                var parameters: [String: String]
            }
            var deployments: [Deployment]
            var scenarios: [CostScenario]
        }
        let plan = try JSON.decode(Plan.self, from: try XCTUnwrap(RepositoryFiles.bytes("infra/cost/scenarios.json")))
        XCTAssertGreaterThanOrEqual(plan.scenarios.count, 7)
        let time = utc(2026, 11, 30)
        for deployment in plan.deployments {
            let model = DeploymentCostModel(
                rates: try RatesTable(json: json), infrastructure: try InfrastructureRates(rates: json, at: time),
                profile: try DeploymentProfile(
                    parameters: Self.parameters.merging(["SageMakerInstanceType": "ml.g4dn.xlarge"]) { $1 }
                        .merging(deployment.parameters) { $1 }, resources: Self.resources),
                measurements: measurements, time: time)
            for scenario in plan.scenarios {
                let cost = try model.perMillion(scenario)
                XCTAssertGreaterThan(cost.total, .zero, "\(deployment.name)/\(scenario.name)")
            }
        }
    }
}
