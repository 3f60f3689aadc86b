import NIOCore
import NIOHTTP1
import SwitchyardJSON
import SwitchyardRuntimeAPI

/// The Runtime API of one execution environment, served on its own port.
enum RuntimeAPIRoutes {
    /// A `/response` in streaming mode is handed over at its head, so its chunks can be relayed
    /// to the invoker as they arrive.
    @Sendable static func isStreamedResponse(_ head: HTTPRequestHead) -> Bool {
        head.method == .POST
            && head.headers[canonicalForm: RuntimeAPI.Header.responseMode].contains {
                $0.lowercased() == RuntimeAPI.streamingResponseMode
            }
    }

    static func handle(_ request: ServerRequest, pool: FunctionPool, instanceID: Int) async -> ServerResponse {
        guard let route = RuntimeAPI.Route(method: request.method.rawValue, path: request.path) else {
            if let stream = request.bodyStream { for await _ in stream {} }
            return error(
                .notFound, "InvalidRequest", "unknown path \(request.method.rawValue) \(request.path.prefix(200))")
        }
        switch route {
        case .next:
            guard let invocation = await pool.nextInvocation(instanceID: instanceID) else {
                return error(.gone, "ShutDown", "the environment is shutting down, or already waits on /next")
            }
            var headers: [(String, String)] = [
                (RuntimeAPI.Header.requestID, invocation.requestID),
                (RuntimeAPI.Header.deadline, String(invocation.deadlineMilliseconds)),
                (RuntimeAPI.Header.functionARN, await pool.functionARN),
                (RuntimeAPI.Header.traceID, invocation.traceID),
            ]
            if let clientContext = invocation.clientContext {
                headers.append((RuntimeAPI.Header.clientContext, clientContext))
            }
            return .json(.ok, invocation.payload, headers: headers)
        case .response(let requestID) where request.bodyStream != nil:
            return await relayStream(request, requestID: requestID, pool: pool, instanceID: instanceID)
        case .response(let requestID):
            if request.bodyTooLarge {
                let message = "Exceeded maximum allowed payload size (\(RuntimeAPI.maximumResponseBytes) bytes)."
                let document = FunctionPool.errorDocument(type: "Function.ResponseSizeTooLarge", message: message)
                _ = await pool.respond(
                    instanceID: instanceID, requestID: requestID,
                    outcome: .functionError(errorType: "Function.ResponseSizeTooLarge", document: document))
                return error(.payloadTooLarge, "RequestEntityTooLarge", message)
            }
            guard await pool.respond(instanceID: instanceID, requestID: requestID, outcome: .success(request.body))
            else { return unknownRequest(requestID) }
            return accepted
        case .error(let requestID):
            let (errorType, document) = errorDocument(from: request)
            guard
                await pool.respond(
                    instanceID: instanceID, requestID: requestID,
                    outcome: .functionError(errorType: errorType, document: document))
            else { return unknownRequest(requestID) }
            return accepted
        case .initError:
            let (errorType, document) = errorDocument(from: request)
            await pool.initFailed(instanceID: instanceID, errorType: errorType, document: document)
            return accepted
        }
    }

    /// Relays a streamed `/response` to the invoker part by part; its trailers carry an error
    /// that happened after the stream started.
    private static func relayStream(_ request: ServerRequest, requestID: String, pool: FunctionPool, instanceID: Int)
        async -> ServerResponse
    {
        let contentType = request.headers.first(name: "Content-Type")
        guard
            await pool.beginStream(
                instanceID: instanceID, requestID: requestID, contentType: contentType, connection: request.connection)
        else {
            request.connection.close()
            return unknownRequest(requestID)
        }
        for await part in request.bodyStream! {
            switch part {
            case .bytes(let bytes):
                if await !pool.streamChunk(requestID: requestID, bytes: bytes) {
                    // Answered meanwhile, or over the limit: stop the upload where it is.
                    request.connection.close()
                    return error(.payloadTooLarge, "RequestEntityTooLarge", "the response stream was stopped")
                }
            case .end(let trailers):
                let report = ErrorReport(
                    trailerType: trailers?.first(name: RuntimeAPI.Header.errorType),
                    trailerBody: trailers?.first(name: RuntimeAPI.Header.errorBody))
                await pool.endStream(requestID: requestID, error: report)
                return accepted
            case .aborted:
                await pool.uploadAborted(requestID: requestID)
                return accepted
            }
        }
        await pool.uploadAborted(requestID: requestID)
        return accepted
    }

    /// The error document a runtime posted, normalised: Lambda passes on valid JSON as is, and
    /// the type comes from `Lambda-Runtime-Function-Error-Type`, then the body's `errorType`.
    static func errorDocument(from request: ServerRequest) -> (String, [UInt8]) {
        let report = ErrorReport(
            document: request.body, typeHeader: request.headers.first(name: RuntimeAPI.Header.errorType))
        if let parsed = try? JSON.parse(request.body), case .object = parsed { return (report.errorType, request.body) }
        return (report.errorType, FunctionPool.errorDocument(type: report.errorType, message: report.errorMessage))
    }

    private static let accepted = ServerResponse.json(.accepted, Array(#"{"status":"OK"}"#.utf8))

    private static func unknownRequest(_ requestID: String) -> ServerResponse {
        error(.badRequest, "InvalidRequestID", "unknown or already answered request id \(requestID.prefix(200))")
    }

    private static func error(_ status: HTTPResponseStatus, _ type: String, _ message: String) -> ServerResponse {
        .json(status, FunctionPool.errorDocument(type: type, message: message))
    }
}
