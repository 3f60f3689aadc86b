/// Encoding `Encodable` values to compact JSON bytes or to a `JSON` value.
///
/// Members are written in the order the type encodes them (declaration order for synthesized
/// conformances); `nil` optionals encoded with `encodeIfPresent` are omitted. Non-finite floating
/// point values are an error, never invalid JSON.
/// (Static functions rather than a `JSONEncoder` type, so nothing here shadows Foundation's.)
///
/// Every function's output goes through here, so the encoder avoids work per field: values are
/// told apart by comparing metatypes (a dynamic cast per candidate type cost ~0.2 K instructions a
/// field), coding paths are built only for nested containers and errors, and `encode` writes the
/// bytes straight from the tree the containers built, without a `JSON` value in between.
extension JSON {
    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        bytes(of: try encodeTree(value))
    }

    /// `encode(value)` with the value of its top-level member `key` (the last one, if the object
    /// holds it more than once) written as `replacement`: for a part the caller builds faster than
    /// `Codable` does. When `value` is not an object or has no such member, its bytes are
    /// `encode(value)`'s.
    public static func encode<T: Encodable>(_ value: T, replacingMember key: String, with replacement: JSON) throws
        -> [UInt8]
    {
        let root = try encodeTree(value)
        if root.kind == .object, let member = root.members.last(where: { $0.key == key }) {
            member.node.set(replacement)
        }
        return bytes(of: root)
    }

    public static func encodeToJSON<T: Encodable>(_ value: T) throws -> JSON {
        if T.self == JSON.self { return unsafeBitCast(value, to: JSON.self) }
        return try encodeTree(value).json
    }

    private static func bytes(of root: JSONNode) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        root.write(to: &out)
        return out
    }

    private static func encodeTree<T: Encodable>(_ value: T) throws -> JSONNode {
        let root = JSONNode()
        try encodeValue(value, into: root, parentPath: [], place: .root)
        return root
    }
}

/// Mutable tree that containers write into; serialized (or converted to an immutable `JSON`) at
/// the end. Children are stored in arrays that are appended to in place, so building an object or
/// array of n members is O(n), not a copy per member.
final class JSONNode {
    enum Kind { case unset, value, array, object }

    var kind = Kind.unset
    var value = JSON.null
    var elements: [JSONNode] = []
    var members: [(key: String, node: JSONNode)] = []
    /// Where the node sits, for coding paths: its container's path and its place there. Set only for
    /// values that encode themselves (the leaves never need a path).
    var parentPath: [any CodingKey] = []
    var place = Place.root

    enum Place {
        case root
        case key(any CodingKey)
        case index(Int)
    }

    var codingPath: [any CodingKey] {
        switch place {
        case .root: parentPath
        case .key(let key): parentPath + [key]
        case .index(let index): parentPath + [JSONCodingKey(intValue: index)]
        }
    }

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

