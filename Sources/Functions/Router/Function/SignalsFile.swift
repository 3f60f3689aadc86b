import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON
import SwitchyardRouting

/// Spend and model health for local runs, from a JSON file (`infra/local/router-signals.json`):
///
/// ```json
/// {"spendUSD": {"<tenant>": "1.25"},
///  "health": {"<model>": {"p50Ms": 1900, "p95Ms": 5200, "errorRate": 0.01, "samples": 5100}}}
/// ```
///
/// Spend is decimal USD strings, parsed exactly, like the policy's budgets.
enum SignalsFile {
    /// - Throws: `Config.UnreadableFile` or `Config.InvalidDocument`.
    static func load(_ path: String) throws(ConfigurationError) -> InMemoryRoutingSignals {
        struct File: Decodable {
            var spendUSD: [String: String]?
            var health: [String: ModelHealth]?
        }
        let bytes = try FileReader.read(path, limit: 1 << 20)
        let file: File
        do {
            file = try JSON.decode(File.self, from: bytes)
        } catch {
            throw .invalidDocument(source: path, detail: describeDecodingError(error))
        }
        var spend: [String: PicoUSD] = [:]
        for (tenant, text) in file.spendUSD ?? [:] {
            guard let amount = PicoUSD(decimal: text), amount >= .zero else {
                throw .invalidDocument(
                    source: path, detail: "spendUSD.\(tenant): \"\(text.prefix(40))\" is not a decimal USD amount")
            }
            spend[tenant] = amount
        }
        var health: [ModelID: ModelHealth] = [:]
        for (model, value) in file.health ?? [:] {
            guard let checked = value.checked else {
                throw .invalidDocument(source: path, detail: "health.\(model): figures out of range")
            }
            health[ModelID(model)] = checked
        }
        return InMemoryRoutingSignals(spend: spend, health: health)
    }
}
