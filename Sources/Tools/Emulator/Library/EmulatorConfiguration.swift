import SwitchyardCore
import SwitchyardJSON

/// The emulator's functions, read from one JSON file (by default `infra/local/functions.json`).
///
/// ```json
/// {"functions": [{"name": "echo", "bootstrap": "${SWITCHYARD_BIN}/echo-function",
///                 "timeoutSeconds": 3, "memoryMB": 128, "maxConcurrency": 4,
///                 "environment": {"LOG_LEVEL": "debug", "MONGODB_URI": "${MONGODB_URI}"}}]}
/// ```
/// `${VAR}` and `${VAR:-default}` in string values are expanded from the emulator's own
/// environment, so scripts can point functions at services on ports chosen at run time.
/// Optional triggers: `eventSourceMappings` (SQS → function) and `schedules` (a function on a
/// fixed rate), see `TriggerConfiguration.swift`.
public struct EmulatorConfiguration: Sendable, Decodable {
    public var functions: [FunctionConfiguration]
    public var eventSourceMappings: [EventSourceMappingConfiguration]
    public var schedules: [ScheduleConfiguration]

    public init(
        functions: [FunctionConfiguration], eventSourceMappings: [EventSourceMappingConfiguration] = [],
        schedules: [ScheduleConfiguration] = []
    ) {
        self.functions = functions
        self.eventSourceMappings = eventSourceMappings
        self.schedules = schedules
    }

    enum CodingKeys: String, CodingKey { case functions, eventSourceMappings, schedules }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        functions = try c.decode([FunctionConfiguration].self, forKey: .functions)
        eventSourceMappings =
            try c.decodeIfPresent([EventSourceMappingConfiguration].self, forKey: .eventSourceMappings) ?? []
        schedules = try c.decodeIfPresent([ScheduleConfiguration].self, forKey: .schedules) ?? []
    }

    public static func load(path: String, environment: Environment) throws -> EmulatorConfiguration {
        let bytes = try FileReader.read(path)
        var configuration: EmulatorConfiguration
        do {
            configuration = try JSON.decode(EmulatorConfiguration.self, from: bytes)
        } catch {
            throw ConfigurationError.invalidDocument(source: path, detail: describeDecodingError(error))
        }
        for index in configuration.functions.indices {
            try configuration.functions[index].expand(environment, source: path)
        }
        var seen = Set<String>()
        for function in configuration.functions where !seen.insert(function.name).inserted {
            throw ConfigurationError.invalidDocument(
                source: path, detail: "function \"\(function.name)\" is defined twice")
        }
        for index in configuration.eventSourceMappings.indices {
            try configuration.eventSourceMappings[index].expand(environment, source: path)
        }
        for index in configuration.schedules.indices {
            try configuration.schedules[index].expand(environment, source: path)
        }
        let targets = configuration.eventSourceMappings.map(\.function) + configuration.schedules.map(\.function)
        for target in targets where !seen.contains(target) {
            throw ConfigurationError.invalidDocument(
                source: path, detail: "a trigger names function \"\(target)\", which is not defined")
        }
        return configuration
    }
}

public struct FunctionConfiguration: Sendable, Decodable {
    public var name: String
    /// Path of the executable to run as `bootstrap`.
    public var bootstrap: String
    /// Invocation timeout, as the function's `Timeout` in the SAM template. Default 3 s.
    public var timeoutSeconds: Double
    /// Reported to the function as `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`. Default 128.
    public var memoryMB: Int
    /// Execution environments that may run at once; further concurrent invokes are throttled
    /// with 429 `TooManyRequestsException`, as Lambda does. Default 4.
    public var maxConcurrency: Int
    /// Time allowed from spawn to the first `/next`, as Lambda's 10 s init limit.
    public var initTimeoutSeconds: Double
    public var environment: [String: String]

    public init(
        name: String, bootstrap: String, timeoutSeconds: Double = 3, memoryMB: Int = 128, maxConcurrency: Int = 4,
        initTimeoutSeconds: Double = 10, environment: [String: String] = [:]
    ) {
        self.name = name
        self.bootstrap = bootstrap
        self.timeoutSeconds = timeoutSeconds
        self.memoryMB = memoryMB
        self.maxConcurrency = maxConcurrency
        self.initTimeoutSeconds = initTimeoutSeconds
        self.environment = environment
    }

    enum CodingKeys: String, CodingKey {
        case name, bootstrap, timeoutSeconds, memoryMB, maxConcurrency, initTimeoutSeconds, environment
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        bootstrap = try c.decode(String.self, forKey: .bootstrap)
        timeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .timeoutSeconds) ?? 3
        memoryMB = try c.decodeIfPresent(Int.self, forKey: .memoryMB) ?? 128
        maxConcurrency = try c.decodeIfPresent(Int.self, forKey: .maxConcurrency) ?? 4
        initTimeoutSeconds = try c.decodeIfPresent(Double.self, forKey: .initTimeoutSeconds) ?? 10
        environment = try c.decodeIfPresent([String: String].self, forKey: .environment) ?? [:]
        guard (1...900).contains(timeoutSeconds) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath + [CodingKeys.timeoutSeconds], debugDescription: "must be 1...900 seconds")
            )
        }
        guard (1...1000).contains(maxConcurrency) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: c.codingPath + [CodingKeys.maxConcurrency], debugDescription: "must be 1...1000"))
        }
    }

    mutating func expand(_ environment: Environment, source: String) throws {
        bootstrap = try expandVariables(bootstrap, environment, source: source)
        for (key, value) in self.environment {
            self.environment[key] = try expandVariables(value, environment, source: source)
        }
    }
}

/// Expands `${VAR}` and `${VAR:-default}`; an unset variable without a default is an error
/// naming it, never a silent empty string.
func expandVariables(_ text: String, _ environment: Environment, source: String) throws -> String {
    guard text.contains("${") else { return text }
    var out = ""
    var rest = Substring(text)
    while let open = rest.range(of: "${") {
        out += rest[..<open.lowerBound]
        guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
            throw ConfigurationError.invalidDocument(source: source, detail: "unterminated ${ in \"\(text)\"")
        }
        let expression = rest[open.upperBound..<close]
        let name: Substring
        var fallback: Substring?
        if let sep = expression.range(of: ":-") {
            name = expression[..<sep.lowerBound]
            fallback = expression[sep.upperBound...]
        } else {
            name = expression
        }
        if let value = environment[String(name)], !value.isEmpty {
            out += value
        } else if let fallback {
            out += fallback
        } else {
            throw ConfigurationError.invalidDocument(
                source: source, detail: "\(text) needs environment variable \(name)")
        }
        rest = rest[rest.index(after: close)...]
    }
    return out + rest
}

extension Substring {
    fileprivate func range(of needle: String) -> Range<Index>? {
        var index = startIndex
        while index < endIndex {
            if self[index...].hasPrefix(needle) { return index..<self.index(index, offsetBy: needle.count) }
            index = self.index(after: index)
        }
        return nil
    }
}

extension String {
    fileprivate func contains(_ needle: String) -> Bool { Substring(self).range(of: needle) != nil }
}
