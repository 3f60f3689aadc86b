// libFuzzer target: the AWS event-stream parser (Bedrock ConverseStream), through its public
// entry points (scripts/fuzz eventstream). The first byte picks the chunk size; the messages must
// not depend on it, and nothing may crash.
import SwitchyardProviders

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzEventStream(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let step = Int(data[0]) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    func parse(chunk: Int) -> (messages: [AWSEventStreamMessage], failed: Bool) {
        var parser = AWSEventStreamParser(maxMessageBytes: 1 << 16)
        var messages: [AWSEventStreamMessage] = []
        var start = 0
        do {
            while start < bytes.count {
                let end = min(bytes.count, start + chunk)
                try parser.feed(Array(bytes[start..<end])) { messages.append($0) }
                start = end
            }
        } catch {
            return (messages, true)
        }
        return (messages, false)
    }
    let whole = parse(chunk: max(bytes.count, 1))
    let split = parse(chunk: step)
    guard whole.failed == split.failed, whole.messages == split.messages else {
        fatalError("messages depend on chunking (step \(step)): \(whole.messages.count) vs \(split.messages.count)")
    }
    return 0
}
