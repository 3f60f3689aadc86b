import SwitchyardContract
import SwitchyardJSON

extension UsageRecord {
    /// The raw document's `_id`: request id, step, invocation and attempt joined by U+001F, which
    /// validation refuses in every one of them (`Identifier.isValid`), so two keys never collide.
    /// Use `storageKey(index:)`, which checks that, before storing.
    public var documentID: String { "\(requestID)\u{1F}\(step)\u{1F}\(invocationID)\u{1F}\(attempt)" }

    /// `documentID`, after checking every part of it and of the record's rollup bucket id
    /// (tenant, model) is free of control characters, so no two records share a key and no
    /// record's usage can be counted in another tenant's bucket: `("a\u{1F}b", "c")` and
    /// `("a", "b\u{1F}c")` would join to the same text, and are refused instead.
    /// - Throws: `Usage.InvalidRecord` naming the part.
    public func storageKey(index: Int) throws(UsageError) -> String {
        for (name, value, limit) in [
            ("requestId", requestID, Limits.keyBytes), ("step", step, Limits.labelBytes),
            ("invocationId", invocationID, Limits.keyBytes), ("tenant", tenant, Limits.labelBytes),
        ] where !Identifier.isValid(value, maxBytes: limit) {
            throw .invalidRecord(index: index, detail: "\(name) must be 1...\(limit) bytes without control characters")
        }
        if let model, !Identifier.isValid(model.rawValue, maxBytes: Limits.labelBytes) {
            throw .invalidRecord(index: index, detail: "model must be 1...128 bytes without control characters")
        }
        guard (0...1000).contains(attempt) else {
            throw .invalidRecord(index: index, detail: "attempt must be within 0...1000")
        }
        return documentID
    }

    /// The fields of the raw usage document (everything but the store's own bookkeeping).
    func documentFields() throws(UsageError) -> BSONDocument {
        let json: JSON
        do { json = try JSON.encodeToJSON(self) } catch { throw .invalidRecord(index: -1, detail: "\(error)") }
        guard case .object(let object) = json else {
            throw .invalidRecord(index: -1, detail: "record did not encode to an object")
        }
        let fields = BSONDocument(object)
        fields.appendDate("at", epochMilliseconds: timestamp)
        return fields
    }
}

extension RollupContribution {
    /// As stored on the raw document (`pending` / `applied`).
    var document: JSON {
        .object([
            "m": .integer(minute), "t": .string(tenant), "s": .string(step), "md": .string(model),
            "be": .string(backend), "ti": .string(tier), "e": .string(errorType), "l": .integer(Int64(latencyIndex)),
            "v": .array(values.map(JSON.integer)),
        ])
    }

    init?(document: JSON?) {
        guard let document, let minute = document["m"]?.int64Value, let tenant = document["t"]?.stringValue,
            let step = document["s"]?.stringValue, let model = document["md"]?.stringValue,
            let backend = document["be"]?.stringValue, let values = document["v"]?.arrayValue?.compactMap(\.int64Value),
            values.count == Self.fields.count
        else { return nil }
        // Contributions stored before tier, errorType and the log-linear index were kept read as
        // "-" and the index of their latency (`latencySumMs` of one record).
        self.init(
            minute: minute, tenant: tenant, step: step, model: model, backend: backend, values: values,
            tier: document["ti"]?.stringValue ?? "-", errorType: document["e"]?.stringValue ?? "-",
            latencyIndex: document["l"]?.int64Value.map { Int(clamping: $0) })
    }
}
