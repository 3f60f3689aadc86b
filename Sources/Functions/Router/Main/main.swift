// The router function: the state machine's first Task. Picks the route and models for each
// request; RouterConfiguration decides where the bundle and the live signals come from.
import SwitchyardCore
import SwitchyardRouterFunction
import SwitchyardRuntime

await RuntimeLoop.runBytes {
    RouterByteHandler(try RouterHandler(configuration: await RouterConfiguration(resolvingSecretsIn: .process)))
}
