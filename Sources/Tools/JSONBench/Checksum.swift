import Foundation
import SwitchyardJSON

/// What a parse must have seen, summed over a document: every value, the string values, object
/// members, array elements and the UTF-8 bytes of keys and strings. The simdjson side
/// (Benchmarks/JSONSimdjson/bench.cpp) computes the same figures, so agreeing checksums show that
/// each parser read the whole document the same way.
struct Checksum: Equatable, CustomStringConvertible {
    var values = 0
    var strings = 0
    var members = 0
    var elements = 0
    var stringBytes = 0

    mutating func add(_ other: Checksum) {
        values += other.values
        strings += other.strings
        members += other.members
        elements += other.elements
        stringBytes += other.stringBytes
    }

    var description: String { "[\(values),\(strings),\(members),\(elements),\(stringBytes)]" }

    /// Visits a SwitchyardJSON value.
    mutating func visit(_ value: JSON) {
        values += 1
        switch value {
        case .array(let array):
            elements += array.count
            for element in array { visit(element) }
        case .object(let object):
            members += object.count
            for member in object.members {
                stringBytes += member.key.utf8.count
                visit(member.value)
            }
        case .string(let string):
            strings += 1
            stringBytes += string.utf8.count
        case .null, .bool, .integer, .double:
            break
        }
    }

    /// Visits what `JSONSerialization` returns.
    mutating func visit(foundation value: Any) {
        values += 1
        if let array = value as? [Any] {
            elements += array.count
            for element in array { visit(foundation: element) }
        } else if let object = value as? [String: Any] {
            members += object.count
            for (key, member) in object {
                stringBytes += key.utf8.count
                visit(foundation: member)
            }
        } else if let string = value as? String {
            strings += 1
            stringBytes += string.utf8.count
        }
    }
}
