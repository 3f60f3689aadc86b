import SwitchyardAWS
import SwitchyardContract
import SwitchyardHTTP
import SwitchyardUsage

/// `enqueue --queue-url URL`: sends the records as UsageBatch messages to SQS (SQSUsageQueue;
/// AWS_REGION, AWS_* keys, AWS_ENDPOINT_URL_SQS for a local endpoint).
enum EnqueueCommand {
    static func run(_ context: IngestContext) async {
        let arguments = context.arguments
        guard let queueURL = arguments.options["queue-url"] else { fail("enqueue needs --queue-url") }
        let queue: SQSUsageQueue
        do {
            queue = SQSUsageQueue(
                client: try SQSClient(environment: .process, transport: CurlTransport()), queueURL: queueURL)
        } catch { fail("\(error)") }
        let count = arguments.int("count", 100)
        let batchSize = arguments.int("batch", 5)
        var messages = 0
        var index = 0
        while index < count {
            let records = (index..<min(count, index + batchSize)).map { context.generator.record($0) }
            do { try await queue.enqueue(UsageBatch(records: records), deadline: .now + .seconds(30)) } catch {
                fail("\(error)", code: 1)
            }
            messages += 1
            index += records.count
        }
        emit(["command": "enqueue", "records": count, "messages": messages])
    }
}
