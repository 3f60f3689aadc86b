import SwitchyardBilling
import SwitchyardContract
import SwitchyardJSON

/// Reads model prices out of the router's policy catalog (`infra/policy.json`, see
/// `SwitchyardRouting.ModelSpec`): `models[].prices` in integer micro-USD per 1M tokens / per image.
enum PolicyPrices {
    struct Entry {
        var id: String
        /// The id the model is billed under: the catalog id when the rates table knows it, else `provider_model`.
        var candidates: [String]
        var prices: [(String, PicoUSD)]
    }

    static func models(in policy: JSON) -> [Entry]? {
        guard let list = policy["models"]?.arrayValue else { return nil }
        return list.compactMap { model -> Entry? in
            guard let id = model["id"]?.stringValue else { return nil }
            var candidates = [id]
            if let providerModel = model["provider_model"]?.stringValue { candidates.append(providerModel) }
            let prices = model["prices"] ?? .object([:])
            var result: [(String, PicoUSD)] = []
            for (key, kind) in [
                ("input_per_million", "input"), ("cached_input_per_million", "cachedInput"),
                ("output_per_million", "output"),
                ("per_image", "image"),
            ] {
                let microUSD = prices[key]?.int64Value ?? 0
                // An absent or zero cached price means "no cache discount listed": not comparable.
                if kind == "cachedInput" && microUSD == 0 { continue }
                result.append((kind, PicoUSD(microUSD * PicoUSD.perMicroUSD)))
            }
            return Entry(id: id, candidates: candidates, prices: result)
        }
    }
}
