import SwitchyardContract
import SwitchyardJSON
import SwitchyardUsage

/// The usage-logger's input: `{"records": [UsageRecord, ...]}` (the batch path) or one
/// `UsageRecord` object (a state's `ResultSelector` output). Kept as JSON and decoded record by
/// record, so a malformed record is reported with its index as `Usage.InvalidRecord`.
public struct UsageLoggerEvent: Decodable, Sendable {
    public var json: JSON

    public init(json: JSON) { self.json = json }
    public init(from decoder: any Decoder) throws { json = try JSON(from: decoder) }

    /// The records, decoded.
    /// - Throws: `Usage.InvalidRecord` (shape), `Usage.MissingTokens` (tokens without input/output).
    public func records(limit: Int) throws(UsageError) -> [UsageRecord] {
        let items: [JSON]
        if let batch = json["records"] {
            guard let array = batch.arrayValue else {
                throw .invalidRecord(index: -1, detail: "records must be an array")
            }
            items = array
        } else if json.objectValue != nil {
            items = [json]
        } else {
            throw .invalidRecord(index: -1, detail: "event must be a usage record or {\"records\": [...]}")
        }
        guard !items.isEmpty else { throw .invalidRecord(index: -1, detail: "records is empty") }
        guard items.count <= limit else {
            throw .invalidRecord(index: -1, detail: "\(items.count) records exceed the limit of \(limit)")
        }
        var records: [UsageRecord] = []
        records.reserveCapacity(items.count)
        for (index, item) in items.enumerated() {
            do {
                records.append(try JSON.decode(UsageRecord.self, from: item))
            } catch let missing as UsageRecord.MissingTokenCount {
                throw .missingTokens(
                    index: index, requestID: item["requestId"]?.stringValue ?? "?",
                    step: item["step"]?.stringValue ?? "?",
                    field: missing.field)
            } catch {
                throw .invalidRecord(index: index, detail: describeDecodingError(error))
            }
        }
        return records
    }
}
