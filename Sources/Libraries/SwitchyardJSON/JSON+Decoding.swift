/// Decoding `Decodable` values from JSON bytes or a `JSON` value.
///
/// Errors are `DecodingError`s whose context carries the coding path, so a caller can tell a
/// client exactly which field was wrong (`messages[2].role: expected string, found number`).
/// (Static functions rather than a `JSONDecoder` type, so nothing here shadows Foundation's.)
extension JSON {
    /// Parses `bytes` within `limits` (throwing `JSONParseError`), then decodes.
    public static func decode<T: Decodable>(
        _ type: T.Type, from bytes: some Collection<UInt8>, limits: JSONLimits = .default
    ) throws -> T {
        try decode(type, from: try JSON.parse(bytes, limits: limits))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from string: String, limits: JSONLimits = .default)
        throws -> T
    {
        try decode(type, from: try JSON.parse(string, limits: limits))
    }

    public static func decode<T: Decodable>(_ type: T.Type, from json: JSON) throws -> T {
        if type == JSON.self { return json as! T }
        return try T(from: JSONValueDecoder(value: json, codingPath: []))
    }
}

/// A readable one-line description of a decoding failure: "path: problem".
public func describeDecodingError(_ error: any Error) -> String {
    func path(_ codingPath: [any CodingKey]) -> String {
        var out = ""
        for key in codingPath {
            if let index = key.intValue {
                out += "[\(index)]"
            } else {
                out += out.isEmpty ? key.stringValue : "." + key.stringValue
            }
        }
        return out.isEmpty ? "<root>" : out
    }
    switch error {
    case DecodingError.keyNotFound(let key, let context):
        let parent = path(context.codingPath)
        return parent == "<root>"
            ? "missing field \"\(key.stringValue)\"" : "\(parent): missing field \"\(key.stringValue)\""
    case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
        DecodingError.dataCorrupted(let context):
        return "\(path(context.codingPath)): \(context.debugDescription)"
    case let parse as JSONParseError:
        return parse.description
    default:
        return "\(error)"
    }
}

struct JSONCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

struct JSONValueDecoder: Decoder {
    let value: JSON
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let object) = value else {
            throw DecodingError.typeMismatch(
                [String: Any].self,
                .init(codingPath: codingPath, debugDescription: "expected object, found \(value.kindName)"))
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(object: object, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let array) = value else {
            throw DecodingError.typeMismatch(
                [Any].self, .init(codingPath: codingPath, debugDescription: "expected array, found \(value.kindName)"))
        }
        return UnkeyedContainer(array: array, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }
}

// MARK: - Scalars

extension JSONValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }

    private func mismatch<T>(_ type: T.Type, _ expected: String) -> DecodingError {
        if value == .null {
            return .valueNotFound(
                type, .init(codingPath: codingPath, debugDescription: "expected \(expected), found null"))
        }
        return .typeMismatch(
            type, .init(codingPath: codingPath, debugDescription: "expected \(expected), found \(value.kindName)"))
    }

    func decode(_ type: Bool.Type) throws -> Bool {
        guard case .bool(let b) = value else { throw mismatch(type, "boolean") }
        return b
    }

    func decode(_ type: String.Type) throws -> String {
        guard case .string(let s) = value else { throw mismatch(type, "string") }
        return s
    }

    func decode(_ type: Double.Type) throws -> Double {
        guard let d = value.doubleValue else { throw mismatch(type, "number") }
        return d
    }

    func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        switch value {
        case .integer(let i):
            guard let exact = T(exactly: i) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "\(i) does not fit in \(T.self)"))
            }
            return exact
        case .double(let d):
            // 1e3 is an integer written in exponent form; 1.5 is not.
            guard let exact = T(exactly: d) else {
                throw DecodingError.dataCorrupted(
                    .init(codingPath: codingPath, debugDescription: "\(d) is not a whole number in range of \(T.self)"))
            }
            return exact
        default:
            throw mismatch(type, "integer")
        }
    }

    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }

    func decode<T: Decodable>(_ type: T.Type) throws -> T {
        if type == JSON.self { return value as! T }
        return try T(from: self)
    }
}

// MARK: - Objects

