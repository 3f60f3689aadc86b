import Foundation
import SwitchyardCore
import SwitchyardJSON

/// An SQS event source mapping, as Lambda's `AWS::Lambda::EventSourceMapping` with
/// `FunctionResponseTypes: [ReportBatchItemFailures]`:
///
/// ```json
/// {"function": "usage-logger", "queueURL": "${USAGE_QUEUE_URL}", "endpoint": "${SQS_ENDPOINT:-}",
///  "batchSize": 10, "maximumBatchingWindowSeconds": 1, "visibilityTimeoutSeconds": 30}
/// ```
public struct EventSourceMappingConfiguration: Sendable, Decodable, Equatable {
    /// The function to invoke with the SQS event.
    public var function: String
    public var queueURL: String
    /// The SQS service endpoint; empty means the queue URL's scheme, host and port (moto, or
    /// `https://sqs.<region>.amazonaws.com`).
    public var endpoint: String
    public var region: String
    /// Most messages per invocation (1...100; received 10 at a time). Default 10.
    public var batchSize: Int
    /// How long to gather messages after the first before invoking (0...300 s). Default 0.
    public var maximumBatchingWindowSeconds: Double
    /// Visibility timeout set on receive: how long a message that was not deleted stays hidden
    /// before it is delivered again (0...43200 s). nil keeps the queue's. Default nil.
    public var visibilityTimeoutSeconds: Int?
    /// Delete only the messages the function did not list in `batchItemFailures`. Default true.
    public var reportBatchItemFailures: Bool
    /// Pollers (concurrent invocations) for this mapping (1...10). Default 1.
    public var maximumConcurrency: Int
    public var enabled: Bool

    enum CodingKeys: String, CodingKey {
        case function, queueURL, endpoint, region, batchSize, maximumBatchingWindowSeconds, visibilityTimeoutSeconds
        case reportBatchItemFailures, maximumConcurrency, enabled
    }

    public init(
        function: String, queueURL: String, endpoint: String = "", region: String = "us-east-1", batchSize: Int = 10,
        maximumBatchingWindowSeconds: Double = 0, visibilityTimeoutSeconds: Int? = nil,
        reportBatchItemFailures: Bool = true, maximumConcurrency: Int = 1, enabled: Bool = true
    ) {
        self.function = function
        self.queueURL = queueURL
        self.endpoint = endpoint
        self.region = region
        self.batchSize = batchSize
        self.maximumBatchingWindowSeconds = maximumBatchingWindowSeconds
        self.visibilityTimeoutSeconds = visibilityTimeoutSeconds
        self.reportBatchItemFailures = reportBatchItemFailures
        self.maximumConcurrency = maximumConcurrency
        self.enabled = enabled
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        function = try c.decode(String.self, forKey: .function)
        queueURL = try c.decode(String.self, forKey: .queueURL)
        endpoint = try c.decodeIfPresent(String.self, forKey: .endpoint) ?? ""
        region = try c.decodeIfPresent(String.self, forKey: .region) ?? "us-east-1"
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 10
        maximumBatchingWindowSeconds = try c.decodeIfPresent(Double.self, forKey: .maximumBatchingWindowSeconds) ?? 0
        visibilityTimeoutSeconds = try c.decodeIfPresent(Int.self, forKey: .visibilityTimeoutSeconds)
        reportBatchItemFailures = try c.decodeIfPresent(Bool.self, forKey: .reportBatchItemFailures) ?? true
        maximumConcurrency = try c.decodeIfPresent(Int.self, forKey: .maximumConcurrency) ?? 1
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        func check(_ ok: Bool, _ key: CodingKeys, _ expected: String) throws {
            guard ok else {
                throw DecodingError.dataCorrupted(.init(codingPath: c.codingPath + [key], debugDescription: expected))
            }
        }
        try check((1...100).contains(batchSize), .batchSize, "must be 1...100")
        try check(
            maximumBatchingWindowSeconds.isFinite && (0...300).contains(maximumBatchingWindowSeconds),
            .maximumBatchingWindowSeconds, "must be 0...300 seconds")
        try check(
            visibilityTimeoutSeconds.map { (0...43_200).contains($0) } ?? true, .visibilityTimeoutSeconds,
            "must be 0...43200 seconds")
        try check((1...10).contains(maximumConcurrency), .maximumConcurrency, "must be 1...10")
    }

