import SwitchyardBilling
import SwitchyardContract
import SwitchyardJSON
import SwitchyardRouting

/// Grows the repository bundle's catalog to `count` models for the benchmark, by adding regional
/// and versioned variants of its LLMs and detectors with shifted prices (new rates entries),
/// latencies and quality, so the router weighs a realistic 50-model catalog rather than 17.
enum SyntheticCatalog {
    static func grow(
        policy: RoutingPolicy, catalog: Catalog, ratesDocument: JSON, to count: Int, at time: Int64
    ) throws -> RoutingBundle {
        var models = catalog.models
        guard case .object(var rates) = ratesDocument, case .array(var rateEntries)? = rates["models"] else {
            fatalError("rates.json has no models array")
        }
        let templates = models.filter { $0.kind != .embedding }
        let regions = ["eu", "ap", "us-west", "ca", "sa", "me"]
        var n = 0
        while models.count < count {
            var model = templates[n % templates.count]
            let variant = n / templates.count
            let template = model.id.rawValue
            model.id = ModelID("\(template)-\(regions[variant % regions.count])-\(variant)")
            let shift = 90 + (n * 7) % 25  // 90%…114% of the template's prices
            guard
                case .object(var rate)? = rateEntries.first(where: { $0["model"]?.stringValue == template })
            else { fatalError("no rate for \(template)") }
            rate["model"] = .string(model.id.rawValue)
            for key in ["inputPerMillionTokens", "cachedInputPerMillionTokens", "outputPerMillionTokens", "perImage"] {
                if let text = rate[key]?.stringValue, let price = PicoUSD(decimal: text) {
                    rate[key] = .string(PicoUSD(price.rawValue * Int64(shift) / 100).description)
                }
            }
            rateEntries.append(.object(rate))
            model.latency.p50Ms = model.latency.p50Ms * (100 + (n * 13) % 40) / 100
            model.latency.p95Ms = max(model.latency.p95Ms * (100 + (n * 13) % 40) / 100, model.latency.p50Ms)
            for (key, value) in model.quality { model.quality[key] = max(0, min(1, value - Double((n * 3) % 7) / 100)) }
            models.append(model)
            n += 1
        }
        rates["models"] = .array(rateEntries)
        return try RoutingBundle(
            policy: policy, catalog: try Catalog(version: catalog.version + "+synthetic", models: models),
            rates: try RatesTable(json: .object(rates)), pricesAt: time)
    }
}
