import Foundation
import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting

/// The repository's policy and small builders shared by the routing tests.
enum RoutingFixtures {
    static let repoRoot: String = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent()
        .deletingLastPathComponent().path

    static let policy: RoutingPolicy = {
        do { return try RoutingPolicy.load(path: repoRoot + "/infra/policy.json") } catch {
            fatalError("infra/policy.json: \(error)")
        }
    }()

    static let router: Router = {
        do { return try Router(policy: policy) } catch { fatalError("\(error)") }
    }()

    static let heuristic = HeuristicClassifier()

    static func input(
        tenant: String, prompt: String? = nil, images: [ImageRef]? = nil, hints: SwitchyardRouting.RoutingHints? = nil,
        batch: [SwitchyardRouting.BatchItem]? = nil
    ) -> RouterInput {
        RouterInput(requestID: "test", tenantID: tenant, prompt: prompt, images: images, hints: hints, batch: batch)
    }

    /// Validates, classifies with the heuristic and decides, as the handler does without its I/O.
    static func decide(_ input: RouterInput, signals: SignalsSnapshot = .none, router: Router = router)
        throws(RouterError) -> SwitchyardRouting.RouteDecision
    {
        let profile = try RequestProfile(input, limits: router.table.policy.limits)
        let classification = heuristic.classify(ClassificationInput(profile))
        return try router.decide(profile, classification: classification, signals: signals)
    }

    static func decide(
        tenant: String, prompt: String? = nil, images: [ImageRef]? = nil, hints: SwitchyardRouting.RoutingHints? = nil,
        batch: [SwitchyardRouting.BatchItem]? = nil,
        spend: Int64? = nil, health: [String: ModelHealth] = [:]
    ) throws(RouterError) -> SwitchyardRouting.RouteDecision {
        try decide(
            input(tenant: tenant, prompt: prompt, images: images, hints: hints, batch: batch),
            signals: SignalsSnapshot(monthToDateSpendMicroUSD: spend, health: health))
    }

    static let photo = ImageRef(url: "s3://switchyard-uploads/street.jpg", mediaType: "image/jpeg", sizeBytes: 180_000)

    /// The policy file's JSON as an editable dictionary, for validation tests.
    static func policyJSON() -> [String: Any] {
        let data = try! Data(contentsOf: URL(fileURLWithPath: repoRoot + "/infra/policy.json"))
        return try! JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    static func bytes(_ object: [String: Any]) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object))
    }
}

extension SwitchyardRouting.RouteDecision {
    var chosenModels: [String] { [primary.model] + fallbacks.map(\.model) }
}
