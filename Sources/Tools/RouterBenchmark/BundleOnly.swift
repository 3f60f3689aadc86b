import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardRouting

/// `--bundle-only`: loads the bundle once (`RoutingBundle.parse`, as the functions load it) and
/// prints its version and size, for an instruction count of the bundle alone
/// (`valgrind --tool=callgrind`) without a function. What it printed is the check that it loaded.
enum BundleOnly {
    static func run(directory: String) throws {
        let documents = RoutingBundle.Documents(
            policy: try FileReader.read(directory + "/policy.json"),
            catalog: try FileReader.read(directory + "/catalog.json"),
            rates: try FileReader.read(directory + "/rates.json"))
        let bundle = try RoutingBundle.parse(documents, pricesAt: WallClock.nowMilliseconds())
        print(
            "bundle \(bundle.version), \(bundle.catalog.models.count) models, \(bundle.policy.tiers.count) tiers, "
                + "\(bundle.policy.rules.count) rules")
    }
}
