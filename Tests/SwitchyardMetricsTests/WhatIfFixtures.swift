import Foundation
import SwitchyardRouting

/// What the what-if tests share.
enum WhatIfFixtures {
    /// The shipped bundle (infra/policy.json, catalog.json, rates.json), priced at `pricesAt`.
    static func shippedBundle(pricesAt: Int64) throws -> RoutingBundle {
        let infra = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../infra")
        func read(_ name: String) throws -> [UInt8] { Array(try Data(contentsOf: infra.appendingPathComponent(name))) }
        return try RoutingBundle.parse(
            .init(
                policy: try read("policy.json"), catalog: try read("catalog.json"), rates: try read("rates.json"),
                sources: ("policy.json", "catalog.json", "rates.json")),
            pricesAt: pricesAt)
    }
}
