import Logging
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardRouting
import SwitchyardRuntime

/// The `router` Lambda function: validates the request, classifies it, reads live signals and
/// returns the decision the state machine's Choice state branches on.
///
/// Its event is the contract's `InferenceRequest`, its output the contract's `RouteDecision`. A
/// request the router refuses is a decision too (`route: rejected`, `rejection` set); only an
/// event that does not decode is a Lambda error (`Runtime.InvalidEvent`).
public struct RouterHandler: FunctionHandler {
    public typealias Event = InferenceRequest
    public typealias Output = RouteDecision

    public let bundles: BundleStore
    public let signals: any RoutingSignals
    public let heuristic = HeuristicClassifier()
    /// The model-backed classifier, when the policy uses one for any tier.
    public let llmClassifier: (any TaskClassifier)?
    /// The learned n-gram classifier, when the policy names one (`classifier.learned`).
    public let learned: NGramClassifier?
    /// Longest the signals may take, within the invocation's deadline.
    public let signalsBudget: Duration
    /// This function's compute, for its own usage record.
    public let memoryMB: Int64
    public let architecture: String

    public init(
        bundles: BundleStore, signals: any RoutingSignals, llmClassifier: (any TaskClassifier)? = nil,
        learned: NGramClassifier? = nil, signalsBudget: Duration = .seconds(1), memoryMB: Int64 = 128,
        architecture: String = ComputeEnvironment.binaryArchitecture
    ) {
        self.bundles = bundles
        self.signals = signals
        self.llmClassifier = llmClassifier
        self.learned = learned
        self.signalsBudget = signalsBudget
        self.memoryMB = memoryMB
        self.architecture = architecture
    }

    /// A handler around a fixed router (tests, the evaluation).
    public init(
        router: Router, signals: any RoutingSignals, llmClassifier: (any TaskClassifier)? = nil,
        learned: NGramClassifier? = nil
    ) {
        self.init(
            bundles: BundleStore(router: router), signals: signals, llmClassifier: llmClassifier, learned: learned)
    }

    /// Loads the bundle and builds the classifiers and the signal source, as `configuration` says:
    /// live signals from the usage store when it names one, else from the signals file, else none.
    /// - Parameters:
    ///   - transport: carries the LLM classifier's calls; nil uses libcurl.
    ///   - signals: overrides the configured source (tests).
    /// - Throws: `BundleError` (`Router.InvalidPolicy`, `Router.InvalidBundle`, `Billing.InvalidRates`,
    ///   `Config.InvalidDocument`), `ClassifierModelError` (`Router.InvalidClassifier`) or
    ///   `ConfigurationError`, reported as init errors.
    public init(
        configuration: RouterConfiguration, transport: (any HTTPTransport)? = nil, signals: (any RoutingSignals)? = nil
    ) throws {
        let files = configuration.bundle
        let bundles = try BundleStore(ttl: configuration.bundleTTL) { at throws(BundleError) in try files.load(at: at) }
        var base: any RoutingSignals = InMemoryRoutingSignals()
        if let signals {
            base = signals
        } else if let store = configuration.signalsStore {
            base = try MongoRoutingSignals(configuration: store)
        } else if let file = configuration.signalsFile {
            base = try SignalsFile.load(file)
        }
        let policy = bundles.current().router.table.policy
        var llm: (any TaskClassifier)?
        let settings = policy.classifier
        if settings.mode != .heuristic
            || policy.tiers.values.contains(where: { ($0.classifier ?? .heuristic) != .heuristic }),
            let model = settings.model,
            // The shipped policy names no address: the endpoint comes from the environment or the catalog.
            let baseURL = configuration.classifierURL ?? settings.baseURL
                ?? bundles.current().router.table.catalog.model(ModelID(model))?.endpoint
        {
            llm = LLMTaskClassifier(
                transport: transport ?? CurlTransport(), baseURL: baseURL, model: model,
                apiKey: configuration.classifierAPIKey, timeout: .milliseconds(settings.timeoutMs))
        }
        var learned: NGramClassifier?
        if let spec = settings.learned {
            // The model travels with the bundle, in an artifact checked as a whole: the function's zip
            // (`scripts/package` verifies the model's checksum, Lambda the zip's SHA-256) or the git
            // checkout the server runs from. Init does not read all 2 MiB to prove it again
            // (NGramModel.load).
            learned = try NGramClassifier.load(
                path: Self.resolve(spec.file, besides: files.policy), expectedVersion: spec.version,
                verifyingChecksum: false)
        }
        self.init(
            bundles: bundles, signals: CachedRoutingSignals(base, ttl: configuration.signalsTTL), llmClassifier: llm,
            learned: learned, signalsBudget: configuration.signalsBudget, memoryMB: configuration.memoryMB,
            architecture: configuration.architecture)
    }

