import SwitchyardJSON

/// An object's fields, read by name with the rules Codable's synthesized decoders followed:
/// a required field that is absent is `missing field`, an optional one that is absent or `null`
/// is nil, and a failure inside a field is reported at that field's path.
///
/// `Key` lists the type's fields (`enum Field: String, CaseIterable`): the one definition of its
/// wire keys, which the documents' unknown-field checks are built from too.
///
/// Generic and `@inlinable` so every use is specialised in the calling module: no generic
/// metadata is instantiated at run time, which is the point of not using `Decodable`.
public struct JSONFields<Key: RawRepresentable> where Key.RawValue == String {
    public let object: JSONObject

    /// - Throws: `expected object, found …` when `json` is not an object.
    @inlinable public init(_ json: JSON, keys: Key.Type = Key.self) throws(JSONWalkError) {
        guard case .object(let object) = json else { throw .invalid("expected object, found \(json.kindName)") }
        self.object = object
    }

    @inlinable public func required<T>(
        _ key: Key, _ read: (JSON) throws(JSONWalkError) -> T
    ) throws(JSONWalkError) -> T {
        guard let value = object[key.rawValue] else { throw JSONWalkError(missingField: key.rawValue) }
        do { return try read(value) } catch { throw error.within(.key(key.rawValue)) }
    }

    /// Nil when the field is absent or `null`.
    @inlinable public func optional<T>(
        _ key: Key, _ read: (JSON) throws(JSONWalkError) -> T
    ) throws(JSONWalkError) -> T? {
        guard let value = object[key.rawValue] else { return nil }
        if case .null = value { return nil }
        do { return try read(value) } catch { throw error.within(.key(key.rawValue)) }
    }
}

/// Readers of one JSON value, with Codable's error texts (`expected string, found number`).
public enum JSONRead {
    @inlinable public static func string(_ json: JSON) throws(JSONWalkError) -> String {
        guard case .string(let s) = json else { throw .invalid("expected string, found \(json.kindName)") }
        return s
    }

    @inlinable public static func bool(_ json: JSON) throws(JSONWalkError) -> Bool {
        guard case .bool(let b) = json else { throw .invalid("expected boolean, found \(json.kindName)") }
        return b
    }

    @inlinable public static func double(_ json: JSON) throws(JSONWalkError) -> Double {
        guard let d = json.doubleValue else { throw .invalid("expected number, found \(json.kindName)") }
        return d
    }

    /// An integer of `T`'s range; `1e3` is one, `1.5` is not.
    @inlinable public static func integer<T: FixedWidthInteger>(_ json: JSON, as type: T.Type = T.self)
        throws(JSONWalkError) -> T
    {
        switch json {
        case .integer(let i):
            guard let exact = T(exactly: i) else { throw .invalid("\(i) does not fit in \(T.self)") }
            return exact
        case .double(let d):
            guard let exact = T(exactly: d) else { throw .invalid("\(d) is not a whole number in range of \(T.self)") }
            return exact
        default:
            throw .invalid("expected integer, found \(json.kindName)")
        }
    }

    @inlinable public static func int(_ json: JSON) throws(JSONWalkError) -> Int { try integer(json, as: Int.self) }
    @inlinable public static func int64(_ json: JSON) throws(JSONWalkError) -> Int64 {
        try integer(json, as: Int64.self)
    }

    /// A string enum by its raw value.
    @inlinable public static func rawValue<E: RawRepresentable>(_ json: JSON, as type: E.Type = E.self)
        throws(JSONWalkError) -> E where E.RawValue == String
    {
        let raw = try string(json)
        guard let value = E(rawValue: raw) else {
            throw .invalid("Cannot initialize \(E.self) from invalid String value \(raw)")
        }
        return value
    }

    @inlinable public static func array<T>(_ json: JSON, _ read: (JSON) throws(JSONWalkError) -> T)
        throws(JSONWalkError) -> [T]
    {
        guard case .array(let items) = json else { throw .invalid("expected array, found \(json.kindName)") }
        var out: [T] = []
        out.reserveCapacity(items.count)
        for (i, item) in items.enumerated() {
            do { out.append(try read(item)) } catch { throw error.within(.index(i)) }
        }
        return out
    }

    /// An object keyed by data (`{"basic": {...}, "pro": {...}}`), its members read in document order.
    @inlinable public static func map<T>(_ json: JSON, _ read: (JSON) throws(JSONWalkError) -> T)
        throws(JSONWalkError) -> [String: T]
    {
        guard case .object(let object) = json else { throw .invalid("expected object, found \(json.kindName)") }
        var out: [String: T] = [:]
        out.reserveCapacity(object.count)
        for member in object.members {
            do { out[member.key] = try read(member.value) } catch { throw error.within(.mapKey(member.key)) }
        }
        return out
    }
}
