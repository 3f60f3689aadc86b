import SwitchyardJSON

/// Typed, range-checked reads of a request body's fields, each failure naming its parameter as
/// OpenAI does (`param: "messages[1].content"`).
struct JSONReader {
    let object: JSONObject
    let path: String

    init(_ value: JSON, path: String) throws(FrontDoorError) {
        guard case .object(let object) = value else {
            throw .invalidRequest(param: path.isEmpty ? nil : path, message: "\(Self.name(path)) must be an object")
        }
        self.object = object
        self.path = path
    }

    /// A request body's top-level object.
    init(body: [UInt8]) throws(FrontDoorError) {
        let json: JSON
        do { json = try JSON.parse(body) } catch {
            throw .invalidRequest(param: nil, message: "The body is not valid JSON (\(error.description.prefix(120))).")
        }
        try self.init(json, path: "")
    }

    func param(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    static func name(_ path: String) -> String { path.isEmpty ? "the body" : "'\(path)'" }

    /// The value, or nil when absent or `null` (OpenAI treats both as not given).
    func value(_ key: String) -> JSON? {
        guard let value = object[key], !value.isNull else { return nil }
        return value
    }

    func string(_ key: String, maxBytes: Int = 1 << 20) throws(FrontDoorError) -> String? {
        guard let value = value(key) else { return nil }
        guard case .string(let text) = value else { throw wrong(key, "a string") }
        guard text.utf8.count <= maxBytes else {
            throw .invalidRequest(param: param(key), message: "'\(param(key))' is longer than \(maxBytes) bytes")
        }
        return text
    }

    func bool(_ key: String) throws(FrontDoorError) -> Bool? {
        guard let value = value(key) else { return nil }
        guard case .bool(let flag) = value else { throw wrong(key, "a boolean") }
        return flag
    }

    func int(_ key: String, range: ClosedRange<Int64>) throws(FrontDoorError) -> Int64? {
        guard let value = value(key) else { return nil }
        let number: Int64
        switch value {
        case .integer(let n): number = n
        case .double(let d) where d.rounded() == d && abs(d) < 9.0e15: number = Int64(d)
        default: throw wrong(key, "an integer")
        }
        guard range.contains(number) else {
            throw .invalidRequest(
                param: param(key),
                message: "'\(param(key))' must be within \(range.lowerBound)...\(range.upperBound), got \(number)")
        }
        return number
    }

    func double(_ key: String, range: ClosedRange<Double>) throws(FrontDoorError) -> Double? {
        guard let value = value(key) else { return nil }
        let number: Double
        switch value {
        case .integer(let n): number = Double(n)
        case .double(let d): number = d
        default: throw wrong(key, "a number")
        }
        guard number.isFinite, range.contains(number) else {
            throw .invalidRequest(
                param: param(key), message: "'\(param(key))' must be within \(range.lowerBound)...\(range.upperBound)")
        }
        return number
    }

    func array(_ key: String, maxCount: Int) throws(FrontDoorError) -> [JSON]? {
        guard let value = value(key) else { return nil }
        guard case .array(let items) = value else { throw wrong(key, "an array") }
        guard items.count <= maxCount else {
            throw .invalidRequest(param: param(key), message: "'\(param(key))' has more than \(maxCount) items")
        }
        return items
    }

    func wrong(_ key: String, _ expected: String) -> FrontDoorError {
        .invalidRequest(param: param(key), message: "'\(param(key))' must be \(expected)")
    }
}
