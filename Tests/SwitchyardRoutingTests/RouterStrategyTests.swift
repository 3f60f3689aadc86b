import SwitchyardContract
import SwitchyardJSON
import SwitchyardRouting
import XCTest

/// Decisions on the repository bundle, checked against figures computed by hand from
/// infra/catalog.json and infra/rates.json (the arithmetic is in the comments), not against the
/// code's own sums.
///
/// Token estimate: (UTF-8 bytes + 3) / 4 + 4 per message. A rate of $X per 1M tokens is X × 10⁶
/// pico-USD per token. Output tokens: the policy's per-category default (chat 250, code 800,
/// summarization 350) unless the client sets `maxTokens`, capped at each model's limit.
final class RouterStrategyTests: XCTestCase {
    // 41 bytes → (41 + 3) / 4 + 4 = 15 input tokens; chat → 250 output tokens.
    let book = "Hi! Can you recommend a good sci-fi book?"

    func testBasicChatGoesToTheCheapestModelAboveTheFloorWithExactEstimates() throws {
        let d = try RoutingFixtures.decide(tenant: "acme-startup", prompt: book)
        XCTAssertEqual(d.route, .llm)
        XCTAssertEqual(d.strategy, .cheapest)
        XCTAssertEqual(d.classification?.category, .chat)
        XCTAssertEqual(d.classification?.difficulty, .easy)
        // bedrock-mistral-7b, $0.15 in / $0.20 out: 15 × 150,000 + 250 × 200,000 = 52,250,000 pico-USD.
        // gpt-4o-mini, $0.15 / $0.60:             15 × 150,000 + 250 × 600,000 = 152,250,000.
        // claude-3-haiku, $0.25 / $1.25:          15 × 250,000 + 250 × 1,250,000 = 316,250,000.
        // gpt-3.5-turbo, $0.50 / $1.50:           15 × 500,000 + 250 × 1,500,000 = 382,500,000.
        XCTAssertEqual(d.candidate("bedrock-mistral-7b")?.estimatedCostPicoUSD, PicoUSD(52_250_000))
        XCTAssertEqual(d.candidate("gpt-4o-mini")?.estimatedCostPicoUSD, PicoUSD(152_250_000))
        XCTAssertEqual(d.candidate("claude-3-haiku")?.estimatedCostPicoUSD, PicoUSD(316_250_000))
        XCTAssertEqual(d.candidate("gpt-3.5-turbo")?.estimatedCostPicoUSD, PicoUSD(382_500_000))
        // The easy floor is 0.78: mistral (chat 0.66) and smollm2 (0.35) are below it. Primary the cheapest
        // above it; the first fallback from another provider (anthropic); then the next cheapest.
        XCTAssertEqual(d.candidate("bedrock-mistral-7b")?.rejected, "quality 0.66 < floor 0.78")
        XCTAssertEqual(d.chosenModels, ["gpt-4o-mini", "claude-3-haiku", "gpt-3.5-turbo"])
        XCTAssertEqual(d.estimatedCostPicoUSD, PicoUSD(152_250_000))
        // Ceiling: the dearest chosen (382,500,000) × 3.
        XCTAssertEqual(d.costCeilingPicoUSD, PicoUSD(1_147_500_000))
        let plan = try XCTUnwrap(d.llm)
        XCTAssertEqual(plan.maxOutputTokens, 250)
        XCTAssertFalse(plan.groundWithDetections)
        let mini = plan.candidates[0]
        XCTAssertEqual(mini.contextWindow, 128_000)
        XCTAssertEqual(mini.maxOutputTokens, 16384)
        XCTAssertEqual(mini.estimatedCostPicoUSD, PicoUSD(152_250_000))
        // Latency prior: TTFT 350 ms + 250 tokens at 120 tokens/s = 350 + 2083 = 2433 ms; p95 = 2433 × 6000 / 2200
        // = 6635 ms; attempt timeout 6635 × 2 = 13270 ms.
        XCTAssertEqual(mini.estimatedLatencyMs, 2433)
        XCTAssertEqual(mini.attemptTimeoutMs, 13270)
        // smollm2 is free but below the floor; premium models are not on the basic tier.
        XCTAssertEqual(d.candidate("smollm2-135m")?.rejected, "quality 0.35 < floor 0.78")
        XCTAssertEqual(d.candidate("gpt-4o")?.rejected, "not available on the basic tier")
        XCTAssertNil(d.vision)
        XCTAssertNil(d.batch)
        XCTAssertNil(d.rejection)
    }

