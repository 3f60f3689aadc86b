import SwitchyardContract
import SwitchyardUsage

/// `reserve --tenant T --ceiling PICO --budget PICO --requests N`: fires N budget reservations at
/// once from --connections connections; prints how many were admitted.
enum ReserveCommand {
    static func run(_ context: IngestContext) async {
        let arguments = context.arguments
        guard let tenant = arguments.options["tenant"] else { fail("reserve needs --tenant") }
        let ceiling = PicoUSD(arguments.int64("ceiling", 30))
        let budget = PicoUSD(arguments.int64("budget", 1000))
        let requests = arguments.int("requests", 20)
        let prefix = arguments.options["prefix"] ?? "req"
        // Separate connections, so the reservations really reach the server at the same time.
        let ledgers = (0..<max(1, arguments.int("connections", 4))).map { _ in context.makeSink() }
        for ledger in ledgers { do { try await ledger.prepare() } catch { fail("\(error)", code: 1) } }
        let outcomes: [Reservation]
        do {
            outcomes = try await withThrowingTaskGroup(of: Reservation.self) { group in
                for i in 0..<requests {
                    let ledger = ledgers[i % ledgers.count]
                    group.addTask {
                        try await ledger.reserve(
                            tenant: tenant, requestID: "\(prefix)-\(i)", ceiling: ceiling, budget: budget,
                            deadline: .now + .seconds(60))
                    }
                }
                var all: [Reservation] = []
                for try await outcome in group { all.append(outcome) }
                return all
            }
        } catch { fail("\(error)", code: 1) }
        emit([
            "command": "reserve", "requests": requests, "admitted": outcomes.filter(\.isAdmitted).count,
            "overBudget": outcomes.filter { !$0.isAdmitted }.count,
        ])
    }
}
