import Logging
import SwitchyardFrontDoor

/// Billing of the single-process server (filled in once the usage queue lands on main).
struct ServerBilling {
    var frontDoor: FrontDoorBilling

    static func start(_ configuration: ServerConfiguration, backend: InProcessBackend, logger: Logger) async throws
        -> ServerBilling?
    {
        guard configuration.billing else { return nil }
        throw ConfigurationErrorPending()
    }

    struct ConfigurationErrorPending: Error, CustomStringConvertible {
        var description: String { "billing needs the usage queue (pending); run with SWITCHYARD_BILLING=off" }
    }
}
