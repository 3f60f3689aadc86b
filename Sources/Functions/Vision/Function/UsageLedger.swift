import SwitchyardContract
import SwitchyardCore
import SwitchyardVision

/// The usage records of one invocation: one per detector call — the images a detector answered
/// are summed into one record (count, pixels, time); every failed call is a record of its own.
/// Records are numbered (`attempt`) in the order they were opened, so (request, step,
/// invocation, attempt) keys each one.
///
/// Compute by provider: `lambda` bills this function's memory for the time spent on its images
/// (fetch, decode, inference: the function is the detector); `sagemaker` (`endpoint`) and
/// `container` (`fargate`) bill the endpoint for the call's duration.
struct UsageLedger {
    let context: UsageContext
    let step: String
    let invocationID: String
    private var entries: [Entry] = []
    /// The open success record of each plan position.
    private var open: [Int: Int] = [:]

    private struct Entry {
        var detector: Detector
        var planIndex: Int
        var startedAt: Int64
        var images: Int64 = 0
        var pixels: Int64 = 0
        var total = Duration.zero
        var backend = Duration.zero
        var compute = Duration.zero
        var error: VisionError?
    }

    init(context: UsageContext, step: String, invocationID: String) {
        self.context = context
        self.step = step
        self.invocationID = invocationID
    }

    mutating func succeeded(
        _ detector: Detector, planIndex: Int, pixels: Int64, preparation: Duration, call: Duration, startedAt: Int64
    ) {
        let index: Int
        if let existing = open[planIndex] {
            index = existing
        } else {
            entries.append(Entry(detector: detector, planIndex: planIndex, startedAt: startedAt))
            index = entries.count - 1
            open[planIndex] = index
        }
        entries[index].images += 1
        entries[index].pixels += pixels
        entries[index].total += preparation + call
        entries[index].backend += call
        entries[index].compute += detector.model.provider == .lambda ? preparation + call : call
    }

    mutating func failed(
        _ detector: Detector, planIndex: Int, pixels: Int64, call: Duration, error: VisionError, startedAt: Int64
    ) {
        var entry = Entry(detector: detector, planIndex: planIndex, startedAt: startedAt)
        entry.images = 1
        entry.pixels = pixels
        entry.total = call
        entry.backend = call
        entry.compute = call
        entry.error = error
        entries.append(entry)
    }

    func records() -> [UsageRecord] {
        entries.enumerated().map { attempt, entry in
            let model = entry.detector.model
            var record = UsageRecord(
                context: context, step: step, invocationID: invocationID, attempt: attempt,
                timestamp: entry.startedAt, backend: model.provider.backend, modality: .image,
                latency: .init(totalMs: Self.milliseconds(entry.total), backendMs: Self.milliseconds(entry.backend)),
                status: entry.error != nil ? .failed : (entry.planIndex == 0 ? .succeeded : .fallback))
            record.provider = model.provider
            record.model = model.id
            record.providerModel = model.resolvedProviderModel
            record.images = .init(count: entry.images, pixels: entry.pixels)
            record.errorType = entry.error?.errorType
            record.errorCause = entry.error.map { String($0.errorMessage.prefix(200)) }
            var compute = entry.detector.compute
            compute.durationMs = Self.milliseconds(entry.compute)
            record.compute = compute
            return record
        }
    }

    /// Whole milliseconds, rounded up as Lambda bills them (a call of 0.2 ms is 1 ms).
    static func milliseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        let perMillisecond: Int64 = 1_000_000_000_000_000
        return seconds * 1000 + (attoseconds + perMillisecond - 1) / perMillisecond
    }
}
