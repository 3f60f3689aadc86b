import SwitchyardBilling
import SwitchyardContract

/// The references between policy, catalog and rates, checked once per load.
extension RoutingBundle {
    func validate(pricesAt time: Int64) throws(BundleError) {
        func fail(_ path: String, _ problem: String) -> BundleError { .inconsistent(path: path, problem: problem) }
        guard !catalog.models.isEmpty else { throw fail("catalog.models", "the catalog is empty") }

        for (i, model) in catalog.models.enumerated() {
            let at = "catalog.models[\(i)] (\(model.id.rawValue.prefix(60)))"
            let servesText = model.kind == .llm || model.kind == .embedding
            let textProvider = [.openAI, .anthropic, .openAICompatible, .bedrock].contains(model.provider)
            guard servesText == textProvider else {
                throw fail(
                    "\(at).provider", "a \(model.kind.rawValue) model cannot be served by \(model.provider.rawValue)")
            }
            guard !model.quality.isEmpty else {
                throw fail("\(at).quality", "has no category; the model could serve nothing")
            }
            for key in model.quality.keys.sorted() {
                // Catalog.parse has checked that the key is a category and the score within 0...1.
                let category = TaskCategory(rawValue: key)!
                guard category.backendKind == model.kind || (category == .visionQA && model.kind == .llm) else {
                    throw fail("\(at).quality.\(key)", "a \(model.kind.rawValue) model cannot serve \(key)")
                }
            }
            if servesText, model.contextWindow <= 0 {
                throw fail("\(at).contextWindow", "a \(model.kind.rawValue) model needs a positive context window")
            }
            if model.quality[TaskCategory.visionQA.rawValue] != nil, !model.capabilities.contains(.vision) {
                throw fail("\(at).capabilities", "a model scored for vision-qa must list the vision capability")
            }
            guard !model.tiers.isEmpty else {
                throw fail("\(at).tiers", "lists no tier; no tenant could use the model")
            }
            for (j, tier) in model.tiers.enumerated() where policy.tiers[tier] == nil {
                throw fail("\(at).tiers[\(j)]", "unknown tier \"\(tier.prefix(60))\" (not in the policy)")
            }
            // One price source: every model the router may pick has a rate, or an explicit "0".
            guard rates.model(model.id.rawValue, at: time) != nil else {
                throw fail(
                    at, "has no rate in force in rates \(rates.version); add one to rates.json (\"0\" for a free model)"
                )
            }
            if let compute = model.compute { try validate(compute, at: "\(at).compute", time: time) }
        }

        for name in policy.tiers.keys.sorted() {
            let tier = policy.tiers[name]!
            let at = "policy.tiers.\(name)"
            for (j, id) in (tier.models ?? []).enumerated() {
                guard let model = catalog.model(id) else { throw fail("\(at).models[\(j)]", "unknown model \"\(id)\"") }
                guard model.tiers.contains(name) else {
                    throw fail("\(at).models[\(j)]", "model \"\(id)\" does not list tier \"\(name)\" in its tiers")
                }
            }
            for (j, id) in (tier.downgradeModels ?? []).enumerated() {
                guard let model = catalog.model(id) else {
                    throw fail("\(at).downgradeModels[\(j)]", "unknown model \"\(id)\"")
                }
                guard model.tiers.contains(name) else {
                    throw fail("\(at).downgradeModels[\(j)]", "model \"\(id)\" is not allowed for tier \"\(name)\"")
                }
            }
        }
        for (i, rule) in policy.rules.enumerated() {
            for (j, id) in (rule.then.models ?? []).enumerated() where catalog.model(id) == nil {
                throw fail("policy.rules[\(i)].then.models[\(j)]", "unknown model \"\(id)\"")
            }
        }
        if let retrieval = policy.retrieval {
            for (path, id) in [("embeddingModel", retrieval.embeddingModel), ("passageModel", retrieval.passageModel)] {
                guard let id else { continue }
                guard let model = catalog.model(id), model.kind == .embedding else {
                    throw fail("policy.retrieval.\(path)", "\"\(id.rawValue.prefix(60))\" is not an embedding model")
                }
            }
        }
        // Last, so a specific problem in a quality score is reported as that, not as a changed table.
        if let frozen = qualityVersion {
            guard !frozen.id.isEmpty else { throw fail("catalog.qualityVersion.id", "must not be empty") }
            let actual = catalog.qualityFingerprint
            guard frozen.fingerprint == actual else {
                throw fail(
                    "catalog.qualityVersion.fnv1a64",
                    "the catalog's quality table changed (fingerprint \(actual), frozen \(frozen.fingerprint)); "
                        + "a new quality table needs a new qualityVersion.id and fingerprint")
            }
        }
    }

    /// A model billed for its compute must have that compute in the rates table, with sizes in range.
    private func validate(_ compute: ComputeSpec, at: String, time: Int64) throws(BundleError) {
        func fail(_ problem: String) -> BundleError { .inconsistent(path: at, problem: problem) }
        switch compute.kind {
        case "lambda":
            guard let memory = compute.memoryMB, (128...10_240).contains(memory) else {
                throw fail("lambda compute needs memoryMB within 128...10240")
            }
            guard rates.lambda(ComputeSpec.estimateArchitecture, at: time) != nil else {
                throw fail("no Lambda rate for \(ComputeSpec.estimateArchitecture.rawValue) in rates \(rates.version)")
            }
        case "endpoint":
            guard let type = compute.instanceType, rates.endpoint(type, at: time) != nil else {
                throw fail("endpoint compute needs an instanceType priced in rates \(rates.version)")
            }
        case "fargate":
            guard let cpu = compute.milliVCPU, (1...16_000).contains(cpu), let memory = compute.memoryMB,
                (1...122_880).contains(memory)
            else { throw fail("fargate compute needs milliVCPU within 1...16000 and memoryMB within 1...122880") }
            guard rates.fargate(ComputeSpec.estimateArchitecture, at: time) != nil else {
                throw fail("no Fargate rate for \(ComputeSpec.estimateArchitecture.rawValue) in rates \(rates.version)")
            }
        default:
            throw fail("kind \"\(compute.kind.prefix(40))\" is not lambda, endpoint or fargate")
        }
    }
}

extension ComputeSpec {
    /// The catalog does not say which architecture a model's compute runs on; estimates price it
    /// as x86_64, the dearer of the two, so an estimate errs high.
    static let estimateArchitecture = Architecture.x86_64
}
