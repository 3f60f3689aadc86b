import Foundation
import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting

/// The repository's bundle (policy, catalog, rates) and small builders shared by the routing tests.
enum RoutingFixtures {
    static let repoRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().path

    /// 2026-11-30T00:00:00Z: the instant the tests price at, so a later rates entry cannot change them.
    static let pricesAt: Int64 = 1_795_996_800_000

    static var files: (policy: String, catalog: String, rates: String) {
        (repoRoot + "/infra/policy.json", repoRoot + "/infra/catalog.json", repoRoot + "/infra/rates.json")
    }

    static func documents(
        policy: [UInt8]? = nil, catalog: [UInt8]? = nil, rates: [UInt8]? = nil
    ) -> RoutingBundle.Documents {
        RoutingBundle.Documents(
            policy: policy ?? Array(try! Data(contentsOf: URL(fileURLWithPath: files.policy))),
            catalog: catalog ?? Array(try! Data(contentsOf: URL(fileURLWithPath: files.catalog))),
            rates: rates ?? Array(try! Data(contentsOf: URL(fileURLWithPath: files.rates))))
    }

    static let bundle: RoutingBundle = {
        do { return try RoutingBundle.parse(documents(), pricesAt: pricesAt) } catch {
            fatalError("infra bundle: \(error)")
        }
    }()

    static var policy: RoutingPolicy { bundle.policy }
    static let router = Router(bundle: bundle)
    static let heuristic = HeuristicClassifier()

    static func request(
        tenant: String, prompt: String? = nil, images: [ImageReference]? = nil, hints: RoutingHints? = nil,
        parameters: GenerationParameters? = nil, batch: [BatchItem]? = nil
    ) -> InferenceRequest {
        InferenceRequest(
            requestID: "test", tenantID: tenant, user: "tester",
            messages: prompt.map { [Message(role: .user, text: $0)] } ?? [], images: images, hints: hints,
            parameters: parameters, batch: batch)
    }

    /// Validates, classifies with the heuristic and decides, as the handler does without its I/O.
    static func decide(_ request: InferenceRequest, signals: SignalsSnapshot = .none, router: Router = router)
        throws(RouterError) -> RouteDecision
    {
        let profile = try RequestProfile(request, limits: router.table.policy.limits)
        let classification = heuristic.classify(ClassificationInput(profile))
        return try router.decide(profile, classification: classification, signals: signals)
    }

    static func decide(
        tenant: String, prompt: String? = nil, images: [ImageReference]? = nil, hints: RoutingHints? = nil,
        parameters: GenerationParameters? = nil, batch: [BatchItem]? = nil, spend: PicoUSD? = nil,
        health: [ModelID: ModelHealth] = [:]
    ) throws(RouterError) -> RouteDecision {
        try decide(
            request(tenant: tenant, prompt: prompt, images: images, hints: hints, parameters: parameters, batch: batch),
            signals: SignalsSnapshot(monthToDateSpend: spend, health: health))
    }

    static let photo = try! ImageReference(parsing: "s3://switchyard-uploads/street.jpg")

    static func usd(_ text: String) -> PicoUSD { PicoUSD(decimal: text)! }

    /// A bundle document's JSON as an editable dictionary, for validation tests.
    static func json(_ path: String) -> [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: path))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func bytes(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object))
    }
}

extension RouteDecision {
    /// The main step's models in order (the LLM's, else the detector's, else the embedder's).
    var chosenModels: [ModelID] {
        (llm?.candidates.map(\.model) ?? embedding?.candidates.map(\.model) ?? vision?.candidates.map(\.model)) ?? []
    }

    /// The main step's first model.
    var primaryModel: ModelID? { chosenModels.first }

    /// The report line of a model.
    func candidate(_ id: ModelID) -> CandidateReport? { candidates.first { $0.model == id } }
}
