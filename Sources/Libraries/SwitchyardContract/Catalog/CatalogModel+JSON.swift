import SwitchyardJSON

// The catalog's models read straight from the parsed document (`JSONFields`): fields in the
// order, and with the error texts, of the Codable decode they replace. Each type's `Field` is the
// one list of its wire keys (the bundle's unknown-field check is built from them).

extension CatalogModel {
    public enum Field: String, CaseIterable, Sendable {
        case id, provider, kind, providerModel, endpoint, region, credential, contextWindow, maxOutputTokens
        case capabilities, latency, quality, tiers, compute, detector
    }

    /// - Throws: `JSONWalkError` at the failing field's path within the model.
    public init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            id: try f.required(.id, ModelID.init(json:)),
            provider: try f.required(.provider) { j throws(JSONWalkError) in try JSONRead.rawValue(j) },
            kind: try f.required(.kind) { j throws(JSONWalkError) in try JSONRead.rawValue(j) },
            providerModel: try f.optional(.providerModel, JSONRead.string),
            endpoint: try f.optional(.endpoint, JSONRead.string),
            region: try f.optional(.region, JSONRead.string),
            credential: try f.optional(.credential, JSONRead.string),
            contextWindow: try f.required(.contextWindow, JSONRead.int),
            maxOutputTokens: try f.optional(.maxOutputTokens, JSONRead.int),
            capabilities: try f.required(.capabilities) { j throws(JSONWalkError) in
                try JSONRead.array(j) { e throws(JSONWalkError) in try JSONRead.rawValue(e) }
            },
            latency: try f.required(.latency, LatencyPrior.init(json:)),
            quality: try f.required(.quality) { j throws(JSONWalkError) in try JSONRead.map(j, JSONRead.double) },
            tiers: try f.required(.tiers) { j throws(JSONWalkError) in try JSONRead.array(j, JSONRead.string) },
            compute: try f.optional(.compute, ComputeSpec.init(json:)),
            detector: try f.optional(.detector, DetectorSpec.init(json:)))
    }
}

extension LatencyPrior {
    public enum Field: String, CaseIterable, Sendable { case ttftMs, p50Ms, p95Ms, outputTokensPerSecond }

    public init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            ttftMs: try f.optional(.ttftMs, JSONRead.int), p50Ms: try f.required(.p50Ms, JSONRead.int),
            p95Ms: try f.required(.p95Ms, JSONRead.int),
            outputTokensPerSecond: try f.optional(.outputTokensPerSecond, JSONRead.int))
    }
}

extension ComputeSpec {
    public enum Field: String, CaseIterable, Sendable { case kind, instanceType, milliVCPU, memoryMB, architecture }

    public init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            kind: try f.required(.kind, JSONRead.string), instanceType: try f.optional(.instanceType, JSONRead.string),
            milliVCPU: try f.optional(.milliVCPU, JSONRead.int64), memoryMB: try f.optional(.memoryMB, JSONRead.int64),
            architecture: try f.optional(.architecture, JSONRead.string))
    }
}

extension DetectorSpec {
    public enum Field: String, CaseIterable, Sendable { case inputSize, modelFile, classNames, wireFormat }

    public init(json: JSON) throws(JSONWalkError) {
        let f = try JSONFields(json, keys: Field.self)
        self.init(
            inputSize: try f.optional(.inputSize, JSONRead.int), modelFile: try f.optional(.modelFile, JSONRead.string),
            classNames: try f.optional(.classNames) { j throws(JSONWalkError) in try JSONRead.array(j, JSONRead.string)
            },
            wireFormat: try f.optional(.wireFormat, JSONRead.string))
    }
}

extension ModelID {
    /// A catalog id as the document spells it (well-formedness is checked by `Catalog`).
    public init(json: JSON) throws(JSONWalkError) { self.init(rawValue: try JSONRead.string(json)) }
}