    /// The catalog in force and the file `configuration` read it from: what an llm-caller in the same
    /// process takes instead of parsing the file again (`LLMCallerConfiguration(environment:parsed:)`).
    public func parsedCatalog(_ configuration: RouterConfiguration) -> (path: String, catalog: Catalog) {
        (configuration.bundle.catalog, bundles.read { $0.table.catalog })
    }

    /// A model file named relative to the policy file (both travel together in the zip). The
    /// learned model is loaded at init; a reloaded policy naming another one needs a restart.
    static func resolve(_ file: String, besides policyPath: String) -> String {
        guard !file.hasPrefix("/"), let slash = policyPath.lastIndex(of: "/") else { return file }
        return String(policyPath[...slash]) + file
    }

    public func handle(_ event: InferenceRequest, context: InvocationContext) async throws -> RouteDecision {
        let decision = await route(
            event, deadline: context.deadline, invocationID: context.requestID, logger: context.logger)
        context.logger.info(
            "route",
            metadata: [
                "switchyard.route": .string(decision.route.rawValue),
                "switchyard.model": .string(
                    decision.llm?.candidates.first?.model.rawValue ?? decision.vision?.candidates.first?.model.rawValue
                        ?? decision.embedding?.candidates.first?.model.rawValue ?? "-"),
                "switchyard.tenant": .string(decision.tenantID),
                "switchyard.category": .string(decision.classification?.category.rawValue ?? "-"),
                "switchyard.rule": .string(decision.matchedRule ?? decision.rejection?.errorType ?? "-"),
            ])
        return decision
    }

    /// The whole routing step without the Runtime API: what tests, the evaluation and the
    /// single-process server call. Never throws: a refused request is a `rejected` decision.
    /// - Parameters:
    ///   - invocationID: the id of this invocation for the router's own usage record (the Lambda
    ///     request id); nil uses `inproc-<requestId>`.
    public func route(
        _ request: InferenceRequest, deadline: ContinuousClock.Instant, invocationID: String? = nil,
        logger: Logger? = nil
    ) async -> RouteDecision {
        let started = ContinuousClock.now
        let startedMs = WallClock.nowMilliseconds()
        let (router, reloadFailure) = bundles.current()
        if let reloadFailure {
            logger?.warning(
                "bundle reload failed; keeping \(router.table.bundleVersion)",
                metadata: ["switchyard.error": .string(reloadFailure.description)])
        }
        var decision: RouteDecision
        var status = UsageStatus.succeeded
        do {
            decision = try await decide(request, router: router, started: started, deadline: deadline)
        } catch {
            status = .rejected
            decision = .rejected(
                request, error: error, tier: router.table.tierName(ofTenant: request.tenantID),
                bundleVersion: router.table.bundleVersion)
        }
        // A request whose ids are not valid keys cannot be billed; its rejection says why.
        guard Identifier.isValid(request.requestID), Identifier.isValid(request.tenantID) else { return decision }
        // Lambda bills whole milliseconds, at least one.
        let elapsed = ContinuousClock.now - started
        let durationMs = max(1, elapsed.milliseconds + (elapsed > .milliseconds(elapsed.milliseconds) ? 1 : 0))
        var record = UsageRecord(
            context: decision.context, step: "router", invocationID: invocationID ?? "inproc-\(request.requestID)",
            timestamp: startedMs, backend: .lambda, modality: Self.modality(of: request),
            latency: UsageRecord.Latency(totalMs: durationMs), status: status)
        record.errorType = decision.rejection?.errorType
        record.compute = UsageRecord.Compute(
            kind: "lambda", architecture: architecture, memoryMB: memoryMB, durationMs: durationMs)
        decision.usage = [record]
        return decision
    }

