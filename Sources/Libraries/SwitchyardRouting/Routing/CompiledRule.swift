import SwitchyardContract

/// A rule's condition as bit sets, so matching a request against the policy's rules (every
/// decision, in order, until one matches) compares integers instead of copying the rule's arrays.
struct CompiledRule: Sendable {
    /// Index into `policy.rules`.
    let index: Int
    let modalities: UInt8?
    let categories: UInt16?
    let difficulties: UInt8?
    let tiers: [String]?
    let tenants: [String]?
    let routes: UInt8?
    let tags: [String]?
    let uncertain: Bool?

    init(index: Int, _ when: RuleCondition) {
        self.index = index
        modalities = when.modalities.map { $0.reduce(0) { $0 | Self.bit($1) } }
        categories = when.categories.map { $0.reduce(0) { $0 | UInt16(1) << UInt16($1.index) } }
        difficulties = when.difficulties.map { $0.reduce(0) { $0 | UInt8(1) << UInt8($1.rank) } }
        tiers = when.tiers
        tenants = when.tenants
        routes = when.routes.map { $0.reduce(0) { $0 | Self.bit($1) } }
        tags = when.tags
        uncertain = when.uncertain
    }

    @inline(__always) static func bit(_ modality: RequestModality) -> UInt8 {
        switch modality {
        case .text: 1
        case .image: 2
        case .imageText: 4
        case .batch: 8
        }
    }

    @inline(__always) static func bit(_ strategy: RoutingStrategy) -> UInt8 {
        switch strategy {
        case .cheapest: 1
        case .fastest: 2
        case .best: 4
        case .explicit: 8
        }
    }
}
