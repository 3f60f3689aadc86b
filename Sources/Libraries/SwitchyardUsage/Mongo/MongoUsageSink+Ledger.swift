import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

// MARK: - The budget ledger in MongoDB
//
// `usage_budget_ledger` holds one document per tenant and month:
//   {_id: "<tenant>\u{1F}<month start ms>", tenant, month, spent, reserved, committed,
//    open: {"r<hex request id>": {c: ceiling, at: ms}}, b: [rollup batch ids]}
// `committed` = `spent` + `reserved`, kept as its own field so admission is one condition on one
// document: `{_id, committed: {$lt: budget}, open.<r>: {$exists: false}}` with `$inc` of the
// ceiling, which MongoDB applies atomically. Spend arrives from rollup batches (step 2 in
// `MongoUsageSink+Rollups.swift`), guarded by `b` like a bucket. A reservation is closed by an
// update whose filter names the exact open entry, so closing twice changes nothing.

extension MongoUsageSink: BudgetLedger {
    public func reserve(
        tenant: String, requestID: String, ceiling: PicoUSD, budget: PicoUSD, deadline: ContinuousClock.Instant
    ) async throws(UsageError) -> Reservation {
        guard Identifier.isValid(tenant, maxBytes: UsageRecord.Limits.labelBytes),
            Identifier.isValid(requestID, maxBytes: UsageRecord.Limits.keyBytes)
        else {
            throw .invalidRecord(index: -1, detail: "tenant and requestId must be short and free of control characters")
        }
        guard ceiling.rawValue >= 0 else { throw .invalidRecord(index: -1, detail: "a ceiling cannot be negative") }
        let now = WallClock.nowMilliseconds()
        let month = UTCCalendar.startOfMonth(epochMilliseconds: now)
        let id = Self.ledgerID(tenant: tenant, month: month)
        let field = "open." + Self.reservationKey(requestID)
        return try await withStore(deadline: deadline) { session throws(MongoFailure) in
            let connection = session.connection
            func committed() throws(MongoFailure) -> (PicoUSD, Bool) {
                let document = try connection.find(
                    UsageCollections.ledger, filter: ["_id": .string(id)],
                    options: ["projection": .object(["committed": .integer(1), field: .integer(1)])]
                ).first
                let open = document.flatMap { Self.value(at: field, in: $0) } != nil
                return (PicoUSD(document?["committed"]?.int64Value ?? 0), open)
            }
            // A budget of zero admits nothing; the filter below would let an insert through.
            if budget.rawValue <= 0 {
                let (now, open) = try committed()
                return open ? .alreadyReserved(committed: now) : .overBudget(committed: now)
            }
            let reserve = MongoConnection.UpdateOne(
                filter: [
                    "_id": .string(id), "committed": .object(["$lt": .integer(budget.rawValue)]),
                    field: .object(["$exists": .bool(false)]),
                ],
                update: [
                    "$set": .object([field: .object(["c": .integer(ceiling.rawValue), "at": .integer(now)])]),
                    "$inc": .object(["reserved": .integer(ceiling.rawValue), "committed": .integer(ceiling.rawValue)]),
                    "$setOnInsert": .object([
                        "tenant": .string(tenant), "month": .integer(month), "spent": .integer(0),
                    ]),
                ], upsert: true)
            for _ in 0..<4 {
                let result = try connection.bulkUpdate(UsageCollections.ledger, [reserve], durability: .billing)
                if let failure = result.writeErrors.first, failure.code != 11000 {
                    throw MongoFailure(
                        domain: 0, code: UInt32(clamping: failure.code), message: "reserve: \(failure.message)")
                }
                let (after, open) = try committed()
                if result.writeErrors.isEmpty && (result.modified == 1 || !result.upsertedIndices.isEmpty) {
                    return .admitted(committed: after)
                }
                // The filter did not match and the upsert hit the existing `_id`: already
                // reserved, over budget, or (rarely) two first reservations raced to insert.
                if open { return .alreadyReserved(committed: after) }
                if after >= budget { return .overBudget(committed: after) }
            }
            throw MongoFailure(domain: MongoFailure.writeConcernDomain, code: 0, message: "reserve: kept racing")
        }
    }

