import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON

/// Amazon SQS over its JSON protocol (`awsJson1_0`, `X-Amz-Target: AmazonSQS.<Operation>`),
/// SigV4-signed: the usage queue's producer side (`SendMessage`) and the consumer side the local
/// event source mapping uses (`ReceiveMessage`, `DeleteMessageBatch`, `ChangeMessageVisibility`).
/// Works against AWS and against moto's SQS (`moto[server]`), which speaks the same protocol.
public struct SQSClient: Sendable {
    public let client: AWSJSONClient

    /// SQS's limit on one message body.
    public static let maxMessageBytes = 256 * 1024

    public init(client: AWSJSONClient) { self.client = client }

    /// A client for `endpoint` (the service endpoint, e.g. `https://sqs.us-east-1.amazonaws.com`
    /// or a local `http://127.0.0.1:<port>`; queue URLs travel in the requests).
    public init(endpoint: String, region: String, credentials: AWSCredentials, transport: any HTTPTransport) {
        self.init(
            client: AWSJSONClient(
                endpoint: endpoint, signer: SigV4Signer(credentials: credentials, region: region, service: "sqs"),
                targetPrefix: "AmazonSQS", transport: transport, jsonVersion: "1.0"))
    }

    /// Credentials, region and endpoint from the environment (`AWS_ENDPOINT_URL_SQS` overrides
    /// the regional endpoint, as in the AWS SDKs).
    public init(environment: Environment, transport: any HTTPTransport) throws(ConfigurationError) {
        let region = try AWSEndpoint.region(environment)
        self.init(
            endpoint: AWSEndpoint.resolve(
                serviceID: "SQS", hostPrefix: "sqs", region: region, environment: environment),
            region: region, credentials: try AWSCredentials.fromEnvironment(environment), transport: transport)
    }

    /// Sends one message.
    /// - Returns: the message id SQS assigned.
    /// - Throws: `AWS.InvalidRequest` for a body over 256 KiB; service and transport errors.
    public func sendMessage(queueURL: String, body: String, deadline: ContinuousClock.Instant) async throws(AWSError)
        -> String
    {
        guard body.utf8.count <= Self.maxMessageBytes else {
            throw .invalidRequest("an SQS message body is at most 256 KiB; this one is \(body.utf8.count) bytes")
        }
        let answer = try await client.call(
            "SendMessage", ["QueueUrl": .string(queueURL), "MessageBody": .string(body)], deadline: deadline)
        guard let id = answer["MessageId"]?.stringValue else {
            throw .malformedResponse(service: "sqs", detail: "SendMessage returned no MessageId")
        }
        if let md5 = answer["MD5OfMessageBody"]?.stringValue, md5 != Digest.hex(Digest.md5(Array(body.utf8))) {
            throw .malformedResponse(service: "sqs", detail: "SendMessage MD5OfMessageBody does not match the body")
        }
        return id
    }

