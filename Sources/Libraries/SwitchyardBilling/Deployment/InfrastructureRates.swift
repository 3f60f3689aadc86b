import SwitchyardContract
import SwitchyardJSON

/// Prices of the AWS services around the functions — API Gateway, SQS, VPC endpoints, NAT, the
/// load balancer, SageMaker Serverless, Secrets Manager, CloudWatch, X-Ray, Route 53 — read from
/// the `infrastructure` section of `infra/rates.json`, as in force at one moment.
///
/// Each price is a list of entries with `effectiveFrom`, like the rest of the rates table; the
/// newest entry not after the moment asked for is used.
public struct InfrastructureRates: Sendable, Equatable {
    public var apiGatewayRESTPerMillionRequests: PicoUSD
    public var sqsPerMillionRequests: PicoUSD
    public var interfaceEndpointPerAZHour: PicoUSD
    public var interfaceEndpointPerGB: PicoUSD
    public var natGatewayPerHour: PicoUSD
    public var natGatewayPerGB: PicoUSD
    public var publicIPv4PerHour: PicoUSD
    public var loadBalancerPerHour: PicoUSD
    public var loadBalancerPerLCUHour: PicoUSD
    public var sagemakerServerlessPerGBSecond: PicoUSD
    public var sagemakerServerlessPerGB: PicoUSD
    public var secretPerMonth: PicoUSD
    public var secretsPerTenThousandCalls: PicoUSD
    public var logsPerGBIngested: PicoUSD
    public var alarmMetricPerMonth: PicoUSD
    public var xrayPerMillionTraces: PicoUSD
    public var hostedZonePerMonth: PicoUSD

    /// Reads the `infrastructure` section of the rates document.
    /// - Parameter time: epoch ms the prices must be in force at.
    /// - Throws: `Billing.InvalidRates` naming the section and field that is missing, malformed or
    ///   has no entry in force at `time`.
    public init(rates json: JSON, at time: Int64) throws(RatesError) {
        guard let section = json["infrastructure"], case .object = section else {
            throw RatesError(field: "infrastructure", detail: "missing: the cost model needs infrastructure prices")
        }
        func price(_ list: String, _ field: String) throws(RatesError) -> PicoUSD {
            let at = "infrastructure.\(list)"
            guard let entries = section[list]?.arrayValue, !entries.isEmpty else {
                throw RatesError(field: at, detail: "expected a non-empty array of dated entries")
            }
            var best: (from: Int64, entry: JSON)?
            for (i, entry) in entries.enumerated() {
                guard let text = entry["effectiveFrom"]?.stringValue, let from = CivilDate.epochMilliseconds(text)
                else { throw RatesError(field: "\(at)[\(i)].effectiveFrom", detail: "expected a YYYY-MM-DD date") }
                if from <= time, best.map({ from > $0.from }) ?? true { best = (from, entry) }
            }
            guard let best else { throw RatesError(field: at, detail: "no entry in force at the time priced") }
            guard let text = best.entry[field]?.stringValue else {
                throw RatesError(field: "\(at).\(field)", detail: "expected a decimal string such as \"0.40\"")
            }
            guard let value = PicoUSD(decimal: text), value.rawValue >= 0 else {
                throw RatesError(
                    field: "\(at).\(field)", detail: "\"\(text.prefix(40))\" is not a non-negative decimal")
            }
            return value
        }
        apiGatewayRESTPerMillionRequests = try price("apiGatewayREST", "perMillionRequests")
        sqsPerMillionRequests = try price("sqsStandard", "perMillionRequests")
        interfaceEndpointPerAZHour = try price("vpcInterfaceEndpoint", "perAZHour")
        interfaceEndpointPerGB = try price("vpcInterfaceEndpoint", "perGBProcessed")
        natGatewayPerHour = try price("natGateway", "perHour")
        natGatewayPerGB = try price("natGateway", "perGBProcessed")
        publicIPv4PerHour = try price("publicIPv4", "perHour")
        loadBalancerPerHour = try price("applicationLoadBalancer", "perHour")
        loadBalancerPerLCUHour = try price("applicationLoadBalancer", "perLCUHour")
        sagemakerServerlessPerGBSecond = try price("sagemakerServerless", "perGBSecond")
        sagemakerServerlessPerGB = try price("sagemakerServerless", "perGBProcessed")
        secretPerMonth = try price("secretsManager", "perSecretMonth")
        secretsPerTenThousandCalls = try price("secretsManager", "perTenThousandCalls")
        logsPerGBIngested = try price("cloudWatch", "logsPerGBIngested")
        alarmMetricPerMonth = try price("cloudWatch", "perAlarmMetricMonth")
        xrayPerMillionTraces = try price("xray", "perMillionTracesRecorded")
        hostedZonePerMonth = try price("route53", "perHostedZoneMonth")
    }
}
