import NIOHTTP1
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntimeAPI
import Synchronization

/// The streaming ways in:
///
/// - `POST /2021-11-15/functions/{FunctionName}/response-streaming-invocations`:
///   InvokeWithResponseStream, as AWS SDKs (boto3 `invoke_with_response_stream`) and API
///   Gateway's streaming Lambda proxy integration call it. The answer is `200` with an AWS event
///   stream: a `PayloadChunk` for each part of the response as the function writes it, then one
///   `InvokeComplete` (with `ErrorCode`/`ErrorDetails` when the function failed, before or after
///   it started streaming). Throttling and bad requests are ordinary Lambda errors.
/// - `POST /stream/{FunctionName}`: the same invocation as plain HTTP, the way a function URL in
///   `RESPONSE_STREAM` mode answers curl or a browser: `200` with the function's content type
///   and its bytes as chunks; an error after the first byte arrives in the trailers
///   `Lambda-Runtime-Function-Error-Type` / `Lambda-Runtime-Function-Error-Body` (base64
///   document); an error before it is a `502` with the error document.
///
/// A client that disconnects mid-stream abandons the invocation: the emulator cuts the runtime's
/// upload, and the handler's next write fails with a cancellation.
struct InvokeStreamRoutes: Sendable {
    let invoke: InvokeAPIRoutes

    /// The response for a streaming route, or nil when the path is not one.
    func handle(_ request: ServerRequest, parts: [String]) async -> ServerResponse? {
        let eventStream: Bool
        let identifier: String
        if parts.count == 4, parts[0] == "2021-11-15", parts[1] == "functions",
            parts[3] == "response-streaming-invocations"
        {
            (eventStream, identifier) = (true, parts[2])
        } else if parts.count == 2, parts[0] == "stream" {
            (eventStream, identifier) = (false, parts[1])
        } else {
            return nil
        }
        guard request.method == .POST else {
            return invoke.awsError(.notFound, "UnknownOperationException", "Unknown operation \(request.method)")
        }
        let name = InvokeAPIRoutes.functionName(fromIdentifier: identifier)
        guard let pool = invoke.pools[name] else {
            return invoke.awsError(
                .notFound, "ResourceNotFoundException",
                "Function not found: arn:aws:lambda:us-east-1:000000000000:function:\(name)")
        }
        if request.bodyTooLarge {
            return invoke.awsError(
                .payloadTooLarge, "RequestEntityTooLargeException",
                "Request must be smaller than \(Emulator.maximumRequestBytes) bytes for the InvokeFunction operation")
        }
        let payload = request.body.isEmpty ? Array("{}".utf8) : request.body
        guard (try? JSON.parse(payload)) != nil else {
            return invoke.awsError(
                .badRequest, "InvalidRequestContentException",
                "Could not parse request body into json: the payload is not valid JSON")
        }
        switch request.headers.first(name: "X-Amz-Invocation-Type") ?? "RequestResponse" {
        case "RequestResponse": break
        case "DryRun": return ServerResponse(status: .noContent)
        case let other:
            return invoke.awsError(.badRequest, "InvalidParameterValueException", "Unsupported InvocationType \(other)")
        }
        let clientContext = request.headers.first(name: "X-Amz-Client-Context").flatMap { try? Base64.decode($0) }.map {
            String(decoding: $0, as: UTF8.self)
        }
        switch await pool.invokeStreaming(payload: payload, clientContext: clientContext) {
        case .throttled:
            return invoke.awsError(
                .tooManyRequests, "TooManyRequestsException", "Rate Exceeded.",
                reason: "ReservedFunctionConcurrentInvocationLimitExceeded")
        case .started(let requestID, let events):
            let finished = Atomic<Bool>(false)
            request.connection.onClose {
                guard !finished.load(ordering: .acquiring) else { return }
                Task { await pool.abandon(requestID: requestID) }
            }
            let markFinished: @Sendable () -> Void = { finished.store(true, ordering: .releasing) }
            return eventStream
                ? Self.eventStreamResponse(events, finished: markFinished)
                : await Self.chunkedResponse(events, finished: markFinished)
        }
    }

    private static func eventStreamResponse(
        _ events: AsyncStream<StreamEvent>, finished: @escaping @Sendable () -> Void
    )
        -> ServerResponse
    {
        let (body, output) = AsyncStream<ResponseBodyPart>.makeStream()
        Task {
            for await event in events {
                switch event {
                case .begin: continue
                case .chunk(let bytes): output.yield(.bytes(AWSEventStream.payloadChunks(bytes)))
                case .complete(let error):
                    finished()
                    output.yield(.bytes(AWSEventStream.invokeComplete(error)))
                }
            }
            output.finish()
        }
        return ServerResponse(
            status: .ok,
            headers: [("Content-Type", AWSEventStream.contentType), ("X-Amz-Executed-Version", "$LATEST")],
            bodyStream: body)
    }

    private static func chunkedResponse(_ events: AsyncStream<StreamEvent>, finished: @escaping @Sendable () -> Void)
        async -> ServerResponse
    {
        var iterator = events.makeAsyncIterator()
        let contentType: String
        switch await iterator.next() {
        case .begin(let declared): contentType = declared ?? "application/octet-stream"
        case .complete(let error?):
            finished()
            return .json(.badGateway, error.body, headers: [("X-Amz-Function-Error", error.errorType)])
        case .complete(nil):
            finished()
            return ServerResponse(status: .ok)
        case .chunk, nil:
            // No invocation left to relay (the client is already gone).
            return ServerResponse(status: .badGateway)
        }
        let (body, output) = AsyncStream<ResponseBodyPart>.makeStream()
        Task { [iterator] in
            var iterator = iterator
            while let event = await iterator.next() {
                switch event {
                case .begin: continue
                case .chunk(let bytes): output.yield(.bytes(bytes))
                case .complete(let error):
                    finished()
                    if let error {
                        output.yield(
                            .trailers([
                                (RuntimeAPI.Header.errorType, error.errorType),
                                (RuntimeAPI.Header.errorBody, error.trailerValue),
                            ]))
                    }
                }
            }
            output.finish()
        }
        return ServerResponse(
            status: .ok,
            headers: [("Content-Type", contentType), ("Trailer", RuntimeAPI.streamingTrailerDeclaration)],
            bodyStream: body)
    }
}
