import SwitchyardContract
import SwitchyardJSON

extension RatesTable {
    /// Parses the rates document (format: `infra/rates.json`).
    ///
    /// Prices are decimal *strings* (`"0.0000166667"`) so that they never pass through binary
    /// floating point; dates are `YYYY-MM-DD` (UTC).
    /// - Throws: `RatesError` (`Billing.InvalidRates`) naming the first offending field.
    public init(json: JSON) throws(RatesError) {
        let reader = FieldReader(root: json)
        let version = try reader.string(json, "version", at: { "" })
        var models: [ModelRate] = []
        for (i, entry) in try reader.array(json, "models").enumerated() {
            let at = { "models[\(i)]" }
            models.append(
                ModelRate(
                    model: try reader.string(entry, "model", at: at),
                    provider: try reader.string(entry, "provider", at: at),
                    effectiveFrom: try reader.date(entry, "effectiveFrom", at: at),
                    inputPerMillionTokens: try reader.price(entry, "inputPerMillionTokens", at: at) ?? .zero,
                    cachedInputPerMillionTokens: try reader.price(entry, "cachedInputPerMillionTokens", at: at),
                    cacheWritePerMillionTokens: try reader.price(entry, "cacheWritePerMillionTokens", at: at),
                    outputPerMillionTokens: try reader.price(entry, "outputPerMillionTokens", at: at) ?? .zero,
                    perImage: try reader.price(entry, "perImage", at: at) ?? .zero))
            guard
                entry["inputPerMillionTokens"] != nil || entry["outputPerMillionTokens"] != nil
                    || entry["perImage"] != nil
            else {
                throw RatesError(field: at(), detail: "needs a token price or perImage (write \"0\" for a free model)")
            }
        }
        var lambda: [LambdaRate] = []
        for (i, entry) in try reader.array(json, "lambda").enumerated() {
            let at = { "lambda[\(i)]" }
            lambda.append(
                LambdaRate(
                    architecture: try reader.architecture(entry, at: at),
                    effectiveFrom: try reader.date(entry, "effectiveFrom", at: at),
                    perMillionRequests: try reader.requiredPrice(entry, "perMillionRequests", at: at),
                    perGBSecond: try reader.requiredPrice(entry, "perGBSecond", at: at)))
        }
        var express: [ExpressWorkflowRate] = []
        for (i, entry) in try reader.array(json, "stepFunctionsExpress").enumerated() {
            let at = { "stepFunctionsExpress[\(i)]" }
            express.append(
                ExpressWorkflowRate(
                    effectiveFrom: try reader.date(entry, "effectiveFrom", at: at),
                    perMillionRequests: try reader.requiredPrice(entry, "perMillionRequests", at: at),
                    perGBSecond: try reader.requiredPrice(entry, "perGBSecond", at: at),
                    memoryIncrementMB: try reader.positiveInteger(entry, "memoryIncrementMB", at: at),
                    durationIncrementMilliseconds: try reader.positiveInteger(entry, "durationIncrementMs", at: at)))
        }
        var fargate: [FargateRate] = []
        for (i, entry) in try reader.array(json, "fargate").enumerated() {
            let at = { "fargate[\(i)]" }
            fargate.append(
                FargateRate(
                    architecture: try reader.architecture(entry, at: at),
                    effectiveFrom: try reader.date(entry, "effectiveFrom", at: at),
                    perVCPUHour: try reader.requiredPrice(entry, "perVCPUHour", at: at),
                    perGBHour: try reader.requiredPrice(entry, "perGBHour", at: at)))
        }
        var endpoints: [EndpointRate] = []
        for (i, entry) in try reader.array(json, "endpoints").enumerated() {
            let at = { "endpoints[\(i)]" }
            endpoints.append(
                EndpointRate(
                    instanceType: try reader.string(entry, "instanceType", at: at),
                    effectiveFrom: try reader.date(entry, "effectiveFrom", at: at),
                    perHour: try reader.requiredPrice(entry, "perHour", at: at)))
        }
        self.init(
            version: version, models: models, lambda: lambda, expressWorkflows: express, fargate: fargate,
            endpoints: endpoints)
    }

    /// Parses the rates document from its bytes.
    public init(bytes: [UInt8]) throws(RatesError) {
        let json: JSON
        do { json = try JSON.parse(bytes) } catch { throw RatesError(field: "(document)", detail: "\(error)") }
        try self.init(json: json)
    }
}

/// Typed field access with error paths; one job: turn JSON members into checked values.
private struct FieldReader {
    let root: JSON

    func array(_ object: JSON, _ key: String) throws(RatesError) -> [JSON] {
        guard let value = object[key] else { return [] }
        guard let array = value.arrayValue else { throw RatesError(field: key, detail: "expected an array") }
        return array
    }

    func string(_ object: JSON, _ key: String, at path: () -> String) throws(RatesError) -> String {
        guard let value = object[key]?.stringValue, !value.isEmpty else {
            throw RatesError(field: Self.join(path(), key), detail: "expected a non-empty string")
        }
        return value
    }

    func date(_ object: JSON, _ key: String, at path: () -> String) throws(RatesError) -> Int64 {
        let text = try string(object, key, at: path)
        guard let ms = CivilDate.epochMilliseconds(text) else {
            throw RatesError(field: Self.join(path(), key), detail: "expected a YYYY-MM-DD date, found \"\(text)\"")
        }
        return ms
    }

    func price(_ object: JSON, _ key: String, at path: () -> String) throws(RatesError) -> PicoUSD? {
        guard let value = object[key] else { return nil }
        guard let text = value.stringValue else {
            throw RatesError(
                field: Self.join(path(), key),
                detail: "expected a decimal string such as \"0.20\" (numbers would pass through floating point)")
        }
        guard let price = PicoUSD(decimal: text), price.rawValue >= 0 else {
            throw RatesError(
                field: Self.join(path(), key),
                detail: "\"\(text)\" is not a non-negative decimal with at most 12 fraction digits")
        }
        return price
    }

    func requiredPrice(_ object: JSON, _ key: String, at path: () -> String) throws(RatesError) -> PicoUSD {
        guard let price = try price(object, key, at: path) else {
            throw RatesError(field: Self.join(path(), key), detail: "missing")
        }
        return price
    }

    func architecture(_ object: JSON, at path: () -> String) throws(RatesError) -> Architecture {
        let text = try string(object, "architecture", at: path)
        guard let architecture = Architecture(rawValue: text) else {
            throw RatesError(
                field: Self.join(path(), "architecture"), detail: "expected x86_64 or arm64, found \"\(text)\"")
        }
        return architecture
    }

    func positiveInteger(_ object: JSON, _ key: String, at path: () -> String) throws(RatesError) -> Int64 {
        guard let value = object[key]?.int64Value, value > 0 else {
            throw RatesError(field: Self.join(path(), key), detail: "expected a positive integer")
        }
        return value
    }

    static func join(_ path: String, _ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }
}
