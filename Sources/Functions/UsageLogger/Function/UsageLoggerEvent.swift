import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage

/// The usage-logger's input, one of three shapes:
///
/// - an **SQS event** from the usage queue's event source mapping:
///   `{"Records": [{"messageId", "receiptHandle", "body", "attributes": {"SentTimestamp"}, …}]}`,
///   each `body` a `UsageBatch` as JSON text;
/// - a bare **`UsageBatch`** (`records`, `batches`, `failures`, `context`, `execution`): direct
///   invocation, tests, tools;
/// - a **maintenance** request from the repair schedule: EventBridge's `Scheduled Event`, or the
///   rule's constant input `{"action": "repair", "graceSeconds": 60, "recentMinutes": 1440}`.
public enum UsageLoggerEvent: Decodable, Sendable {
    case sqs([SQSMessage])
    case batch(JSON)
    case maintenance(UsageMaintenance)

    public init(from decoder: any Decoder) throws {
        self = try Self.classify(try JSON(from: decoder))
    }

    /// - Throws: `Usage.InvalidRecord` for an SQS event whose records lack an id or body.
    public static func classify(_ json: JSON) throws(UsageError) -> UsageLoggerEvent {
        if let records = json["Records"] {
            guard let items = records.arrayValue, !items.isEmpty else {
                throw .invalidRecord(index: -1, detail: "Records must be a non-empty array of SQS messages")
            }
            var messages: [SQSMessage] = []
            for (index, item) in items.enumerated() {
                guard let id = item["messageId"]?.stringValue, !id.isEmpty, let body = item["body"]?.stringValue else {
                    throw .invalidRecord(index: index, detail: "an SQS record needs messageId and body")
                }
                let sent = item["attributes"]?["SentTimestamp"]?.stringValue.flatMap { Int64($0) }
                messages.append(SQSMessage(messageID: id, body: body, sentTimestamp: sent))
            }
            return .sqs(messages)
        }
        if json["action"]?.stringValue == "repair" || json["detail-type"]?.stringValue == "Scheduled Event" {
            return .maintenance(try UsageMaintenance(json))
        }
        return .batch(json)
    }
}

/// One message of an SQS event.
public struct SQSMessage: Sendable, Equatable {
    public var messageID: String
    public var body: String
    /// `attributes.SentTimestamp`, epoch ms.
    public var sentTimestamp: Int64?

    public init(messageID: String, body: String, sentTimestamp: Int64?) {
        self.messageID = messageID
        self.body = body
        self.sentTimestamp = sentTimestamp
    }
}

/// What the repair schedule asks for.
public struct UsageMaintenance: Sendable, Equatable {
    /// Batches claimed longer ago are taken over; nil uses `USAGE_REPAIR_GRACE_SECONDS`.
    public var graceMilliseconds: Int64?
    /// Unclaimed changes are looked for among records this recent. Default one day.
    public var recentMilliseconds: Int64

    init(_ json: JSON) throws(UsageError) {
        func number(_ field: String, _ range: ClosedRange<Int64>) throws(UsageError) -> Int64? {
            guard let value = json[field], !value.isNull else { return nil }
            guard let n = value.int64Value, range.contains(n) else {
                throw .invalidRecord(index: -1, detail: "\(field) must be an integer within \(range)")
            }
            return n
        }
        graceMilliseconds = try number("graceSeconds", 0...86_400).map { $0 * 1000 }
        recentMilliseconds = (try number("recentMinutes", 1...527_040) ?? 1440) * 60_000
    }
}
