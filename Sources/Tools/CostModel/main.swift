// cost-model: the bill before the deploy (SwitchyardBilling.DeploymentCostModel over the rates table,
// the template's parameters, measured durations and the demo scenarios). Started by scripts/cost-model.
//
//   cost-model --template T [--rates R] [--measurements M] [--scenarios S] [--date YYYY-MM-DD] [--json]
//              [--set NAME=VALUE ...]   (price one deployment with these template parameters)
import SwitchyardBilling
import SwitchyardCore
import SwitchyardJSON

#if canImport(Glibc)
    import Glibc
#endif

do {
    let options = try CostModelOptions(CommandLine.arguments.dropFirst())
    print(try CostModelRun(options).output())
} catch {
    let message = (error as? any FunctionError)?.description ?? "\(error)"
    fputs("cost-model: \(message)\n", stderr)
    exit(1)
}
