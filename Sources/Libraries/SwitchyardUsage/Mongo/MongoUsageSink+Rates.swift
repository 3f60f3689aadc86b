import SwitchyardCore
import SwitchyardJSON

extension MongoUsageSink {
    /// Stores the rates document in the `rates` collection under `_id` = its version, so that
    /// every record's `cost.rateVersion` can be traced to the exact prices used. Idempotent.
    public func publishRates(_ document: JSON, deadline: ContinuousClock.Instant? = nil) async throws(UsageError) {
        guard case .object(var fields) = document, let version = fields["version"]?.stringValue else {
            throw .invalidRecord(index: -1, detail: "rates document has no version")
        }
        fields["_id"] = nil
        try await withStore(deadline: deadline) { session throws(MongoFailure) in
            let result = try session.connection.bulkUpdate(
                UsageCollections.rates,
                [
                    MongoConnection.UpdateOne(
                        filter: ["_id": .string(version)], update: ["$set": .object(fields)], upsert: true)
                ], durability: .billing)
            if let failure = result.writeErrors.first {
                throw MongoFailure(
                    domain: 0, code: UInt32(clamping: failure.code), message: "rates: \(failure.message)")
            }
        }
    }
}
