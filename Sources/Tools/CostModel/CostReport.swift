import SwitchyardBilling
import SwitchyardContract
import SwitchyardJSON

/// One deployment variant's bill: per scenario per million requests, fixed monthly lines, the
/// month at the plan's mix, and where the always-on detector homes pay off.
struct CostReport {
    var deployment: String
    var about: String?
    var costs: [DeploymentCostModel.ScenarioCost]
    var fixed: [DeploymentCostModel.FixedLine: PicoUSD]
    var monthly: (variable: PicoUSD, fixed: PicoUSD, total: PicoUSD)
    var monthlyRequests: Int64
    var crossovers: [DeploymentCostModel.Crossover]

    init(model: DeploymentCostModel, deployment: CostModelInputs.CostPlan.Deployment, plan: CostModelInputs.CostPlan)
        throws
    {
        self.deployment = deployment.name
        about = deployment.about
        costs = try plan.scenarios.map { scenario throws in try model.perMillion(scenario) }
        fixed = try model.fixedMonthly()
        monthly = try model.monthly(costs: costs, mix: plan.mix, monthlyRequests: plan.monthlyRequests)
        monthlyRequests = plan.monthlyRequests
        crossovers = try [VisionHome.sagemaker, .fargate].compactMap { home throws in try model.crossover(home) }
    }

    /// Dollars with `digits` decimals, rounded half to even from the exact pico amount.
    static func dollars(_ amount: PicoUSD, digits: Int = 2) -> String {
        let unit = Int64(1_000_000_000_000 / Int64(pow10(digits)))
        let (q, r) = amount.rawValue.quotientAndRemainder(dividingBy: unit)
        var units = q
        if 2 * r.magnitude > unit.magnitude || (2 * r.magnitude == unit.magnitude && q & 1 != 0) {
            units += amount.rawValue < 0 ? -1 : 1
        }
        let scale = Int64(pow10(digits))
        let whole = units.magnitude / UInt64(scale)
        var fraction = String(units.magnitude % UInt64(scale))
        fraction = String(repeating: "0", count: digits - fraction.count) + fraction
        return (units < 0 ? "-$" : "$") + grouped(whole) + (digits > 0 ? "." + fraction : "")
    }

    static func pow10(_ n: Int) -> Int64 { (0..<n).reduce(Int64(1)) { a, _ in a * 10 } }

