import SwitchyardCore
import SwitchyardJSON

/// What a document's format allows in one kind of object: its fields (a type's `Field` enum, the
/// keys its decoder reads, plus any the format allows and nothing reads) and, for a field that
/// holds objects, their format.
///
/// A key is looked up by binary search in the sorted names, and its value's format is the entry at
/// the same index, so a check hashes nothing, converts no key to its `Field` and builds no path
/// string unless it finds an unknown field (the `Set<String>` tables and per-object paths it
/// replaced were ~1 M instructions of every init; `Field(rawValue:)` for every member, ~0.4 M, and
/// for every member holding a container, 0.14 M).
struct KeySchema: Sendable {
    /// Every field name, sorted.
    let names: [String]
    /// The format of the value of the field named `names[i]`; nil when it is not checked (scalars,
    /// maps of categories).
    let members: [Member?]

    indirect enum Member: Sendable {
        /// An object of this format.
        case object(KeySchema)
        /// An array whose object items have this format.
        case array(KeySchema)
        /// An object keyed by data (tier names) whose object values have this format.
        case map(KeySchema)
    }

    /// The fields of `Field`, plus `extra`; `member` gives the format of a field's value.
    static func fields<Field: CaseIterable & RawRepresentable>(
        _: Field.Type, plus extra: [String] = [], member: (Field) -> Member? = { _ in nil }
    ) -> KeySchema where Field.RawValue == String {
        sorted(names: Field.allCases.map(\.rawValue) + extra, members: Field.allCases.map(member))
    }

    /// Not generic, so the sort of the names runs specialized. `members` may be shorter than `names`
    /// (the `extra` names): the rest are unchecked.
    private static func sorted(names: [String], members: [Member?]) -> KeySchema {
        let order = names.indices.sorted { names[$0] < names[$1] }
        return KeySchema(names: order.map { names[$0] }, members: order.map { $0 < members.count ? members[$0] : nil })
    }

    /// Where `key` is in `names`, or nil when it is not a field of this object.
    func index(of key: String) -> Int? {
        var low = 0
        var high = names.count
        while low < high {
            let mid = (low &+ high) / 2
            if names[mid] < key { low = mid &+ 1 } else { high = mid }
        }
        return low < names.count && names[low] == key ? low : nil
    }
}

/// Finds the first field a document's format does not define.
enum KnownKeys {
    /// - Returns: the path and a sentence, or nil when every field is known. Values the schema
    ///   does not describe (maps of categories, free-form values, a container where the format
    ///   has a scalar) are not checked: the decoder reports those.
    static func firstUnknown(in json: JSON, schema: KeySchema) -> (String, String)? {
        guard case .object(let object) = json, let (path, problem) = unknown(in: object, schema) else { return nil }
        return (path, problem)
    }

    /// The path is built only on the way out, for the one unknown field found.
    private static func unknown(in object: JSONObject, _ schema: KeySchema) -> (path: String, problem: String)? {
        for member in object.members {
            guard let field = schema.index(of: member.key) else {
                return (member.key, "unknown field; expected one of \(schema.names.joinedText(separator: ", "))")
            }
            guard member.value.isContainer, let format = schema.members[field],
                let (path, problem) = unknown(in: member.value, format)
            else { continue }
            return (path.hasPrefix("[") ? member.key + path : member.key + "." + path, problem)
        }
        return nil
    }

    /// A member's value against its format; the path returned is relative to the member.
    private static func unknown(in value: JSON, _ format: KeySchema.Member) -> (path: String, problem: String)? {
        switch (format, value) {
        case (.object(let schema), .object(let object)):
            return unknown(in: object, schema)
        case (.array(let schema), .array(let items)):
            for (i, item) in items.enumerated() {
                guard case .object(let object) = item, let (path, problem) = unknown(in: object, schema) else {
                    continue
                }
                return ("[\(i)]." + path, problem)
            }
            return nil
        case (.map(let schema), .object(let map)):
            for entry in map.members {
                guard case .object(let object) = entry.value, let (path, problem) = unknown(in: object, schema) else {
                    continue
                }
                return (entry.key + "." + path, problem)
            }
            return nil
        default:
            return nil
        }
    }
}

extension JSON {
    /// An object or an array: the only values `KnownKeys` looks inside.
    fileprivate var isContainer: Bool {
        switch self {
        case .object, .array: true
        default: false
        }
    }
}
