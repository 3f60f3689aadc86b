import SwitchyardBilling
import SwitchyardCore
import SwitchyardUsage

/// What every command shares: its arguments, the rates' calculator and the record generator.
struct IngestContext {
    var arguments: Arguments
    var calculator: CostCalculator
    var generator: SyntheticRecords

    /// Reads the rates (--rates, default infra/rates.json); exits 2 when they do not load.
    init(_ arguments: Arguments) {
        self.arguments = arguments
        let ratesPath = arguments.options["rates"] ?? "infra/rates.json"
        do {
            calculator = CostCalculator(rates: try RatesTable(bytes: try FileReader.read(ratesPath)))
        } catch { fail("\(error)") }
        generator = SyntheticRecords(
            seed: UInt64(arguments.int64("seed", 1)), tenants: arguments.int("tenants", 20),
            start: arguments.int64("start", 1_795_003_200_000))
    }

    /// A sink configured from the environment (MONGODB_URI, SWITCHYARD_DB, USAGE_*).
    func makeSink() -> MongoUsageSink {
        do { return try MongoUsageSink(configuration: MongoUsageConfiguration(environment: .process)) } catch {
            fail("\(error)")
        }
    }
}
