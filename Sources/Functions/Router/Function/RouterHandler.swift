import Logging
import SwitchyardContract
import SwitchyardCore
import SwitchyardHTTP
import SwitchyardJSON
import SwitchyardRouting
import SwitchyardRuntime

/// The `router` Lambda function: validates the request, classifies it, reads live signals and
/// returns the decision the state machine's Choice state branches on.
public struct RouterHandler: FunctionHandler {
    public typealias Event = RouterInput
    public typealias Output = SwitchyardRouting.RouteDecision

    public let router: Router
    public let signals: any RoutingSignals
    public let heuristic = HeuristicClassifier()
    /// The model-backed classifier, when the policy uses one for any tier.
    public let llmClassifier: (any TaskClassifier)?
    /// The learned n-gram classifier, when the policy names one (`classifier.learned`).
    public let learned: NGramClassifier?

    public init(
        router: Router, signals: any RoutingSignals, llmClassifier: (any TaskClassifier)? = nil,
        learned: NGramClassifier? = nil
    ) {
        self.router = router
        self.signals = signals
        self.llmClassifier = llmClassifier
        self.learned = learned
    }

    /// Loads the policy and builds the classifiers and signal source.
    /// - Throws: `PolicyError` (`Router.InvalidPolicy`), `ClassifierModelError` (`Router.InvalidClassifier`)
    ///   or `ConfigurationError`, reported as init errors.
    /// - Parameters:
    ///   - signals: the live source (MongoDB in the function); nil uses `SWITCHYARD_SIGNALS_FILE` or none.
    public init(
        configuration: RouterConfiguration, transport: (any ClassifierTransport)? = nil,
        signals: (any RoutingSignals)? = nil
    ) throws {
        let policy = try RoutingPolicy.load(path: configuration.policyPath)
        let router = try Router(policy: policy)
        var base: any RoutingSignals = signals ?? InMemoryRoutingSignals()
        if signals == nil, let file = configuration.signalsFile { base = try Self.loadSignals(file) }
        var llm: (any TaskClassifier)?
        let settings = policy.classifier
        if settings.mode != .heuristic
            || policy.tiers.values.contains(where: { ($0.classifier ?? .heuristic) != .heuristic }),
            let model = settings.model, let baseURL = configuration.classifierURL ?? settings.baseURL
        {
            llm = LLMTaskClassifier(
                transport: transport ?? HTTPClassifierTransport(CurlTransport()), baseURL: baseURL, model: model,
                apiKey: configuration.classifierAPIKey, timeout: .milliseconds(settings.timeoutMs))
        }
        var learned: NGramClassifier?
        if let spec = settings.learned {
            learned = try NGramClassifier.load(
                path: Self.resolve(spec.file, besides: configuration.policyPath), expectedVersion: spec.version)
        }
        self.init(
            router: router, signals: CachedRoutingSignals(base, ttl: configuration.signalsTTL), llmClassifier: llm,
            learned: learned)
    }

    /// A model file named relative to the policy file (both travel together in the zip).
    static func resolve(_ file: String, besides policyPath: String) -> String {
        guard !file.hasPrefix("/"), let slash = policyPath.lastIndex(of: "/") else { return file }
        return String(policyPath[...slash]) + file
    }

    public func handle(_ event: RouterInput, context: InvocationContext) async throws -> SwitchyardRouting.RouteDecision
    {
        let decision = try await route(event, deadline: context.deadline)
        context.logger.info(
            "route",
            metadata: [
                "switchyard.route": .string(decision.backend.rawValue),
                "switchyard.model": .string(decision.primary.model),
                "switchyard.tenant": .string(decision.tenantID),
                "switchyard.category": .string(decision.classification.category.rawValue),
                "switchyard.rule": .string(decision.matchedRule ?? "-"),
            ])
        return decision
    }

    /// The whole routing step without the Runtime API: what tests, the evaluation and the
    /// single-process server call.
    /// - Throws: `RouterError` (see `Router.decide`).
    public func route(_ input: RouterInput, deadline: ContinuousClock.Instant) async throws(RouterError)
        -> SwitchyardRouting.RouteDecision
    {
        let policy = router.table.policy
        let profile = try RequestProfile(input, limits: policy.limits)
        guard let tier = router.table.tierName(ofTenant: profile.tenantID) else {
            throw .unknownTenant(profile.tenantID)
        }
        let classification = await classify(profile, tier: tier, deadline: deadline)
        let snapshot = await signals.snapshot(tenantID: profile.tenantID)
        return try router.decide(profile, classification: classification, signals: snapshot)
    }

    /// Runs the classifier the policy names for the tier; a category hint skips the model call.
    public func classify(_ profile: RequestProfile, tier: String, deadline: ContinuousClock.Instant) async
        -> Classification
    {
        let input = ClassificationInput(profile)
        let policy = router.table.policy
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

    static func loadSignals(_ path: String) throws -> InMemoryRoutingSignals {
        struct File: Decodable {
            var spend: [String: Int64]?
            var health: [String: ModelHealth]?
        }
        let bytes = try FileReader.read(path, limit: 1 << 20)
        do {
            let file = try JSON.decode(File.self, from: bytes)
            return InMemoryRoutingSignals(spend: file.spend ?? [:], health: file.health ?? [:])
        } catch {
            throw ConfigurationError.invalidDocument(source: path, detail: describeDecodingError(error))
        }
    }
}
