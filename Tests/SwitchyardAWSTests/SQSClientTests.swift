import SwitchyardAWS
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardTestSupport
import XCTest

/// SQS's awsJson1_0 protocol as the service speaks it (shapes from the SQS API reference).
final class SQSClientTests: XCTestCase {
    let environment = Environment([
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": "us-west-2",
    ])
    let queue = "https://sqs.us-west-2.amazonaws.com/123456789012/usage"
    var deadline: ContinuousClock.Instant { .now + .seconds(5) }

    func testSendMessageIsSignedJSON10AndChecksTheBodyDigest() async throws {
        // MD5("hello") = 5d41402abc4b2a76b9719d911017c592 (RFC 1321 test suite style, checked with md5sum).
        let answer = JSON.object(["MessageId": "m-1", "MD5OfMessageBody": "5d41402abc4b2a76b9719d911017c592"])
        let endpoint = RecordingTransport(answers: [HTTPResponse(status: 200, body: answer.serialized())])
        let client = try SQSClient(environment: environment, transport: endpoint)
        let id = try await client.sendMessage(queueURL: queue, body: "hello", deadline: deadline)
        XCTAssertEqual(id, "m-1")
        let request = try XCTUnwrap(endpoint.sent.first)
        XCTAssertEqual(request.url, "https://sqs.us-west-2.amazonaws.com/")
        XCTAssertEqual(request.headers["X-Amz-Target"], "AmazonSQS.SendMessage")
        XCTAssertEqual(request.headers["Content-Type"], "application/x-amz-json-1.0")
        XCTAssertTrue(request.headers["Authorization"]!.contains("/us-west-2/sqs/aws4_request"))
        XCTAssertEqual(try JSON.parse(request.body), ["QueueUrl": .string(queue), "MessageBody": "hello"])

        let corrupted = RecordingTransport(answers: [
            HTTPResponse(status: 200, body: JSON.object(["MessageId": "m-2", "MD5OfMessageBody": "00"]).serialized())
        ])
        let checking = try SQSClient(environment: environment, transport: corrupted)
        do {
            _ = try await checking.sendMessage(queueURL: queue, body: "hello", deadline: deadline)
            XCTFail("a digest mismatch must fail")
        } catch {
            XCTAssertEqual(error.errorType, "AWS.MalformedResponse")
        }
        let tooBig = String(repeating: "x", count: 256 * 1024 + 1)
        do {
            _ = try await client.sendMessage(queueURL: queue, body: tooBig, deadline: deadline)
            XCTFail("over 256 KiB")
        } catch {
            XCTAssertEqual(error.errorType, "AWS.InvalidRequest")
        }
    }

    func testReceiveDeleteAndErrors() async throws {
        let received = JSON.object([
            "Messages": [
                [
                    "MessageId": "m-1", "ReceiptHandle": "h-1", "Body": "hello",
                    "MD5OfBody": "5d41402abc4b2a76b9719d911017c592",
                    "Attributes": ["SentTimestamp": "1795003200000", "ApproximateReceiveCount": "2"],
                ]
            ]
        ])
        let endpoint = RecordingTransport(answers: [
            HTTPResponse(status: 200, body: received.serialized()),
            HTTPResponse(status: 200, body: JSON.object([:]).serialized()),
            HTTPResponse(
                status: 200,
                body: JSON.object([
                    "Successful": [["Id": "0"]], "Failed": [["Id": "1", "Code": "ReceiptHandleIsInvalid"]],
                ])
                .serialized()),
            HTTPResponse(
                status: 400,
                body: JSON.object(["__type": "com.amazonaws.sqs#QueueDoesNotExist", "message": "no queue"]).serialized()
            ),
        ])
        let client = try SQSClient(environment: environment, transport: endpoint)
        let messages = try await client.receiveMessages(
            queueURL: queue, maxMessages: 10, waitSeconds: 20, visibilityTimeout: 30, deadline: deadline)
        XCTAssertEqual(messages.map(\.messageID), ["m-1"])
        XCTAssertEqual(messages[0].attributes["ApproximateReceiveCount"], "2")
        let none = try await client.receiveMessages(queueURL: queue, maxMessages: 1, waitSeconds: 0, deadline: deadline)
        XCTAssertTrue(none.isEmpty, "an empty answer has no Messages key")
        let failed = try await client.deleteMessageBatch(
            queueURL: queue, entries: [("0", "h-1"), ("1", "h-2")], deadline: deadline)
        XCTAssertEqual(failed, ["1"])
        do {
            _ = try await client.receiveMessages(queueURL: queue, maxMessages: 1, waitSeconds: 0, deadline: deadline)
            XCTFail("expected the service error")
        } catch {
            XCTAssertEqual(error, .service(service: "sqs", status: 400, code: "QueueDoesNotExist", message: "no queue"))
        }
        let sent = endpoint.sent
        XCTAssertEqual(sent[0].headers["X-Amz-Target"], "AmazonSQS.ReceiveMessage")
        XCTAssertEqual(try JSON.parse(sent[0].body)["VisibilityTimeout"], 30)
        XCTAssertEqual(try JSON.parse(sent[0].body)["WaitTimeSeconds"], 20)
        XCTAssertEqual(sent[2].headers["X-Amz-Target"], "AmazonSQS.DeleteMessageBatch")
        XCTAssertEqual(
            try JSON.parse(sent[2].body)["Entries"],
            [["Id": "0", "ReceiptHandle": "h-1"], ["Id": "1", "ReceiptHandle": "h-2"]])
        do {
            _ = try await client.receiveMessages(queueURL: queue, maxMessages: 11, waitSeconds: 0, deadline: deadline)
            XCTFail("at most 10")
        } catch {
            XCTAssertEqual(error.errorType, "AWS.InvalidRequest")
        }
    }
}