    func testUsageContextCarriesWhatTheWhatIfViewNeeds() throws {
        let hints = RoutingHints(tags: ["ui"])
        let d = try RoutingFixtures.decide(tenant: "acme-startup", prompt: book, hints: hints)
        XCTAssertEqual(d.context.requestID, "test")
        XCTAssertEqual(d.context.tenantID, "acme-startup")
        XCTAssertEqual(d.context.user, "tester")
        XCTAssertEqual(d.context.tier, "basic")
        XCTAssertEqual(d.context.route, "llm cheapest")
        XCTAssertEqual(d.context.category, .chat)
        XCTAssertEqual(d.context.difficulty, .easy)
        XCTAssertEqual(d.context.hints, hints)
        XCTAssertEqual(d.context.estimatedCostPicoUSD, PicoUSD(152_250_000))
        XCTAssertEqual(
            d.context.bundleVersion, "switchyard-2026-12-01.1+catalog-2026-11-30.4+2026-11-30.2", "policy+catalog+rates"
        )
        XCTAssertEqual(d.bundleVersion, d.context.bundleVersion)
        XCTAssertTrue(d.usage.isEmpty, "the handler adds the router's own record")
    }

    func testClientMaxTokensIsCappedByEachModel() throws {
        let d = try RoutingFixtures.decide(
            tenant: "acme-startup", prompt: book, parameters: GenerationParameters(maxTokens: 100_000))
        // Each model stops at its own limit, which reorders them:
        // claude-3-haiku at 4096: 15 × 250,000 + 4096 × 1,250,000 = 5,123,750,000;
        // gpt-3.5-turbo at 4096:  15 × 500,000 + 4096 × 1,500,000 = 6,151,500,000
        //   (its 16,385-token window holds 4111);
        // gpt-4o-mini at 16384:   15 × 150,000 + 16384 × 600,000 = 9,832,650,000.
        XCTAssertEqual(d.candidate("claude-3-haiku")?.estimatedCostPicoUSD, PicoUSD(5_123_750_000))
        XCTAssertEqual(d.candidate("gpt-3.5-turbo")?.estimatedCostPicoUSD, PicoUSD(6_151_500_000))
        XCTAssertEqual(d.candidate("gpt-4o-mini")?.estimatedCostPicoUSD, PicoUSD(9_832_650_000))
        XCTAssertEqual(d.primaryModel, "claude-3-haiku")
        XCTAssertEqual(d.llm?.maxOutputTokens, 4096)
        XCTAssertEqual(d.chosenModels, ["claude-3-haiku", "gpt-3.5-turbo", "gpt-4o-mini"])
        XCTAssertEqual(d.llm?.candidates.map(\.maxOutputTokens), [4096, 4096, 16384])
    }

    func testFastestHintPicksLowestLatency() throws {
        let d = try RoutingFixtures.decide(
            tenant: "lexcorp-legal", prompt: "Give me three ideas for a team lunch",
            hints: RoutingHints(route: .fastest))
        XCTAssertEqual(d.strategy, .fastest)
        // Priors at 250 output tokens: claude-3-haiku 300 + 250000/140 = 2085 ms; bedrock-mistral-7b 250 +
        // 250000/120 = 2333 (but chat 0.66, below the 0.8 floor); gpt-4o-mini 350 + 250000/120 = 2433;
        // gpt-3.5-turbo 300 + 250000/110 = 2572.
        XCTAssertEqual(d.candidate("claude-3-haiku")?.estimatedLatencyMs, 2085)
        XCTAssertEqual(d.candidate("bedrock-mistral-7b")?.estimatedLatencyMs, 2333)
        XCTAssertEqual(d.candidate("gpt-3.5-turbo")?.estimatedLatencyMs, 2572)
        XCTAssertEqual(d.chosenModels, ["claude-3-haiku", "gpt-4o-mini", "gpt-3.5-turbo"])
    }

