/// Encoding `Encodable` values to compact JSON bytes or to a `JSON` value.
///
/// Members are written in the order the type encodes them (declaration order for synthesized
/// conformances); `nil` optionals encoded with `encodeIfPresent` are omitted. Non-finite floating
/// point values are an error, never invalid JSON.
/// (Static functions rather than a `JSONEncoder` type, so nothing here shadows Foundation's.)
extension JSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        try encodeToJSON(value).serialized()
    }

    public static func encodeToJSON<T: Encodable>(_ value: T) throws -> JSON {
        if let json = value as? JSON { return json }
        let encoder = JSONValueEncoder(storage: JSONNode(), codingPath: [])
        try value.encode(to: encoder)
        return encoder.storage.json
    }
}

/// Mutable tree that containers write into; converted to an immutable `JSON` at the end.
/// Children are stored in arrays that are appended to in place, so building an object or array
/// of n members is O(n), not a copy per member.
final class JSONNode {
    enum Kind { case unset, value, array, object }

    var kind = Kind.unset
    var value = JSON.null
    var elements: [JSONNode] = []
    var members: [(key: String, node: JSONNode)] = []

    func set(_ newValue: JSON) {
        kind = .value
        value = newValue
    }

    var json: JSON {
        switch kind {
        case .unset: return .object(JSONObject())
        case .value: return value
        case .array: return .array(elements.map(\.json))
        case .object: return .object(JSONObject(members.map { (key: $0.key, value: $0.node.json) }))
        }
    }

    func becomeObject() {
        if kind != .object {
            kind = .object
            members = []
        }
    }

    func becomeArray() {
        if kind != .array {
            kind = .array
            elements = []
        }
    }

    func childForKey(_ key: String) -> JSONNode {
        becomeObject()
        // Re-opening a key (nested containers, superEncoder) must reuse its node.
        for member in members where member.key == key { return member.node }
        let child = JSONNode()
        members.append((key: key, node: child))
        return child
    }

    func appendChild() -> JSONNode {
        becomeArray()
        let child = JSONNode()
        elements.append(child)
        return child
    }

    var arrayCount: Int { kind == .array ? elements.count : 0 }
}

struct JSONValueEncoder: Encoder {
    let storage: JSONNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        storage.becomeObject()
        return KeyedEncodingContainer(KeyedContainer<Key>(node: storage, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        storage.becomeArray()
        return UnkeyedContainer(node: storage, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }
}

/// The coding path is an autoclosure: building `codingPath + [key]` for every field allocated an
/// array per value, most of the encoder's time; now it is built only for nested values and errors.
func encodeValue<T: Encodable>(_ value: T, into node: JSONNode, codingPath: @autoclosure () -> [any CodingKey]) throws {
    switch value {
    case let json as JSON: node.set(json)
    case let s as String: node.set(.string(s))
    case let b as Bool: node.set(.bool(b))
    case let i as Int: node.set(.integer(Int64(i)))
    case let i as Int64: node.set(.integer(i))
    case let d as Double:
        guard d.isFinite else {
            throw EncodingError.invalidValue(
                d, .init(codingPath: codingPath(), debugDescription: "\(d) cannot be represented in JSON"))
        }
        node.set(.double(d))
    default:
        try value.encode(to: JSONValueEncoder(storage: node, codingPath: codingPath()))
    }
}

extension JSONValueEncoder: SingleValueEncodingContainer {
    func encodeNil() throws { storage.set(.null) }
    func encode(_ value: Bool) throws { storage.set(.bool(value)) }
    func encode(_ value: String) throws { storage.set(.string(value)) }
    func encode(_ value: Double) throws { try encodeValue(value, into: storage, codingPath: codingPath) }
    func encode(_ value: Float) throws { try encodeValue(Double(value), into: storage, codingPath: codingPath) }
    func encode(_ value: Int) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int8) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int16) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int32) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int64) throws { storage.set(.integer(value)) }
    func encode(_ value: UInt) throws { try encodeUnsigned(UInt64(value)) }
    func encode(_ value: UInt8) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: UInt16) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: UInt32) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: UInt64) throws { try encodeUnsigned(value) }
    func encode<T: Encodable>(_ value: T) throws { try encodeValue(value, into: storage, codingPath: codingPath) }

    private func encodeUnsigned(_ value: UInt64) throws {
        if let exact = Int64(exactly: value) {
            storage.set(.integer(exact))
        } else {
            storage.set(.double(Double(value)))
        }
    }
}

private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: JSONNode
    let codingPath: [any CodingKey]

    private func child(_ key: Key) -> JSONNode { node.childForKey(key.stringValue) }

    mutating func encodeNil(forKey key: Key) throws { child(key).set(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { child(key).set(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { child(key).set(.string(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { child(key).set(.integer(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { child(key).set(.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, into: child(key), codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        JSONValueEncoder(storage: child(key), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        JSONValueEncoder(storage: child(key), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        JSONValueEncoder(
            storage: node.childForKey("super"), codingPath: codingPath + [JSONCodingKey(stringValue: "super")])
    }

    mutating func superEncoder(forKey key: Key) -> any Encoder {
        JSONValueEncoder(storage: child(key), codingPath: codingPath + [key])
    }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var count: Int { node.arrayCount }

    private func nextPath() -> [any CodingKey] { codingPath + [JSONCodingKey(intValue: count)] }

    mutating func encodeNil() throws { node.appendChild().set(.null) }
    mutating func encode(_ value: Bool) throws { node.appendChild().set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.appendChild().set(.string(value)) }
    mutating func encode(_ value: Int) throws { node.appendChild().set(.integer(Int64(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        try encodeValue(value, into: node.appendChild(), codingPath: codingPath + [JSONCodingKey(intValue: index)])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        let path = nextPath()
        return JSONValueEncoder(storage: node.appendChild(), codingPath: path).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let path = nextPath()
        return JSONValueEncoder(storage: node.appendChild(), codingPath: path).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder {
        let path = nextPath()
        return JSONValueEncoder(storage: node.appendChild(), codingPath: path)
    }
}
