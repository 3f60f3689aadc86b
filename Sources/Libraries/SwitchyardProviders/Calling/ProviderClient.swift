import SwitchyardContract
import SwitchyardHTTP

/// What one attempt against one model produced, success or not, with what billing needs.
public struct AttemptResult<Response: Sendable>: Sendable {
    public var response: Response?
    public var error: LLMError?
    /// False when the request never left (it could not be encoded for this provider).
    public var sent: Bool
    /// The HTTP status, when a response head arrived.
    public var httpStatus: Int?
    /// Tokens the provider likely charged: the reported figures, or for a stream cut short the
    /// figures seen so far plus an estimate of the output received (marked `estimated`).
    /// `nil` when nothing was charged (rejected before generation).
    public var usage: UsageRecord.Tokens?
    public var latency: Duration
    public var timeToFirstToken: Duration?
    /// Answer text or a tool call reached the caller's `onText` before the attempt ended.
    public var emittedOutput: Bool

    public init(
        response: Response? = nil, error: LLMError? = nil, sent: Bool = true, httpStatus: Int? = nil,
        usage: UsageRecord.Tokens? = nil, latency: Duration, timeToFirstToken: Duration? = nil,
        emittedOutput: Bool = false
    ) {
        self.response = response
        self.error = error
        self.sent = sent
        self.httpStatus = httpStatus
        self.usage = usage
        self.latency = latency
        self.timeToFirstToken = timeToFirstToken
        self.emittedOutput = emittedOutput
    }
}

/// Makes one attempt: encode, send (buffered or streamed), decode, map failures to `LLMError`.
public struct ProviderClient: Sendable {
    public let transport: any HTTPTransport
    let tokenizer = CompatibleTokenizer()

    public init(transport: any HTTPTransport) { self.transport = transport }

    /// One attempt at `target`.
    /// - Parameter onText: receives answer text as it streams in (streamed requests only).
    public func attempt(
        _ request: ChatRequest, target: ModelTarget, codec: any ProviderCodec, deadline: ContinuousClock.Instant,
        onText: (@Sendable (String) -> Void)? = nil
    ) async -> AttemptResult<ChatResponse> {
        let start = ContinuousClock.now
        var chat = request
        if !codec.supportsStreaming { chat.stream = false }
        // The model's own limit caps what the request asks for.
        if let limit = target.maxOutputTokens, let asked = chat.maxTokens, asked > limit { chat.maxTokens = limit }
        let http: HTTPRequest
        do {
            http = try codec.encode(chat, for: target)
        } catch {
            return AttemptResult(error: error, sent: false, latency: .zero)
        }
        if chat.stream {
            return await streamed(
                http, chat: chat, target: target, codec: codec, deadline: deadline, start: start, onText: onText)
        }
        let provider = codec.provider
        let response: HTTPResponse
        do {
            response = try await transport.send(http, deadline: deadline) { Self.map($0, provider: provider) }
        } catch {
            return AttemptResult(error: error, latency: ContinuousClock.now - start)
        }
        let latency = ContinuousClock.now - start
        guard (200..<300).contains(response.status) else {
            return AttemptResult(
                error: codec.error(status: response.status, headers: response.headers, body: response.body),
                httpStatus: response.status, latency: latency)
        }
        let decoded: ChatResponse
        do {
            decoded = try codec.decode(response, request: chat, for: target)
        } catch {
            return AttemptResult(
                error: error, httpStatus: response.status, usage: codec.usage(in: response.body), latency: latency)
        }
        let final = await withCountedUsage(decoded, request: chat, target: target, deadline: deadline)
        return AttemptResult(response: final, httpStatus: response.status, usage: final.usage, latency: latency)
    }

