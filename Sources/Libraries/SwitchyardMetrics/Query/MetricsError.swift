import SwitchyardCore

/// Why a metrics request was refused or could not be answered. Each case maps to one HTTP status,
/// so the API answers bad parameters with a typed 4xx and store trouble with a 5xx.
public enum MetricsError: FunctionError, Equatable {
    /// A query parameter or body field is missing, malformed or out of range.
    case invalidParameter(name: String, problem: String)
    /// The range and bucket size ask for more points than one answer may carry.
    case tooManyPoints(requested: Int64, limit: Int)
    /// No such request (drill-down), route or resource.
    case notFound(String)
    /// No or a wrong admin key.
    case unauthorized
    /// The method is not allowed on this path.
    case methodNotAllowed(String)
    /// The usage store could not answer in time.
    case storeUnavailable(String)
    /// A what-if policy edit that does not validate.
    case invalidPolicy(String)
    /// A figure left the representable range while aggregating.
    case outOfRange(String)
    /// The answer could not be completed within the API's deadline (a what-if over too much).
    case deadlineExceeded(String)
    /// The routing bundle the what-if edits could not be loaded (read or validated) when first needed.
    case bundleUnavailable(String)
    /// A cold range is being read a piece at a time and the next piece would not fit the deadline:
    /// `done` of `total` pieces are kept for the next call, which continues. Retry at once (the
    /// dashboard does, showing the progress). Pieces are rollup buckets read into the cache, or,
    /// for the what-if, tenant-days whose summary is stored.
    case warming(done: Int, total: Int)

    public var errorType: String {
        switch self {
        case .invalidParameter: "Dashboard.InvalidParameter"
        case .tooManyPoints: "Dashboard.TooManyPoints"
        case .notFound: "Dashboard.NotFound"
        case .unauthorized: "Dashboard.Unauthorized"
        case .methodNotAllowed: "Dashboard.MethodNotAllowed"
        case .storeUnavailable: "Dashboard.StoreUnavailable"
        case .invalidPolicy: "Dashboard.InvalidPolicy"
        case .outOfRange: "Dashboard.OutOfRange"
        case .deadlineExceeded: "Dashboard.DeadlineExceeded"
        case .bundleUnavailable: "Dashboard.BundleUnavailable"
        case .warming: "Dashboard.Warming"
        }
    }

    public var errorMessage: String {
        switch self {
        case .invalidParameter(let name, let problem): "parameter \(name): \(problem)"
        case .tooManyPoints(let requested, let limit):
            "the range holds \(requested) buckets; at most \(limit) per answer (pick a larger bucket)"
        case .notFound(let what): "\(what) not found"
        case .unauthorized: "missing or wrong admin key (x-admin-key or Authorization: Bearer)"
        case .methodNotAllowed(let detail): detail
        case .storeUnavailable(let detail): "usage store unavailable: \(detail.prefix(300))"
        case .invalidPolicy(let detail): "policy edit: \(detail.prefix(400))"
        case .outOfRange(let detail): "value out of range: \(detail.prefix(200))"
        case .deadlineExceeded(let detail): "deadline exceeded: \(detail.prefix(300))"
        case .bundleUnavailable(let detail): "routing bundle unavailable: \(detail.prefix(400))"
        case .warming(let done, let total):
            "reading a cold range: \(done) of \(total) pieces read and kept so far; retry to continue"
        }
    }

    /// The HTTP status this error is answered with.
    public var httpStatus: Int {
        switch self {
        case .invalidParameter, .tooManyPoints, .invalidPolicy: 400
        case .unauthorized: 401
        case .notFound: 404
        case .methodNotAllowed: 405
        case .bundleUnavailable: 500
        case .outOfRange: 422
        case .storeUnavailable, .warming: 503
        case .deadlineExceeded: 504
        }
    }
}
