import SwitchyardContract
import SwitchyardJSON
import SwitchyardRouting
import SwitchyardRuntime

/// The router as the Runtime loop runs it: the contract's `InferenceRequest` in, `RouteDecision`
/// out. It decodes with the shared decoder and writes the decision with
/// `RouteDecision.encodedJSON()`, byte-identical to the generic encoder and several times faster
/// for a 50-candidate report (scripts/bench-router measures both). An event that does not decode
/// is the one Lambda error the router raises (`Runtime.InvalidEvent`); every refusal after that is
/// a decision.
public struct RouterByteHandler: ByteHandler {
    public let handler: RouterHandler

    public init(_ handler: RouterHandler) { self.handler = handler }

    public func handle(_ event: [UInt8], context: InvocationContext) async throws -> [UInt8] {
        let request: InferenceRequest
        do {
            request = try JSON.decode(InferenceRequest.self, from: event)
        } catch {
            throw RuntimeError.invalidEvent(describeDecodingError(error))
        }
        let decision = try await handler.handle(request, context: context)
        do {
            return try decision.encodedJSON()
        } catch {
            throw RuntimeError.invalidResponse("\(error)")
        }
    }
}