    private func streamed(
        _ http: HTTPRequest, chat: ChatRequest, target: ModelTarget, codec: any ProviderCodec,
        deadline: ContinuousClock.Instant, start: ContinuousClock.Instant, onText: (@Sendable (String) -> Void)?
    ) async -> AttemptResult<ChatResponse> {
        let accumulator = codec.makeStreamAccumulator(request: chat, for: target)
        accumulator.onText = onText
        let receiver = StreamReceiver(accumulator: accumulator, provider: codec.provider, framing: codec.streamFraming)
        let provider = codec.provider
        var transportError: LLMError?
        do {
            _ = try await transport.stream(http, deadline: deadline, into: receiver) {
                Self.map($0, provider: provider, midStream: receiver.head != nil)
            }
        } catch {
            transportError = error
        }
        let latency = ContinuousClock.now - start
        let ttft = receiver.firstTokenAt.map { $0 - start }
        let status = receiver.head?.status
        let emitted = onText != nil && accumulator.hasOutput

        if let head = receiver.head, receiver.mode == .buffered {
            // An error status, or a server that answered a stream request with plain JSON.
            let response = HTTPResponse(status: head.status, headers: head.headers, body: receiver.buffered)
            if transportError == nil, (200..<300).contains(head.status) {
                do {
                    let decoded = try codec.decode(response, request: chat, for: target)
                    // Nothing went out as it arrived: hand the whole text to a streaming caller now.
                    if let onText, !decoded.text.isEmpty { onText(decoded.text) }
                    return AttemptResult(
                        response: decoded, httpStatus: head.status, usage: decoded.usage, latency: latency,
                        emittedOutput: onText != nil && !decoded.text.isEmpty)
                } catch {
                    return AttemptResult(
                        error: error, httpStatus: head.status, usage: codec.usage(in: receiver.buffered),
                        latency: latency)
                }
            }
            if !(200..<300).contains(head.status) {
                return AttemptResult(
                    error: codec.error(status: head.status, headers: head.headers, body: receiver.buffered),
                    httpStatus: head.status, latency: latency)
            }
        }

        if transportError == nil, receiver.failure == nil, receiver.mode == .events { receiver.finish() }
        let error: LLMError?
        if let failure = receiver.failure {
            error = failure
        } else if let transportError {
            error = transportError
        } else if !accumulator.isComplete || receiver.hasIncompleteFrame {
            error = .truncated(
                provider: provider, detail: "the stream ended without its terminator after \(receiver.bytes) bytes")
        } else {
            error = nil
        }
        guard let error else {
            var response = accumulator.response(providerRequestID: receiver.head.flatMap(Self.requestID))
            response.timeToFirstToken = ttft
            response = await withCountedUsage(response, request: chat, target: target, deadline: deadline)
            return AttemptResult(
                response: response, httpStatus: status, usage: response.usage, latency: latency,
                timeToFirstToken: ttft, emittedOutput: emitted)
        }
        return AttemptResult(
            error: error, httpStatus: status,
            usage: receiver.head == nil ? nil : Self.partialUsage(accumulator, request: chat),
            latency: latency, timeToFirstToken: ttft, emittedOutput: emitted)
    }

    /// Replaces rule-of-thumb usage with the server's tokenizer counts where it has one.
    private func withCountedUsage(
        _ response: ChatResponse, request: ChatRequest, target: ModelTarget, deadline: ContinuousClock.Instant
    ) async -> ChatResponse {
        guard response.usage.estimated else { return response }
        var counted = response
        counted.usage = await tokenizer.refine(
            response.usage, request: request, output: response.text, target: target, transport: transport,
            deadline: deadline)
        return counted
    }

    /// Usage of a stream that failed after it started: reported figures, with output at least
    /// what the received text amounts to; estimated throughout when nothing was reported.
    static func partialUsage(_ accumulator: any StreamAccumulator, request: ChatRequest) -> UsageRecord.Tokens? {
        let text = accumulator.text
        guard var usage = accumulator.reportedUsage else {
            return text.isEmpty ? nil : TokenEstimator.usage(request: request, output: text)
        }
        if !accumulator.isComplete {
            let seen = TokenEstimator.tokens(in: text)
            if seen > usage.output {
                usage.output = seen
                usage.estimated = true
            }
        }
        return usage
    }