    func testBestHintPicksHighestQualityWithinLatencyCap() throws {
        let d = try RoutingFixtures.decide(
            tenant: "initech", prompt: "Write a Python function to merge two sorted lists",
            hints: RoutingHints(route: .best, maxLatencyMs: 9000))
        XCTAssertEqual(d.strategy, .best)
        XCTAssertEqual(d.classification?.category, .code)
        // 800 output tokens: gpt-4o 450 + 800000/90 = 9338 ms, over 9000; claude-3-5-haiku 400 + 800000/110 = 7672 ms
        // and 0.84 for code, the best of what fits.
        XCTAssertEqual(d.candidate("gpt-4o")?.rejected, "expected latency 9338 ms > cap 9000 ms")
        XCTAssertEqual(d.candidate("claude-3-opus")?.rejected, "expected latency 27866 ms > cap 9000 ms")
        XCTAssertEqual(d.primaryModel, "claude-3-5-haiku")
        XCTAssertLessThanOrEqual(d.llm!.candidates[0].attemptTimeoutMs, 9000, "the attempt timeout obeys the cap")
    }

    func testExplicitModelIsUsedWhenAllowed() throws {
        let d = try RoutingFixtures.decide(
            tenant: "lexcorp-legal", prompt: "Hello there", hints: RoutingHints(model: "claude-3-5-sonnet"))
        XCTAssertEqual(d.strategy, .explicit)
        XCTAssertEqual(d.primaryModel, "claude-3-5-sonnet")
        XCTAssertEqual(d.chosenModels.count, 3, "spares still listed")
        // The plan names catalog ids only: the provider's own model name stays in the catalog.
        let text = String(decoding: try JSON.encode(d), as: UTF8.self)
        XCTAssertFalse(text.contains("claude-3-5-sonnet-20241022"))
        XCTAssertFalse(text.contains("api.anthropic.com"))
    }

    func testLegalOnProGoesToTopTierThroughRule() throws {
        let d = try RoutingFixtures.decide(
            tenant: "lexcorp-legal",
            prompt: "Review this indemnification clause of the master services agreement and flag liability risks.")
        XCTAssertEqual(d.classification?.category, .legal)
        XCTAssertEqual(d.matchedRule, "legal-medical-accuracy")
        XCTAssertEqual(d.strategy, .best)
        XCTAssertEqual(d.qualityFloor, 0.86)
        // Legal quality on pro: claude-3-5-sonnet 0.92, gpt-4o 0.90, gpt-4.1 0.90 (claude-3-opus is enterprise only).
        XCTAssertEqual(d.primaryModel, "claude-3-5-sonnet")
        XCTAssertFalse(d.qualityFloorRelaxed)
        XCTAssertEqual(d.context.route, "llm best rule=legal-medical-accuracy")
    }

    func testLegalOnBasicUsesTheOnlyCheapModelAboveItsFloor() throws {
        let d = try RoutingFixtures.decide(
            tenant: "acme-startup", prompt: "Is this non-compete clause in my employment agreement enforceable?")
        XCTAssertEqual(d.matchedRule, "legal-medical-basic")
        // Legal quality on basic: gpt-4o-mini 0.74 is the only one at or above 0.68.
        XCTAssertEqual(d.primaryModel, "gpt-4o-mini")
    }

    func testQualityFloorIsRelaxedWhenNoAllowedModelReachesIt() throws {
        let d = try RoutingFixtures.decide(
            tenant: "acme-startup",
            prompt:
                "Prove step by step that the integral of a polynomial is a polynomial, analyze each derivative "
                + "in detail and compare and contrast the approaches."
        )
        XCTAssertEqual(d.classification?.category, .math)
        XCTAssertEqual(d.classification?.difficulty, .hard)
        XCTAssertTrue(d.qualityFloorRelaxed)
        // Math on basic: gpt-4o-mini 0.74 is the highest, below the hard floor 0.86.
        XCTAssertEqual(d.primaryModel, "gpt-4o-mini")
    }

