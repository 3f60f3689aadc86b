import SwitchyardContract
import SwitchyardJSON

@testable import SwitchyardRouting

/// The bundle's documents as the Codable decode read them before the JSON walk replaced it
/// (docs/packaging.md, sixth pass): the same fields, types, order and defaults, decoded through
/// `Decodable` and `JSONValueDecoder`. It stays here, in the tests, as the reference the walk's
/// values and error texts are compared with (BundleDecoderTests); the library's types are no
/// longer `Decodable`. Enums keep their library names: Codable's error names the type.
enum CodableBundleReference {
    struct Policy: Decodable {
        var version: Int
        var policyID: String
        var effectiveFrom: String
        var defaults: Defaults?
        var limits: Limits?
        var classifier: Classifier?
        var tiers: [String: Tier]
        var tenants: [Tenant]
        var rules: [Rule]?
        var retrieval: Retrieval?

        enum CodingKeys: String, CodingKey {
            case version, effectiveFrom, defaults, limits, classifier, tiers, tenants, rules, retrieval
            case policyID = "policyId"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            version = try c.decode(Int.self, forKey: .version)
            guard version == RoutingPolicy.supportedVersion else {
                throw PolicyError.invalid(
                    path: "version",
                    problem:
                        "version \(version) is not supported; this router reads version "
                        + "\(RoutingPolicy.supportedVersion)"
                )
            }
            policyID = try c.decode(String.self, forKey: .policyID)
            effectiveFrom = try c.decode(String.self, forKey: .effectiveFrom)
            defaults = try c.decodeIfPresent(Defaults.self, forKey: .defaults)
            limits = try c.decodeIfPresent(Limits.self, forKey: .limits)
            classifier = try c.decodeIfPresent(Classifier.self, forKey: .classifier)
            tiers = try c.decode([String: Tier].self, forKey: .tiers)
            tenants = try c.decode([Tenant].self, forKey: .tenants)
            rules = try c.decodeIfPresent([Rule].self, forKey: .rules)
            retrieval = try c.decodeIfPresent(Retrieval.self, forKey: .retrieval)
        }
    }

    struct Defaults: Decodable {
        var qualityFloor: QualityFloors
        var outputTokens: [String: Int]
        var fallbackCount: Int
        var attemptTimeout: AttemptTimeout
        var costCeilingMultiplier: Double
        var maxErrorRate: Double
        var minLatencySamples: Int
        var relaxQualityFloor: Bool
        var batchMaxConcurrency: Int
        var batchMaxDetectorConcurrency: Int?
        var batchMaxInlineItems: Int
        var batchMaxInlineResultBytes: Int
        var detection: Detection
    }

    struct QualityFloors: Decodable {
        var easy: Double
        var medium: Double
        var hard: Double
    }

    struct AttemptTimeout: Decodable {
        var multiplier: Double
        var minMs: Int
        var maxMs: Int
    }

    struct Detection: Decodable {
        var confidenceThreshold: Double
        var iouThreshold: Double
        var maxDetections: Int
    }

    struct Limits: Decodable {
        var maxPromptBytes: Int
        var maxImages: Int
        var maxImageBytes: Int
        var maxBatchItems: Int
        var maxOutputTokens: Int
        var imageMediaTypes: [String]
    }

    enum ClassifierMode: String, Decodable { case heuristic, learned, llm, hybrid }

    struct Learned: Decodable {
        var file: String
        var version: String
    }

    struct Classifier: Decodable {
        var mode: ClassifierMode
        var model: String?
        var baseURL: String?
        var timeoutMs: Int
        var confidenceThreshold: Double
        var learned: Learned?

        enum CodingKeys: String, CodingKey {
            case mode, model, learned
            case baseURL = "base_url"
            case timeoutMs = "timeout_ms"
            case confidenceThreshold = "confidence_threshold"
        }
    }

    enum OverBudgetBehaviour: String, Decodable { case downgrade, reject }

    struct Tier: Decodable {
        var models: [ModelID]?
        var monthlyBudget: PicoUSD
        var defaultStrategy: RoutingStrategy
        var overBudget: OverBudgetBehaviour
        var downgradeModels: [ModelID]?
        var classifier: ClassifierMode?

        enum CodingKeys: String, CodingKey {
            case models, classifier, defaultStrategy, overBudget, downgradeModels
            case monthlyBudget = "monthlyBudgetUSD"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            models = try c.decodeIfPresent([ModelID].self, forKey: .models)
            monthlyBudget = try usd(c, .monthlyBudget)
            defaultStrategy = try c.decode(RoutingStrategy.self, forKey: .defaultStrategy)
            overBudget = try c.decode(OverBudgetBehaviour.self, forKey: .overBudget)
            downgradeModels = try c.decodeIfPresent([ModelID].self, forKey: .downgradeModels)
            classifier = try c.decodeIfPresent(ClassifierMode.self, forKey: .classifier)
        }
    }

