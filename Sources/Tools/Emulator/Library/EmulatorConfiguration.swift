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
            try configuration.functions[index].validate(source: "\(path): functions[\(index)]")
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
    /// Time allowed from spawn to the first `/next`, as Lambda's 10 s init limit. Default 10 s.
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
    }

    /// Lambda's limits for each setting; `validate` checks every one, so no later arithmetic
    /// on them (milliseconds, deadlines, sleeps) can overflow or trap.
    public static let timeoutRange: ClosedRange<Double> = 1...900
    public static let initTimeoutRange: ClosedRange<Double> = 0.1...900
    public static let maxConcurrencyRange = 1...1000

    /// Checks every value against Lambda's limits.
    /// - Throws: `Config.InvalidDocument` naming the field and the accepted range.
    public func validate(source: String) throws(ConfigurationError) {
        func invalid(_ field: String, _ detail: String) -> ConfigurationError {
            .invalidDocument(source: source, detail: "\(field): \(detail)")
        }
        // Lambda's function-name rule: letters, digits, hyphens and underscores, 1 to 64 of them.
        guard (1...64).contains(name.utf8.count),
            name.utf8.allSatisfy({ $0.isASCIILetterOrDigit || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") })
        else { throw invalid("name", "\"\(name.prefix(80))\" must be 1 to 64 letters, digits, - or _") }
        guard !bootstrap.isEmpty, !bootstrap.utf8.contains(0) else {
            throw invalid("bootstrap", "must be the path of an executable")
        }
        guard Self.timeoutRange.contains(timeoutSeconds) else {
            throw invalid("timeoutSeconds", "\(timeoutSeconds) is outside 1...900 seconds")
        }
        guard Self.initTimeoutRange.contains(initTimeoutSeconds) else {
            throw invalid("initTimeoutSeconds", "\(initTimeoutSeconds) is outside 0.1...900 seconds")
        }
        guard ComputeEnvironment.memoryRange.contains(memoryMB) else {
            throw invalid("memoryMB", "\(memoryMB) is outside 128...10240 MB")
        }
        guard Self.maxConcurrencyRange.contains(maxConcurrency) else {
            throw invalid("maxConcurrency", "\(maxConcurrency) is outside 1...1000")
        }
        for (key, value) in environment {
            // Names and values become C strings in the child's environment block.
            guard !key.isEmpty, !key.utf8.contains(UInt8(ascii: "=")), !key.utf8.contains(0) else {
                throw invalid("environment", "\"\(key.prefix(80))\" is not a variable name")
            }
            guard !value.utf8.contains(0) else { throw invalid("environment.\(key)", "contains a NUL byte") }
        }
    }

    /// The invocation timeout in whole milliseconds (valid after `validate`).
    var timeoutMilliseconds: Int64 { Int64((timeoutSeconds * 1000).rounded()) }
    var initTimeoutMilliseconds: Int64 { Int64((initTimeoutSeconds * 1000).rounded()) }
    /// `3.00`, as Lambda writes timeouts in its messages.
    var timeoutText: String { Self.seconds(milliseconds: timeoutMilliseconds) }
    var initTimeoutText: String { Self.seconds(milliseconds: initTimeoutMilliseconds) }

    static func seconds(milliseconds: Int64) -> String {
        let hundredths = (milliseconds + 5) / 10
        let fraction = hundredths % 100
        return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
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

extension UInt8 {
    fileprivate var isASCIILetterOrDigit: Bool {
        (0x30...0x39).contains(self) || (0x41...0x5A).contains(self) || (0x61...0x7A).contains(self)
    }
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
