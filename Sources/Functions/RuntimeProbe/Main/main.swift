import SwitchyardCore
import SwitchyardJSON
import SwitchyardRuntime

// runtime-probe: a function whose misbehaviour is chosen by its event, for testing the runtime
// and the emulator with a real process (`Tests/Integration/test_runtime.py`, `test_streaming.py`).
// The actions are in ProbeHandler.swift (buffered) and ProbeStreaming.swift (streamed).
// Env: PROBE_INIT_FAIL=1 makes init fail (reported to /runtime/init/error).
await RuntimeLoop.runBytes {
    if Environment.process["PROBE_INIT_FAIL"] == "1" {
        throw ConfigurationError.missing(variable: "PROBE_REQUIRED_SETTING")
    }
    return Probe()
}
