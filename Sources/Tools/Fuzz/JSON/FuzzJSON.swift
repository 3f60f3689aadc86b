// libFuzzer target: the JSON parser (scripts/fuzz json). Any input either parses or fails with a
// JSONParseError; what parses must serialize and parse back to the same value, and the typed
// contract decoders must not crash on it. A crash, an ASan report or a broken invariant is a find.
import SwitchyardContract
import SwitchyardJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // Small limits reach every limit check within the fuzzer's input sizes.
    let limits = JSONLimits(maxDocumentBytes: 1 << 20, maxDepth: 32, maxObjectMembers: 64, maxStringBytes: 4096)
    guard let value = try? JSON.parse(bytes, limits: limits) else { return 0 }
    let text = value.serialized()
    guard let again = try? JSON.parse(text, limits: JSONLimits(maxDepth: 64)), sameValue(again, value) else {
        fatalError("round trip changed the value: \(String(decoding: text.prefix(200), as: UTF8.self))")
    }
    // The events every function decodes first: no input may crash a decoder.
    _ = try? JSON.decode(InferenceRequest.self, from: value)
    _ = try? JSON.decode(UsageRecord.self, from: value)
    _ = try? JSON.decode(UsageBatch.self, from: value)
    _ = try? JSON.decode(LLMStepInput.self, from: value)
    _ = try? JSON.decode(VisionStepInput.self, from: value)
    return 0
}

/// Equal as JSON values: numbers by value (the serializer writes an integral double such as 1e5
/// as `100000`, which parses back as an integer), objects regardless of member order.
func sameValue(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.integer(let x), .double(let y)), (.double(let y), .integer(let x)): return Double(x) == y
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameValue)
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.members.allSatisfy { m in y[m.key].map { sameValue(m.value, $0) } ?? false }
    default: return a == b
    }
}