private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let object: JSONObject
    let codingPath: [any CodingKey]
    /// Built only for large objects, where repeated linear lookups would be quadratic.
    let index: [String: JSON]?

    init(object: JSONObject, codingPath: [any CodingKey]) {
        self.object = object
        self.codingPath = codingPath
        if object.count > 16 {
            var index: [String: JSON] = [:]
            index.reserveCapacity(object.count)
            for member in object.members { index[member.key] = member.value }
            self.index = index
        } else {
            self.index = nil
        }
    }

    var allKeys: [Key] { object.members.compactMap { Key(stringValue: $0.key) } }

    private func lookup(_ key: Key) -> JSON? {
        if let index { return index[key.stringValue] }
        return object[key.stringValue]
    }

    func contains(_ key: Key) -> Bool { lookup(key) != nil }

    private func require(_ key: Key) throws -> JSONValueDecoder {
        guard let value = lookup(key) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "missing field \"\(key.stringValue)\""))
        }
        return JSONValueDecoder(value: value, codingPath: codingPath + [key])
    }

    func decodeNil(forKey key: Key) throws -> Bool { lookup(key).map { $0 == .null } ?? true }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool { try require(key).decode(type) }
    func decode(_ type: String.Type, forKey key: Key) throws -> String { try require(key).decode(type) }
    func decode(_ type: Double.Type, forKey key: Key) throws -> Double { try require(key).decode(type) }
    func decode(_ type: Float.Type, forKey key: Key) throws -> Float { try require(key).decode(type) }
    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try require(key).decode(type) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try require(key).decode(type) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try require(key).decode(type) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try require(key).decode(type) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try require(key).decode(type) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try require(key).decode(type) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try require(key).decode(type) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try require(key).decode(type) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try require(key).decode(type) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try require(key).decode(type) }
    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try require(key).decode(type) }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try require(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try require(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        JSONValueDecoder(
            value: object["super"] ?? .null, codingPath: codingPath + [JSONCodingKey(stringValue: "super")])
    }

    func superDecoder(forKey key: Key) throws -> any Decoder {
        JSONValueDecoder(value: lookup(key) ?? .null, codingPath: codingPath + [key])
    }
}

// MARK: - Arrays

private struct UnkeyedContainer: UnkeyedDecodingContainer {
    let array: [JSON]
    let codingPath: [any CodingKey]
    var currentIndex = 0

    init(array: [JSON], codingPath: [any CodingKey]) {
        self.array = array
        self.codingPath = codingPath
    }

    var count: Int? { array.count }
    var isAtEnd: Bool { currentIndex >= array.count }

    private mutating func next<T>(_ type: T.Type) throws -> JSONValueDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                type,
                .init(
                    codingPath: codingPath + [JSONCodingKey(intValue: currentIndex)],
                    debugDescription: "array has only \(array.count) elements"))
        }
        defer { currentIndex += 1 }
        return JSONValueDecoder(
            value: array[currentIndex], codingPath: codingPath + [JSONCodingKey(intValue: currentIndex)])
    }

    mutating func decodeNil() throws -> Bool {
        if !isAtEnd, array[currentIndex] == .null {
            currentIndex += 1
            return true
        }
        return false
    }

    mutating func decode(_ type: Bool.Type) throws -> Bool { try next(type).decode(type) }
    mutating func decode(_ type: String.Type) throws -> String { try next(type).decode(type) }
    mutating func decode(_ type: Double.Type) throws -> Double { try next(type).decode(type) }
    mutating func decode(_ type: Float.Type) throws -> Float { try next(type).decode(type) }
    mutating func decode(_ type: Int.Type) throws -> Int { try next(type).decode(type) }
    mutating func decode(_ type: Int8.Type) throws -> Int8 { try next(type).decode(type) }
    mutating func decode(_ type: Int16.Type) throws -> Int16 { try next(type).decode(type) }
    mutating func decode(_ type: Int32.Type) throws -> Int32 { try next(type).decode(type) }
    mutating func decode(_ type: Int64.Type) throws -> Int64 { try next(type).decode(type) }
    mutating func decode(_ type: UInt.Type) throws -> UInt { try next(type).decode(type) }
    mutating func decode(_ type: UInt8.Type) throws -> UInt8 { try next(type).decode(type) }
    mutating func decode(_ type: UInt16.Type) throws -> UInt16 { try next(type).decode(type) }
    mutating func decode(_ type: UInt32.Type) throws -> UInt32 { try next(type).decode(type) }
    mutating func decode(_ type: UInt64.Type) throws -> UInt64 { try next(type).decode(type) }
    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next(type).decode(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next([String: Any].self).container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
        try next([Any].self).unkeyedContainer()
    }

    mutating func superDecoder() throws -> any Decoder { try next(Any.self) }
}

// MARK: - JSON itself is Codable, for untyped pass-through fields

extension JSON: Codable {
    public init(from decoder: any Decoder) throws {
        if let direct = decoder as? JSONValueDecoder {
            self = direct.value
            return
        }
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let b = try? container.decode(Bool.self) {
            self = .bool(b)
        } else if let i = try? container.decode(Int64.self) {
            self = .integer(i)
        } else if let d = try? container.decode(Double.self) {
            self = .double(d)
        } else if let s = try? container.decode(String.self) {
            self = .string(s)
        } else if let a = try? container.decode([JSON].self) {
            self = .array(a)
        } else if let o = try? container.decode([String: JSON].self) {
            self = .object(JSONObject(o.sorted { $0.key < $1.key }.map { (key: $0.key, value: $0.value) }))
        } else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a JSON value"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        if let direct = encoder as? JSONValueEncoder {
            direct.storage.set(self)
            return
        }
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let b): try container.encode(b)
        case .integer(let i): try container.encode(i)
        case .double(let d): try container.encode(d)
        case .string(let s): try container.encode(s)
        case .array(let a): try container.encode(a)
        case .object(let o):
            var dict: [String: JSON] = [:]
            for member in o.members { dict[member.key] = member.value }
            try container.encode(dict)
        }
    }
}
