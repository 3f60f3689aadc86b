import SwitchyardMetrics
import SwitchyardRouting
import Synchronization

/// The routing what-if with its bundle loaded on first use: the first what-if call (policy options
/// or a run) reads and validates the bundle, once, under a lock; every later call reuses the result,
/// a failure included (the files in a deployed function do not change), which is answered as
/// `Dashboard.BundleUnavailable`. The rest of the API never waits for it.
public final class LazyWhatIf: WhatIfRunner {
    private let load: @Sendable () throws(BundleError) -> RoutingWhatIf
    private let loaded = Mutex<Result<RoutingWhatIf, BundleError>?>(nil)

    /// - Parameter load: builds the what-if; called at most once.
    public init(load: @escaping @Sendable () throws(BundleError) -> RoutingWhatIf) {
        self.load = load
    }

    /// The what-if, loading its bundle on the first call.
    /// - Throws: `Dashboard.BundleUnavailable` naming what failed to read or validate.
    public func runner() throws(MetricsError) -> RoutingWhatIf {
        let result = loaded.withLock { state in
            if let state { return state }
            let result = Result { () throws(BundleError) in try load() }
            state = result
            return result
        }
        switch result {
        case .success(let runner): return runner
        case .failure(let error): throw .bundleUnavailable(error.errorMessage)
        }
    }

    public func policyOptions() throws(MetricsError) -> WhatIfPolicyResponse {
        try runner().policyOptions()
    }

    public func run(body: [UInt8], store: any MetricsStore, now: Int64, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> WhatIfResponse
    {
        try await runner().run(body: body, store: store, now: now, deadline: deadline)
    }
}
