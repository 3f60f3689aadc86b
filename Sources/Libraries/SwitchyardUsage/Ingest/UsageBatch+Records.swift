import SwitchyardContract
import SwitchyardJSON

extension UsageBatch {
    /// Decodes a message body of the usage path, record by record, so that a bad record is
    /// reported with its position (`records` first, then `batches` flattened in order).
    /// - Throws: `Usage.InvalidRecord` (shape, empty, over `maxRecords`), `Usage.MissingTokens`.
    public static func decode(_ json: JSON, maxRecords: Int) throws(UsageError) -> UsageBatch {
        guard let object = json.objectValue else {
            throw .invalidRecord(index: -1, detail: "a usage message must be a UsageBatch object, not \(json.kindName)")
        }
        func records(_ value: JSON?, field: String, first: Int) throws(UsageError) -> [UsageRecord]? {
            guard let value, !value.isNull else { return nil }
            guard let items = value.arrayValue else {
                throw .invalidRecord(index: -1, detail: "\(field) must be an array")
            }
            var out: [UsageRecord] = []
            out.reserveCapacity(items.count)
            for (offset, item) in items.enumerated() {
                let index = first + offset
                do {
                    out.append(try JSON.decode(UsageRecord.self, from: item))
                } catch let missing as UsageRecord.MissingTokenCount {
                    throw .missingTokens(
                        index: index, requestID: item["requestId"]?.stringValue ?? "?",
                        step: item["step"]?.stringValue ?? "?", field: missing.field)
                } catch {
                    throw .invalidRecord(index: index, detail: describeDecodingError(error))
                }
            }
            return out
        }
        func decoded<T: Decodable>(_ type: T.Type, _ field: String) throws(UsageError) -> T? {
            guard let value = object[field], !value.isNull else { return nil }
            do { return try JSON.decode(T.self, from: value) } catch {
                throw .invalidRecord(index: -1, detail: "\(field): \(describeDecodingError(error))")
            }
        }
        // Count before decoding anything, so an oversized message costs no decoding.
        let direct = object["records"]?.arrayValue?.count ?? 0
        let nested = (object["batches"]?.arrayValue ?? []).reduce(0) { $0 + ($1.arrayValue?.count ?? 0) }
        let failures = object["failures"]?.arrayValue?.count ?? 0
        guard direct + nested + failures <= maxRecords else {
            throw .invalidRecord(
                index: -1, detail: "\(direct + nested + failures) records exceed the limit of \(maxRecords)")
        }
        let top = try records(object["records"], field: "records", first: 0)
        var batches: [[UsageRecord]]?
        if let value = object["batches"], !value.isNull {
            guard let lists = value.arrayValue else {
                throw .invalidRecord(index: -1, detail: "batches must be an array")
            }
            var position = top?.count ?? 0
            var out: [[UsageRecord]] = []
            for list in lists {
                let decoded = try records(list, field: "batches[]", first: position) ?? []
                position += decoded.count
                out.append(decoded)
            }
            batches = out
        }
        let batch = UsageBatch(
            records: top, batches: batches, failures: try decoded([StepFailure].self, "failures"),
            context: try decoded(UsageContext.self, "context"), execution: try decoded(ExecutionFacts.self, "execution")
        )
        guard !batch.allRecords.isEmpty || !(batch.failures ?? []).isEmpty || batch.execution != nil else {
            throw .invalidRecord(index: -1, detail: "the message carries no records, failures or execution")
        }
        return batch
    }

