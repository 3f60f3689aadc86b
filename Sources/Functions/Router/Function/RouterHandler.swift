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

    public init(router: Router, signals: any RoutingSignals, llmClassifier: (any TaskClassifier)? = nil) {
        self.router = router
        self.signals = signals
        self.llmClassifier = llmClassifier
    }

    /// Loads the policy and builds the classifiers and signal source.
    /// - Throws: `PolicyError` (`Router.InvalidPolicy`) or `ConfigurationError`, reported as init errors.
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
        self.init(
            router: router, signals: CachedRoutingSignals(base, ttl: configuration.signalsTTL), llmClassifier: llm)
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
        let quick = heuristic.classify(input)
        if let category = profile.hints.category {
            return Classification(category: category, difficulty: quick.difficulty, confidence: 1, classifier: "hint")
        }
        let policy = router.table.policy
        guard let llm = llmClassifier else { return quick }
        switch policy.tiers[tier]?.classifier ?? policy.classifier.mode {
        case .heuristic: return quick
        case .llm: return await llm.classify(input, deadline: deadline)
        case .hybrid:
            guard quick.confidence < policy.classifier.confidenceThreshold else { return quick }
            return await llm.classify(input, deadline: deadline)
        }
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
