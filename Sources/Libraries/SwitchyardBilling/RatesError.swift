import SwitchyardCore

/// A rates document that cannot be used. Raised at init, so the function never starts with
/// prices it misread.
public struct RatesError: FunctionError, Equatable {
    /// Where in the document, e.g. `models[3].inputPerMillionTokens`.
    public var field: String
    public var detail: String

    public init(field: String, detail: String) {
        self.field = field
        self.detail = detail
    }

    public var errorType: String { "Billing.InvalidRates" }
    public var errorMessage: String { "rates \(field): \(detail)" }
}
