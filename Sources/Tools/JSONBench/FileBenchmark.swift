import Foundation
import SwitchyardContract
import SwitchyardJSON

/// Benchmark documents go up to 10 MB and 100k keys: lift the limits that would refuse them.
let wideLimits = JSONLimits(maxDocumentBytes: 1 << 30, maxObjectMembers: 1 << 24)

/// Runs every measurement of one file and prints its lines; returns the number of failures.
/// With `rejectManyKeys`, only times how fast the default limits refuse the document (it must
/// fail with `.tooManyMembers`).
func benchmark(_ path: String, budget: Double, rejectManyKeys: Bool) -> Int {
    var failures = 0
    let raw = Array(FileManager.default.contents(atPath: path) ?? Data())
    let ndjson = path.hasSuffix(".ndjson")
    let documents: [[UInt8]] = ndjson ? raw.split(separator: UInt8(ascii: "\n")).map(Array.init) : [raw]
    let datas = documents.map { Data($0) }
    let bytes = raw.count - (ndjson ? documents.count : 0)
    func line(_ impl: String, _ result: (seconds: Double, samples: Int)?, _ checksum: Checksum?) {
        if result == nil || raw.isEmpty { failures += 1 }
        report(
            impl: impl, file: path, bytes: bytes, documents: documents.count, result: raw.isEmpty ? nil : result,
            checksum: checksum)
    }

    if rejectManyKeys {
        let result = measure(budget: budget) {
            do {
                _ = try JSON.parse(raw)
                return false
            } catch let error as JSONParseError {
                if case .tooManyMembers = error.reason { return true }
                return false
            } catch {
                return false
            }
        }
        line("switchyard-default-limits-reject", result, nil)
        return failures
    }

    func ours() -> Checksum? {
        var total = Checksum()
        for document in documents {
            guard let value = try? JSON.parse(document, limits: wideLimits) else { return nil }
            total.visit(value)
        }
        return total
    }
    func foundation() -> Checksum? {
        var total = Checksum()
        for data in datas {
            guard let value = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
                return nil
            }
            total.visit(foundation: value)
        }
        return total
    }
    let expected = ours()
    line("switchyard", measure(budget: budget) { expected != nil && ours() == expected }, expected)
    let expectedFoundation = foundation()
    line(
        "foundation-jsonserialization",
        measure(budget: budget) { expectedFoundation != nil && foundation() == expectedFoundation },
        expectedFoundation)

    // Typed decodes: both sides must produce the value Foundation's decoder produced once.
    func typed<T: Codable & Equatable>(_ type: T.Type) {
        let reference = try? JSONDecoder().decode(T.self, from: datas[0])
        line(
            "switchyard-decode",
            measure(budget: budget) { reference != nil && (try? JSON.decode(T.self, from: raw)) == reference }, nil)
        line(
            "foundation-jsondecoder",
            measure(budget: budget) {
                reference != nil && (try? JSONDecoder().decode(T.self, from: datas[0])) == reference
            }, nil)
    }
    switch TypedDocument(fileName: path) {
    case .inferenceRequest: typed(InferenceRequest.self)
    case .chatCompletion: typed(ChatCompletion.self)
    case nil: break
    }
    return failures
}