    public func settle(_ requests: [LedgerRequest], deadline: ContinuousClock.Instant) async throws(UsageError)
        -> Int
    {
        guard !requests.isEmpty else { return 0 }
        var fields: [String: Set<String>] = [:]  // ledger id → open entry fields
        for request in Set(requests) {
            guard Identifier.isValid(request.tenant, maxBytes: UsageRecord.Limits.labelBytes),
                Identifier.isValid(request.requestID, maxBytes: UsageRecord.Limits.keyBytes)
            else { continue }
            let month = UTCCalendar.startOfMonth(epochMilliseconds: request.timestamp)
            let previous = UTCCalendar.startOfMonth(epochMilliseconds: month - 1)
            let field = "open." + Self.reservationKey(request.requestID)
            for start in [month, previous] {
                fields[Self.ledgerID(tenant: request.tenant, month: start), default: []].insert(field)
            }
        }
        guard !fields.isEmpty else { return 0 }
        return try await withStore(deadline: deadline) { session throws(MongoFailure) in
            let allFields = Set(fields.values.flatMap { $0 }).sorted()
            var projection = JSONObject()
            for field in allFields { projection[field] = .integer(1) }
            let documents = try session.connection.find(
                UsageCollections.ledger,
                filter: [
                    "_id": .object(["$in": .array(fields.keys.sorted().map(JSON.string))]),
                    "$or": .array(allFields.map { .object([$0: .object(["$exists": .bool(true)])]) }),
                ],
                options: ["projection": .object(projection)])
            var operations: [MongoConnection.UpdateOne] = []
            for document in documents {
                guard let id = document["_id"]?.stringValue else { continue }
                for field in fields[id] ?? [] {
                    guard let entry = Self.value(at: field, in: document) else { continue }
                    operations.append(Self.closing(id: id, field: field, entry: entry))
                }
            }
            // A lost close only keeps a reservation open until it expires: the conservative side.
            let result = try session.connection.bulkUpdate(UsageCollections.ledger, operations, durability: .rollup)
            return result.modified
        }
    }

    public func release(_ request: LedgerRequest, deadline: ContinuousClock.Instant) async throws(UsageError) -> Bool {
        try await settle([request], deadline: deadline) > 0
    }

    public func balance(tenant: String, at: Int64, deadline: ContinuousClock.Instant) async throws(UsageError)
        -> LedgerBalance
    {
        let month = UTCCalendar.startOfMonth(epochMilliseconds: at)
        let document = try await withStore(deadline: deadline) { session throws(MongoFailure) in
            try session.connection.find(
                UsageCollections.ledger, filter: ["_id": .string(Self.ledgerID(tenant: tenant, month: month))],
                options: ["projection": .object(["b": .integer(0)])]
            ).first
        }
        return LedgerBalance(
            tenant: tenant, month: month, spentPicoUSD: document?["spent"]?.int64Value ?? 0,
            reservedPicoUSD: document?["reserved"]?.int64Value ?? 0,
            committedPicoUSD: document?["committed"]?.int64Value ?? 0,
            openReservations: document?["open"]?.objectValue?.count ?? 0)
    }

    /// Closes reservations opened before `cutoff` (epoch ms) in the current and previous month:
    /// requests that never reported usage. Part of the scheduled repair pass.
    func expireReservations(olderThan cutoff: Int64, _ connection: MongoConnection) throws(MongoFailure) -> Int {
        let previous = UTCCalendar.startOfMonth(
            epochMilliseconds: UTCCalendar.startOfMonth(epochMilliseconds: WallClock.nowMilliseconds()) - 1)
        let documents = try connection.find(
            UsageCollections.ledger, filter: ["month": .object(["$gte": .integer(previous)])],
            options: ["projection": .object(["open": .integer(1)])])
        var operations: [MongoConnection.UpdateOne] = []
        for document in documents {
            guard let id = document["_id"]?.stringValue, let open = document["open"]?.objectValue else { continue }
            for (key, entry) in open.members where (entry["at"]?.int64Value ?? 0) < cutoff {
                operations.append(Self.closing(id: id, field: "open." + key, entry: entry))
            }
        }
        return try connection.bulkUpdate(UsageCollections.ledger, operations, durability: .billing).modified
    }

    /// Removes one open entry, exactly as read, and takes its ceiling off the counters.
    private static func closing(id: String, field: String, entry: JSON) -> MongoConnection.UpdateOne {
        let ceiling = entry["c"]?.int64Value ?? 0
        return MongoConnection.UpdateOne(
            filter: ["_id": .string(id), field: entry],
            update: [
                "$unset": .object([field: .string("")]),
                "$inc": .object(["reserved": .integer(-ceiling), "committed": .integer(-ceiling)]),
            ], upsert: false)
    }

    /// The counter document of a tenant's month. Tenants carry no control characters (validated),
    /// so the separator cannot make one tenant's id another's.
    static func ledgerID(tenant: String, month: Int64) -> String { "\(tenant)\u{1F}\(month)" }

    /// A request id as a field name: hex of its UTF-8 bytes (ids may contain `.` or start with `$`).
    static func reservationKey(_ requestID: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = [UInt8(ascii: "r")]
        out.reserveCapacity(1 + requestID.utf8.count * 2)
        for byte in requestID.utf8 {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The value at a dotted path (`open.rXX`) of a document.
    static func value(at path: String, in document: JSON) -> JSON? {
        var current: JSON? = document
        for part in path.split(separator: ".") { current = current?[String(part)] }
        return current
    }
}
