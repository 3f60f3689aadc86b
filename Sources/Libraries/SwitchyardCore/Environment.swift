/// A snapshot of environment variables.
///
/// Configuration is read from an `Environment` once at init, never per invocation; tests pass a
/// literal dictionary instead of mutating the process environment.
public struct Environment: Sendable {
    public var values: [String: String]

    public init(_ values: [String: String]) { self.values = values }

    /// The current process environment.
    public static var process: Environment {
        var values: [String: String] = [:]
        var pointer = environ
        while let entry = pointer.pointee {
            let pair = String(cString: entry)
            if let eq = pair.firstIndex(of: "=") {
                values[String(pair[..<eq])] = String(pair[pair.index(after: eq)...])
            }
            pointer += 1
        }
        return Environment(values)
    }

    public subscript(name: String) -> String? { values[name] }

    /// The value of `name`, or `ConfigurationError.missing` naming it. Empty counts as missing.
    public func require(_ name: String) throws(ConfigurationError) -> String {
        guard let value = values[name], !value.isEmpty else { throw .missing(variable: name) }
        return value
    }

    public func string(_ name: String, default defaultValue: String) -> String {
        guard let value = values[name], !value.isEmpty else { return defaultValue }
        return value
    }

    public func int(_ name: String, default defaultValue: Int, range: ClosedRange<Int>? = nil)
        throws(ConfigurationError) -> Int
    {
        guard let raw = values[name], !raw.isEmpty else { return defaultValue }
        guard let value = Int(raw), range.map({ $0.contains(value) }) ?? true else {
            let expected = range.map { "an integer in \($0.lowerBound)...\($0.upperBound)" } ?? "an integer"
            throw .invalid(variable: name, value: raw, expected: expected)
        }
        return value
    }

    public func bool(_ name: String, default defaultValue: Bool) throws(ConfigurationError) -> Bool {
        guard let raw = values[name], !raw.isEmpty else { return defaultValue }
        switch raw.lowercased() {
        case "1", "true", "yes", "on": return true
        case "0", "false", "no", "off": return false
        default: throw .invalid(variable: name, value: raw, expected: "true or false")
        }
    }
}
