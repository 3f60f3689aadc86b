import SwitchyardCore

/// A learned classifier file the router cannot use. Raised at init, so the function never starts
/// with a missing, truncated or mismatched model; none of these is worth retrying.
public enum ClassifierModelError: FunctionError, Equatable {
    case unreadable(path: String, reason: String)
    /// The bytes are not a model this build reads: bad magic, checksum, header or sizes.
    case corrupt(path: String, detail: String)
    /// A valid model, but not the version the policy names.
    case versionMismatch(path: String, expected: String, found: String)

    public var errorType: String { "Router.InvalidClassifier" }

    public var errorMessage: String {
        switch self {
        case .unreadable(let path, let reason): "classifier model \(path) cannot be read: \(reason)"
        case .corrupt(let path, let detail): "classifier model \(path) is corrupt: \(detail)"
        case .versionMismatch(let path, let expected, let found):
            "classifier model \(path) is version \(found); the policy expects \(expected)"
        }
    }
}
