import SwitchyardContract
import SwitchyardRouterFunction
import SwitchyardRouting

/// The handler's hybrid mode: the learned verdict, and the LLM's when the learned one is unsure.
struct HybridClassifier: TaskClassifier {
    var learned: NGramClassifier
    var llm: LLMTaskClassifier
    var threshold: Double
    func classify(_ input: ClassificationInput, deadline: ContinuousClock.Instant) async -> Classification {
        let quick = learned.classify(input)
        guard quick.confidence < threshold else { return quick }
        let answer = await llm.classify(input, deadline: deadline)
        if answer.classifier == "llm" { return answer }
        var fallback = quick
        fallback.fallbackReason = answer.fallbackReason
        return fallback
    }
}
