import SwitchyardContract
import SwitchyardCore
import SwitchyardImageFetch
import SwitchyardVision

/// One invocation of the vision function, image by image: fetch → decode → detect (falling back
/// along the plan's detectors) → keep the detections, drop the pixels.
struct VisionRun {
    let handler: VisionHandler
    let input: VisionStepInput
    let invocationID: String
    let deadline: ContinuousClock.Instant
    private let clock = ContinuousClock()
    private var ledger: UsageLedger
    private var results: [ImageDetections] = []
    private var fetchTime = Duration.zero
    private var decodeTime = Duration.zero
    private var inferenceTime = Duration.zero
    /// The plan's candidates this function runs, in plan order, with their position in the plan.
    private var candidates: [(planIndex: Int, candidate: VisionCandidate, detector: Detector)] = []
    /// The candidate in charge: the first until it fails, then the next, for the remaining images.
    private var active = 0
    private var answeredBy: Detector?

    init(handler: VisionHandler, input: VisionStepInput, invocationID: String, deadline: ContinuousClock.Instant) {
        self.handler = handler
        self.input = input
        self.invocationID = invocationID
        self.deadline = deadline
        let step = input.item.map { "batch/\($0.id)/vision" } ?? "vision"
        ledger = UsageLedger(context: input.context, step: step, invocationID: invocationID)
    }

    mutating func execute() async -> VisionOutcome {
        let started = clock.now
        let images = input.images
        let options: DetectionOptions
        do {
            options = try validate(images)
        } catch {
            return outcome(.failed, error: error, started: started)
        }
        for (index, candidate) in input.plan.candidates.enumerated() {
            if let detector = handler.detectors[candidate.model] {
                candidates.append((index, candidate, detector))
            }
        }
        guard !candidates.isEmpty else {
            let names = input.plan.candidates.map(\.model.rawValue).joinedText(separator: ", ")
            return outcome(
                .failed, error: VisionError.noDetector("this function runs none of [\(names.prefix(200))]"),
                started: started)
        }
        let policy = handler.configuration.access.policy(tenant: input.context.tenantID)
        let keepEncoded = candidates.contains { $0.detector.backend.wantsEncodedImage }

        for (index, reference) in images.enumerated() {
            guard clock.now < deadline else {
                return outcome(
                    .failed, error: VisionError.deadlineExceeded("after \(index) of \(images.count) images"),
                    started: started)
            }
            let prepared: PreparedImage
            let preparation: Duration
            do {
                (prepared, preparation) = try await prepare(reference, policy: policy, keepEncoded: keepEncoded)
            } catch {
                return outcome(.failed, error: error, started: started)
            }
            do {
                try await detect(prepared, preparation: preparation, options: options)
            } catch {
                return outcome(.failed, error: error, started: started)
            }
        }
        let first = candidates[active].planIndex == 0
        return outcome(first ? .succeeded : .degraded, error: nil, started: started)
    }

    /// Thresholds from the plan, and the image count.
    private func validate(_ images: [ImageReference]) throws(VisionError) -> DetectionOptions {
        guard !images.isEmpty else { throw .invalidRequest("no images: give request.images or item.images") }
        guard images.count <= handler.limits.maxImages else {
            throw .invalidRequest(
                "\(images.count) images exceed the limit of \(handler.limits.maxImages) per invocation")
        }
        // The ids become usage-record keys: refused here, before any work is billed under them.
        for (name, id) in [
            ("context.requestId", input.context.requestID), ("context.tenantId", input.context.tenantID),
            ("request.requestId", input.request?.requestID ?? input.context.requestID),
        ] where !Identifier.isValid(id, maxBytes: 256) {
            throw .invalidRequest("\(name) must be 1...256 bytes without control characters")
        }
        if let item = input.item, !Identifier.isValid(item.id, maxBytes: 200) {
            throw .invalidRequest("item.id must be 1...200 bytes without control characters")
        }
        guard !input.plan.candidates.isEmpty else { throw .invalidRequest("the plan names no detector") }
        var options = DetectionOptions(maxDetections: 100)
        if let value = input.plan.confidenceThreshold {
            guard value.isFinite, (0...1).contains(value) else {
                throw .invalidRequest("confidenceThreshold must be in 0...1")
            }
            options.confidenceThreshold = Float(value)
        }
        if let value = input.plan.iouThreshold {
            guard value.isFinite, (0...1).contains(value) else {
                throw .invalidRequest("iouThreshold must be in 0...1")
            }
            options.iouThreshold = Float(value)
        }
        if let value = input.plan.maxDetections {
            guard (1...1000).contains(value) else { throw .invalidRequest("maxDetections must be in 1...1000") }
            options.maxDetections = value
        }
        return options
    }

