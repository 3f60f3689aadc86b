/// Protobuf wire-format errors (the file is truncated or not protobuf).
enum ProtobufError: Error, CustomStringConvertible {
    case truncated(offset: Int)
    case unsupportedWireType(Int, offset: Int)

    var description: String {
        switch self {
        case .truncated(let offset): "truncated at byte \(offset)"
        case .unsupportedWireType(let type, let offset): "wire type \(type) at byte \(offset)"
        }
    }
}

/// Iterates the fields of one protobuf message in a buffer.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case bytes(UnsafeBufferPointer<UInt8>)
        case fixed
    }

    let buffer: UnsafeBufferPointer<UInt8>
    var offset = 0

    init(_ buffer: UnsafeBufferPointer<UInt8>) { self.buffer = buffer }

    mutating func next() throws(ProtobufError) -> (field: Int, value: Value)? {
        guard offset < buffer.count else { return nil }
        let key = try varint()
        let field = Int(key >> 3)
        switch key & 7 {
        case 0: return (field, .varint(try varint()))
        case 1:
            try skip(8)
            return (field, .fixed)
        case 5:
            try skip(4)
            return (field, .fixed)
        case 2:
            let length = try varint()
            guard length <= UInt64(buffer.count - offset) else { throw .truncated(offset: offset) }
            let start = offset
            offset += Int(length)
            return (field, .bytes(UnsafeBufferPointer(rebasing: buffer[start..<offset])))
        default: throw .unsupportedWireType(Int(key & 7), offset: offset)
        }
    }

    private mutating func skip(_ count: Int) throws(ProtobufError) {
        guard buffer.count - offset >= count else { throw .truncated(offset: offset) }
        offset += count
    }

    private mutating func varint() throws(ProtobufError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        while offset < buffer.count, shift < 64 {
            let byte = buffer[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 { return result }
            shift += 7
        }
        throw .truncated(offset: offset)
    }
}
