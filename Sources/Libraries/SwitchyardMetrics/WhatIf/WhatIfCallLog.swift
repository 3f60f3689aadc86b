/// A tenant-day's answered LLM calls in time order, each as its summary group and the counts the
/// replay reads: what lets the what-if replay a tenant-day call by call without its raw records.
///
/// A tenant-day's groups are not always enough: near a "reject" budget each call's refusal depends
/// on its own size and on the spend before it, so no group decides alike at its corners, and that
/// day was read from raw records on every run (23,644 of the 1M-record week's 66,262 calls). The
/// log keeps only what `Replay` reads of such a call (the rest is its group's): ~25 bytes a call.
///
/// Stored as one string (SecantusDB walks every field of a document; one string is one field):
/// calls separated by spaces, each `group,input,cached,cacheWrite,output,reasoning,images,cost`
/// in decimal. Read back, it is checked against its groups (`calls(groups:)`): a log that does not
/// add up to them is not used, and the day is replayed from records and its summary rebuilt.
public struct WhatIfCallLog: Codable, Sendable, Equatable {
    public struct Call: Sendable, Equatable {
        /// Index of the call's group in its summary's `groups`.
        public var group: Int
        public var input: Int64
        public var cached: Int64
        public var cacheWrite: Int64
        public var output: Int64
        public var reasoning: Int64
        public var images: Int64
        /// Recorded model cost, pico-USD.
        public var cost: Int64

        public init(
            group: Int, input: Int64, cached: Int64, cacheWrite: Int64, output: Int64, reasoning: Int64,
            images: Int64, cost: Int64
        ) {
            self.group = group
            self.input = input
            self.cached = cached
            self.cacheWrite = cacheWrite
            self.output = output
            self.reasoning = reasoning
            self.images = images
            self.cost = cost
        }

        var fields: [Int64] { [Int64(group), input, cached, cacheWrite, output, reasoning, images, cost] }
    }

    /// Largest log kept, bytes (~100,000 calls at 1M records' sizes); a tenant-day with a longer
    /// one is stored without it. With `WhatIfDaySummary.maxGroups` packed groups it stays well
    /// under the store's 8 MiB per summary.
    public static let maxBytes = 3 * 1_048_576

    public let text: String

    /// Nil when a count is negative (no record the billing path writes has one) or the log would
    /// be longer than `maxBytes`.
    public init?(_ calls: [Call]) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(calls.count * 24)
        for call in calls {
            if !bytes.isEmpty { bytes.append(UInt8(ascii: " ")) }
            for (i, value) in call.fields.enumerated() {
                guard value >= 0 else { return nil }
                if i > 0 { bytes.append(UInt8(ascii: ",")) }
                bytes.append(contentsOf: String(value).utf8)
            }
            guard bytes.count <= Self.maxBytes else { return nil }
        }
        text = String(decoding: bytes, as: UTF8.self)
    }

    public init(from decoder: any Decoder) throws {
        text = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }

    /// The calls, in time order; nil unless the log is well formed and adds up to `groups`: every
    /// group index in range, each group's calls, input, output, images and cost sums equal, and
    /// every count inside its group's box.
    public func calls(groups: [WhatIfCallGroup]) -> [Call]? {
        var calls: [Call] = []
        var sums = [(calls: Int64, input: Int64, output: Int64, images: Int64, cost: Int64)](
            repeating: (0, 0, 0, 0, 0), count: groups.count)
        var fields: [Int64] = []
        fields.reserveCapacity(8)
        var value: Int64 = 0
        var digits = 0
        func close() -> Bool {
            guard digits > 0 else { return false }
            fields.append(value)
            value = 0
            digits = 0
            return true
        }
        func call() -> Bool {
            guard close(), fields.count == 8, fields[0] < Int64(groups.count) else { return false }
            let c = Call(
                group: Int(fields[0]), input: fields[1], cached: fields[2], cacheWrite: fields[3], output: fields[4],
                reasoning: fields[5], images: fields[6], cost: fields[7])
            let g = groups[c.group]
            guard (g.minInput...g.maxInput).contains(c.input), (g.minOutput...g.maxOutput).contains(c.output),
                (g.minImages...g.maxImages).contains(c.images)
            else { return false }
            var s = sums[c.group]
            // Each sum is bounded by its group's (checked below), so stop at the first overflow.
            let added = [
                s.calls.addingReportingOverflow(1), s.input.addingReportingOverflow(c.input),
                s.output.addingReportingOverflow(c.output), s.images.addingReportingOverflow(c.images),
                s.cost.addingReportingOverflow(c.cost),
            ]
            guard !added.contains(where: \.overflow) else { return false }
            s = (
                added[0].partialValue, added[1].partialValue, added[2].partialValue, added[3].partialValue,
                added[4].partialValue
            )
            sums[c.group] = s
            calls.append(c)
            fields.removeAll(keepingCapacity: true)
            return true
        }
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let (times, o1) = value.multipliedReportingOverflow(by: 10)
                let (next, o2) = times.addingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
                guard !o1, !o2, digits < 19 else { return nil }
                value = next
                digits += 1
            case UInt8(ascii: ","):
                guard close(), fields.count < 8 else { return nil }
            case UInt8(ascii: " "):
                guard call() else { return nil }
            default:
                return nil
            }
        }
        if !text.isEmpty {
            guard call() else { return nil }
        }
        for (g, s) in zip(groups, sums) {
            guard s.calls == g.calls, s.input == g.input, s.output == g.output, s.images == g.images, s.cost == g.cost
            else { return nil }
        }
        return calls
    }
}
