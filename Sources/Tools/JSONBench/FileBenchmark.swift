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
        // Typed encodes of that value: each side's bytes must equal what it wrote once before timing,
        // and those two documents must be the same JSON (numbers by value, members in any order).
        // Foundation's with sorted keys: unsorted, its member order changes from call to call.
        let sorted = JSONEncoder()
        sorted.outputFormatting = .sortedKeys
        guard let reference, let oursOnce = try? JSON.encode(reference),
            let theirsOnce = try? sorted.encode(reference),
            let a = try? JSON.parse(oursOnce, limits: wideLimits),
            let b = try? JSON.parse(Array(theirsOnce), limits: wideLimits), sameDocument(a, b)
        else {
            line("switchyard-encode", nil, nil)
            line("foundation-jsonencoder", nil, nil)
            return
        }
        line("switchyard-encode", measure(budget: budget) { (try? JSON.encode(reference)) == oursOnce }, nil)
        line(
            "foundation-jsonencoder",
            measure(budget: budget) {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .sortedKeys
                return (try? encoder.encode(reference)) == theirsOnce
            }, nil)
    }
    switch TypedDocument(fileName: path) {
    case .inferenceRequest: typed(InferenceRequest.self)
    case .chatCompletion: typed(ChatCompletion.self)
    case nil: break
    }
    return failures
}

/// Two encoders' documents of one value: numbers compared by value, members in any order.
func sameDocument(_ a: JSON, _ b: JSON) -> Bool {
    switch (a, b) {
    case (.array(let x), .array(let y)): return x.count == y.count && zip(x, y).allSatisfy(sameDocument)
    case (.object(let x), .object(let y)):
        return x.count == y.count && x.members.allSatisfy { m in y[m.key].map { sameDocument(m.value, $0) } ?? false }
    default:
        if let x = a.doubleValue, let y = b.doubleValue { return x == y }
        return a == b
    }
}
