import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

/// `--bundle-only parse|walk|codable`: loads the bundle once and prints its version and size, for
/// an instruction count of the bundle alone (`valgrind --tool=callgrind`), without a function.
///
/// `parse` is `RoutingBundle.parse`, as the functions load it. `walk` and `codable` decode the
/// policy and the catalog from parsed JSON, the first by walking it (`RoutingPolicy.parse`'s and
/// `Catalog.parse`'s decoders), the second through `Decodable` (the decode before the sixth pass
/// of docs/packaging.md), then build the same bundle; their difference is the decoder's cost
/// (and the policy's unknown-field check, which `walk` runs in `RoutingPolicy.parse` and
/// `codable` cannot reach from here).
/// The bundle each mode builds is printed, so a run whose modes disagree shows it.
enum BundleOnly {
    static func run(mode: String, directory: String) throws {
        let documents = RoutingBundle.Documents(
            policy: try FileReader.read(directory + "/policy.json"),
            catalog: try FileReader.read(directory + "/catalog.json"),
            rates: try FileReader.read(directory + "/rates.json"))
        let pricesAt = WallClock.nowMilliseconds()
        let bundle: RoutingBundle
        switch mode {
        case "parse":
            bundle = try RoutingBundle.parse(documents, pricesAt: pricesAt)
        case "walk":
            let catalogJSON = try JSON.parse(documents.catalog)
            bundle = try RoutingBundle(
                policy: try RoutingPolicy.parse(documents.policy),
                catalog: try Catalog(json: catalogJSON, source: "catalog.json"),
                rates: try RatesTable(bytes: documents.rates),
                qualityVersion: try JSONFields(catalogJSON, keys: Catalog.Field.self).optional(
                    .qualityVersion, QualityVersion.init(json:)),
                pricesAt: pricesAt)
        case "codable":
            struct CatalogFile: Decodable {
                var version: String
                var models: [CatalogModel]
                var qualityVersion: QualityVersion?
            }
            let file = try JSON.decode(CatalogFile.self, from: try JSON.parse(documents.catalog))
            let policy = try JSON.decode(RoutingPolicy.self, from: try JSON.parse(documents.policy))
            try policy.validate()
            bundle = try RoutingBundle(
                policy: policy,
                catalog: try Catalog(version: file.version, models: file.models, source: "catalog.json"),
                rates: try RatesTable(bytes: documents.rates), qualityVersion: file.qualityVersion,
                pricesAt: pricesAt)
        default:
            throw BundleOnlyError.unknownMode(mode)
        }
        print(
            "\(mode): bundle \(bundle.version), \(bundle.catalog.models.count) models, "
                + "\(bundle.policy.tiers.count) tiers, \(bundle.policy.rules.count) rules")
    }
}

enum BundleOnlyError: Error, CustomStringConvertible {
    case unknownMode(String)

    var description: String { "--bundle-only takes parse, walk or codable, not \(self)" }
}
