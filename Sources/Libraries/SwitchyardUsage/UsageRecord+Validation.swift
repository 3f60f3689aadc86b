import SwitchyardContract

extension UsageRecord {
    /// Limits on free-text fields, so that one record can never approach MongoDB's 16 MiB
    /// document limit or bloat rollups; longer text is an input error, not silently cut.
    public enum Limits {
        public static let keyBytes = 256
        public static let labelBytes = 128
        public static let routeBytes = 1024
        public static let errorCauseBytes = 8192

        // Quantities: generous but finite, so that pricing a valid record never leaves the
        // pico-USD range (10¹⁰ tokens of the dearest model in the table, $75/1M, are $750,000)
        // and hostile counts are input errors before any arithmetic.
        /// Tokens of any kind in one record: 10¹⁰ (contexts today are ~10⁶–10⁷).
        public static let maxTokens: Int64 = 10_000_000_000
        /// Images in one record.
        public static let maxImages: Int64 = 1_000_000
        /// Pixels over all images of one record (10⁶ images of 10 MP).
        public static let maxPixels: Int64 = 10_000_000_000_000
        /// Any duration or latency: 10⁹ ms (11.6 days; Lambda stops at 15 minutes).
        public static let maxDurationMs: Int64 = 1_000_000_000
        /// Memory of a Lambda, task or execution: 1 TiB.
        public static let maxMemoryMB: Int64 = 1_048_576
        /// Fargate share: 1,000 vCPU.
        public static let maxMilliVCPU: Int64 = 1_000_000
        /// Requests one orchestration record stands for.
        public static let maxRequests: Int64 = 1_000_000
        /// Timestamps before 3000-01-01T00:00:00Z (epoch ms).
        public static let maxTimestamp: Int64 = 32_503_680_000_000
    }

    /// Checks the invariants billing and rollups rely on, and the bounds of every quantity.
    /// - Parameter index: position in the batch, for the error message.
    /// - Throws: `UsageError.invalidRecord` (also for a quantity beyond its `Limits` bound),
    ///   `.negativeCount`, `.missingTokens`.
    public func validate(index: Int) throws(UsageError) {
        func invalid(_ detail: String) -> UsageError { .invalidRecord(index: index, detail: detail) }
        func nonNegative(_ value: Int64?, _ field: String, max limit: Int64) throws(UsageError) {
            guard let value else { return }
            if value < 0 { throw .negativeCount(index: index, field: field, value: value) }
            if value > limit { throw invalid("\(field) \(value) exceeds the limit of \(limit)") }
        }
        // Key parts: bounded and free of control characters, so joined keys cannot collide.
        guard Identifier.isValid(requestID, maxBytes: Limits.keyBytes) else {
            throw invalid("requestId must be 1...256 bytes without control characters")
        }
        guard Identifier.isValid(step, maxBytes: Limits.labelBytes) else {
            throw invalid("step must be 1...128 bytes without control characters")
        }
        guard Identifier.isValid(invocationID, maxBytes: Limits.keyBytes) else {
            throw invalid("invocationId must be 1...256 bytes without control characters")
        }
        guard (0...1000).contains(attempt) else { throw invalid("attempt must be within 0...1000") }
        guard Identifier.isValid(tenant, maxBytes: Limits.labelBytes) else {
            throw invalid("tenant must be 1...128 bytes without control characters")
        }
        for (name, value) in [
            ("user", user), ("tier", tier), ("model", model?.rawValue), ("providerModel", providerModel),
            ("errorType", errorType), ("bundleVersion", bundleVersion),
        ] {
            if let value, value.utf8.count > Limits.labelBytes {
                throw invalid("\(name) longer than \(Limits.labelBytes) bytes")
            }
        }
        if let executionID, executionID.utf8.count > Limits.keyBytes * 8 { throw invalid("executionId too long") }
        if let route, route.utf8.count > Limits.routeBytes {
            throw invalid("route summary longer than \(Limits.routeBytes) bytes")
        }
        if let errorCause, errorCause.utf8.count > Limits.errorCauseBytes {
            throw .recordTooLarge(index: index, bytes: errorCause.utf8.count, limit: Limits.errorCauseBytes)
        }
        guard timestamp > 0, timestamp <= Limits.maxTimestamp else {
            throw invalid("timestamp must be epoch milliseconds in 1...\(Limits.maxTimestamp) (before year 3000)")
        }
        try nonNegative(latency.totalMs, "latency.totalMs", max: Limits.maxDurationMs)
        try nonNegative(latency.backendMs, "latency.backendMs", max: Limits.maxDurationMs)
        try nonNegative(latency.ttftMs, "latency.ttftMs", max: Limits.maxDurationMs)
        if let tokens {
            try nonNegative(tokens.input, "tokens.input", max: Limits.maxTokens)
            try nonNegative(tokens.output, "tokens.output", max: Limits.maxTokens)
            try nonNegative(tokens.cached, "tokens.cached", max: Limits.maxTokens)
            try nonNegative(tokens.reasoning, "tokens.reasoning", max: Limits.maxTokens)
            try nonNegative(tokens.cacheWrite, "tokens.cacheWrite", max: Limits.maxTokens)
            guard tokens.cached <= tokens.input else {
                throw invalid("tokens.cached (\(tokens.cached)) exceeds tokens.input (\(tokens.input))")
            }
            guard tokens.cacheWrite <= tokens.input - tokens.cached else {
                throw invalid("tokens.cacheWrite (\(tokens.cacheWrite)) exceeds the uncached input")
            }
            guard tokens.reasoning <= tokens.output else {
                throw invalid("tokens.reasoning (\(tokens.reasoning)) exceeds tokens.output (\(tokens.output))")
            }
        } else if status == .succeeded, modality == .text, model != nil {
            throw .missingTokens(index: index, requestID: requestID, step: step)
        }
        if let images {
            try nonNegative(images.count, "images.count", max: Limits.maxImages)
            try nonNegative(images.pixels, "images.pixels", max: Limits.maxPixels)
        }
        if let compute {
            try nonNegative(compute.durationMs, "compute.durationMs", max: Limits.maxDurationMs)
            try nonNegative(compute.memoryMB, "compute.memoryMB", max: Limits.maxMemoryMB)
            try nonNegative(compute.milliVCPU, "compute.milliVCPU", max: Limits.maxMilliVCPU)
            guard (try? billableCompute()) != nil else {
                throw invalid(
                    "compute: kind \"\(compute.kind)\" needs \(Self.computeFields[compute.kind] ?? "kind lambda, fargate or endpoint")"
                )
            }
        }
        if let orchestration {
            try nonNegative(orchestration.durationMs, "orchestration.durationMs", max: Limits.maxDurationMs)
            try nonNegative(orchestration.memoryMB, "orchestration.memoryMB", max: Limits.maxMemoryMB)
            try nonNegative(orchestration.requests, "orchestration.requests", max: Limits.maxRequests)
        }
    }

    static let computeFields: [String: String] = [
        "lambda": "architecture (x86_64|arm64), memoryMB, durationMs",
        "fargate": "architecture (x86_64|arm64), milliVCPU, memoryMB, durationMs",
        "endpoint": "instanceType, durationMs",
    ]
}
