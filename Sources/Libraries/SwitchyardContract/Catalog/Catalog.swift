import SwitchyardCore
import SwitchyardJSON

/// The model catalog: every model Switchyard can route to, looked up by catalog id.
///
/// Built once per bundle load (`infra/catalog.json`, plus a local overlay that replaces endpoints
/// for the local stack) and validated: ids unique and well formed, numbers in range, endpoints
/// http(s) where the provider needs a URL.
public struct Catalog: Sendable {
    public let version: String
    public let models: [CatalogModel]
    private let index: [ModelID: Int]

    /// - Throws: `Config.InvalidDocument` naming the offending model and field.
    public init(version: String, models: [CatalogModel], source: String = "catalog") throws(ConfigurationError) {
        var index: [ModelID: Int] = [:]
        for (i, model) in models.enumerated() {
            func invalid(_ detail: String) -> ConfigurationError {
                .invalidDocument(source: source, detail: "models[\(i)] (\(model.id.rawValue.prefix(60))): \(detail)")
            }
            guard model.id.isWellFormed else { throw invalid("id must be 1...128 of letters, digits, . _ - : /") }
            guard index[model.id] == nil else { throw invalid("duplicate id") }
            guard (0...100_000_000).contains(model.contextWindow) else { throw invalid("contextWindow out of range") }
            if let max = model.maxOutputTokens, !(1...10_000_000).contains(max) {
                throw invalid("maxOutputTokens out of range")
            }
            guard (1...3_600_000).contains(model.latency.p50Ms), model.latency.p95Ms >= model.latency.p50Ms,
                model.latency.p95Ms <= 3_600_000
            else { throw invalid("latency p50Ms/p95Ms out of range or p95 < p50") }
            if let tps = model.latency.outputTokensPerSecond, !(1...1_000_000).contains(tps) {
                throw invalid("latency.outputTokensPerSecond out of range")
            }
            for (category, q) in model.quality {
                guard TaskCategory(rawValue: category) != nil else {
                    throw invalid("quality: unknown category \(category.prefix(40))")
                }
                guard (0...1).contains(q) else { throw invalid("quality.\(category) must be within 0...1") }
            }
            if let endpoint = model.endpoint, model.provider != .sagemaker {
                guard endpoint.hasPrefix("https://") || endpoint.hasPrefix("http://") else {
                    throw invalid("endpoint must be an http(s) URL for provider \(model.provider.rawValue)")
                }
            }
            index[model.id] = i
        }
        self.version = version
        self.models = models
        self.index = index
    }

    public func model(_ id: ModelID) -> CatalogModel? { index[id].map { models[$0] } }

    /// The catalog document's own fields (`qualityVersion` is read by the routing bundle).
    public enum Field: String, CaseIterable, Sendable { case version, models, qualityVersion }

    /// Parses `{"version": "...", "models": [...]}`.
    public static func parse(_ bytes: [UInt8], source: String) throws(ConfigurationError) -> Catalog {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch {
            throw .invalidDocument(source: source, detail: describeDecodingError(error))
        }
        return try Catalog(json: json, source: source)
    }

    /// The catalog of a parsed document, read field by field (no `Decodable`: see `JSONFields`).
    public init(json: JSON, source: String) throws(ConfigurationError) {
        let version: String
        let models: [CatalogModel]
        do {
            let f = try JSONFields(json, keys: Field.self)
            version = try f.required(.version, JSONRead.string)
            models = try f.required(.models) { j throws(JSONWalkError) in
                try JSONRead.array(j, CatalogModel.init(json:))
            }
        } catch {
            throw .invalidDocument(source: source, detail: error.description)
        }
        try self.init(version: version, models: models, source: source)
    }

    /// This catalog with per-model fields replaced from an overlay document
    /// (`{"models": {"<id>": {"endpoint": "...", "region": "..."}}}`), for the local stack.
    /// Only `endpoint`, `region` and `credential` may be overlaid; an unknown id is an error.
    public func applying(overlay bytes: [UInt8], source: String) throws(ConfigurationError) -> Catalog {
        // `{"models": {"<id>": {"endpoint": …, "region": …, "credential": …}}}`
        typealias Patch = (endpoint: String?, region: String?, credential: String?)
        let patches: [String: Patch]
        do {
            let f = try JSONFields(try JSON.parse(bytes), keys: Field.self)
            patches = try f.required(.models) { j throws(JSONWalkError) in
                try JSONRead.map(j) { p throws(JSONWalkError) -> Patch in
                    let patch = try JSONFields(p, keys: CatalogModel.Field.self)
                    return (
                        try patch.optional(.endpoint, JSONRead.string), try patch.optional(.region, JSONRead.string),
                        try patch.optional(.credential, JSONRead.string)
                    )
                }
            }
        } catch let error as JSONWalkError {
            throw .invalidDocument(source: source, detail: error.description)
        } catch {
            throw .invalidDocument(source: source, detail: describeDecodingError(error))
        }
        var models = self.models
        for (id, patch) in patches.sorted(by: { $0.key < $1.key }) {
            guard let i = index[ModelID(id)] else {
                throw .invalidDocument(source: source, detail: "overlay names unknown model \(id.prefix(60))")
            }
            if let endpoint = patch.endpoint { models[i].endpoint = endpoint }
            if let region = patch.region { models[i].region = region }
            if let credential = patch.credential { models[i].credential = credential }
        }
        return try Catalog(version: version, models: models, source: source)
    }
}
