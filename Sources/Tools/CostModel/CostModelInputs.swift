import SwitchyardBilling
import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// The documents `cost-model` reads: the rates table, the template's parameters and resource
/// counts (`scripts/cost-model` extracts them from `infra/template.yaml`), the measurements and
/// the scenarios with their deployment variants and traffic mix.
struct CostModelInputs {
    var ratesJSON: JSON
    var rates: RatesTable
    var template: TemplateFacts
    var measurements: CostMeasurements
    var plan: CostPlan

    struct TemplateFacts: Decodable {
        /// Every parameter's default, as a string.
        var parameters: [String: String]
        var resources: [String: Int64]
    }

    /// `infra/cost/scenarios.json`.
    struct CostPlan: Decodable {
        var monthlyRequests: Int64
        /// Weights per scenario name.
        var mix: [String: Int64]
        var deployments: [Deployment]
        var scenarios: [CostScenario]

        struct Deployment: Decodable {
            var name: String
            var about: String?
            /// Template parameters that differ from the defaults.
            var parameters: [String: String]
        }
    }

    init(rates: String, template: String, measurements: String, scenarios: String) throws {
        let ratesBytes = try FileReader.read(rates)
        ratesJSON = try JSON.parse(ratesBytes)
        self.rates = try RatesTable(json: ratesJSON)
        self.template = try JSON.decode(TemplateFacts.self, from: try FileReader.read(template))
        self.measurements = try JSON.decode(CostMeasurements.self, from: try FileReader.read(measurements))
        plan = try JSON.decode(CostPlan.self, from: try FileReader.read(scenarios))
    }

    /// The model for one deployment variant, with prices in force at `time`.
    func model(for deployment: CostPlan.Deployment, at time: Int64) throws -> DeploymentCostModel {
        var parameters = template.parameters
        for (name, value) in deployment.parameters {
            guard parameters[name] != nil else {
                throw ConfigurationError.invalid(
                    variable: "deployments.\(deployment.name).\(name)", value: value,
                    expected: "a parameter of infra/template.yaml")
            }
            parameters[name] = value
        }
        return DeploymentCostModel(
            rates: rates, infrastructure: try InfrastructureRates(rates: ratesJSON, at: time),
            profile: try DeploymentProfile(parameters: parameters, resources: template.resources),
            measurements: measurements, time: time)
    }
}
