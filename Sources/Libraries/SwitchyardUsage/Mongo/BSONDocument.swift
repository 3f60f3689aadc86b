import CMongoC
import SwitchyardJSON

/// An owned libbson document. Built from `JSON` values (integers stay `int64`, so token counts and
/// pico-dollar costs are exact) and read back as `JSON` through relaxed Extended JSON.
final class BSONDocument {
    /// The libbson document. Only valid while `self` is alive: keep the `BSONDocument` in a
    /// local and wrap C calls in `withExtendedLifetime`, or Swift may free it before the call.
    let pointer: OpaquePointer

    init() { pointer = bson_new()! }

    /// A BSON document with the members of `object`, in order.
    convenience init(_ object: JSONObject) {
        self.init()
        for member in object.members { append(member.key, member.value) }
    }

    /// Takes ownership of a document libmongoc allocated.
    init(owning pointer: OpaquePointer) { self.pointer = pointer }

    deinit { bson_destroy(pointer) }

    /// Encoded length: libbson keeps it in the document's first four bytes (little-endian int32).
    var byteCount: Int { Self.length(of: pointer) }

    static func length(of pointer: OpaquePointer) -> Int {
        let data = bson_get_data(pointer)!
        return Int(data[0]) | Int(data[1]) << 8 | Int(data[2]) << 16 | Int(data[3]) << 24
    }

    func append(_ key: String, _ value: JSON) {
        switch value {
        case .null: bson_append_null(pointer, key, -1)
        case .bool(let b): bson_append_bool(pointer, key, -1, b)
        case .integer(let i): bson_append_int64(pointer, key, -1, i)
        case .double(let d): bson_append_double(pointer, key, -1, d)
        case .string(let s): bson_append_utf8(pointer, key, -1, s, Int32(s.utf8.count))
        case .object(let object):
            let child = BSONDocument(object)
            _ = withExtendedLifetime(child) { bson_append_document(pointer, key, -1, child.pointer) }
        case .array(let elements):
            let child = BSONDocument()
            for (i, element) in elements.enumerated() { child.append(String(i), element) }
            _ = withExtendedLifetime(child) { bson_append_array(pointer, key, -1, child.pointer) }
        }
    }

    /// Appends a BSON UTC datetime (needed for TTL indexes, which ignore integers).
    func appendDate(_ key: String, epochMilliseconds: Int64) {
        bson_append_date_time(pointer, key, -1, epochMilliseconds)
    }

    func appendDocument(_ key: String, _ child: BSONDocument) {
        _ = withExtendedLifetime(child) { bson_append_document(pointer, key, -1, child.pointer) }
    }

    /// FNV-1a over the encoded bytes: identifies identical content cheaply.
    var contentHash: Int64 {
        let data = bson_get_data(pointer)!
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in 0..<byteCount {
            hash = (hash ^ UInt64(data[i])) &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    /// The document as JSON (relaxed Extended JSON: int64 → number, dates → `{"$date": ...}`).
    func json() -> JSON { Self.json(of: pointer) }

    /// A borrowed document as JSON.
    static func json(of pointer: OpaquePointer) -> JSON {
        var length = 0
        guard let text = bson_as_relaxed_extended_json(pointer, &length) else { return .null }
        defer { bson_free(text) }
        let bytes = UnsafeBufferPointer(
            start: UnsafeRawPointer(text).assumingMemoryBound(to: UInt8.self), count: length)
        return (try? JSON.parse(bytes)) ?? .null
    }
}

extension JSONObject {
    /// Shorthand for building query documents.
    var bson: BSONDocument { BSONDocument(self) }
}