    /// The same bytes as `json.serialized()`.
    func write(to out: inout [UInt8]) {
        switch kind {
        case .unset: out.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
        case .value: value.write(to: &out)
        case .array:
            out.append(UInt8(ascii: "["))
            for (i, element) in elements.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                element.write(to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .object:
            out.append(UInt8(ascii: "{"))
            for (i, member) in members.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                JSON.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.node.write(to: &out)
            }
            out.append(UInt8(ascii: "}"))
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

/// The encoder a value's `encode(to:)` gets: the node it writes into, one word, so passing it as
/// `any Encoder` never allocates a box. Its coding path is kept in the node and joined only when
/// asked (a nested container, an error): most values encoded through here are enums and wrappers
/// that ask for a single-value container and never need it.
struct JSONValueEncoder: Encoder {
    let storage: JSONNode

    var codingPath: [any CodingKey] { storage.codingPath }
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

/// Writes `value` into `node`. Strings, numbers, booleans and `JSON` values (the leaves of every
/// document) are recognised by metatype and set in place; anything else is asked to encode itself,
/// after the node learns where it sits (`parentPath`, `place`) for the coding paths it may need.
func encodeValue<T: Encodable>(
    _ value: T, into node: JSONNode, parentPath: [any CodingKey], place: @autoclosure () -> JSONNode.Place
) throws {
    if T.self == String.self {
        node.set(.string(unsafeBitCast(value, to: String.self)))
    } else if T.self == Int.self {
        node.set(.integer(Int64(unsafeBitCast(value, to: Int.self))))
    } else if T.self == Int64.self {
        node.set(.integer(unsafeBitCast(value, to: Int64.self)))
    } else if T.self == Bool.self {
        node.set(.bool(unsafeBitCast(value, to: Bool.self)))
    } else if T.self == Double.self {
        let d = unsafeBitCast(value, to: Double.self)
        guard d.isFinite else {
            node.parentPath = parentPath
            node.place = place()
            throw JSONValueEncoder(storage: node).nonFinite(d)
        }
        node.set(.double(d))
    } else if T.self == JSON.self {
        node.set(unsafeBitCast(value, to: JSON.self))
    } else {
        node.parentPath = parentPath
        node.place = place()
        try value.encode(to: JSONValueEncoder(storage: node))
    }
}

extension JSONValueEncoder: SingleValueEncodingContainer {
    func encodeNil() throws { storage.set(.null) }
    func encode(_ value: Bool) throws { storage.set(.bool(value)) }
    func encode(_ value: String) throws { storage.set(.string(value)) }
    func encode(_ value: Double) throws { try checkedDouble(value) }
    func encode(_ value: Float) throws { try checkedDouble(Double(value)) }
    func encode(_ value: Int) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int8) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int16) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int32) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: Int64) throws { storage.set(.integer(value)) }
    func encode(_ value: UInt) throws { encodeUnsigned(UInt64(value)) }
    func encode(_ value: UInt8) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: UInt16) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: UInt32) throws { storage.set(.integer(Int64(value))) }
    func encode(_ value: UInt64) throws { encodeUnsigned(value) }
    /// A wrapper's value, written where the wrapper sits.
    func encode<T: Encodable>(_ value: T) throws {
        try encodeValue(value, into: storage, parentPath: storage.parentPath, place: storage.place)
    }

    private func checkedDouble(_ value: Double) throws {
        guard value.isFinite else { throw nonFinite(value) }
        storage.set(.double(value))
    }

    func nonFinite(_ value: Double) -> EncodingError {
        .invalidValue(value, .init(codingPath: codingPath, debugDescription: "\(value) cannot be represented in JSON"))
    }

    private func encodeUnsigned(_ value: UInt64) {
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

    /// The encoder of a nested value at `key`, which knows its path.
    private func nested(_ key: any CodingKey) -> JSONValueEncoder {
        let child = node.childForKey(key.stringValue)
        child.parentPath = codingPath
        child.place = .key(key)
        return JSONValueEncoder(storage: child)
    }

    mutating func encodeNil(forKey key: Key) throws { child(key).set(.null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { child(key).set(.bool(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { child(key).set(.string(value)) }
    mutating func encode(_ value: Int, forKey key: Key) throws { child(key).set(.integer(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { child(key).set(.integer(value)) }
    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try encodeValue(value, into: child(key), parentPath: codingPath, place: .key(key))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        nested(key).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        nested(key).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { nested(JSONCodingKey(stringValue: "super")) }

    mutating func superEncoder(forKey key: Key) -> any Encoder { nested(key) }
}

private struct UnkeyedContainer: UnkeyedEncodingContainer {
    let node: JSONNode
    let codingPath: [any CodingKey]
    var count: Int { node.arrayCount }

    /// The encoder of the element about to be appended, which knows its path.
    private func nextElement() -> JSONValueEncoder {
        let index = count
        let child = node.appendChild()
        child.parentPath = codingPath
        child.place = .index(index)
        return JSONValueEncoder(storage: child)
    }

    mutating func encodeNil() throws { node.appendChild().set(.null) }
    mutating func encode(_ value: Bool) throws { node.appendChild().set(.bool(value)) }
    mutating func encode(_ value: String) throws { node.appendChild().set(.string(value)) }
    mutating func encode(_ value: Int) throws { node.appendChild().set(.integer(Int64(value))) }
    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        try encodeValue(value, into: node.appendChild(), parentPath: codingPath, place: .index(index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<
        NestedKey
    > {
        nextElement().container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { nextElement().unkeyedContainer() }

    mutating func superEncoder() -> any Encoder { nextElement() }
}
