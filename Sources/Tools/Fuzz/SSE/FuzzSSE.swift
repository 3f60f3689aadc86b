// libFuzzer target: the SSE parser, through its public entry points (scripts/fuzz sse). The first
// byte picks how the rest is split into chunks; the events must not depend on the split (the
// parser keeps partial lines across chunks), and nothing may crash.
import SwitchyardProviders

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSSE(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let step = Int(data[0]) + 1
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    func parse(chunk: Int) -> (events: [SSEEvent], failed: Bool, incomplete: Bool) {
        var parser = SSEParser(maxEventBytes: 4096)
        var events: [SSEEvent] = []
        var start = 0
        do {
            while start < bytes.count {
                let end = min(bytes.count, start + chunk)
                try parser.feed(Array(bytes[start..<end])) { events.append($0) }
                start = end
            }
            parser.finish { events.append($0) }
        } catch {
            return (events, true, parser.hasIncompleteEvent)
        }
        return (events, false, parser.hasIncompleteEvent)
    }
    let whole = parse(chunk: max(bytes.count, 1))
    let split = parse(chunk: step)
    // The size cap may trip at a different event when chunks differ; otherwise results agree.
    if !whole.failed && !split.failed {
        guard whole.events == split.events, whole.incomplete == split.incomplete else {
            fatalError("events depend on chunking (step \(step)): \(whole.events.count) vs \(split.events.count)")
        }
    }
    return 0
}
