import SwitchyardContract
import SwitchyardJSON
import SwitchyardUsage
import XCTest

@testable import SwitchyardFrontDoor

final class FrontDoorServiceTests: XCTestCase {
    var key: APIKey!
    var revoked: APIKey!
    var backend: FakeBackend!
    var ledger: MemoryLedger!
    var queue: MemoryQueue!
    var service: FrontDoorService!

    override func setUpWithError() throws {
        var store = try KeyStore()
        key = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        revoked = try store.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        _ = try store.revoke(id: revoked.id, now: 2)
        backend = try FakeBackend()
        ledger = MemoryLedger()
        queue = MemoryQueue()
        service = FrontDoorService(
            keys: KeyRing(store: store), backend: backend, billing: FrontDoorBilling(ledger: ledger, queue: queue))
    }

    let chatBody = #"{"model": "auto", "messages": [{"role": "user", "content": "Capital of France?"}]}"#

    func post(_ path: String, _ body: String, key: String?, headers: [(String, String)] = []) async -> FrontDoorResponse
    {
        var all = headers.map { (name: $0.0, value: $0.1) }
        if let key { all.append((name: "Authorization", value: "Bearer \(key)")) }
        return await service.handle(FrontDoorRequest(method: "POST", path: path, headers: all, body: Array(body.utf8)))
    }

    func json(_ response: FrontDoorResponse) throws -> JSON { try JSON.parse(response.bytes ?? []) }

    func header(_ response: FrontDoorResponse, _ name: String) -> String? {
        response.headers.first { $0.0.lowercased() == name }?.1
    }

    func collect(_ response: FrontDoorResponse) async -> [String] {
        guard case .events(let stream) = response.body else { return [] }
        var events: [String] = []
        for await event in stream.events { events.append(String(decoding: event, as: UTF8.self)) }
        return events
    }

    func testCompletionCarriesUsageCostAndRouteHeaders() async throws {
        let response = await post("/v1/chat/completions", chatBody, key: key.text)
        XCTAssertEqual(response.status, 200)
        let body = try json(response)
        XCTAssertEqual(body["object"]?.stringValue, "chat.completion")
        XCTAssertEqual(body["model"]?.stringValue, "small")
        XCTAssertEqual(body["choices"]?[0]?["message"]?["content"]?.stringValue, "Paris.")
        XCTAssertEqual(body["choices"]?[0]?["finish_reason"]?.stringValue, "stop")
        XCTAssertEqual(body["usage"]?["prompt_tokens"]?.int64Value, 10)
        XCTAssertEqual(body["usage"]?["completion_tokens"]?.int64Value, 4)
        XCTAssertEqual(body["usage"]?["total_tokens"]?.int64Value, 14)
        XCTAssertEqual(body["usage"]?["prompt_tokens_details"]?["cached_tokens"]?.int64Value, 2)
        // Router record + LLM record at $0.001 each.
        XCTAssertEqual(body["usage"]?["cost_usd"]?.stringValue, "0.002")
        XCTAssertEqual(body["usage"]?["cost_pico_usd"]?.int64Value, 2_000_000_000)
        XCTAssertEqual(header(response, "x-switchyard-route"), "llm cheapest")
        XCTAssertEqual(header(response, "x-switchyard-model"), "small")
        XCTAssertEqual(header(response, "x-switchyard-rule"), "rule-1")
        let requestID = try XCTUnwrap(header(response, "x-request-id"))
        XCTAssertEqual(body["id"]?.stringValue, "chatcmpl-" + requestID)
        // Billed through the queue: the router's and the LLM's records, with the request's id.
        XCTAssertEqual(queue.records.map(\.step), ["router", "llm"])
        XCTAssertEqual(Set(queue.records.map(\.requestID)), [requestID])
        XCTAssertEqual(ledger.state.withLock { $0.committed }, 5_000_000_000)
    }

