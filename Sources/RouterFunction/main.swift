// The router function: the state machine's first Task. Picks backend and models for each request.
import SwitchyardRouting
import SwitchyardRuntime

await RuntimeLoop.runBytes { RouterByteHandler(try RouterHandler(configuration: RouterConfiguration(environment: .process))) }
