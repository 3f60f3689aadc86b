import SwitchyardCore
import SwitchyardMetrics
import SwitchyardRouting
import SwitchyardUsage

/// The dashboard API's settings, read once at init.
///
/// Keys: `MONGODB_URI` (required) and the usage store's own keys (see `MongoUsageConfiguration`);
/// `DASHBOARD_ADMIN_KEY` (optional: when set, every call but `/api/health` must present it as
/// `x-admin-key` or `Authorization: Bearer`; on AWS the API sits behind IAM as well);
/// `DASHBOARD_TIMEOUT_MS` (default 10000, at most 600000 for benchmarks' references: longest one
/// answer may take, store included);
/// `DASHBOARD_WHATIF_PAGE_CALLS` (default 50000: most recorded calls the what-if holds at once);
/// `DASHBOARD_WHATIF_SETTLE_MS` (default 3600000: how long after its end a day's summary is built
/// and used; negative values treat days up to that far ahead as settled, for fixtures dated ahead);
/// `SWITCHYARD_POLICY`, `SWITCHYARD_CATALOG`, `SWITCHYARD_RATES` (the routing bundle the what-if
/// edits, found by `ConfigLocator`; default `policy.json`, `catalog.json`, `rates.json`).
public struct DashboardAPIConfiguration: Sendable {
    public var store: MongoUsageConfiguration
    public var adminKey: String?
    public var timeout: Duration
    /// Most recorded calls one page of the what-if holds (memory is one page and the totals).
    public var whatIfPageCalls = 50_000
    /// How long after its end a day counts as settled for the what-if's day summaries, ms.
    public var whatIfSettleMilliseconds: Int64 = 3_600_000
    /// Paths of the three bundle documents; nil when they are not found (the what-if answers 404).
    public var bundle: (policy: String, catalog: String, rates: String)?

    public init(
        store: MongoUsageConfiguration, adminKey: String? = nil, timeout: Duration = .seconds(10),
        bundle: (policy: String, catalog: String, rates: String)? = nil
    ) {
        self.store = store
        self.adminKey = adminKey
        self.timeout = timeout
        self.bundle = bundle
    }

    /// Reads every key listed on the type.
    /// - Throws: `ConfigurationError` naming the variable.
    public init(environment: Environment) throws(ConfigurationError) {
        guard let uri = environment["MONGODB_URI"], !uri.isEmpty else { throw .missing(variable: "MONGODB_URI") }
        let files = [
            "SWITCHYARD_POLICY": "policy.json", "SWITCHYARD_CATALOG": "catalog.json", "SWITCHYARD_RATES": "rates.json",
        ]
        var located: [String: String] = [:]
        for (variable, name) in files {
            if let path = ConfigLocator.locate(environment.string(variable, default: name), environment: environment) {
                located[variable] = path
            }
        }
        var bundle: (String, String, String)?
        if let p = located["SWITCHYARD_POLICY"], let c = located["SWITCHYARD_CATALOG"],
            let r = located["SWITCHYARD_RATES"]
        {
            bundle = (p, c, r)
        }
        self.init(
            store: try MongoUsageConfiguration(environment: environment),
            adminKey: environment["DASHBOARD_ADMIN_KEY"].flatMap { $0.isEmpty ? nil : $0 },
            timeout: .milliseconds(try environment.int("DASHBOARD_TIMEOUT_MS", default: 10_000, range: 100...600_000)),
            bundle: bundle)
        whatIfPageCalls = try environment.int("DASHBOARD_WHATIF_PAGE_CALLS", default: 50_000, range: 1...1_000_000)
        whatIfSettleMilliseconds = Int64(
            try environment.int(
                "DASHBOARD_WHATIF_SETTLE_MS", default: 3_600_000, range: -400 * 86_400_000...400 * 86_400_000))
    }

    /// The API over the usage store, with the what-if when the bundle's files are found. The bundle is
    /// read and validated on the first what-if call (`LazyWhatIf`), not here: parsing it was about half
    /// of the function's init, which most cold starts (the dashboard's other pages) never use.
    /// - Throws: `ConfigurationError` for a bad URI.
    public func makeAPI() throws -> MetricsAPI {
        let sink = try MongoUsageSink(configuration: store)
        var whatIf: LazyWhatIf?
        if let bundle {
            let (pageCalls, settle) = (whatIfPageCalls, whatIfSettleMilliseconds)
            whatIf = LazyWhatIf { () throws(BundleError) in
                RoutingWhatIf(
                    bundle: try DashboardBundle.load(bundle, at: WallClock.nowMilliseconds()),
                    maxCallsPerPage: pageCalls, settleMilliseconds: settle)
            }
        }
        let store = CachedMetricsStore(base: MongoMetricsStore(sink: sink), now: { WallClock.nowMilliseconds() })
        return MetricsAPI(store: store, adminKey: adminKey, whatIf: whatIf, timeout: timeout)
    }
}

/// Reads the three bundle documents and validates them together.
public enum DashboardBundle {
    public static func load(_ files: (policy: String, catalog: String, rates: String), at time: Int64)
        throws(BundleError) -> RoutingBundle
    {
        func read(_ path: String) throws(BundleError) -> [UInt8] {
            do { return try FileReader.read(path, limit: 8 << 20) } catch {
                throw .unreadable(source: path, reason: error.errorMessage)
            }
        }
        return try RoutingBundle.parse(
            RoutingBundle.Documents(
                policy: try read(files.policy), catalog: try read(files.catalog), rates: try read(files.rates),
                sources: files),
            pricesAt: time)
    }
}