    /// Expands `${VAR}`s; a queue URL that expands to nothing disables the mapping (so one
    /// configuration file serves stacks with and without a queue).
    mutating func expand(_ environment: Environment, source: String) throws {
        queueURL = try expandVariables(queueURL, environment, source: source)
        endpoint = try expandVariables(endpoint, environment, source: source)
        region = try expandVariables(region, environment, source: source)
        if queueURL.isEmpty {
            enabled = false
            return
        }
        guard queueURL.hasPrefix("http://") || queueURL.hasPrefix("https://") else {
            throw ConfigurationError.invalidDocument(
                source: source, detail: "eventSourceMappings: queueURL must be an http(s) URL, got \"\(queueURL)\"")
        }
        if endpoint.isEmpty { endpoint = Self.origin(of: queueURL) }
    }

    /// `scheme://host[:port]` of a URL.
    static func origin(of url: String) -> String {
        guard let scheme = url.range(of: "://") else { return url }
        let rest = url[scheme.upperBound...]
        let host = rest.prefix { $0 != "/" }
        return String(url[..<scheme.upperBound]) + host
    }
}

/// A scheduled invocation, the local stand-in for an EventBridge rule with `ScheduleExpression:
/// rate(...)`:
///
/// ```json
/// {"function": "usage-logger", "rateSeconds": 60, "event": {"action": "repair"}}
/// ```
/// Without `event`, the function gets EventBridge's `Scheduled Event` document.
public struct ScheduleConfiguration: Sendable, Decodable {
    public var name: String
    public var function: String
    /// Seconds between invocations (1...86400). The first comes one period after start.
    public var rateSeconds: Double
    /// The constant input (EventBridge `Input`); nil sends the scheduled event.
    public var event: JSON?
    public var enabled: Bool
    /// `enabled` as written when it is a string (`"${USAGE_REPAIR_SCHEDULE:-false}"`), expanded at load.
    var enabledText: String?

    enum CodingKeys: String, CodingKey { case name, function, rateSeconds, event, enabled }

    public init(name: String? = nil, function: String, rateSeconds: Double, event: JSON? = nil, enabled: Bool = true) {
        self.name = name ?? "\(function)-schedule"
        self.function = function
        self.rateSeconds = rateSeconds
        self.event = event
        self.enabled = enabled
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        function = try c.decode(String.self, forKey: .function)
        name = try c.decodeIfPresent(String.self, forKey: .name) ?? "\(function)-schedule"
        rateSeconds = try c.decode(Double.self, forKey: .rateSeconds)
        event = try c.decodeIfPresent(JSON.self, forKey: .event)
        if let text = try? c.decodeIfPresent(String.self, forKey: .enabled) {
            enabledText = text
            enabled = false
        } else {
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        }
        guard rateSeconds.isFinite, (0.1...86_400).contains(rateSeconds) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath + [CodingKeys.rateSeconds], debugDescription: "must be 0.1...86400 seconds"
                ))
        }
    }

    mutating func expand(_ environment: Environment, source: String) throws {
        guard let enabledText else { return }
        switch try expandVariables(enabledText, environment, source: source).lowercased() {
        case "true", "1", "yes", "on": enabled = true
        case "false", "0", "no", "off", "": enabled = false
        case let other:
            throw ConfigurationError.invalidDocument(
                source: source, detail: "schedule \(name): enabled must be true or false, got \"\(other)\"")
        }
    }
}