    func testImageOnlyGoesToTheVisionPathWithExactComputeCost() throws {
        let d = try RoutingFixtures.decide(tenant: "lexcorp-legal", images: [RoutingFixtures.photo])
        XCTAssertEqual(d.route, .vision)
        XCTAssertEqual(d.matchedRule, "vision-detect-fast")
        XCTAssertNil(d.llm)
        let plan = try XCTUnwrap(d.vision)
        // Fastest detector: yolov8n-sagemaker (45 ms prior) on an ml.g4dn.xlarge at $0.736/hour:
        // 0.736 × 10¹² × 45 / 3,600,000 = 9,200,000 pico-USD per call (perImage "0").
        XCTAssertEqual(plan.candidates[0].model, "yolov8n-sagemaker")
        XCTAssertEqual(plan.candidates[0].estimatedCostPicoUSD, PicoUSD(9_200_000))
        // p95 120 ms × 2 = 240 ms, clamped up to the policy's 1000 ms minimum.
        XCTAssertEqual(plan.candidates[0].attemptTimeoutMs, 1000)
        // Detection settings from the policy's defaults.
        XCTAssertEqual(plan.confidenceThreshold, 0.25)
        XCTAssertEqual(plan.iouThreshold, 0.45)
        XCTAssertEqual(plan.maxDetections, 300)
    }

    func testDetectionHintsOverrideThePolicy() throws {
        let d = try RoutingFixtures.decide(
            tenant: "lexcorp-legal", images: [RoutingFixtures.photo],
            hints: RoutingHints(confidenceThreshold: 0.6, iouThreshold: 0.5, maxDetections: 10))
        XCTAssertEqual(d.vision?.confidenceThreshold, 0.6)
        XCTAssertEqual(d.vision?.iouThreshold, 0.5)
        XCTAssertEqual(d.vision?.maxDetections, 10)
    }

    func testImageOnlyOnBasicUsesTheCheapestDetector() throws {
        let d = try RoutingFixtures.decide(tenant: "acme-startup", images: [RoutingFixtures.photo])
        let candidates = try XCTUnwrap(d.vision?.candidates)
        XCTAssertEqual(candidates.first?.model, "yolov8n-container")
        // Its prior (infra/measurements/vision-latency.json): the engine's measured 94.34 ms on 2 threads
        // (its 2 vCPU) + the 15 ms transfer estimate = 109.34, rounded up → 110 ms.
        // Fargate x86_64, 2 vCPU and 4 GB for 110 ms: $0.04048 per vCPU-hour and $0.004445 per GB-hour:
        // 2 × 110 × 40,480,000,000 / 3,600,000 = 8,905,600,000,000 / 3,600,000 = 2,473,777.78
        // + 4 × 110 × 4,445,000,000 / 3,600,000 = 1,955,800,000,000 / 3,600,000 = 543,277.78
        // = 3,017,055.56, rounded up as every estimate is (a ceiling) → 3,017,056 pico-USD.
        XCTAssertEqual(candidates.first?.estimatedCostPicoUSD, PicoUSD(3_017_056))
        let lambda = try XCTUnwrap(candidates.first { $0.model == "yolov8n-lambda" }, "the in-process fallback")
        // Its prior: 2048 MB → round(2048 / 1769) = 1 vCPU → the in-process run measured on 1 thread,
        // 166.23 ms, rounded up → 167 ms. 2048 MB = 2 GB for 167 ms at $0.0000166667 per GB-second (x86_64)
        // plus $0.20 per 1M requests: 16,666,700 × 2 × 0.167 = 5,566,677.8 + 200,000 = 5,766,677.8,
        // rounded up → 5,766,678 pico-USD.
        XCTAssertEqual(lambda.estimatedCostPicoUSD, PicoUSD(5_766_678))
    }