    /// Every record this batch stands for, unpriced: the records carried, one `failed` record per
    /// Catch failure and one `orchestration` record for the Express execution. The records the
    /// logger builds are deterministic (a re-delivery builds the same ones, stored once).
    /// - Parameter receivedAt: epoch ms when the message was sent; the time of a failure record
    ///   when the batch has no execution end time.
    /// - Throws: `Usage.InvalidRecord` for failures or an execution without `context`, or
    ///   execution times that are not RFC 3339 or run backwards.
    public func usageRecords(receivedAt: Int64) throws(UsageError) -> [UsageRecord] {
        var out = allRecords
        let carried = out.count
        let end = execution.flatMap { RFC3339.milliseconds($0.endTime) }
        if let failures, !failures.isEmpty {
            guard let context else {
                throw .invalidRecord(index: carried, detail: "failures need the request's context")
            }
            for (offset, failure) in failures.enumerated() {
                var record = UsageRecord(
                    context: context, step: failure.step, invocationID: Self.invocationKey("catch", execution, context),
                    attempt: 0, timestamp: end ?? receivedAt, backend: .none, modality: .none,
                    latency: .init(totalMs: 0), status: .failed)
                record.executionID = context.executionID ?? execution?.executionID
                guard !failure.error.isEmpty else {
                    throw .invalidRecord(index: carried + offset, detail: "failures[\(offset)].error is empty")
                }
                record.errorType = Self.label(failure.error, limit: UsageRecord.Limits.labelBytes)
                record.errorCause = failure.cause.map { Self.label($0, limit: Self.causeBytes) }
                out.append(record)
            }
        }
        if let execution {
            let index = out.count
            guard let context else {
                throw .invalidRecord(index: index, detail: "execution needs the request's context")
            }
            guard let start = RFC3339.milliseconds(execution.startTime), let end else {
                throw .invalidRecord(
                    index: index, detail: "execution startTime and endTime must be RFC 3339 timestamps")
            }
            let duration = end - start
            guard (0...Self.maxExecutionMilliseconds).contains(duration) else {
                throw .invalidRecord(
                    index: index, detail: "execution runs \(duration) ms: end before start, or over a year")
            }
            let memory = execution.memoryMB ?? 64
            guard (1...65_536).contains(memory) else {
                throw .invalidRecord(index: index, detail: "execution memoryMB must be within 1...65536")
            }
            var record = UsageRecord(
                context: context, step: "orchestration",
                invocationID: Self.invocationKey("execution", execution, context),
                attempt: 0, timestamp: start, backend: .none, modality: .none, latency: .init(totalMs: duration),
                status: .succeeded)
            record.executionID = execution.executionID
            record.orchestration = .init(memoryMB: memory, durationMs: duration, requests: 1)
            out.append(record)
        }
        return out
    }

    /// Longest cause kept on a failure record (Step Functions' `Cause` can be a 32 KiB document).
    static let causeBytes = 1024
    /// Longest execution billed (a Standard workflow can run a year).
    static let maxExecutionMilliseconds: Int64 = 366 * 86_400_000

    /// A key for records the logger builds: one per execution (`<kind>:<execution name>`), so a
    /// second execution of the same request bills its own orchestration.
    static func invocationKey(_ kind: String, _ execution: ExecutionFacts?, _ context: UsageContext) -> String {
        guard let id = execution?.executionID ?? context.executionID, !id.isEmpty else { return kind }
        let key = "\(kind):\(id)"
        if Identifier.isValid(key, maxBytes: UsageRecord.Limits.keyBytes) { return key }
        // Too long or with control characters: a stable digest stands in for it.
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01b3 }
        return "\(kind):\(String(hash, radix: 16))"
    }

    /// `text` cut to `limit` bytes on a character boundary, control characters as spaces (a
    /// cause can be any document; a record keeps a short, printable summary of it).
    static func label(_ text: String, limit: Int) -> String {
        var out = ""
        var bytes = 0
        for scalar in text.unicodeScalars {
            let v = scalar.value
            let clean: Unicode.Scalar = (v < 0x20 || (v >= 0x7F && v <= 0x9F)) ? " " : scalar
            let size = String(clean).utf8.count
            if bytes + size > limit { break }
            out.unicodeScalars.append(clean)
            bytes += size
        }
        return out
    }
}
