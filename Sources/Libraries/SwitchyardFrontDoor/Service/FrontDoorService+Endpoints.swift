import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardUsage

extension FrontDoorService {
    /// `POST /v1/embeddings`: the catalog's embedding models for the key's tier.
    func embeddings(_ http: FrontDoorRequest, key: StoredKey) async throws(FrontDoorError) -> FrontDoorResponse {
        let deadline = ContinuousClock.now + configuration.requestTimeout
        let request = try EmbeddingsRequest(body: http.body)
        let (requestID, _) = try requestID(http, tenant: key.tenant)
        let allowed = backend.catalog.models.filter { $0.kind == .embedding && $0.tiers.contains(key.tier) }
        let chosen: CatalogModel
        if let id = request.model {
            guard let model = allowed.first(where: { $0.id == id }) else { throw .modelNotFound(id.rawValue) }
            chosen = model
        } else {
            guard let first = allowed.first else { throw .modelNotFound("auto") }
            chosen = first
        }
        let bytes = request.inputs.reduce(0) { $0 + $1.utf8.count }
        try limiter.admit(key: key.id, limits: key.limits, tokens: bytes / 4 + 1)
        // A token is at least one byte of input in every tokenizer we price, so bytes bound tokens.
        var ceiling = PicoUSD.zero
        if let price = backend.price(of: chosen.id) {
            let (product, overflow) = price.inputPerMillion.rawValue.multipliedReportingOverflow(by: Int64(bytes))
            guard !overflow else { throw .invalidRequest(param: "input", message: "the input is too large to price") }
            ceiling = PicoUSD(product / 1_000_000 + 1)
        }
        let context = UsageContext(
            requestID: requestID, tenantID: key.tenant, user: request.user, tier: key.tier, route: "embedding",
            bundleVersion: backend.bundleVersion)
        if let refused = await reserve(ceiling: ceiling, tenant: key.tenant, requestID: requestID) { throw refused }
        let candidate = LLMCandidate(
            model: chosen.id, attemptTimeoutMs: 30_000, contextWindow: chosen.contextWindow,
            estimatedCostPicoUSD: ceiling)
        let result = await backend.embed(
            request.inputs, candidates: [candidate], context: context, dimensions: request.dimensions,
            invocationID: Self.invocationID(requestID), deadline: deadline)
        await enqueue(result.usage, context: context)
        let cost = backend.cost(of: result.usage)
        guard let vectors = result.vectors, result.status != .failed else {
            let error = result.error ?? StepError(errorType: "LLM.Failed", errorMessage: "no vectors")
            throw .upstreamFailed(errorType: error.errorType, message: error.errorMessage)
        }
        let body = EmbeddingsRequest.response(
            vectors: vectors, base64: request.base64, model: result.model ?? chosen.id, tokens: result.tokens,
            cost: cost)
        return .json(
            200, body.serialized(),
            headers: [
                ("x-request-id", requestID), ("x-switchyard-route", "embedding"),
                ("x-switchyard-model", (result.model ?? chosen.id).rawValue),
                ("x-switchyard-cost-usd", cost.description),
            ])
    }

    /// `GET /v1/models`: what the key's tier may use, with list prices.
    func models(key: StoredKey) -> FrontDoorResponse {
        let body = ModelList.response(
            backend.catalog.models, tier: key.tier, price: { self.backend.price(of: $0) }, created: 0)
        return .json(200, body.serialized())
    }

    /// `GET /v1/usage`: the key's tenant's month: budget, spend stored so far, open reservations.
    func usage(key: StoredKey) async throws(FrontDoorError) -> FrontDoorResponse {
        guard let (tier, budget) = backend.budget(ofTenant: key.tenant) else {
            throw .routerRejected(errorType: "Router.UnknownTenant", message: "tenant \(key.tenant) has no budget")
        }
        guard let billing else { throw .unavailable("billing is off on this server") }
        let balance: LedgerBalance
        do {
            balance = try await billing.ledger.balance(
                tenant: key.tenant, at: Self.now(), deadline: .now + configuration.ledgerTimeout)
        } catch {
            throw .unavailable("the usage store did not answer")
        }
        let (remaining, overflow) = budget.rawValue.subtractingReportingOverflow(balance.committedPicoUSD)
        guard !overflow else { throw .internalError("the ledger's committed amount is out of range") }
        let body = JSON.object(
            JSONObject([
                ("object", "usage"), ("tenant", .string(key.tenant)), ("tier", .string(tier)),
                ("month_start_ms", .integer(balance.month)), ("budget_usd", .string(budget.description)),
                ("spent_usd", .string(PicoUSD(balance.spentPicoUSD).description)),
                ("reserved_usd", .string(PicoUSD(balance.reservedPicoUSD).description)),
                ("committed_usd", .string(PicoUSD(balance.committedPicoUSD).description)),
                ("remaining_usd", .string(PicoUSD(remaining).description)),
                ("spent_pico_usd", .integer(balance.spentPicoUSD)),
                ("reserved_pico_usd", .integer(balance.reservedPicoUSD)),
                ("open_reservations", .integer(Int64(balance.openReservations))),
            ]))
        return .json(200, body.serialized())
    }
}