    func testImageWithQuestionRunsDetectorAndGroundedLLM() throws {
        let d = try RoutingFixtures.decide(
            tenant: "globex-health", prompt: "What is happening in this picture? Describe it.",
            images: [RoutingFixtures.photo])
        XCTAssertEqual(d.route, .visionLLM)
        XCTAssertEqual(d.classification?.category, .visionQA)
        let llm = try XCTUnwrap(d.llm)
        let vision = try XCTUnwrap(d.vision)
        XCTAssertTrue(llm.groundWithDetections)
        for candidate in llm.candidates {
            XCTAssertTrue(RoutingFixtures.bundle.catalog.model(candidate.model)!.capabilities.contains(.vision))
        }
        // The detectors are held to the same floor (0.78): yolov8n (0.72) is below it, yolov8s-sagemaker (0.8)
        // is not: 70 ms on an ml.g4dn.xlarge at $0.736/hour = 0.736 × 10¹² × 70 / 3,600,000 = 14,311,111.1 →
        // 14,311,112 pico-USD (estimates round up).
        XCTAssertEqual(vision.candidates[0].model, "yolov8s-sagemaker")
        XCTAssertEqual(vision.candidates[0].estimatedCostPicoUSD, PicoUSD(14_311_112))
        // The LLM: 47 bytes → 12 + 4 tokens, plus 800 for the image = 816 input tokens; vision-qa → 300 output.
        // At or above 0.78 for vision-qa on pro: gpt-4o (0.9), gpt-4.1 (0.89), claude-3-5-sonnet (0.88),
        // gpt-4o-mini (0.78, exactly the floor); claude-3-haiku (0.74) is below. Cheapest gpt-4o-mini at
        // $0.15 / $0.60: 816 × 150,000 + 300 × 600,000 = 302,400,000; the request: + 14,311,112.
        XCTAssertEqual(llm.candidates[0].model, "gpt-4o-mini")
        XCTAssertEqual(llm.candidates[0].estimatedCostPicoUSD, PicoUSD(302_400_000))
        XCTAssertEqual(d.estimatedCostPicoUSD, PicoUSD(316_711_112))
        XCTAssertEqual(d.candidate("claude-3-5-haiku")?.rejected, "does not accept image input")
    }

    func testBatchGoesToMapWithLowCostStrategy() throws {
        let items = (0..<40).map {
            BatchItem(id: "doc-\($0)", text: "Summarize product review #\($0): great battery, weak speaker.")
        }
        let d = try RoutingFixtures.decide(tenant: "lexcorp-legal", batch: items)
        XCTAssertEqual(d.route, .batch)
        XCTAssertEqual(d.strategy, .cheapest)
        XCTAssertEqual(d.matchedRule, "batch-low-cost")
        let batch = try XCTUnwrap(d.batch)
        XCTAssertEqual(batch.items, items)
        XCTAssertEqual(batch.itemRoute, .llm)
        XCTAssertEqual(batch.maxConcurrency, 20)
        XCTAssertTrue(batch.inline, "40 items is the policy's largest inline batch")
        XCTAssertEqual(batch.maxInlineItems, 40)
        XCTAssertEqual(batch.maxInlineResultBytes, 262_144)
        XCTAssertEqual(d.llm?.candidates.count, 2, "rule sets one fallback")
        // Largest item 57 bytes → 19 tokens; summarization → 350 output tokens; the cheapest at or above the
        // 0.8 floor is gpt-4o-mini (0.84), per item 19 × 150,000 + 350 × 600,000 = 212,850,000; the request:
        // × 40 = 8,514,000,000 pico-USD.
        XCTAssertEqual(d.primaryModel, "gpt-4o-mini")
        XCTAssertEqual(d.llm?.candidates[0].estimatedCostPicoUSD, PicoUSD(212_850_000))
        XCTAssertEqual(d.estimatedCostPicoUSD, PicoUSD(8_514_000_000))
    }

