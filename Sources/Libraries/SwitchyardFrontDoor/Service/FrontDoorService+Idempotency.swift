extension FrontDoorService {
    /// Runs `body` once per idempotency key (nil: always): a retry of a finished request gets the
    /// first answer (`x-switchyard-idempotent-replay: true`), one that arrives while the first runs
    /// waits for it. Refusals a retry may get past (429, 5xx) are not remembered.
    func once(_ cacheKey: String?, _ body: () async -> FrontDoorResponse) async -> FrontDoorResponse {
        guard let cacheKey else { return await body() }
        switch await idempotency.claim(cacheKey) {
        case .replay(let answer): return Self.replay(answer)
        case .run: break
        }
        let response = await body()
        settle(cacheKey, with: response)
        return response
    }

    /// The first answer, as a retry of its request gets it.
    static func replay(_ answer: IdempotencyCache.Answer) -> FrontDoorResponse {
        FrontDoorResponse(
            status: answer.status, headers: answer.headers + [("x-switchyard-idempotent-replay", "true")],
            body: .bytes(answer.body))
    }

    /// Ends a claimed run: its answer is kept for retries, unless a retry may get past it (429, 5xx).
    @inline(never)
    func settle(_ cacheKey: String, with response: FrontDoorResponse) {
        if let bytes = response.bytes, response.status < 500, response.status != 429 {
            idempotency.finish(cacheKey, .init(status: response.status, headers: response.headers, body: bytes))
        } else {
            idempotency.abandon(cacheKey)
        }
    }
}