    func testAuthenticationFailures() async throws {
        for (key, code) in [
            (nil, "invalid_api_key"), ("sk-wrong", "invalid_api_key"), (revoked.text, "api_key_revoked"),
        ] {
            let response = await post("/v1/chat/completions", chatBody, key: key)
            XCTAssertEqual(response.status, 401)
            XCTAssertEqual(try json(response)["error"]?["code"]?.stringValue, code)
            XCTAssertEqual(try json(response)["error"]?["type"]?.stringValue, "authentication_error")
        }
        XCTAssertEqual(backend.calls.load(ordering: .relaxed), 0)
        XCTAssertTrue(queue.records.isEmpty)
    }

    func testInvalidRequestIsA400NamingTheParam() async throws {
        let response = await post("/v1/chat/completions", #"{"model": "auto", "messages": []}"#, key: key.text)
        XCTAssertEqual(response.status, 400)
        XCTAssertEqual(try json(response)["error"]?["param"]?.stringValue, "messages")
        XCTAssertEqual(try json(response)["error"]?["type"]?.stringValue, "invalid_request_error")
    }

    func testRateLimitIs429WithRetryAfter() async throws {
        var store = try KeyStore()
        let limited = try store.create(
            tenant: "acme", tier: "basic", name: nil, limits: KeyLimits(requestsPerMinute: 1, tokensPerMinute: 100_000),
            now: 1
        ).0
        service = FrontDoorService(keys: KeyRing(store: store), backend: backend, billing: nil)
        let first = await post("/v1/chat/completions", chatBody, key: limited.text)
        XCTAssertEqual(first.status, 200)
        let second = await post("/v1/chat/completions", chatBody, key: limited.text)
        XCTAssertEqual(second.status, 429)
        XCTAssertEqual(try json(second)["error"]?["code"]?.stringValue, "rate_limit_exceeded")
        let retry = try XCTUnwrap(header(second, "retry-after").flatMap(Int.init))
        XCTAssertTrue((59...60).contains(retry), "retry-after \(retry)")
    }

    func testLedgerRefusalIsInsufficientQuotaAndNotRetried() async throws {
        backend.script.withLock { $0.budget = PicoUSD(4_000_000_000) }  // below one ceiling after the first
        let admitted = await post("/v1/chat/completions", chatBody, key: key.text)
        XCTAssertEqual(admitted.status, 200)
        let refused = await post("/v1/chat/completions", chatBody, key: key.text)
        XCTAssertEqual(refused.status, 429)
        XCTAssertEqual(try json(refused)["error"]?["type"]?.stringValue, "insufficient_quota")
        XCTAssertEqual(header(refused, "x-should-retry"), "false")
        XCTAssertEqual(backend.calls.load(ordering: .relaxed), 1)
        // The refused request's router record is still billed, to the tenant: its budget is its own.
        XCTAssertEqual(queue.records.map(\.step), ["router", "llm", "router"])
        XCTAssertEqual(queue.records.map(\.tenant), ["acme", "acme", "acme"])
        XCTAssertEqual(queue.records.last?.status, .succeeded)
    }

    /// A refusal for our own outage or overload after routing (here the ledger's answer lost: 503
    /// `FrontDoor.Unavailable`; `admission_busy` in `ReservationBatcherTests`) is not a billed call
    /// of the tenant's: the router's record is kept, as the platform's cost, and says why.
    func testAnOverloadRefusalChargesTheTenantNothingAndRecordsThePlatformsCost() async throws {
        ledger.answersLate.withLock { $0 = true }
        let refused = await post("/v1/chat/completions", chatBody, key: key.text, headers: [("Idempotency-Key", "k1")])
        XCTAssertEqual(refused.status, 503)
        let errorType = try XCTUnwrap(try json(refused)["error"]?["switchyard_error_type"]?.stringValue)
        let requestID = try XCTUnwrap(header(refused, "x-request-id"))
        let records = queue.records.filter { $0.requestID == requestID }
        XCTAssertEqual(records.count, 1, "the router's record is kept")
        XCTAssertEqual(records.filter { $0.tenant == "acme" }.count, 0, "nothing of it is the tenant's")
        let platform = try XCTUnwrap(records.first)
        XCTAssertEqual(platform.tenant, FrontDoorService.platformTenant)
        XCTAssertEqual(platform.step, "router")
        XCTAssertEqual(platform.status, .rejected)
        XCTAssertEqual(platform.errorType, errorType)
        XCTAssertEqual(platform.errorCause, "not charged: \(errorType) refused this request of tenant acme")
        XCTAssertEqual(queue.batches.withLock { $0.last?.context?.tenantID }, FrontDoorService.platformTenant)

        // The client's retry is served and billed to the tenant under the usual keys, beside the
        // platform's record (a different invocation id: neither overwrites the other).
        ledger.answersLate.withLock { $0 = false }
        let deadline = ContinuousClock.now + .seconds(5)
        while ledger.state.withLock({ !$0.open.isEmpty }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        let served = await post("/v1/chat/completions", chatBody, key: key.text, headers: [("Idempotency-Key", "k1")])
        XCTAssertEqual(served.status, 200)
        let all = queue.records.filter { $0.requestID == requestID }
        XCTAssertEqual(all.map(\.tenant), [FrontDoorService.platformTenant, "acme", "acme"])
        XCTAssertEqual(all.map(\.step), ["router", "router", "llm"])
        XCTAssertEqual(Set(all.map { "\($0.step) \($0.invocationID)" }).count, 3, "three distinct usage keys")
        // Apart from who pays and why, the platform's record is the router record the tenant's
        // served request bills (its compute and timings, so it is priced the same).
        var charged = all[1]
        charged.tenant = platform.tenant
        charged.user = platform.user
        charged.status = platform.status
        charged.errorType = platform.errorType
        charged.errorCause = platform.errorCause
        charged.invocationID = "overload-" + charged.invocationID
        XCTAssertEqual(platform, charged)
    }

    /// A reservation the store wrote but answered too late for is released: the refused request
    /// never reports usage that would settle it, and its ceiling must not stay against the budget.
    func testALedgerThatAnswersLateIsA503AndTheReservationIsReleased() async throws {
        ledger.answersLate.withLock { $0 = true }
        let refused = await post("/v1/chat/completions", chatBody, key: key.text)
        XCTAssertEqual(refused.status, 503)
        XCTAssertEqual(backend.calls.load(ordering: .relaxed), 0)
        let deadline = ContinuousClock.now + .seconds(5)
        while ledger.state.withLock({ !$0.open.isEmpty }), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(5))
        }
        XCTAssertEqual(ledger.state.withLock { $0.open.count }, 0, "the late reservation is still open")
        XCTAssertEqual(ledger.state.withLock { $0.committed }, 0)
        ledger.answersLate.withLock { $0 = false }
        let admitted = await post("/v1/chat/completions", chatBody, key: key.text)
        XCTAssertEqual(admitted.status, 200)
        XCTAssertEqual(ledger.state.withLock { $0.open.count }, 1)
    }