    func testABatchWhoseTextReadsAsAnEmbeddingRequestStillGoesToAnLLM() throws {
        let items = (0..<3).map { BatchItem(id: "doc-\($0)", text: "Label review \($0): fine.") }
        let request = RoutingFixtures.request(tenant: "acme-startup", batch: items)
        let profile = try RequestProfile(request, limits: RoutingFixtures.router.table.policy.limits)
        // The classifier's verdict, as the learned model gave it for such items in the pipeline test.
        let verdict = Classification(
            category: .embedding, difficulty: .easy, confidence: 0.9, classifier: "learned")
        // Before: Router.NoEligibleModel (no LLM has an embedding score); the items are judged as chat.
        let d = try RoutingFixtures.router.decide(profile, classification: verdict, signals: .none)
        XCTAssertEqual(d.route, .batch)
        XCTAssertEqual(d.batch?.itemRoute, .llm)
        XCTAssertNotNil(d.primaryModel)
    }

    func testAnInlineDetectionBatchCapsDetectionsToFitTheStateLimit() throws {
        let items = (0..<20).map { BatchItem(id: "img-\($0)", images: [RoutingFixtures.photo]) }
        let d = try RoutingFixtures.decide(
            tenant: "acme-startup", hints: RoutingHints(category: .detection), batch: items)
        XCTAssertEqual(d.batch?.itemRoute, .vision)
        // (262,144 − 20 items × 4,096) / 20 images / 192 bytes = 46 detections per image (policy default 300).
        XCTAssertEqual(d.vision?.maxDetections, 46)
        XCTAssertEqual(d.batch?.maxConcurrency, 4, "the policy's detector concurrency, not the LLM items' 20")
        let single = try RoutingFixtures.decide(tenant: "acme-startup", images: [RoutingFixtures.photo])
        XCTAssertEqual(single.vision?.maxDetections, 300, "not a batch: the policy's default")
    }

    func testBatchAboveTheInlineLimitIsMarkedForTheStandardWorkflow() throws {
        let items = (0..<41).map { BatchItem(id: "d\($0)", text: "Summarize review \($0): fine.") }
        let d = try RoutingFixtures.decide(tenant: "lexcorp-legal", batch: items)
        XCTAssertEqual(d.batch?.inline, false)
    }

    func testBatchOfImagesUsesTheDetector() throws {
        let items = (0..<5).map { BatchItem(id: "img-\($0)", images: [RoutingFixtures.photo]) }
        let d = try RoutingFixtures.decide(tenant: "initech", prompt: "Label the objects", batch: items)
        XCTAssertEqual(d.route, .batch)
        XCTAssertEqual(d.batch?.itemRoute, .vision)
        XCTAssertNotNil(d.vision)
        XCTAssertNil(d.llm)
    }

    func testEmbeddingHint() throws {
        let d = try RoutingFixtures.decide(
            tenant: "initech", prompt: "vectorise me", hints: RoutingHints(category: .embedding))
        XCTAssertEqual(d.route, .embedding)
        // An easy request on enterprise matches enterprise-routine (cheapest at 0.83 or above): the small
        // model (0.85, $0.02 per 1M) before the large one (0.92, $0.13).
        XCTAssertEqual(d.matchedRule, "enterprise-routine")
        XCTAssertEqual(d.embedding?.candidates.map(\.model), ["text-embedding-3-small", "text-embedding-3-large"])
        XCTAssertEqual(d.classification?.classifier, "hint")
    }

    func testRealtimeTagRuleCapsLatency() throws {
        let d = try RoutingFixtures.decide(
            tenant: "initech", prompt: "hey, what's up?", hints: RoutingHints(tags: ["realtime"]))
        XCTAssertEqual(d.matchedRule, "realtime-ui")
        XCTAssertEqual(d.strategy, .fastest)
        let primary = try XCTUnwrap(d.llm?.candidates.first)
        XCTAssertLessThanOrEqual(primary.estimatedLatencyMs, 2500)
        XCTAssertLessThanOrEqual(primary.attemptTimeoutMs, 2500)
    }

