import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// Policy, catalog and rates: the one versioned bundle every decision is made with
/// (decisions.md "Configuration").
///
/// The three documents are parsed and validated together, because each refers to the others: a
/// tier names catalog models, a catalog model names tiers and must have a price in the rates
/// table. A bundle that loads is therefore consistent; a bundle that does not is refused as a
/// whole (at init, or on reload, where the last good bundle stays in force).
public struct RoutingBundle: Sendable {
    public let policy: RoutingPolicy
    public let catalog: Catalog
    public let rates: RatesTable
    /// The frozen revision of the catalog's quality scores (`catalog.json`'s `qualityVersion`),
    /// checked against the scores at every load; nil when the catalog names none.
    public let qualityVersion: QualityVersion?
    /// Epoch ms the bundle was validated for: every catalog model has a rate in force then, and
    /// the routing table prices its estimates with those rates.
    public let pricesAt: Int64

    /// `<policyId>+<catalog version>+<rates version>`: recorded on every decision and usage record.
    public var version: String { "\(policy.policyID)+\(catalog.version)+\(rates.version)" }

    /// - Parameter pricesAt: epoch ms at which every catalog model must have a rate in force.
    /// - Throws: `BundleError` (`Router.InvalidBundle`) naming the document and field.
    public init(
        policy: RoutingPolicy, catalog: Catalog, rates: RatesTable, qualityVersion: QualityVersion? = nil,
        pricesAt: Int64
    ) throws(BundleError) {
        self.policy = policy
        self.catalog = catalog
        self.rates = rates
        self.qualityVersion = qualityVersion
        self.pricesAt = pricesAt
        try validate(pricesAt: pricesAt)
    }

    /// The three documents' bytes, as read from one source.
    public struct Documents: Sendable {
        public var policy: [UInt8]
        public var catalog: [UInt8]
        public var rates: [UInt8]
        /// Where each came from, for error messages (paths or `s3://` URLs).
        public var sources: (policy: String, catalog: String, rates: String)

        public init(
            policy: [UInt8], catalog: [UInt8], rates: [UInt8],
            sources: (policy: String, catalog: String, rates: String) = ("policy.json", "catalog.json", "rates.json")
        ) {
            self.policy = policy
            self.catalog = catalog
            self.rates = rates
            self.sources = sources
        }
    }

    /// Parses and validates the three documents together.
    /// - Throws: `BundleError`, whose `errorType` is the failing document's (`Router.InvalidPolicy`,
    ///   `Config.InvalidDocument` for the catalog, `Billing.InvalidRates`) or `Router.InvalidBundle`
    ///   for references between them.
    public static func parse(_ documents: Documents, pricesAt: Int64) throws(BundleError) -> RoutingBundle {
        let policy: RoutingPolicy
        do { policy = try RoutingPolicy.parse(documents.policy) } catch {
            throw .policy(source: documents.sources.policy, error)
        }
        let catalog: Catalog
        let quality: QualityVersion?
        do {
            // Parsed once for the key check, the catalog and its `qualityVersion`.
            let json = try parseCatalog(documents.catalog, source: documents.sources.catalog)
            try checkCatalogKeys(json, source: documents.sources.catalog)
            catalog = try Catalog(json: json, source: documents.sources.catalog)
            quality = try qualityVersion(in: json, source: documents.sources.catalog)
        } catch {
            throw .catalog(error)
        }
        let rates: RatesTable
        do { rates = try RatesTable(bytes: documents.rates) } catch {
            throw .rates(source: documents.sources.rates, error)
        }
        return try RoutingBundle(
            policy: policy, catalog: catalog, rates: rates, qualityVersion: quality, pricesAt: pricesAt)
    }

    /// Fields of `catalog.json`, from each type's `Field` (the keys its decoder reads) plus
    /// `description`; a misspelt field is an error, not a setting silently left out.
    static let catalogKeys = KeySchema.fields(Catalog.Field.self, plus: ["description"]) {
        switch $0 {
        case .qualityVersion: .object(qualityVersionKeys)
        case .models: .array(catalogModelKeys)
        case .version: nil
        }
    }

    private static let catalogModelKeys = KeySchema.fields(CatalogModel.Field.self, plus: ["description"]) {
        switch $0 {
        case .latency: .object(latencyKeys)
        case .compute: .object(computeKeys)
        case .detector: .object(detectorKeys)
        default: nil
        }
    }

    private static let qualityVersionKeys = KeySchema.fields(QualityVersion.Field.self, plus: ["description"])
    private static let latencyKeys = KeySchema.fields(LatencyPrior.Field.self)
    private static let computeKeys = KeySchema.fields(ComputeSpec.Field.self)
    private static let detectorKeys = KeySchema.fields(DetectorSpec.Field.self)

    static func parseCatalog(_ bytes: [UInt8], source: String) throws(ConfigurationError) -> JSON {
        do { return try JSON.parse(bytes) } catch {
            throw .invalidDocument(source: source, detail: describeDecodingError(error))
        }
    }

    /// The catalog document's `qualityVersion`, which the contract's `Catalog` does not carry.
    static func qualityVersion(in json: JSON, source: String) throws(ConfigurationError) -> QualityVersion? {
        do {
            return try JSONFields(json, keys: Catalog.Field.self).optional(.qualityVersion, QualityVersion.init(json:))
        } catch {
            throw .invalidDocument(source: source, detail: error.description)
        }
    }

    static func checkCatalogKeys(_ json: JSON, source: String) throws(ConfigurationError) {
        if let (path, problem) = KnownKeys.firstUnknown(in: json, schema: catalogKeys) {
            throw .invalidDocument(source: source, detail: "\(path): \(problem)")
        }
    }
}

/// A bundle that cannot be used: reported as an init error, or logged on reload while the last
/// good bundle stays in force.
public enum BundleError: FunctionError, Equatable {
    case policy(source: String, PolicyError)
    case catalog(ConfigurationError)
    case rates(source: String, RatesError)
    /// The documents parse but do not fit together (a tier names a model the catalog lacks, a
    /// model has no rate).
    case inconsistent(path: String, problem: String)
    /// A document could not be read.
    case unreadable(source: String, reason: String)

    public var errorType: String {
        switch self {
        case .policy(_, let e): e.errorType
        case .catalog(let e): e.errorType
        case .rates(_, let e): e.errorType
        case .inconsistent: "Router.InvalidBundle"
        case .unreadable: "Router.BundleUnreadable"
        }
    }

    public var errorMessage: String {
        switch self {
        case .policy(let source, let e): "\(source): \(e.errorMessage)"
        case .catalog(let e): e.errorMessage
        case .rates(let source, let e): "\(source): \(e.errorMessage)"
        case .inconsistent(let path, let problem): "bundle \(path): \(problem)"
        case .unreadable(let source, let reason): "\(source) cannot be read: \(reason)"
        }
    }
}
