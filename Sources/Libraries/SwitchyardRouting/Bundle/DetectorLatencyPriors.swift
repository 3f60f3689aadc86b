import SwitchyardContract
import SwitchyardCore
import SwitchyardJSON

/// Measured detector latencies (`infra/measurements/vision-latency.json`, written by
/// `scripts/bench-vision`) and the estimates that stand where nothing here can measure.
/// Milliseconds per 640×640 image, decode excluded.
public struct DetectorLatencyMeasurements: Decodable, Sendable, Equatable {
    /// One measured configuration: a thread count and its latency.
    public struct Run: Decodable, Sendable, Equatable {
        public var threads: Int
        /// Median per-image latency.
        public var p50Ms: Double
        /// 99th percentile per-image latency, when the run recorded one.
        public var p99Ms: Double?
    }

    public struct Measured: Decodable, Sendable, Equatable {
        /// Where and how the runs were measured (build, machine load, model, inputs, date).
        public var source: String
        /// Switchyard's in-process pipeline: letterbox + onnxruntime run + post-processing.
        public var inProcess: [Run]
        /// Python onnxruntime `session.run` on the same tensor: what the container endpoint runs.
        public var engine: [Run]
    }

    /// A remote endpoint's priors that cannot be measured here, with the reason.
    public struct EndpointEstimate: Decodable, Sendable, Equatable {
        public var p50Ms: Int
        public var p95Ms: Int
        public var reason: String
    }

    public struct Estimates: Decodable, Sendable, Equatable {
        /// p95 = p50 × this while a run has no p99.
        public var tailFactor: Double
        /// Moving the uint8 tensor to a container endpoint and its float32 output back.
        public var transferMs: Double
        /// By catalog model id.
        public var endpoints: [String: EndpointEstimate]
    }

    public var measured: Measured
    public var estimates: Estimates

    /// Parses and range-checks the measurement file.
    /// - Throws: `DetectorPriorError.invalidMeasurements` (`Router.InvalidMeasurements`).
    public static func parse(_ bytes: [UInt8]) throws(DetectorPriorError) -> DetectorLatencyMeasurements {
        let file: DetectorLatencyMeasurements
        do {
            file = try JSON.decode(DetectorLatencyMeasurements.self, from: bytes)
        } catch {
            throw .invalidMeasurements("does not decode: \(String(describing: error).prefix(200))")
        }
        try file.validate()
        return file
    }

    func validate() throws(DetectorPriorError) {
        func check(_ ok: Bool, _ problem: @autoclosure () -> String) throws(DetectorPriorError) {
            if !ok { throw .invalidMeasurements(problem()) }
        }
        // An hour per image is far past any timeout: larger values are typos, not measurements.
        let latency = 0.001...3_600_000.0
        for (name, runs) in [("inProcess", measured.inProcess), ("engine", measured.engine)] {
            for run in runs {
                try check((1...64).contains(run.threads), "measured.\(name): threads \(run.threads) not in 1...64")
                try check(latency.contains(run.p50Ms), "measured.\(name)[\(run.threads)].p50Ms out of range")
                if let p99 = run.p99Ms {
                    try check(latency.contains(p99) && p99 >= run.p50Ms, "measured.\(name)[\(run.threads)].p99Ms")
                }
            }
            try check(Set(runs.map(\.threads)).count == runs.count, "measured.\(name): a thread count twice")
        }
        try check((1.0...10.0).contains(estimates.tailFactor), "estimates.tailFactor not in 1...10")
        try check((0.0...60_000.0).contains(estimates.transferMs), "estimates.transferMs not in 0...60000")
        for (id, e) in estimates.endpoints {
            try check(
                (1...3_600_000).contains(e.p50Ms) && (e.p50Ms...3_600_000).contains(e.p95Ms),
                "estimates.endpoints.\(id): p50Ms/p95Ms out of range")
        }
    }
}

