import SwitchyardContract
import SwitchyardJSON

/// Rejects fields the format does not define, so a misspelt `qualityFlor` is an init error
/// naming it instead of a setting silently left at its default.
extension RoutingPolicy {
    /// The policy's fields, from each section's `Field` (the keys its decoder reads,
    /// RoutingPolicy+JSON), plus the keys the format allows and nothing reads (`description`, a
    /// tenant's `name`).
    ///
    /// Every section is camelCase, like the catalog, the rates table and the contract, except
    /// `classifier`, which keeps its snake_case keys until its owner's branch (the learned
    /// classifier) converts them in one go.
    static let keySchema = KeySchema.fields(Field.self, plus: ["description"]) {
        switch $0 {
        case .defaults: .object(defaultsKeys)
        case .limits: .object(limitsKeys)
        case .classifier: .object(classifierKeys)
        case .tiers: .map(tierKeys)
        case .tenants: .array(tenantKeys)
        case .rules: .array(ruleKeys)
        case .retrieval: .object(retrievalKeys)
        case .version, .policyId, .effectiveFrom: nil
        }
    }

    private static let defaultsKeys = KeySchema.fields(PolicyDefaults.Field.self) {
        switch $0 {
        case .qualityFloor: .object(qualityFloorKeys)
        case .attemptTimeout: .object(attemptTimeoutKeys)
        case .detection: .object(detectionKeys)
        default: nil
        }
    }

    private static let classifierKeys = KeySchema.fields(ClassifierSettings.Field.self) {
        $0 == .learned ? .object(learnedKeys) : nil
    }

    private static let ruleKeys = KeySchema.fields(RoutingRule.Field.self, plus: ["description"]) {
        switch $0 {
        case .when: .object(conditionKeys)
        case .then: .object(actionKeys)
        case .name: nil
        }
    }

    private static let retrievalKeys = KeySchema.fields(RetrievalPolicy.Field.self, plus: ["description"]) {
        $0 == .rules ? .array(retrievalRuleKeys) : nil
    }

    private static let retrievalRuleKeys = KeySchema.fields(RetrievalRule.Field.self, plus: ["description"]) {
        $0 == .when ? .object(conditionKeys) : nil
    }

    private static let limitsKeys = KeySchema.fields(PolicyLimits.Field.self)
    private static let tierKeys = KeySchema.fields(TierSpec.Field.self, plus: ["description"])
    private static let tenantKeys = KeySchema.fields(TenantSpec.Field.self, plus: ["name"])
    private static let qualityFloorKeys = KeySchema.fields(QualityFloors.Field.self)
    private static let attemptTimeoutKeys = KeySchema.fields(AttemptTimeout.Field.self)
    private static let detectionKeys = KeySchema.fields(DetectionDefaults.Field.self)
    private static let learnedKeys = KeySchema.fields(LearnedClassifierSettings.Field.self)
    private static let conditionKeys = KeySchema.fields(RuleCondition.Field.self)
    private static let actionKeys = KeySchema.fields(RuleAction.Field.self)

    /// - Throws: `PolicyError.invalid` naming the first unknown field.
    static func checkKeys(_ json: JSON) throws(PolicyError) {
        if let (path, problem) = KnownKeys.firstUnknown(in: json, schema: keySchema) {
            throw .invalid(path: path, problem: problem)
        }
    }
}
