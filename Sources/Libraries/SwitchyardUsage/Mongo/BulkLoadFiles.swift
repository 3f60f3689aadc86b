import CMongoC
import SwitchyardJSON

/// The bulk loader's documents as files, for a store filled offline: `<collection>.bson` holds the
/// documents to insert into that collection (concatenated BSON, as `mongodump` writes them),
/// `<collection>.upserts.bson` the `{q, u}` upserts to apply (the ledger's month spend) and
/// `indexes.json` every collection's secondary indexes as `createIndexes` takes them.
/// `scripts/lib/secantus_load.py` puts them into a SecantusDB storage directory in-process.
final class BulkLoadFiles {
    let directory: String
    private var files: [String: JournalFile] = [:]

    /// - Throws: `Usage.QueueUnavailable` when the directory holds files from an earlier load or
    ///   cannot be written.
    init(directory: String, indexes: [(collection: String, indexes: [JSON])]) throws(UsageError) {
        self.directory = directory
        let specification = JSON.array(
            indexes.map { .object(["collection": .string($0.collection), "indexes": .array($0.indexes)]) })
        let path = directory + "/indexes.json"
        let file = try JournalFile(path: path)
        guard file.size == 0 else { throw .queueUnavailable(detail: "\(path) exists: dump into an empty directory") }
        try file.append(specification.serialized())
    }

    /// Appends documents to insert into `collection`.
    func insert(_ collection: String, _ documents: [BSONDocument]) throws(UsageError) {
        try append(collection + ".bson", documents)
    }

    /// Appends upserts (`filter`, `update`) to apply to `collection`.
    func upsert(_ collection: String, _ operations: [MongoConnection.UpdateOne]) throws(UsageError) {
        let documents = operations.map { operation -> BSONDocument in
            let document = BSONDocument()
            document.appendDocument("q", operation.filter)
            document.appendDocument("u", operation.update)
            return document
        }
        try append(collection + ".upserts.bson", documents)
    }

    /// Makes every file durable.
    func sync() throws(UsageError) {
        for file in files.values { try file.sync() }
    }

    private func append(_ name: String, _ documents: [BSONDocument]) throws(UsageError) {
        guard !documents.isEmpty else { return }
        let file: JournalFile
        if let open = files[name] {
            file = open
        } else {
            file = try JournalFile(path: directory + "/" + name)
            guard file.size == 0 else {
                throw .queueUnavailable(detail: "\(file.path) exists: dump into an empty directory")
            }
            files[name] = file
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(documents.reduce(0) { $0 + $1.byteCount })
        for document in documents {
            withExtendedLifetime(document) {
                bytes.append(
                    contentsOf: UnsafeBufferPointer(start: bson_get_data(document.pointer), count: document.byteCount))
            }
        }
        try file.append(bytes)
    }
}
