import SwitchyardContract
import SwitchyardCore
import SwitchyardUsage

extension FrontDoorService {
    /// `POST /v1/detect`: one image through the pipeline's vision path.
    ///
    /// Admission is chat's: the key's rate limits, then the router's decision and its cost ceiling
    /// reserved against the tenant's budget, then `backend.run` — the whole pipeline as the state
    /// machine runs it, usage enqueued there. The decision is taken before `run` for the ceiling
    /// and the headers; an in-process backend runs that same decision, one that routes again bills
    /// its router record under the same usage key (billed once).
    func detect(_ http: FrontDoorRequest, key: StoredKey) async throws(FrontDoorError) -> FrontDoorResponse {
        let received = Self.now()
        let deadline = ContinuousClock.now + configuration.requestTimeout
        let detect = try DetectRequest(body: http.body)
        let (requestID, idempotent) = try requestID(http, tenant: key.tenant)
        return await once(idempotent ? key.tenant + "\u{1F}" + requestID : nil) {
            await self.admitAndDetect(
                detect, key: key, requestID: requestID, received: received, deadline: deadline)
        }
    }

    private func admitAndDetect(
        _ detect: DetectRequest, key: StoredKey, requestID: String, received: Int64, deadline: ContinuousClock.Instant
    ) async -> FrontDoorResponse {
        do { try limiter.admit(key: key.id, limits: key.limits, tokens: 1) } catch {
            return .error(error, requestID: requestID)
        }
        defer { limiter.settle(key: key.id, estimated: 1, used: 0) }
        if let refused = await backPressure() { return .error(refused, requestID: requestID) }
        let inference = InferenceRequest(
            requestID: requestID, tenantID: key.tenant, user: detect.user, images: [detect.image],
            hints: detect.hints.isEmpty ? nil : detect.hints, receivedAtMs: received)
        let decision = await backend.route(inference, deadline: deadline)
        let model = detect.model?.rawValue ?? "auto"
        if decision.route == .rejected {
            await enqueue(decision.usage, context: decision.context)
            return .error(Self.refusal(decision.rejection, model: model), requestID: requestID)
        }
        guard decision.route == .vision else {
            await enqueue(decision.usage, context: decision.context)
            return .error(
                .invalidRequest(
                    param: "image", message: "this request routes to \(decision.route.rawValue), not to a detector"),
                requestID: requestID)
        }
        if let refused = await reserve(decision, tenant: key.tenant, requestID: requestID) {
            await enqueueRefused(decision.usage, context: decision.context, refusal: refused)
            return .error(refused, requestID: requestID)
        }
        let response = await backend.run(inference, deadline: deadline)
        let outcome = response.vision
        let cost = backend.cost(of: decision.usage + (outcome?.usage ?? []))
        var headers = ChatCompletionResponse.routeHeaders(
            requestID: requestID, decision: decision, model: outcome?.model,
            fallback: outcome?.status == .degraded, cost: cost)
        headers.append(("x-switchyard-status", response.status.rawValue))
        if response.status == .rejected {
            return .error(Self.refusal(response.rejection, model: model), requestID: requestID)
        }
        guard let outcome, let image = outcome.results.first, response.status != .failed else {
            let error = response.error ?? outcome?.error ?? StepError(errorType: "Vision.Failed", errorMessage: "none")
            var answer = FrontDoorResponse.error(Self.visionFailure(error), requestID: requestID)
            answer.headers += headers.filter { $0.0 != "x-request-id" }
            return answer
        }
        return .json(
            200,
            DetectResponse.body(
                requestID: requestID, created: received / 1000, outcome: outcome, image: image, cost: cost),
            headers: headers)
    }

    /// The router's refusal as an OpenAI error.
    static func refusal(_ rejection: StepError?, model: String) -> FrontDoorError {
        let rejection = rejection ?? StepError(errorType: "Router.Rejected", errorMessage: "rejected")
        switch rejection.errorType {
        case "Router.BudgetExceeded": return .budgetExceeded(message: rejection.errorMessage)
        case "Router.UnknownModel", "Router.ModelNotAllowed": return .modelNotFound(model)
        default: return .routerRejected(errorType: rejection.errorType, message: rejection.errorMessage)
        }
    }

    /// A failed vision step as the client should see it: its image (400, 413) or the service (502, 503).
    static func visionFailure(_ error: StepError) -> FrontDoorError {
        switch error.errorType {
        case "Image.TooLarge", "Vision.ImageTooLarge":
            return .imageTooLarge(errorType: error.errorType, message: error.errorMessage)
        case "Image.FetchFailed", "Image.Forbidden", "Image.InvalidReference", "Image.UnsupportedFormat",
            "Vision.CorruptImage", "Vision.EmptyImage", "Vision.NotAnImage", "Vision.UnsupportedFormat",
            "Vision.InvalidRequest":
            return .badImage(errorType: error.errorType, message: error.errorMessage)
        case "Vision.Unavailable", "Switchyard.UsageNotQueued":
            return .unavailable(error.errorMessage)
        default:
            return .upstream(error)
        }
    }
}
