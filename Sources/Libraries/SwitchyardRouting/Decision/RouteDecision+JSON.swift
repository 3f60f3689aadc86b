import SwitchyardContract
import SwitchyardJSON

/// The decision's JSON with its candidate report written directly.
///
/// The report (one entry per catalog model, most of the document) costs the generic encoder
/// about ten times what building the same members by hand costs, and more than the decision
/// itself. Everything else goes through the contract's `Codable` conformance, so the output is
/// byte-identical to `JSON.encode(decision)` (a test holds them equal).
extension RouteDecision {
    /// - Throws: what `JSON.encode` throws (a non-finite number).
    public func encodedJSON() throws -> [UInt8] {
        var head = self
        head.candidates = []
        var report: [JSON] = []
        report.reserveCapacity(candidates.count)
        for candidate in candidates { report.append(try candidate.jsonValue) }
        return try JSON.encode(head, replacingMember: "candidates", with: .array(report))
    }
}

extension CandidateReport {
    /// Members in declaration order, optionals omitted when nil: what the synthesized `Encodable` writes.
    var jsonValue: JSON {
        get throws {
            var m: [(key: String, value: JSON)] = []
            m.reserveCapacity(9)
            m.append(("model", .string(model.rawValue)))
            m.append(("provider", .string(provider.rawValue)))
            m.append(("role", .string(role.rawValue)))
            if let quality { m.append(("quality", try Self.number(quality, "quality"))) }
            m.append(("estimatedCostPicoUSD", .integer(estimatedCostPicoUSD.rawValue)))
            m.append(("estimatedLatencyMs", .integer(Int64(estimatedLatencyMs))))
            if let score { m.append(("score", try Self.number(score, "score"))) }
            if let selected { m.append(("selected", .string(selected))) }
            if let rejected { m.append(("rejected", .string(rejected))) }
            return .object(JSONObject(m))
        }
    }

    private struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    private static func number(_ value: Double, _ field: String) throws -> JSON {
        guard value.isFinite else {
            throw EncodingError.invalidValue(
                value,
                .init(codingPath: [Key(stringValue: field)], debugDescription: "\(value) cannot be represented in JSON")
            )
        }
        return .double(value)
    }
}
