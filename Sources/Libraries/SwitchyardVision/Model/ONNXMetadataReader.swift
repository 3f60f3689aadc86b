import SwitchyardCore

/// Reads class names and input size straight from a YOLOv8 `.onnx` file: the Ultralytics
/// `metadata_props` (`names` as a Python dict literal, `imgsz` as a list) and, failing `imgsz`,
/// the first graph input's shape. A minimal protobuf walk over the fields it needs; weights and
/// nodes are skipped by length, never decoded.
public enum ONNXMetadataReader {
    // ModelProto / GraphProto / ValueInfoProto / TypeProto / TensorShapeProto field numbers (onnx.proto3).
    private enum Field {
        static let modelGraph = 7, modelMetadataProps = 14
        static let entryKey = 1, entryValue = 2
        static let graphInput = 11
        static let valueInfoType = 2, typeTensorType = 1, tensorShape = 2, shapeDim = 1, dimValue = 1
    }

    public static func read(_ bytes: [UInt8], source: String) throws(ConfigurationError) -> ModelMetadata {
        var props: [String: String] = [:]
        var inputShape: [Int] = []
        do {
            try bytes.withUnsafeBufferPointer { buffer throws(ProtobufError) in
                var model = ProtobufReader(buffer)
                while let (field, value) = try model.next() {
                    if field == Field.modelMetadataProps, case .bytes(let entry) = value {
                        var reader = ProtobufReader(entry)
                        var key = "", text = ""
                        while let (f, v) = try reader.next() {
                            if case .bytes(let b) = v, f == Field.entryKey { key = String(decoding: b, as: UTF8.self) }
                            if case .bytes(let b) = v, f == Field.entryValue {
                                text = String(decoding: b, as: UTF8.self)
                            }
                        }
                        props[key] = text
                    } else if field == Field.modelGraph, case .bytes(let graph) = value, inputShape.isEmpty {
                        inputShape = try firstInputShape(graph)
                    }
                }
            }
        } catch {
            throw .invalidDocument(source: source, detail: "not a readable ONNX model (\(error))")
        }
        var metadata = ModelMetadata()
        if let names = props["names"] {
            guard let parsed = parseNames(names) else {
                throw .invalidDocument(source: source, detail: "metadata names is not a {id: 'name'} dict")
            }
            metadata.classNames = parsed
        }
        if let imgsz = props["imgsz"].map(parseInts), imgsz.count == 2 {
            metadata.inputHeight = imgsz[0]
            metadata.inputWidth = imgsz[1]
        } else if inputShape.count == 4, inputShape[2] > 0, inputShape[3] > 0 {
            metadata.inputHeight = inputShape[2]
            metadata.inputWidth = inputShape[3]
        }
        return metadata
    }

    /// Dims of `graph.input[0].type.tensor_type.shape` (0 for symbolic dims).
    private static func firstInputShape(_ graph: UnsafeBufferPointer<UInt8>) throws(ProtobufError) -> [Int] {
        var reader = ProtobufReader(graph)
        while let (field, value) = try reader.next() {
            guard field == Field.graphInput, case .bytes(let valueInfo) = value else { continue }
            guard let type = try submessage(valueInfo, Field.valueInfoType),
                let tensor = try submessage(type, Field.typeTensorType),
                let shape = try submessage(tensor, Field.tensorShape)
            else { return [] }
            var dims: [Int] = []
            var shapeReader = ProtobufReader(shape)
            while let (f, v) = try shapeReader.next() {
                guard f == Field.shapeDim, case .bytes(let dim) = v else { continue }
                var dimReader = ProtobufReader(dim)
                var size = 0
                while let (df, dv) = try dimReader.next() {
                    if df == Field.dimValue, case .varint(let n) = dv { size = Int(truncatingIfNeeded: n) }
                }
                dims.append(size)
            }
            return dims
        }
        return []
    }

    private static func submessage(_ buffer: UnsafeBufferPointer<UInt8>, _ wanted: Int) throws(ProtobufError)
        -> UnsafeBufferPointer<UInt8>?
    {
        var reader = ProtobufReader(buffer)
        while let (field, value) = try reader.next() {
            if field == wanted, case .bytes(let b) = value { return b }
        }
        return nil
    }

    /// `{0: 'person', 1: "traffic light"}` → ids to names; nil when malformed.
    static func parseNames(_ text: String) -> [Int: String]? {
        var chars = Array(text.unicodeScalars)[...]
        func skipSpaces() { while let c = chars.first, c == " " || c == "\n" || c == "\t" { chars.removeFirst() } }
        skipSpaces()
        guard chars.popFirst() == "{" else { return nil }
        var names: [Int: String] = [:]
        while true {
            skipSpaces()
            if chars.first == "}" { return names }
            var digits = ""
            while let c = chars.first, ("0"..."9").contains(c) || (digits.isEmpty && c == "-") {
                digits.unicodeScalars.append(c)
                chars.removeFirst()
            }
            guard let id = Int(digits) else { return nil }
            skipSpaces()
            guard chars.popFirst() == ":" else { return nil }
            skipSpaces()
            guard let quote = chars.popFirst(), quote == "'" || quote == "\"" else { return nil }
            var name = String.UnicodeScalarView()
            while let c = chars.popFirst(), c != quote {
                if c == "\\" {
                    guard let escaped = chars.popFirst() else { return nil }
                    name.append(escaped)
                } else {
                    name.append(c)
                }
            }
            names[id] = String(name)
            skipSpaces()
            switch chars.popFirst() {
            case ",": continue
            case "}": return names
            default: return nil
            }
        }
    }

    /// `[640, 640]` or `640` → integers.
    static func parseInts(_ text: String) -> [Int] {
        let values = text.split(whereSeparator: { !("0"..."9").contains($0) }).compactMap { Int($0) }
        return values.count == 1 ? [values[0], values[0]] : values
    }
}
