import Logging
import SwitchyardContract
import SwitchyardCore
import SwitchyardFrontDoor
import SwitchyardJSON
import SwitchyardRuntime

/// The `ingress` Lambda function: API Gateway's REST proxy event (its authorizer's context names
/// the tenant, tier and key) → the front door (the same mapping, limits, errors, headers and
/// idempotency as the single-process server) → the answer, written in API Gateway's response
/// streaming format (a prelude with status and headers, then the body as it is produced).
///
/// Whole answers run the pipeline as one synchronous Express execution (`StepFunctionsBackend`);
/// streamed chat runs the router and llm-caller code in process, because Step Functions cannot
/// stream; both bill through the durable usage path (the SQS usage queue). Bodies above ~200 KiB
/// have their inline images put to S3 first (`BodyOffload`).
///
/// **Budget.** The front door routes each request in process for admission and reserves that
/// decision's cost ceiling in the ledger before anything billable runs; the execution routes
/// again (same bundle, same request), and its usage records carry the same request id, so the
/// usage logger settles the reservation when they land. See `docs/frontdoor.md`, "On AWS".
public struct IngressHandler: StreamingByteHandler {
    public let service: FrontDoorService
    public let offload: BodyOffload?
    public let maxBodyBytes: Int

    public init(service: FrontDoorService, offload: BodyOffload?, maxBodyBytes: Int) {
        self.service = service
        self.offload = offload
        self.maxBodyBytes = maxBodyBytes
    }

    public func handle(_ event: [UInt8], stream: ResponseStream, context: InvocationContext) async throws {
        let response = await respond(to: event, deadline: context.deadline)
        try await Self.write(response, to: stream)
    }

    /// The front door's answer to one proxy event; never throws (refusals are OpenAI-shaped).
    public func respond(to event: [UInt8], deadline: ContinuousClock.Instant) async -> FrontDoorResponse {
        let proxy: APIGatewayProxyEvent
        do { proxy = try JSON.decode(APIGatewayProxyEvent.self, from: event) } catch {
            return .error(
                .invalidRequest(param: nil, message: "the event is not an API Gateway proxy event"), requestID: nil)
        }
        guard let key = proxy.authorizedKey else {
            // A route without the authorizer, or a context it did not write: never trust the body.
            return .error(.invalidAPIKey, requestID: nil)
        }
        do {
            var request = try proxy.frontDoorRequest(maxBodyBytes: maxBodyBytes)
            if let offload, request.method == "POST" {
                request.body = try await offload.offload(request.body, deadline: deadline)
            }
            try BodyOffload.checkFitsExecution(request)
            request.authenticatedKey = key
            return await service.handle(request)
        } catch {
            return .error(error, requestID: nil)
        }
    }

    /// Writes the prelude, then the body: whole, or event by event as the stream produces them.
    /// A client gone mid-stream makes a write throw; the stream is cancelled (the upstream call
    /// stops, its partial usage is still billed) and the error ends the invocation.
    static func write(_ response: FrontDoorResponse, to stream: ResponseStream) async throws {
        stream.contentType = HTTPIntegrationResponse.contentType
        switch response.body {
        case .bytes(let bytes):
            try await stream.write(
                HTTPIntegrationResponse.prelude(status: response.status, headers: response.headers) + bytes)
        case .events(let events):
            do {
                try await stream.write(
                    HTTPIntegrationResponse.prelude(status: response.status, headers: response.headers))
                for await event in events.events { try await stream.write(event) }
            } catch {
                events.cancel()
                throw error
            }
        }
    }
}