    static func grouped(_ value: UInt64) -> String {
        let digits = Array(String(value))
        var out = ""
        for (i, d) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(d)
        }
        return out
    }

    /// A Markdown report (what `scripts/cost-model` prints).
    func markdown() -> String {
        var out = "## Deployment `\(deployment)`\n\n"
        if let about { out += about + "\n\n" }
        let lines = DeploymentCostModel.Line.allCases.filter { line in costs.contains { $0.lines[line] != nil } }
        out += "Per 1M requests (exact to the pico-dollar, shown to the cent):\n\n"
        out += "| line | " + costs.map(\.scenario).joined(separator: " | ") + " |\n"
        out += "| --- |" + String(repeating: " ---: |", count: costs.count) + "\n"
        for line in lines {
            out += "| \(line.rawValue) | "
            out += costs.map { cost in cost.lines[line].map { Self.dollars($0) } ?? "" }.joined(separator: " | ")
            out += " |\n"
        }
        out +=
            "| **total** (per-request view) | " + costs.map { "**\(Self.dollars($0.total))**" }.joined(separator: " | ")
            + " |\n"
        out += "| detector home | " + costs.map { $0.visionHome?.rawValue ?? "" }.joined(separator: " | ") + " |\n"
        out += "| execution ms | " + costs.map { "\($0.executionMs)" }.joined(separator: " | ") + " |\n\n"
        out += "Fixed per month:\n\n| line | per month |\n| --- | ---: |\n"
        for line in DeploymentCostModel.FixedLine.allCases {
            if let amount = fixed[line] { out += "| \(line.rawValue) | \(Self.dollars(amount)) |\n" }
        }
        out += "| **fixed total** | **\(Self.dollars(monthly.fixed))** |\n\n"
        if costs.contains(where: { $0.inFixedCapacity != .zero }) {
            out += "The detector line is the amortised view (busy time × the instance's or task's price); a month's "
            out += "bill counts that always-on capacity once, in the fixed lines below, not again per request.\n\n"
        }
        out += "A month of \(Self.grouped(UInt64(max(0, monthlyRequests)))) requests at the plan's mix: "
        out += "\(Self.dollars(monthly.variable)) traffic + \(Self.dollars(monthly.fixed)) fixed = "
        out += "**\(Self.dollars(monthly.total))**.\n"
        for c in crossovers {
            out += "\n\(c.home.rawValue) against in-Lambda detection: a million images cost "
            out += "\(Self.dollars(c.lambdaPerMillionImages)) in the vision function and "
            out +=
                "\(Self.dollars(c.homePerMillionImagesAtFullUse)) on \(c.home.rawValue) at full use; its minimum capacity "
            out +=
                "costs \(Self.dollars(c.fixedMonthly)) a month and serves up to \(Self.grouped(UInt64(c.capacityImagesPerMonth))) "
            if let images = c.breakEvenImagesPerMonth {
                out += "images a month, and pays off above \(Self.grouped(UInt64(images))) images a month "
                out += "(\(format1(Double(images) / (730 * 3600))) images/s on average).\n"
            } else {
                out += "images a month: it never costs less than in-Lambda detection within that capacity "
                out += "(it is there for latency or larger models).\n"
            }
        }
        return out + "\n"
    }

    /// Exact figures as JSON (pico-USD integers).
    func json() -> JSON {
        var scenarios: [JSON] = []
        for cost in costs {
            var lines = JSONObject()
            for line in DeploymentCostModel.Line.allCases {
                if let amount = cost.lines[line] { lines[line.rawValue] = .integer(amount.rawValue) }
            }
            scenarios.append(
                .object([
                    "scenario": .string(cost.scenario),
                    "visionHome": cost.visionHome.map { .string($0.rawValue) } ?? .null,
                    "executionMs": .integer(cost.executionMs), "perMillionPicoUSD": .object(lines),
                    "totalPerMillionPicoUSD": .integer(cost.total.rawValue),
                ]))
        }
        var fixedLines = JSONObject()
        for line in DeploymentCostModel.FixedLine.allCases {
            if let amount = fixed[line] { fixedLines[line.rawValue] = .integer(amount.rawValue) }
        }
        var crossover = JSONObject()
        for c in crossovers {
            crossover[c.home.rawValue] = .object([
                "fixedMonthlyPicoUSD": .integer(c.fixedMonthly.rawValue),
                "capacityImagesPerMonth": .integer(c.capacityImagesPerMonth),
                "lambdaPerMillionImagesPicoUSD": .integer(c.lambdaPerMillionImages.rawValue),
                "homePerMillionImagesAtFullUsePicoUSD": .integer(c.homePerMillionImagesAtFullUse.rawValue),
                "breakEvenImagesPerMonth": c.breakEvenImagesPerMonth.map { .integer($0) } ?? .null,
            ])
        }
        return .object([
            "deployment": .string(deployment), "scenarios": .array(scenarios),
            "fixedMonthlyPicoUSD": .object(fixedLines),
            "monthlyRequests": .integer(monthlyRequests), "monthlyVariablePicoUSD": .integer(monthly.variable.rawValue),
            "monthlyFixedPicoUSD": .integer(monthly.fixed.rawValue),
            "monthlyTotalPicoUSD": .integer(monthly.total.rawValue),
            "crossover": .object(crossover),
        ])
    }
}

/// One decimal, without Foundation.
func format1(_ value: Double) -> String {
    let tenths = Int64((value * 10).rounded())
    return "\(tenths / 10).\(abs(tenths % 10))"
}
