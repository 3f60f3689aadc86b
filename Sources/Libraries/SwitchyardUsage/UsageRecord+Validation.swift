import SwitchyardContract

extension UsageRecord {
    /// Limits on free-text fields, so that one record can never approach MongoDB's 16 MiB
    /// document limit or bloat rollups; longer text is an input error, not silently cut.
    public enum Limits {
        public static let keyBytes = 256
        public static let labelBytes = 128
        public static let routeBytes = 1024
        public static let errorCauseBytes = 8192
    }

    /// Checks the invariants billing and rollups rely on.
    /// - Parameter index: position in the batch, for the error message.
    /// - Throws: `UsageError.invalidRecord`, `.negativeCount`, `.missingTokens`.
    public func validate(index: Int) throws(UsageError) {
        func invalid(_ detail: String) -> UsageError { .invalidRecord(index: index, detail: detail) }
        func nonNegative(_ value: Int64?, _ field: String) throws(UsageError) {
            if let value, value < 0 { throw .negativeCount(index: index, field: field, value: value) }
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
        guard timestamp > 0 else { throw invalid("timestamp must be epoch milliseconds > 0") }
        try nonNegative(latency.totalMs, "latency.totalMs")
        try nonNegative(latency.backendMs, "latency.backendMs")
        try nonNegative(latency.ttftMs, "latency.ttftMs")
        if let tokens {
            try nonNegative(tokens.input, "tokens.input")
            try nonNegative(tokens.output, "tokens.output")
            try nonNegative(tokens.cached, "tokens.cached")
            try nonNegative(tokens.reasoning, "tokens.reasoning")
            try nonNegative(tokens.cacheWrite, "tokens.cacheWrite")
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
            try nonNegative(images.count, "images.count")
            try nonNegative(images.pixels, "images.pixels")
        }
        if let compute {
            try nonNegative(compute.durationMs, "compute.durationMs")
            try nonNegative(compute.memoryMB, "compute.memoryMB")
            try nonNegative(compute.milliVCPU, "compute.milliVCPU")
            guard (try? billableCompute()) != nil else {
                throw invalid(
                    "compute: kind \"\(compute.kind)\" needs \(Self.computeFields[compute.kind] ?? "kind lambda, fargate or endpoint")"
                )
            }
        }
        if let orchestration {
            try nonNegative(orchestration.durationMs, "orchestration.durationMs")
            try nonNegative(orchestration.memoryMB, "orchestration.memoryMB")
            try nonNegative(orchestration.requests, "orchestration.requests")
        }
    }

    static let computeFields: [String: String] = [
        "lambda": "architecture (x86_64|arm64), memoryMB, durationMs",
        "fargate": "architecture (x86_64|arm64), milliVCPU, memoryMB, durationMs",
        "endpoint": "instanceType, durationMs",
    ]
}
