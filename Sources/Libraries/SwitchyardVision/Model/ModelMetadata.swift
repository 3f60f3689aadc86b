import SwitchyardCore
import SwitchyardJSON

/// What the function needs to know about the model without loading it: class names and input
/// size. Read from a JSON file written by `scripts/vision-model-metadata MODEL.onnx`, whose
/// values come from the ONNX file's Ultralytics metadata (`names`, `imgsz`).
public struct ModelMetadata: Sendable, Equatable {
    public var classNames: [Int: String]
    public var inputWidth: Int
    public var inputHeight: Int

    public init(classNames: [Int: String] = [:], inputWidth: Int = 640, inputHeight: Int = 640) {
        self.classNames = classNames
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
    }

    /// Parses `{"names": {"0": "person", ...} | ["person", ...], "imgsz": [640, 640] | 640}`.
    /// - Throws: `ConfigurationError.invalidDocument` naming `source`.
    public static func parse(_ bytes: [UInt8], source: String) throws(ConfigurationError) -> ModelMetadata {
        let document: JSON
        do { document = try JSON.parse(bytes) } catch {
            throw .invalidDocument(source: source, detail: "not JSON: \(error)")
        }
        guard let object = document.objectValue else {
            throw .invalidDocument(source: source, detail: "expected an object")
        }
        var metadata = ModelMetadata()
        switch object["names"] {
        case .object(let names)?:
            for (key, value) in names.members {
                guard let id = Int(key), let name = value.stringValue else {
                    throw .invalidDocument(source: source, detail: "names must map class ids to strings")
                }
                metadata.classNames[id] = name
            }
        case .array(let names)?:
            for (id, value) in names.enumerated() {
                guard let name = value.stringValue else {
                    throw .invalidDocument(source: source, detail: "names[\(id)] is not a string")
                }
                metadata.classNames[id] = name
            }
        case nil, .null?: break
        default: throw .invalidDocument(source: source, detail: "names must be an object or an array")
        }
        switch object["imgsz"] {
        case .integer(let size)?:
            metadata.inputWidth = Int(size)
            metadata.inputHeight = Int(size)
        case .array(let sizes)? where sizes.count == 2:
            guard let h = sizes[0].int64Value, let w = sizes[1].int64Value else {
                throw .invalidDocument(source: source, detail: "imgsz must be [height, width]")
            }
            metadata.inputHeight = Int(h)
            metadata.inputWidth = Int(w)
        case nil, .null?: break
        default: throw .invalidDocument(source: source, detail: "imgsz must be an integer or [height, width]")
        }
        guard (32...4096).contains(metadata.inputWidth), (32...4096).contains(metadata.inputHeight) else {
            throw .invalidDocument(
                source: source, detail: "imgsz \(metadata.inputHeight)x\(metadata.inputWidth) is out of range")
        }
        return metadata
    }
}
