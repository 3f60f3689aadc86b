import SwitchyardCore

/// NumPy's `.npy` format (version 1.0/2.0, little-endian float32 or float64, C order): the
/// self-describing tensor encoding SageMaker's own containers accept as `application/x-npy`,
/// so a raw-tensor endpoint learns the input shape and we learn the output shape.
public enum NPYFormat {
    public static let contentType = "application/x-npy"

    /// Encodes `tensor` as a version 1.0 `.npy` file of `<f4`.
    public static func encode(_ tensor: Tensor) -> [UInt8] {
        var out = header(descr: "<f4", shape: tensor.shape, payloadBytes: tensor.values.count * 4)
        tensor.values.withUnsafeBytes { out.append(contentsOf: $0) }  // little-endian hosts only (x86-64, arm64)
        return out
    }

    /// Encodes `bytes` as a version 1.0 `.npy` file of `|u1` (uint8) with `shape`: the letterboxed
    /// image as endpoints are sent it (1.2 MB for 640x640x3, a quarter of the float tensor).
    public static func encode(uint8 bytes: [UInt8], shape: [Int]) -> [UInt8] {
        precondition(shape.reduce(1, *) == bytes.count, "NPYFormat: \(bytes.count) bytes for shape \(shape)")
        var out = header(descr: "|u1", shape: shape, payloadBytes: bytes.count)
        out.append(contentsOf: bytes)
        return out
    }

    /// Magic, version 1.0, header length and the header dictionary, padded to 64 bytes.
    private static func header(descr: String, shape: [Int], payloadBytes: Int) -> [UInt8] {
        let dims = shape.map(String.init).joinedText(separator: ", ")
        let shapeText = shape.count == 1 ? "(\(dims),)" : "(\(dims))"
        var header = Array("{'descr': '\(descr)', 'fortran_order': False, 'shape': \(shapeText), }".utf8)
        // Magic (6) + version (2) + length (2) + header, padded with spaces and ending in \n to 64 bytes.
        let total = (10 + header.count + 1 + 63) / 64 * 64
        header.append(contentsOf: repeatElement(UInt8(ascii: " "), count: total - 10 - header.count - 1))
        header.append(UInt8(ascii: "\n"))
        var out: [UInt8] = [0x93] + Array("NUMPY".utf8) + [1, 0, UInt8(header.count & 0xFF), UInt8(header.count >> 8)]
        out.reserveCapacity(total + payloadBytes)
        out.append(contentsOf: header)
        return out
    }

    /// Decodes a `.npy` file holding float32, float64 or uint8 values in C order (as floats).
    /// - Throws: `Vision.BadModelOutput` for anything else.
    public static func decode(_ bytes: [UInt8]) throws(VisionError) -> Tensor {
        guard bytes.count >= 10, bytes[0] == 0x93, Array(bytes[1..<6]) == Array("NUMPY".utf8) else {
            throw .badModelOutput("not an .npy document")
        }
        let major = bytes[6]
        let headerLength: Int
        let headerStart: Int
        switch major {
        case 1:
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8
            headerStart = 10
        case 2, 3:
            guard bytes.count >= 12 else { throw .badModelOutput("truncated .npy header") }
            headerLength = Int(bytes[8]) | Int(bytes[9]) << 8 | Int(bytes[10]) << 16 | Int(bytes[11]) << 24
            headerStart = 12
        default:
            throw .badModelOutput(".npy version \(major) is not supported")
        }
        guard headerStart + headerLength <= bytes.count else { throw .badModelOutput("truncated .npy header") }
        let header = String(decoding: bytes[headerStart..<(headerStart + headerLength)], as: UTF8.self)
        guard let descr = quotedValue(of: "descr", in: header) else { throw .badModelOutput(".npy header lacks descr") }
        guard !header.contains(text: "'fortran_order': True") else {
            throw .badModelOutput("Fortran-order .npy is not supported")
        }
        guard let shape = shapeValue(in: header) else { throw .badModelOutput(".npy header lacks a shape") }
        let count = shape.reduce(1, *)
        let dataStart = headerStart + headerLength
        let available = bytes.count - dataStart
        switch descr {
        case "<f4":
            guard available == count * 4 else {
                throw .badModelOutput(".npy holds \(available) bytes, shape \(shape) needs \(count * 4)")
            }
            let values = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[dataStart...]))
                }
                initialized = count
            }
            return Tensor(shape: shape, values: values)
        case "<f8":
            guard available == count * 8 else {
                throw .badModelOutput(".npy holds \(available) bytes, shape \(shape) needs \(count * 8)")
            }
            let doubles = [Double](unsafeUninitializedCapacity: count) { buffer, initialized in
                bytes.withUnsafeBytes { raw in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(
                        from: UnsafeRawBufferPointer(rebasing: raw[dataStart...]))
                }
                initialized = count
            }
            return Tensor(shape: shape, values: doubles.map { Float($0) })
        case "|u1", "<u1":
            guard available == count else {
                throw .badModelOutput(".npy holds \(available) bytes, shape \(shape) needs \(count)")
            }
            return Tensor(shape: shape, values: bytes[dataStart...].map { Float($0) })
        default:
            throw .badModelOutput(".npy dtype \(descr) is not float32, float64 or uint8")
        }
    }

    private static func quotedValue(of key: String, in header: String) -> String? {
        guard let keyRange = header.firstRange(ofText: "'\(key)':") else { return nil }
        let rest = header[keyRange.upperBound...].drop { $0 == " " }
        guard let quote = rest.first, quote == "'" || quote == "\"" else { return nil }
        let body = rest.dropFirst()
        guard let end = body.firstIndex(of: quote) else { return nil }
        return String(body[..<end])
    }

    private static func shapeValue(in header: String) -> [Int]? {
        guard let keyRange = header.firstRange(ofText: "'shape':") else { return nil }
        let rest = header[keyRange.upperBound...]
        guard let open = rest.firstIndex(of: "("), let close = rest.firstIndex(of: ")"), open < close else {
            return nil
        }
        let dims = rest[rest.index(after: open)..<close].split(separator: ",").map { $0.trimmingSpaces }
        var shape: [Int] = []
        for dim in dims where !dim.isEmpty {
            guard let value = Int(dim), value >= 0, value < 1 << 31 else { return nil }
            shape.append(value)
        }
        guard shape.reduce(1, { $0.multipliedReportingOverflow(by: $1).overflow ? Int.max : $0 * $1 }) < 1 << 31 else {
            return nil
        }
        return shape
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        String(drop { $0 == " " }.reversed().drop { $0 == " " }.reversed())
    }
}
