import SwitchyardBilling
import SwitchyardCore
import SwitchyardJSON

/// Command-line options of `cost-model`.
struct CostModelOptions {
    var rates = "infra/rates.json"
    var template = ""
    var measurements = "infra/cost/measurements.json"
    var scenarios = "infra/cost/scenarios.json"
    var date: String?
    var json = false
    /// `--set NAME=VALUE`: price one deployment with these template parameters instead of the plan's variants.
    var parameters: [String: String]?

    init(_ arguments: ArraySlice<String>) throws(ConfigurationError) {
        var rest = arguments
        while let name = rest.popFirst() {
            if name == "--json" {
                json = true
                continue
            }
            guard let value = rest.popFirst() else { throw .missing(variable: name) }
            switch name {
            case "--rates": rates = value
            case "--template": template = value
            case "--measurements": measurements = value
            case "--scenarios": scenarios = value
            case "--date": date = value
            case "--set":
                guard let eq = value.firstIndex(of: "="), eq != value.startIndex else {
                    throw .invalid(variable: "--set", value: value, expected: "NAME=VALUE")
                }
                parameters = (parameters ?? [:]).merging(
                    [String(value[..<eq]): String(value[value.index(after: eq)...])]) { $1 }
            default: throw .invalid(variable: name, value: value, expected: "a known option (see cost-model's header)")
            }
        }
        guard !template.isEmpty else { throw .missing(variable: "--template") }
    }
}

/// Loads the inputs, prices every deployment variant and renders the reports.
struct CostModelRun {
    var options: CostModelOptions

    init(_ options: CostModelOptions) { self.options = options }

    func output() throws -> String {
        let inputs = try CostModelInputs(
            rates: options.rates, template: options.template, measurements: options.measurements,
            scenarios: options.scenarios)
        var time = WallClock.nowMilliseconds()
        if let date = options.date {
            guard let ms = DeploymentCostModel.epochMilliseconds(date: date) else {
                throw ConfigurationError.invalid(variable: "--date", value: date, expected: "YYYY-MM-DD")
            }
            time = ms
        }
        var plan = inputs.plan
        if let parameters = options.parameters {
            plan.deployments = [
                .init(name: "this deployment", about: "The parameters given with --set.", parameters: parameters)
            ]
        }
        let reports = try plan.deployments.map { deployment throws in
            try CostReport(model: inputs.model(for: deployment, at: time), deployment: deployment, plan: plan)
        }
        if options.json {
            return String(decoding: JSON.array(reports.map { $0.json() }).serialized(), as: UTF8.self)
        }
        var text = "# Switchyard: the bill before the deploy\n\n"
        text += "Rates \(inputs.rates.version); scenarios and mix from \(options.scenarios); "
        text += "durations from \(options.measurements).\n\n"
        return text + reports.map { $0.markdown() }.joined(separator: "\n")
    }
}
