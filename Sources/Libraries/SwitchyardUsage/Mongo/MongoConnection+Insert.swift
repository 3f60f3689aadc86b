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
        return try execute(bulk, &error)
    }
}
