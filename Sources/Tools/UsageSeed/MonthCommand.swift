/// `month`: a realistic month of traffic (filled in once the router's bundle API is on main).
struct MonthCommand {
    let arguments: SeedArguments

    init(_ arguments: SeedArguments) { self.arguments = arguments }

    func run() async throws -> [String: Any] { throw SeedError("month: not yet available") }
}