    func testRouterRejections() async throws {
        backend.script.withLock {
            $0.rejection = StepError(errorType: "Router.BudgetExceeded", errorMessage: "spent")
        }
        let budget = await post("/v1/chat/completions", chatBody, key: key.text)
        XCTAssertEqual(budget.status, 429)
        XCTAssertEqual(try json(budget)["error"]?["code"]?.stringValue, "insufficient_quota")
        backend.script.withLock {
            $0.rejection = StepError(errorType: "Router.ModelNotAllowed", errorMessage: "no")
        }
        let model = await post(
            "/v1/chat/completions", #"{"model": "big", "messages": [{"role": "user", "content": "x"}]}"#, key: key.text)
        XCTAssertEqual(model.status, 404)
        XCTAssertEqual(try json(model)["error"]?["code"]?.stringValue, "model_not_found")
    }

    func testUpstreamFailureIs502WithTheCallerErrorType() async throws {
        backend.script.withLock { $0.fail = StepError(errorType: "Provider.Unavailable", errorMessage: "down") }
        let response = await post("/v1/chat/completions", chatBody, key: key.text)
        XCTAssertEqual(response.status, 502)
        XCTAssertEqual(try json(response)["error"]?["code"]?.stringValue, "Provider.Unavailable")
        // Failed attempts are billed too.
        XCTAssertEqual(queue.records.map(\.step), ["router", "llm"])
    }

    func testStreamingWithUsage() async throws {
        let body =
            #"{"model": "auto", "stream": true, "stream_options": {"include_usage": true}, "#
            + #""messages": [{"role": "user", "content": "hi"}]}"#
        let response = await post("/v1/chat/completions", body, key: key.text)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(header(response, "content-type"), "text/event-stream")
        let events = await collect(response)
        XCTAssertEqual(events.last, "data: [DONE]\n\n")
        let chunks = try events.dropLast().map { event -> JSON in
            XCTAssertTrue(event.hasPrefix("data: ") && event.hasSuffix("\n\n"))
            return try JSON.parse(String(event.dropFirst(6).dropLast(2)))
        }
        XCTAssertEqual(chunks.first?["choices"]?[0]?["delta"]?["role"]?.stringValue, "assistant")
        let text = chunks.compactMap { $0["choices"]?[0]?["delta"]?["content"]?.stringValue }.joined()
        XCTAssertEqual(text, "Paris.")
        XCTAssertEqual(chunks.dropLast().last?["choices"]?[0]?["finish_reason"]?.stringValue, "stop")
        let usage = try XCTUnwrap(chunks.last)
        XCTAssertEqual(usage["choices"]?.arrayValue?.count, 0)
        XCTAssertEqual(usage["usage"]?["completion_tokens"]?.int64Value, 4)
        XCTAssertEqual(usage["usage"]?["cost_usd"]?.stringValue, "0.002")
        XCTAssertEqual(queue.records.map(\.step), ["router", "llm"])
    }

    let ragBody =
        #"{"model": "auto", "messages": [{"role": "user", "content": "Notice period?"}], "#
        + #""switchyard": {"retrieval": "knowledge"}}"#

    func testTheDecisionsRetrievalPlanReachesTheLLMStepAndItsCitationsTheAnswer() async throws {
        let response = await post("/v1/chat/completions", ragBody, key: key.text)
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(backend.retrievalPlans.withLock { $0 }.map { $0?.collection }, ["knowledge"])
        let body = try json(response)
        let citation = try XCTUnwrap(body["citations"]?[0])
        XCTAssertEqual(body["citations"]?.arrayValue?.count, 1)
        XCTAssertEqual(citation["index"]?.int64Value, 1)
        XCTAssertEqual(citation["source"]?.stringValue, "knowledge/a.md")
        XCTAssertEqual(citation["position"]?.int64Value, 4)
        XCTAssertEqual(citation["heading"]?.stringValue, "Terms")
        XCTAssertEqual(citation["score"]?.doubleValue, 0.8125)
        XCTAssertEqual(citation["chunk_id"]?.stringValue, "c-1")
        let report = try XCTUnwrap(body["retrieval"])
        XCTAssertEqual(report["status"]?.stringValue, "retrieved")
        XCTAssertEqual(report["degraded"]?.boolValue, false)
        XCTAssertEqual(report["collection"]?.stringValue, "knowledge")
        XCTAssertEqual(report["embedding_model"]?.stringValue, "embed")
        XCTAssertEqual(report["searched"]?.int64Value, 7)
        XCTAssertNil(report["error"])
    }

    func testAFailedRetrievalIsMarkedDegradedWithItsError() async throws {
        backend.script.withLock { $0.retrievalStatus = "failed" }
        let body = try json(await post("/v1/chat/completions", ragBody, key: key.text))
        XCTAssertEqual(body["choices"]?[0]?["message"]?["content"]?.stringValue, "Paris.")
        XCTAssertNil(body["citations"])
        XCTAssertEqual(body["retrieval"]?["status"]?.stringValue, "failed")
        XCTAssertEqual(body["retrieval"]?["degraded"]?.boolValue, true)
        XCTAssertEqual(body["retrieval"]?["error"]?["type"]?.stringValue, "Retrieval.Unavailable")
    }

    func testAChatWithoutRetrievalHasNoExtension() async throws {
        let body = try json(await post("/v1/chat/completions", chatBody, key: key.text))
        XCTAssertNil(body["citations"])
        XCTAssertNil(body["retrieval"])
        XCTAssertEqual(backend.retrievalPlans.withLock { $0.count }, 1)
        XCTAssertNil(backend.retrievalPlans.withLock { $0[0] })
    }

    func testAStreamSendsTheCitationsInAChunkBetweenTheFinishReasonAndTheUsage() async throws {
        let body =
            #"{"model": "auto", "stream": true, "stream_options": {"include_usage": true}, "#
            + #""messages": [{"role": "user", "content": "Notice period?"}], "switchyard": {"retrieval": "knowledge"}}"#
        let events = await collect(await post("/v1/chat/completions", body, key: key.text))
        XCTAssertEqual(events.last, "data: [DONE]\n\n")
        let chunks = try events.dropLast().map { try JSON.parse(String($0.dropFirst(6).dropLast(2))) }
        XCTAssertGreaterThanOrEqual(chunks.count, 4)
        let finish = chunks[chunks.count - 3]
        let sources = chunks[chunks.count - 2]
        let usage = chunks[chunks.count - 1]
        XCTAssertEqual(finish["choices"]?[0]?["finish_reason"]?.stringValue, "stop")
        XCTAssertEqual(sources["object"]?.stringValue, "chat.completion.chunk")
        XCTAssertEqual(sources["choices"]?.arrayValue?.count, 0)
        XCTAssertEqual(sources["citations"]?[0]?["source"]?.stringValue, "knowledge/a.md")
        XCTAssertEqual(sources["retrieval"]?["status"]?.stringValue, "retrieved")
        XCTAssertNil(sources["usage"])
        XCTAssertEqual(usage["usage"]?["completion_tokens"]?.int64Value, 4)
        XCTAssertNil(usage["citations"])
    }

    func testStreamCutMidAnswerEndsWithAnErrorEventAndBillsThePartialUsage() async throws {
        backend.script.withLock {
            $0.fail = StepError(errorType: "Provider.Truncated", errorMessage: "cut")
            $0.cutAfterPieces = 1
        }
        let body = #"{"model": "auto", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#
        let events = await collect(await post("/v1/chat/completions", body, key: key.text))
        XCTAssertFalse(events.contains("data: [DONE]\n\n"))
        XCTAssertTrue(events.contains { $0.contains("\"Par\"") })
        let last = try JSON.parse(String(try XCTUnwrap(events.last).dropFirst(6).dropLast(2)))
        XCTAssertEqual(last["error"]?["code"]?.stringValue, "Provider.Truncated")
        XCTAssertEqual(queue.records.map(\.step), ["router", "llm"])
    }

    func testClientGoneMidStreamCancelsAndStillBills() async throws {
        backend.script.withLock { $0.delay = .seconds(30) }
        let body = #"{"model": "auto", "stream": true, "messages": [{"role": "user", "content": "hi"}]}"#
        let response = await post("/v1/chat/completions", body, key: key.text)
        guard case .events(let stream) = response.body else { return XCTFail("not a stream") }
        let started = ContinuousClock.now
        stream.cancel()
        // The call is cancelled (its 30 s sleep ends at once) and its usage still lands.
        while queue.records.count < 2, ContinuousClock.now - started < .seconds(10) {
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTAssertEqual(queue.records.map(\.step), ["router", "llm"])
        XCTAssertLessThan(ContinuousClock.now - started, .seconds(10))
    }

    func testIdempotencyKeyRunsAndBillsOnce() async throws {
        let headers = [("Idempotency-Key", "retry-1")]
        backend.script.withLock { $0.delay = .milliseconds(200) }
        let service = self.service!
        let request = FrontDoorRequest(
            method: "POST", path: "/v1/chat/completions",
            headers: [
                (name: "Idempotency-Key", value: "retry-1"), (name: "Authorization", value: "Bearer \(key.text)"),
            ],
            body: Array(chatBody.utf8))
        async let a = service.handle(request)
        async let b = service.handle(request)
        let (first, second) = await (a, b)
        backend.script.withLock { $0.delay = .zero }
        XCTAssertEqual(first.status, 200)
        XCTAssertEqual(second.status, 200)
        XCTAssertEqual(first.bytes, second.bytes)
        XCTAssertEqual(header(first, "x-request-id"), header(second, "x-request-id"))
        let third = await post("/v1/chat/completions", chatBody, key: key.text, headers: headers)
        XCTAssertEqual(header(third, "x-switchyard-idempotent-replay"), "true")
        XCTAssertEqual(backend.calls.load(ordering: .relaxed), 1)
        XCTAssertEqual(queue.records.count, 2)
        // Another key text for another request runs again.
        let other = await post(
            "/v1/chat/completions", chatBody, key: key.text, headers: [("Idempotency-Key", "retry-2")])
        XCTAssertNotEqual(header(other, "x-request-id"), header(first, "x-request-id"))
        XCTAssertEqual(backend.calls.load(ordering: .relaxed), 2)
    }

    func testEmbeddingsFloatAndBase64() async throws {
        let floats = await post("/v1/embeddings", #"{"model": "embed", "input": ["a", "b"]}"#, key: key.text)
        XCTAssertEqual(floats.status, 200)
        let body = try json(floats)
        XCTAssertEqual(body["data"]?.arrayValue?.count, 2)
        XCTAssertEqual(body["data"]?[1]?["embedding"]?[1]?.doubleValue, -1.25)
        XCTAssertEqual(body["usage"]?["prompt_tokens"]?.int64Value, 6)
        let base64 = await post(
            "/v1/embeddings", #"{"model": "embed", "input": "a", "encoding_format": "base64"}"#, key: key.text)
        // 0.5 = 0x3F000000 and -1.25 = 0xBFA00000, little-endian: 00 00 00 3F 00 00 A0 BF.
        XCTAssertEqual(try json(base64)["data"]?[0]?["embedding"]?.stringValue, "AAAAPwAAoL8=")
        let unknown = await post("/v1/embeddings", #"{"model": "small", "input": "a"}"#, key: key.text)
        XCTAssertEqual(unknown.status, 404)
    }

    func testModelsListTheTierWithPrices() async throws {
        let response = await service.handle(
            FrontDoorRequest(
                method: "GET", path: "/v1/models", headers: [(name: "authorization", value: "Bearer \(key.text)")],
                body: []))
        let data = try XCTUnwrap(try json(response)["data"]?.arrayValue)
        XCTAssertEqual(data.compactMap { $0["id"]?.stringValue }, ["auto", "small", "embed"])
        XCTAssertEqual(data[1]["switchyard"]?["pricing"]?["input_per_million_usd"]?.stringValue, "0.15")
        XCTAssertEqual(data[1]["switchyard"]?["pricing"]?["output_per_million_usd"]?.stringValue, "0.60")
    }

    func testUnknownPathAndMethod() async throws {
        let unknown = await post("/v1/nothing", "{}", key: key.text)
        XCTAssertEqual(unknown.status, 404)
        let get = await service.handle(
            FrontDoorRequest(method: "GET", path: "/v1/chat/completions", headers: [], body: []))
        XCTAssertEqual(get.status, 405)
    }
}