    struct Tenant: Decodable {
        var id: String
        var tier: String
        var monthlyBudget: PicoUSD?

        enum CodingKeys: String, CodingKey {
            case id, tier
            case monthlyBudget = "monthlyBudgetUSD"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            id = try c.decode(String.self, forKey: .id)
            tier = try c.decode(String.self, forKey: .tier)
            monthlyBudget =
                try c.contains(.monthlyBudget) && !c.decodeNil(forKey: .monthlyBudget)
                ? usd(c, .monthlyBudget) : nil
        }
    }

    enum RequestModality: String, Decodable {
        case text, image, batch
        case imageText = "image+text"
    }

    struct Condition: Decodable {
        var modalities: [RequestModality]?
        var categories: [TaskCategory]?
        var difficulties: [Difficulty]?
        var tiers: [String]?
        var tenants: [String]?
        var routes: [RoutingStrategy]?
        var tags: [String]?
        var uncertain: Bool?
    }

    struct Action: Decodable {
        var strategy: RoutingStrategy?
        var qualityFloor: Double?
        var maxLatencyMs: Int?
        var maxCost: PicoUSD?
        var models: [ModelID]?
        var fallbackCount: Int?
        var lockStrategy: Bool?

        enum CodingKeys: String, CodingKey {
            case strategy, models, qualityFloor, maxLatencyMs, fallbackCount, lockStrategy
            case maxCost = "maxCostUSD"
        }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            strategy = try c.decodeIfPresent(RoutingStrategy.self, forKey: .strategy)
            qualityFloor = try c.decodeIfPresent(Double.self, forKey: .qualityFloor)
            maxLatencyMs = try c.decodeIfPresent(Int.self, forKey: .maxLatencyMs)
            maxCost = try c.contains(.maxCost) && !c.decodeNil(forKey: .maxCost) ? usd(c, .maxCost) : nil
            models = try c.decodeIfPresent([ModelID].self, forKey: .models)
            fallbackCount = try c.decodeIfPresent(Int.self, forKey: .fallbackCount)
            lockStrategy = try c.decodeIfPresent(Bool.self, forKey: .lockStrategy)
        }
    }

    struct Rule: Decodable {
        var name: String
        var when: Condition
        var then: Action
    }

    struct Retrieval: Decodable {
        var embeddingModel: ModelID
        var passageModel: ModelID?
        var topK: Int?
        var tokensPerSource: Int?
        var rules: [RetrievalRule]
    }

    struct RetrievalRule: Decodable {
        var name: String
        var when: Condition
        var collection: String?
        var topK: Int?
    }

    /// `USDAmount.decode` as it was.
    static func usd<K: CodingKey>(_ c: KeyedDecodingContainer<K>, _ key: K) throws -> PicoUSD {
        let text = try c.decode(String.self, forKey: key)
        guard let amount = PicoUSD(decimal: text) else {
            throw DecodingError.dataCorrupted(
                .init(
                    codingPath: c.codingPath + [key],
                    debugDescription:
                        "\"\(text.prefix(40))\" is not a decimal USD amount (digits, at most 12 after the point)"))
        }
        return amount
    }

    // MARK: - Catalog

    struct CatalogFile: Decodable {
        var version: String
        var models: [Model]
    }

    struct CatalogHead: Decodable { var qualityVersion: QualityVersion? }

    struct QualityVersion: Decodable {
        var id: String
        var fingerprint: String

        enum CodingKeys: String, CodingKey {
            case id
            case fingerprint = "fnv1a64"
        }
    }

    struct Model: Decodable {
        var id: ModelID
        var provider: ProviderID
        var kind: BackendKind
        var providerModel: String?
        var endpoint: String?
        var region: String?
        var credential: String?
        var contextWindow: Int
        var maxOutputTokens: Int?
        var capabilities: [ModelCapability]
        var latency: Latency
        var quality: [String: Double]
        var tiers: [String]
        var compute: Compute?
        var detector: Detector?
    }

    struct Latency: Decodable {
        var ttftMs: Int?
        var p50Ms: Int
        var p95Ms: Int
        var outputTokensPerSecond: Int?
    }

    struct Compute: Decodable {
        var kind: String
        var instanceType: String?
        var milliVCPU: Int64?
        var memoryMB: Int64?
        var architecture: String?
    }

    struct Detector: Decodable {
        var inputSize: Int?
        var modelFile: String?
        var classNames: [String]?
        var wireFormat: String?
    }
}