    /// Validation, classification and signals (at the same time), then the pure decision.
    func decide(
        _ request: InferenceRequest, router: Router, started: ContinuousClock.Instant,
        deadline: ContinuousClock.Instant
    ) async throws(RouterError) -> RouteDecision {
        let table = router.table
        let profile = try RequestProfile(request, limits: table.policy.limits)
        guard let tier = table.tierName(ofTenant: profile.tenantID) else { throw .unknownTenant(profile.tenantID) }
        // Warm signals: no child task for the snapshot (a task, two executor enqueues and a
        // suspension per request, for an answer already in memory).
        if let fresh = signals.freshSnapshot(tenantID: profile.tenantID) {
            let classification = await classify(profile, tier: tier, policy: table.policy, deadline: deadline)
            return try router.decide(profile, classification: classification, signals: fresh)
        }
        // Spend and health are fetched while the classifier runs, within one budget.
        let signalsDeadline = min(deadline, started.advanced(by: signalsBudget))
        async let snapshot = signals.snapshot(tenantID: profile.tenantID, deadline: signalsDeadline)
        let classification = await classify(profile, tier: tier, policy: table.policy, deadline: deadline)
        return try router.decide(profile, classification: classification, signals: await snapshot)
    }

    /// Runs the classifier the policy names for the tier; a category hint skips the model call.
    public func classify(
        _ profile: RequestProfile, tier: String, policy: RoutingPolicy, deadline: ContinuousClock.Instant
    ) async -> Classification {
        let input = ClassificationInput(profile)
        let mode = policy.tiers[tier]?.classifier ?? policy.classifier.mode
        // The first opinion: the learned model unless the tier asks for keywords only.
        let quick = (mode == .heuristic ? nil : learned?.classify(input)) ?? heuristic.classify(input)
        if let category = profile.hints.category {
            return Classification(category: category, difficulty: quick.difficulty, confidence: 1, classifier: "hint")
        }
        guard let llm = llmClassifier else { return quick }
        switch mode {
        case .heuristic, .learned: return quick
        case .llm: return await ask(llm, input, deadline: deadline, otherwise: quick)
        case .hybrid:
            guard quick.confidence < policy.classifier.confidenceThreshold else { return quick }
            return await ask(llm, input, deadline: deadline, otherwise: quick)
        }
    }

    /// The LLM's verdict; when it falls back, the learned model's verdict (still uncertain, so the
    /// safe-default rules apply) with the LLM's fallback reason.
    private func ask(
        _ llm: any TaskClassifier, _ input: ClassificationInput, deadline: ContinuousClock.Instant,
        otherwise quick: Classification
    ) async -> Classification {
        let answer = await llm.classify(input, deadline: deadline)
        guard answer.classifier != "llm", quick.classifier == "learned" else { return answer }
        var fallback = quick
        fallback.fallbackReason = answer.fallbackReason
        fallback.llmLatencyMs = answer.llmLatencyMs
        return fallback
    }

    /// What the request carries, as usage records name it.
    static func modality(of request: InferenceRequest) -> Modality {
        let images = !request.allImages.isEmpty || (request.batch ?? []).contains { !($0.images ?? []).isEmpty }
        let text = request.messages.contains { !$0.text.isEmpty } || (request.batch ?? []).contains { $0.text != nil }
        return images ? (text ? .multimodal : .image) : (text ? .text : .none)
    }
}
