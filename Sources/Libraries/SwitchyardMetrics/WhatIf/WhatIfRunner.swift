/// Runs a routing what-if for the API: parses the request body (range, filters, the policy
/// edit), reads the recorded calls of the range through the store, and re-decides them.
/// Implemented where the router's pure decision function is available.
public protocol WhatIfRunner: Sendable {
    /// What the form may edit, from the bundle in force.
    /// - Throws: `Dashboard.BundleUnavailable` when a runner that loads its bundle on first use cannot.
    func policyOptions() throws(MetricsError) -> WhatIfPolicyResponse

    /// - Throws: `Dashboard.InvalidParameter`, `Dashboard.InvalidPolicy`, `Dashboard.StoreUnavailable`.
    func run(body: [UInt8], store: any MetricsStore, now: Int64, deadline: ContinuousClock.Instant)
        async throws(MetricsError) -> WhatIfResponse
}
