/// A JSON document as a value.
///
/// Switchyard's functions do not link Foundation (it would double the size of every `bootstrap`
/// and slow its cold start), so JSON is handled here: this value type, a strict parser
/// (`JSON.parse`), a serializer (`JSON.serialized()`), and `Codable` bridges
/// (`JSON.decode`, `JSON.encode`) over it.
///
/// Numbers keep integers exact: a literal without fraction or exponent that fits in `Int64` is
/// `.integer`, everything else `.double`. Token counts and micro-dollar costs therefore never pass
/// through floating point.
public enum JSON: Sendable, Hashable {
    case null
    case bool(Bool)
    case integer(Int64)
    case double(Double)
    case string(String)
    case array([JSON])
    /// Members in document order. Duplicate keys are rejected by the parser.
    case object(JSONObject)
}

/// An ordered JSON object. Lookups are linear, which beats hashing for the small objects that
/// make up wire formats; the decoder builds an index for large ones.
public struct JSONObject: Sendable, Hashable, ExpressibleByDictionaryLiteral {
    public var members: [(key: String, value: JSON)]

    public init() { members = [] }
    public init(_ members: [(key: String, value: JSON)]) { self.members = members }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        members = elements.map { (key: $0.0, value: $0.1) }
    }

    public var count: Int { members.count }
    public var keys: [String] { members.map(\.key) }

    public subscript(key: String) -> JSON? {
        get {
            for member in members where member.key == key { return member.value }
            return nil
        }
        set {
            if let index = members.firstIndex(where: { $0.key == key }) {
                if let newValue { members[index].value = newValue } else { members.remove(at: index) }
            } else if let newValue {
                members.append((key: key, value: newValue))
            }
        }
    }

    /// Order-independent. Large objects are compared through an index, so equality stays linear.
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.members.count == rhs.members.count else { return false }
        if lhs.members.count <= 16 {
            for member in lhs.members where rhs[member.key] != member.value { return false }
            return true
        }
        var index: [String: JSON] = [:]
        index.reserveCapacity(rhs.members.count)
        for member in rhs.members where index.updateValue(member.value, forKey: member.key) != nil {
            // A repeated key (possible only in values built by hand) makes counts incomparable.
            return lhs.members.elementsEqual(rhs.members) { $0.key == $1.key && $0.value == $1.value }
        }
        for member in lhs.members where index[member.key] != member.value { return false }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Order-independent, to agree with ==.
        var combined = 0
        for member in members {
            var h = Hasher()
            h.combine(member.key)
            h.combine(member.value)
            combined ^= h.finalize()
        }
        hasher.combine(members.count)
        hasher.combine(combined)
    }
}

// MARK: - Accessors

extension JSON {
    public subscript(key: String) -> JSON? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    public subscript(index: Int) -> JSON? {
        if case .array(let array) = self, array.indices.contains(index) { return array[index] }
        return nil
    }

    public var stringValue: String? {
        if case .string(let s) = self { return s }
        return nil
    }

    public var int64Value: Int64? {
        switch self {
        case .integer(let i): return i
        case .double(let d) where d.rounded() == d && abs(d) < 9.2e18: return Int64(d)
        default: return nil
        }
    }

    public var doubleValue: Double? {
        switch self {
        case .integer(let i): return Double(i)
        case .double(let d): return d
        default: return nil
        }
    }

    public var boolValue: Bool? {
        if case .bool(let b) = self { return b }
        return nil
    }

    public var arrayValue: [JSON]? {
        if case .array(let a) = self { return a }
        return nil
    }

    public var objectValue: JSONObject? {
        if case .object(let o) = self { return o }
        return nil
    }

    public var isNull: Bool { self == .null }

    /// A short name of the value's kind, for error messages.
    public var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "boolean"
        case .integer, .double: "number"
        case .string: "string"
        case .array: "array"
        case .object: "object"
        }
    }
}

extension JSON: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByBooleanLiteral,
    ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral, ExpressibleByNilLiteral, ExpressibleByFloatLiteral
{
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JSON...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JSON)...) {
        self = .object(JSONObject(elements.map { (key: $0.0, value: $0.1) }))
    }
    public init(nilLiteral: ()) { self = .null }
}