    static func requestID(_ head: HTTPResponseHead) -> String? {
        head.headers["x-request-id"] ?? head.headers["request-id"] ?? head.headers["x-amzn-RequestId"]
    }

    static func map(_ error: TransportError, provider: ProviderID, midStream: Bool = false) -> LLMError {
        switch error {
        case .timeout(let ms): .timeout(provider: provider, milliseconds: ms)
        case .connectFailed(let why): .unreachable(provider: provider, detail: why)
        case .connectionClosed(let why):
            midStream
                ? .truncated(provider: provider, detail: why) : .upstream(provider: provider, status: 0, message: why)
        case .responseTooLarge(let limit):
            .badResponse(provider: provider, detail: "response larger than \(limit) bytes")
        case .invalidURL(let url): .invalidRequest("invalid provider URL \(url.prefix(200))")
        case .aborted: .truncated(provider: provider, detail: "the stream was stopped before it ended")
        case .io(let why): .unreachable(provider: provider, detail: why)
        }
    }
}

/// Feeds a streamed body through its framing parser (SSE or AWS event-stream) into a provider's
/// accumulator, or buffers it when the answer is an error status or not a stream at all.
final class StreamReceiver: HTTPStreamReceiver {
    enum Mode { case events, buffered }

    let accumulator: any StreamAccumulator
    let provider: ProviderID
    let framing: StreamFraming
    private var sse = SSEParser()
    private var eventStream = AWSEventStreamParser()
    private(set) var head: HTTPResponseHead?
    private(set) var mode = Mode.events
    private(set) var buffered: [UInt8] = []
    private(set) var failure: LLMError?
    private(set) var firstTokenAt: ContinuousClock.Instant?
    private(set) var bytes = 0

    init(accumulator: any StreamAccumulator, provider: ProviderID, framing: StreamFraming) {
        self.accumulator = accumulator
        self.provider = provider
        self.framing = framing
    }

    /// Part of an event or message is buffered: the body ended inside it.
    var hasIncompleteFrame: Bool {
        switch framing {
        case .serverSentEvents: sse.hasIncompleteEvent
        case .awsEventStream: eventStream.hasIncompleteMessage
        }
    }

    func receiveHead(_ head: HTTPResponseHead) {
        self.head = head
        let type = head.headers["content-type"] ?? ""
        mode = head.isSuccess && type.hasPrefix(framing.contentType) ? .events : .buffered
    }

    /// Flushes an SSE event completed by the end of the body.
    func finish() {
        guard framing == .serverSentEvents else { return }
        let accumulator = self.accumulator
        capture { try sse.finish { event in try accumulator.consume(event) } }
    }

    func receiveBody(_ chunk: UnsafeRawBufferPointer) -> Bool {
        // A streaming caller that went away (its task cancelled) stops the transfer.
        if Task.isCancelled { return false }
        bytes += chunk.count
        if mode == .buffered {
            buffered.append(contentsOf: chunk)
            return true
        }
        let accumulator = self.accumulator
        switch framing {
        case .serverSentEvents: capture { try sse.feed(chunk) { event in try accumulator.consume(event) } }
        case .awsEventStream:
            capture { try eventStream.feed(chunk) { message in try accumulator.consume(message.asEvent) } }
        }
        if failure != nil { return false }
        if firstTokenAt == nil, accumulator.hasOutput { firstTokenAt = .now }
        return true
    }

    private func capture(_ body: () throws -> Void) {
        do {
            try body()
        } catch let error as LLMError {
            failure = error
        } catch {
            failure = .badResponse(provider: provider, detail: "unreadable \(framing.contentType) stream: \(error)")
        }
    }
}
