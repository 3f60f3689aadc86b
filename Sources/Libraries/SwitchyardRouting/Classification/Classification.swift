import SwitchyardContract

/// What a classifier sees of a request.
public struct ClassificationInput: Sendable {
    public var text: String
    public var imageCount: Int
    public var modality: RequestModality

    public init(text: String, imageCount: Int, modality: RequestModality) {
        self.text = text
        self.imageCount = imageCount
        self.modality = modality
    }

    public init(_ profile: RequestProfile) {
        self.init(text: profile.classifierText, imageCount: profile.imageCount, modality: profile.modality)
    }
}

/// Labels a request with a category and difficulty.
///
/// Implementations must always answer: a classifier that depends on a remote model falls back to
/// the heuristic on timeout or bad output rather than failing the request.
public protocol TaskClassifier: Sendable {
    /// - Parameters:
    ///   - input: the request's text and images.
    ///   - deadline: answer by then; remote classifiers give up and fall back at it.
    func classify(_ input: ClassificationInput, deadline: ContinuousClock.Instant) async -> Classification
}
