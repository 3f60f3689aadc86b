// The router function: the state machine's first Task. Picks backend and models for each request.
// Live signals (spend, model health) come from the usage store when MONGODB_URI is set.
import SwitchyardCore
import SwitchyardRouterFunction
import SwitchyardRouting
import SwitchyardRuntime
import SwitchyardUsage

await RuntimeLoop.runBytes {
    let environment = Environment.process
    let live = !(environment["MONGODB_URI"] ?? "").isEmpty
    let store = live ? try MongoUsageSink(configuration: MongoUsageConfiguration(environment: environment)) : nil
    let handler = try RouterHandler(
        configuration: RouterConfiguration(environment: environment),
        signals: store.map { MongoRoutingSignals(sink: $0) })
    return RouterByteHandler(handler)
}