    func testCostCapHintExcludesExpensiveModels() throws {
        let cap = RoutingFixtures.usd("0.002")
        let d = try RoutingFixtures.decide(
            tenant: "initech", prompt: "Write a detailed essay on the history of the printing press",
            hints: RoutingHints(maxCostPicoUSD: cap))
        XCTAssertLessThanOrEqual(d.estimatedCostPicoUSD, cap)
        XCTAssertLessThanOrEqual(d.costCeilingPicoUSD, cap)
        XCTAssertTrue(d.candidate("claude-3-opus")?.rejected?.hasPrefix("estimated cost $") ?? false)
        XCTAssertTrue(d.candidate("claude-3-opus")?.rejected?.hasSuffix("> cap $0.002") ?? false)
    }

    func testUnhealthyModelIsRoutedAround() throws {
        let prompt = "Give me three ideas for a team lunch"
        let healthy = try RoutingFixtures.decide(tenant: "lexcorp-legal", prompt: prompt)
        let chosen = try XCTUnwrap(healthy.primaryModel)
        let failing = try RoutingFixtures.decide(
            tenant: "lexcorp-legal", prompt: prompt,
            health: [chosen: ModelHealth(p50Ms: 2000, p95Ms: 6000, errorRate: 0.6, samples: 200)])
        XCTAssertNotEqual(failing.primaryModel, chosen)
        XCTAssertEqual(failing.candidate(chosen)?.rejected, "recent error rate 60% is above the limit")
    }

    func testLiveLatencyReplacesPriorsOnlyWithEnoughSamples() throws {
        let prompt = "quick question: best way to boil an egg?"
        let slow = ModelHealth(p50Ms: 30000, p95Ms: 60000, errorRate: 0, samples: 500)
        let d = try RoutingFixtures.decide(
            tenant: "initech", prompt: prompt, hints: RoutingHints(route: .fastest), health: ["claude-3-haiku": slow])
        XCTAssertEqual(d.candidate("claude-3-haiku")?.estimatedLatencyMs, 30000)
        XCTAssertNotEqual(d.primaryModel, "claude-3-haiku")
        let few = ModelHealth(p50Ms: 30000, p95Ms: 60000, errorRate: 0, samples: 3)
        let prior = try RoutingFixtures.decide(
            tenant: "initech", prompt: prompt, hints: RoutingHints(route: .fastest), health: ["claude-3-haiku": few])
        // Below 20 samples the prior stands: 300 + 250000/140 = 2085 ms.
        XCTAssertEqual(prior.candidate("claude-3-haiku")?.estimatedLatencyMs, 2085)
    }

    func testAttemptTimeoutFollowsP95AndClamps() throws {
        let slow = try RoutingFixtures.decide(
            tenant: "umbrella-labs", prompt: "hello", hints: RoutingHints(model: "claude-3-opus"))
        // claude-3-opus at 250 output tokens: 1200 + 250000/30 = 9533 ms; p95 = 9533 × 22000 / 9000 = 23302 ms; × 2.
        XCTAssertEqual(slow.llm?.candidates[0].estimatedLatencyMs, 9533)
        XCTAssertEqual(slow.llm?.candidates[0].attemptTimeoutMs, 46604)
    }

    func testDecisionIsDeterministicAndEncodesUnderStateLimit() throws {
        let a = try RoutingFixtures.decide(
            tenant: "acme-startup", prompt: "Translate into German: where is the station?")
        let b = try RoutingFixtures.decide(
            tenant: "acme-startup", prompt: "Translate into German: where is the station?")
        XCTAssertEqual(a, b)
        let bytes = try JSON.encode(a)
        XCTAssertLessThan(bytes.count, 16 * 1024)
        let text = String(decoding: bytes, as: UTF8.self)
        XCTAssertTrue(text.contains("\"route\":\"llm\""))
        XCTAssertTrue(text.contains("\"rejected\":\"not available on the basic tier\""))
        XCTAssertEqual(try JSON.decode(RouteDecision.self, from: bytes), a)
    }
}
