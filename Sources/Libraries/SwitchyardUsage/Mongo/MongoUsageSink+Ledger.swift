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

    /// Group commit: one ordered bulk write for the whole batch and one read, whatever its size.
    ///
    /// The bulk first makes sure each tenant-month document exists (an upsert that only sets
    /// fields on insert), then runs each request's conditional `$inc` in order — the same update
    /// `reserve` makes, so the server applies them exactly as one-by-one calls in that order
    /// would, each seeing the ones before. Every entry this bulk writes carries a token of the
    /// batch (`g`); reading the entries back tells apart a request this batch admitted (our token),
    /// one already reserved before (another token), and one refused (no entry). The committed
    /// amount after each request is the document's final amount less the ceilings admitted after it.
    public func reserveMany(_ requests: [ReservationRequest], deadline: ContinuousClock.Instant)
        async throws(UsageError) -> [Reservation]
    {
        guard !requests.isEmpty else { return [] }
        for request in requests {
            guard Identifier.isValid(request.tenant, maxBytes: UsageRecord.Limits.labelBytes),
                Identifier.isValid(request.requestID, maxBytes: UsageRecord.Limits.keyBytes)
            else {
                throw .invalidRecord(
                    index: -1, detail: "tenant and requestId must be short and free of control characters")
            }
            guard request.ceiling.rawValue >= 0 else {
                throw .invalidRecord(index: -1, detail: "a ceiling cannot be negative")
            }
        }
        let now = WallClock.nowMilliseconds()
        let month = UTCCalendar.startOfMonth(epochMilliseconds: now)
        let token = Int64.random(in: 1...Int64.max)
        let ids = requests.map { Self.ledgerID(tenant: $0.tenant, month: month) }
        let fields = requests.map { "open." + Self.reservationKey($0.requestID) }
        var documents: [String] = []
        var tenantOf: [String: String] = [:]
        for (id, request) in zip(ids, requests) where tenantOf.updateValue(request.tenant, forKey: id) == nil {
            documents.append(id)
        }
        var operations = documents.map { id in
            MongoConnection.UpdateOne(
                filter: ["_id": .string(id)],
                update: [
                    "$setOnInsert": .object([
                        "tenant": .string(tenantOf[id] ?? ""), "month": .integer(month), "spent": .integer(0),
                        "reserved": .integer(0), "committed": .integer(0),
                    ])
                ], upsert: true)
        }
        for (index, request) in requests.enumerated() {
            let ceiling = request.ceiling.rawValue
            operations.append(
                MongoConnection.UpdateOne(
                    filter: [
                        "_id": .string(ids[index]), "committed": .object(["$lt": .integer(request.budget.rawValue)]),
                        fields[index]: .object(["$exists": .bool(false)]),
                    ],
                    update: [
                        "$set": .object([
                            fields[index]: .object(["c": .integer(ceiling), "at": .integer(now), "g": .integer(token)])
                        ]),
                        "$inc": .object(["reserved": .integer(ceiling), "committed": .integer(ceiling)]),
                    ], upsert: false))
        }
        let ensured = documents.count
        return try await withStore(deadline: deadline) { session throws(MongoFailure) in
            let connection = session.connection
            var written: MongoConnection.BulkResult?
            for _ in 0..<4 {
                let result = try connection.bulkUpdate(
                    UsageCollections.ledger, operations, durability: .billing, ordered: true)
                // Two first reservations of a month raced to insert its document: the ordered bulk
                // stopped there, before any reservation; run it again.
                if let failure = result.writeErrors.first, failure.code == 11000, failure.index < ensured { continue }
                if let failure = result.writeErrors.first {
                    throw MongoFailure(
                        domain: 0, code: UInt32(clamping: failure.code), message: "reserve: \(failure.message)")
                }
                written = result
                break
            }
            guard let written else {
                throw MongoFailure(domain: MongoFailure.writeConcernDomain, code: 0, message: "reserve: kept racing")
            }
            var projection = JSONObject()
            projection["committed"] = .integer(1)
            for field in Set(fields) { projection[field] = .integer(1) }
            let found = try connection.find(
                UsageCollections.ledger, filter: ["_id": .object(["$in": .array(documents.map(JSON.string))])],
                options: ["projection": .object(projection)])
            var byID: [String: JSON] = [:]
            for document in found { if let id = document["_id"]?.stringValue { byID[id] = document } }
            // First pass: what each request got; a repeat of a request within the batch gets what
            // its second call one by one would (already reserved, or refused again).
            var answers: [(kind: Int, ceiling: Int64)] = []  // 0 admitted, 1 already reserved, 2 refused
            var firstKind: [String: Int] = [:]
            for index in requests.indices {
                let key = ids[index] + "\u{1F}" + fields[index]
                if let earlier = firstKind[key] {
                    answers.append((earlier == 2 ? 2 : 1, 0))
                    continue
                }
                let entry = byID[ids[index]].flatMap { Self.value(at: fields[index], in: $0) }
                let kind = entry == nil ? 2 : (entry?["g"]?.int64Value == token ? 0 : 1)
                firstKind[key] = kind
                answers.append((kind, requests[index].ceiling.rawValue))
            }
            let admitted = answers.reduce(0) { $0 + ($1.kind == 0 ? 1 : 0) }
            guard admitted == written.modified else {
                // An entry of this batch changed between the write and the read: no exact answer.
                throw MongoFailure(
                    domain: MongoFailure.writeConcernDomain, code: 0,
                    message: "reserve: \(written.modified) written, \(admitted) read back")
            }
            // Second pass, backwards: committed after each request.
            var committed: [String: Int64] = [:]
            for id in documents { committed[id] = byID[id]?["committed"]?.int64Value ?? 0 }
            var reservations = [Reservation](repeating: .overBudget(committed: .zero), count: requests.count)
            for index in requests.indices.reversed() {
                let after = PicoUSD(committed[ids[index]] ?? 0)
                switch answers[index].kind {
                case 0:
                    reservations[index] = .admitted(committed: after)
                    let (before, overflow) = after.rawValue.subtractingReportingOverflow(answers[index].ceiling)
                    guard !overflow else {
                        throw MongoFailure(domain: 0, code: 0, message: "reserve: committed out of range")
                    }
                    committed[ids[index]] = before
                case 1: reservations[index] = .alreadyReserved(committed: after)
                default: reservations[index] = .overBudget(committed: after)
                }
            }
            return reservations
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
            let result = try session.connection.bulkUpdate(UsageCollections.ledger, operations, durability: .relaxed)
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