    /// Fetches and decodes one image; the encoded bytes are dropped unless a backend sends them.
    private mutating func prepare(_ reference: ImageReference, policy: ImageAccessPolicy, keepEncoded: Bool)
        async throws -> (PreparedImage, Duration)
    {
        let t0 = clock.now
        let bytes = try await handler.fetcher.fetch(reference, policy: policy, deadline: deadline)
        let t1 = clock.now
        // Stored orientation: the letterbox reads through the EXIF orientation instead of
        // turning a second full copy of a 12 MP photo.
        let decoded = try ImageDecoder.decode(bytes, limits: handler.limits.decode, applyOrientation: false)
        let t2 = clock.now
        fetchTime += t1 - t0
        decodeTime += t2 - t1
        let prepared = PreparedImage(
            image: decoded.image, orientation: decoded.orientation, format: decoded.format,
            encoded: keepEncoded ? bytes : nil)
        return (prepared, t2 - t0)
    }

    /// Runs the detector in charge on one image, handing over to the next on a detector failure.
    private mutating func detect(_ image: PreparedImage, preparation: Duration, options: DetectionOptions) async throws
    {
        var lastFailure: VisionError?
        while active < candidates.count {
            let (planIndex, candidate, detector) = candidates[active]
            guard clock.now < deadline else {
                throw lastFailure ?? VisionError.deadlineExceeded("no time left for \(candidate.model)")
            }
            let startedAt = WallClock.nowMilliseconds()
            let callStart = clock.now
            let attemptTimeout = Duration.milliseconds(max(1, candidate.attemptTimeoutMs))
            let callDeadline = min(deadline, callStart.advanced(by: attemptTimeout))
            let pixels = Int64(image.image.width) * Int64(image.image.height)
            do {
                let found = try await detector.backend.detect(image, options: options, deadline: callDeadline)
                let call = clock.now - callStart
                inferenceTime += call
                ledger.succeeded(
                    detector, planIndex: planIndex, pixels: pixels, preparation: preparation, call: call,
                    startedAt: startedAt)
                let size = image.uprightSize
                results.append(
                    ImageDetections(
                        width: size.width, height: size.height, format: image.format.rawValue,
                        orientation: image.orientation, detections: found, model: detector.model.id))
                answeredBy = detector
                return
            } catch {
                let call = clock.now - callStart
                inferenceTime += call
                ledger.failed(
                    detector, planIndex: planIndex, pixels: pixels, call: call, error: error, startedAt: startedAt)
                guard error.isDetectorFailure else { throw error }
                lastFailure = error
                active += 1
            }
        }
        throw lastFailure ?? VisionError.noDetector("every detector of the plan failed")
    }

    private func outcome(_ status: StepStatus, error: (any Error)?, started: ContinuousClock.Instant) -> VisionOutcome {
        let stepError = error.map { error -> StepError in
            if let typed = error as? any FunctionError {
                return StepError(errorType: typed.errorType, errorMessage: typed.errorMessage)
            }
            return StepError(errorType: "Vision.Internal", errorMessage: "\(error)".prefix(300).description)
        }
        return VisionOutcome(
            requestID: input.context.requestID, itemID: input.item?.id, status: status,
            model: status == .failed ? nil : answeredBy?.model.id,
            provider: status == .failed ? nil : answeredBy?.model.provider,
            results: status == .failed ? [] : results, usage: ledger.records(), error: stepError,
            timings: VisionTimings(
                fetchMs: fetchTime.fractionalMilliseconds, decodeMs: decodeTime.fractionalMilliseconds,
                inferenceMs: inferenceTime.fractionalMilliseconds,
                totalMs: (clock.now - started).fractionalMilliseconds))
    }
}