/// The catalog's detector latency priors, derived from measurements: one rule per home.
///
/// - `lambda` (in-process): the in-process run at the threads the function's memory gives
///   (`ComputeSpec.lambdaVCPUs`: 2048 MB → 1).
/// - `fargate` (container endpoint): the engine run at the task's whole vCPUs, plus the transfer
///   estimate.
/// - `endpoint` (SageMaker GPU): the file's estimate for that model, with its reason.
///
/// p50 is the measured median, p95 the measured p99 (a conservative stand-in) or, without one,
/// the median × the tail factor; both rounded up to whole milliseconds.
public enum DetectorLatencyPriors {
    /// Where a prior came from, for reports.
    public enum Basis: Sendable, Equatable {
        case measuredInProcess(threads: Int)
        case measuredEngine(threads: Int, plusTransferMs: Double)
        case estimate(reason: String)
    }

    /// The prior `model` should have, and its basis.
    /// - Throws: `DetectorPriorError.noMeasurement` (`Router.InvalidMeasurements`) when the file
    ///   has no run or estimate for the model's home.
    public static func prior(
        for model: CatalogModel, from measurements: DetectorLatencyMeasurements
    ) throws(DetectorPriorError) -> (prior: LatencyPrior, basis: Basis) {
        let id = model.id.rawValue
        guard let compute = model.compute else { throw .noMeasurement(model: id, "has no compute spec") }
        switch compute.kind {
        case "lambda":
            guard let memory = compute.memoryMB, (128...10_240).contains(memory) else {
                throw .noMeasurement(model: id, "lambda compute needs memoryMB in 128...10240")
            }
            let threads = ComputeSpec.lambdaVCPUs(memoryMB: Int(memory))
            let run = try measured(measurements.measured.inProcess, threads: threads, model: id, "inProcess")
            return (
                latency(run, plus: 0, tail: measurements.estimates.tailFactor), .measuredInProcess(threads: threads)
            )
        case "fargate":
            guard let milli = compute.milliVCPU, milli >= 1000, milli % 1000 == 0 else {
                throw .noMeasurement(model: id, "fargate compute needs whole vCPUs (milliVCPU a multiple of 1000)")
            }
            let threads = Int(milli / 1000)
            let run = try measured(measurements.measured.engine, threads: threads, model: id, "engine")
            let transfer = measurements.estimates.transferMs
            return (
                latency(run, plus: transfer, tail: measurements.estimates.tailFactor),
                .measuredEngine(threads: threads, plusTransferMs: transfer)
            )
        default:
            guard let estimate = measurements.estimates.endpoints[id] else {
                throw .noMeasurement(model: id, "no estimates.endpoints entry for a \(compute.kind) detector")
            }
            return (LatencyPrior(p50Ms: estimate.p50Ms, p95Ms: estimate.p95Ms), .estimate(reason: estimate.reason))
        }
    }

    private static func measured(
        _ runs: [DetectorLatencyMeasurements.Run], threads: Int, model: String, _ name: String
    ) throws(DetectorPriorError) -> DetectorLatencyMeasurements.Run {
        guard let run = runs.first(where: { $0.threads == threads }) else {
            throw .noMeasurement(model: model, "no measured.\(name) run at \(threads) thread(s)")
        }
        return run
    }

    /// Whole milliseconds, rounded up: a prior never promises less than was measured.
    private static func latency(_ run: DetectorLatencyMeasurements.Run, plus extra: Double, tail: Double)
        -> LatencyPrior
    {
        let p50 = run.p50Ms + extra
        let p95 = (run.p99Ms ?? run.p50Ms * tail) + extra
        return LatencyPrior(p50Ms: Int(p50.rounded(.up)), p95Ms: Int(p95.rounded(.up)))
    }
}

/// A measurement file that cannot give a detector its prior.
public enum DetectorPriorError: FunctionError, Equatable {
    case invalidMeasurements(String)
    case noMeasurement(model: String, String)

    public var errorType: String { "Router.InvalidMeasurements" }

    public var errorMessage: String {
        switch self {
        case .invalidMeasurements(let problem): "vision-latency measurements: \(problem)"
        case .noMeasurement(let model, let problem): "detector \(model): \(problem)"
        }
    }
}
