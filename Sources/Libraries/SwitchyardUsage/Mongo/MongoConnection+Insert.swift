import CMongoC
import SwitchyardJSON

extension MongoConnection {
    /// Inserts documents in one unordered bulk with the write concern of `durability`. A document
    /// whose `_id` exists comes back as a write error (code 11000) at its index; the others are
    /// inserted. A failure of the whole bulk throws.
    func bulkInsert(_ name: String, _ documents: [BSONDocument], durability: Durability) throws(MongoFailure)
        -> BulkResult
    {
        guard !documents.isEmpty else { return BulkResult() }
        let target = try collection(name)
        let options = writeOptions(durability, extra: ["ordered": .bool(false)])
        let bulk = withExtendedLifetime(options) {
            mongoc_collection_create_bulk_operation_with_opts(target, options.pointer)!
        }
        defer { mongoc_bulk_operation_destroy(bulk) }
        var error = bson_error_t()
        for document in documents {
            let added = withExtendedLifetime(document) {
                mongoc_bulk_operation_insert_with_opts(bulk, document.pointer, nil, &error)
            }
            guard added else { throw MongoFailure(error) }
        }
        let reply = BSONDocument()
        let ok = mongoc_bulk_operation_execute(bulk, reply.pointer, &error) != 0
        let json = reply.json()
        var result = BulkResult()
        for entry in json["writeErrors"]?.arrayValue ?? [] {
            result.writeErrors.append(
                (
                    Int(entry["index"]?.int64Value ?? -1), entry["code"]?.int64Value ?? 0,
                    entry["errmsg"]?.stringValue ?? ""
                ))
        }
        if let concern = json["writeConcernErrors"]?.arrayValue?.first {
            throw MongoFailure(
                domain: MongoFailure.writeConcernDomain, code: UInt32(clamping: concern["code"]?.int64Value ?? 64),
                message: "write concern not satisfied: \(concern["errmsg"]?.stringValue ?? "")")
        }
        if !ok && result.writeErrors.isEmpty { throw MongoFailure(error) }
        return result
    }
}