    /// Receives up to `maxMessages` (1...10) messages, waiting up to `waitSeconds` (0...20) for
    /// the first (long polling), with all system attributes (`SentTimestamp`,
    /// `ApproximateReceiveCount`, …).
    /// - Parameter visibilityTimeout: seconds the messages stay hidden; nil keeps the queue's.
    public func receiveMessages(
        queueURL: String, maxMessages: Int, waitSeconds: Int, visibilityTimeout: Int? = nil,
        deadline: ContinuousClock.Instant
    ) async throws(AWSError) -> [SQSReceivedMessage] {
        guard (1...10).contains(maxMessages), (0...20).contains(waitSeconds) else {
            throw .invalidRequest("ReceiveMessage takes 1...10 messages and a wait of 0...20 s")
        }
        var input: JSONObject = [
            "QueueUrl": .string(queueURL), "MaxNumberOfMessages": .integer(Int64(maxMessages)),
            "WaitTimeSeconds": .integer(Int64(waitSeconds)), "AttributeNames": ["All"],
            "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"],
        ]
        if let visibilityTimeout {
            guard (0...43_200).contains(visibilityTimeout) else {
                throw .invalidRequest("a visibility timeout is 0...43200 s")
            }
            input["VisibilityTimeout"] = .integer(Int64(visibilityTimeout))
        }
        // Ten messages of up to 256 KiB each, plus their attributes.
        let answer = try await client.call(
            "ReceiveMessage", .object(input), deadline: deadline, maxResponseBytes: 4 << 20)
        guard let messages = answer["Messages"] else { return [] }
        guard let items = messages.arrayValue, items.count <= 10 else {
            throw .malformedResponse(service: "sqs", detail: "ReceiveMessage returned a malformed Messages list")
        }
        var out: [SQSReceivedMessage] = []
        for item in items {
            guard let id = item["MessageId"]?.stringValue, let handle = item["ReceiptHandle"]?.stringValue,
                let body = item["Body"]?.stringValue
            else {
                throw .malformedResponse(
                    service: "sqs", detail: "a received message lacks MessageId, ReceiptHandle or Body")
            }
            let md5 = item["MD5OfBody"]?.stringValue
            if let md5, md5 != Digest.hex(Digest.md5(Array(body.utf8))) {
                throw .malformedResponse(service: "sqs", detail: "message \(id.prefix(80)): MD5OfBody does not match")
            }
            var attributes: [String: String] = [:]
            for (key, value) in item["Attributes"]?.objectValue?.members ?? [] {
                if let text = value.stringValue { attributes[key] = text }
            }
            out.append(
                SQSReceivedMessage(
                    messageID: id, receiptHandle: handle, body: body, md5OfBody: md5, attributes: attributes,
                    messageAttributes: item["MessageAttributes"]))
        }
        return out
    }

    /// Deletes received messages (up to 10) by receipt handle.
    /// - Returns: the ids (as given) SQS could not delete.
    public func deleteMessageBatch(
        queueURL: String, entries: [(id: String, receiptHandle: String)], deadline: ContinuousClock.Instant
    ) async throws(AWSError) -> [String] {
        guard !entries.isEmpty else { return [] }
        guard entries.count <= 10 else { throw .invalidRequest("DeleteMessageBatch takes at most 10 entries") }
        let answer = try await client.call(
            "DeleteMessageBatch",
            [
                "QueueUrl": .string(queueURL),
                "Entries": .array(
                    entries.map { .object(["Id": .string($0.id), "ReceiptHandle": .string($0.receiptHandle)]) }),
            ], deadline: deadline)
        return (answer["Failed"]?.arrayValue ?? []).compactMap { $0["Id"]?.stringValue }
    }

    /// Makes a received message visible again after `timeoutSeconds` (0: at once).
    public func changeMessageVisibility(
        queueURL: String, receiptHandle: String, timeoutSeconds: Int, deadline: ContinuousClock.Instant
    ) async throws(AWSError) {
        guard (0...43_200).contains(timeoutSeconds) else {
            throw .invalidRequest("a visibility timeout is 0...43200 s")
        }
        _ = try await client.call(
            "ChangeMessageVisibility",
            [
                "QueueUrl": .string(queueURL), "ReceiptHandle": .string(receiptHandle),
                "VisibilityTimeout": .integer(Int64(timeoutSeconds)),
            ], deadline: deadline)
    }

    /// The queue's attributes (`QueueArn`, `ApproximateNumberOfMessages`, `RedrivePolicy`, …).
    public func queueAttributes(queueURL: String, names: [String] = ["All"], deadline: ContinuousClock.Instant)
        async throws(AWSError) -> [String: String]
    {
        let answer = try await client.call(
            "GetQueueAttributes",
            ["QueueUrl": .string(queueURL), "AttributeNames": .array(names.map(JSON.string))], deadline: deadline)
        var attributes: [String: String] = [:]
        for (key, value) in answer["Attributes"]?.objectValue?.members ?? [] {
            if let text = value.stringValue { attributes[key] = text }
        }
        return attributes
    }
}

/// A message as `ReceiveMessage` returns it.
public struct SQSReceivedMessage: Sendable, Equatable {
    public var messageID: String
    public var receiptHandle: String
    public var body: String
    public var md5OfBody: String?
    /// System attributes: `SentTimestamp`, `ApproximateReceiveCount`, `SenderId`, ….
    public var attributes: [String: String]
    /// Message attributes, as SQS sent them.
    public var messageAttributes: JSON?

    public init(
        messageID: String, receiptHandle: String, body: String, md5OfBody: String? = nil,
        attributes: [String: String] = [:], messageAttributes: JSON? = nil
    ) {
        self.messageID = messageID
        self.receiptHandle = receiptHandle
        self.body = body
        self.md5OfBody = md5OfBody
        self.attributes = attributes
        self.messageAttributes = messageAttributes
    }
}
