import Foundation
import SwitchyardCore
import SwitchyardJSON
import Synchronization

/// Invokes a function on a fixed rate (an EventBridge schedule rule's local stand-in).
public final class ScheduledInvocation: Sendable {
    public let configuration: ScheduleConfiguration
    private let pool: FunctionPool
    private let log: @Sendable (String) -> Void
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let count = Mutex(0)

    public var invocations: Int { count.withLock { $0 } }

    public init(configuration: ScheduleConfiguration, pool: FunctionPool, log: @escaping @Sendable (String) -> Void) {
        self.configuration = configuration
        self.pool = pool
        self.log = log
    }

    public func start() {
        guard configuration.enabled else { return }
        let period = Duration.milliseconds(Int64(configuration.rateSeconds * 1000))
        task.withLock {
            $0 = Task { [self] in
                var next = ContinuousClock.now + period
                while !Task.isCancelled {
                    try? await Task.sleep(until: next)
                    if Task.isCancelled { break }
                    next = next + period
                    let outcome = await pool.invoke(payload: event().serialized(), clientContext: nil)
                    count.withLock { $0 += 1 }
                    if case .functionError(let type, _) = outcome {
                        log("schedule \(configuration.name): \(configuration.function) failed with \(type)")
                    }
                }
            }
        }
    }

    public func stop() { task.withLock { $0?.cancel() } }

    /// The configured input, or EventBridge's scheduled event.
    func event() -> JSON {
        if let event = configuration.event { return event }
        let now = WallClock.nowMilliseconds()
        return .object([
            "version": "0", "id": .string(UUID().uuidString.lowercased()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": "000000000000",
            "time": .string(String(WallClock.iso8601(milliseconds: now).prefix(19)) + "Z"), "region": "us-east-1",
            "resources": .array([.string("arn:aws:events:us-east-1:000000000000:rule/\(configuration.name)")]),
            "detail": .object([:]),
        ])
    }
}
