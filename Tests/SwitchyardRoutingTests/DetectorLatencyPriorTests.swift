import Foundation
import SwitchyardContract
import SwitchyardRouting
import XCTest

/// The catalog's detector latency priors are what infra/measurements/vision-latency.json implies
/// (issue 17 item 4): a new bench-vision run that moves a measurement fails here until the
/// catalog follows it.
final class DetectorLatencyPriorTests: XCTestCase {
    static func measurementFile() throws -> DetectorLatencyMeasurements {
        let path = RoutingFixtures.repoRoot + "/infra/measurements/vision-latency.json"
        return try DetectorLatencyMeasurements.parse(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
    }

    func testCatalogPriorsEqualWhatTheMeasurementsImply() throws {
        let measurements = try Self.measurementFile()
        let detectors = RoutingFixtures.bundle.catalog.models.filter { $0.detector != nil }
        XCTAssertEqual(
            Set(detectors.compactMap { $0.compute?.kind }), ["lambda", "fargate", "endpoint"], "all three homes")
        for model in detectors {
            let derived = try DetectorLatencyPriors.prior(for: model, from: measurements)
            XCTAssertEqual(
                model.latency, derived.prior,
                "\(model.id): infra/catalog.json has p50 \(model.latency.p50Ms) / p95 \(model.latency.p95Ms) ms, "
                    + "the measurements imply \(derived.prior.p50Ms) / \(derived.prior.p95Ms) ms (\(derived.basis))")
        }
    }

    /// The figures by hand from the file's values, so the rule itself is checked, not only agreement.
    func testTheThreeHomesByHand() throws {
        let measurements = try Self.measurementFile()
        let catalog = RoutingFixtures.bundle.catalog
        // yolov8n-lambda: 2048 MB → round(2048 / 1769 = 1.16) = 1 vCPU → in-process on 1 thread, 166.23 ms:
        // p50 ⌈166.23⌉ = 167; no p99 measured → p95 ⌈166.23 × 2 = 332.46⌉ = 333.
        let lambda = try DetectorLatencyPriors.prior(
            for: try XCTUnwrap(catalog.model("yolov8n-lambda")), from: measurements)
        XCTAssertEqual(lambda.prior, LatencyPrior(p50Ms: 167, p95Ms: 333))
        XCTAssertEqual(lambda.basis, .measuredInProcess(threads: 1))
        // yolov8n-container: 2000 milliVCPU → 2 threads → the engine's 94.34 ms + 15 ms transfer:
        // p50 ⌈109.34⌉ = 110; p95 ⌈94.34 × 2 + 15 = 203.68⌉ = 204.
        let container = try DetectorLatencyPriors.prior(
            for: try XCTUnwrap(catalog.model("yolov8n-container")), from: measurements)
        XCTAssertEqual(container.prior, LatencyPrior(p50Ms: 110, p95Ms: 204))
        // SageMaker on a GPU: the file's estimate, kept as an estimate with its reason.
        let sagemaker = try DetectorLatencyPriors.prior(
            for: try XCTUnwrap(catalog.model("yolov8n-sagemaker")), from: measurements)
        XCTAssertEqual(sagemaker.prior, LatencyPrior(p50Ms: 45, p95Ms: 120))
        guard case .estimate(let reason) = sagemaker.basis else { return XCTFail("\(sagemaker.basis)") }
        XCTAssertTrue(reason.contains("GPU"), reason)
    }

    func testAMeasuredP99IsThePriorsP95AndMoreMemoryMeansMoreThreads() throws {
        let file = Self.file(
            inProcess: #"[{"threads": 1, "p50Ms": 160}, {"threads": 2, "p50Ms": 90.2, "p99Ms": 131.01}]"#)
        let measurements = try DetectorLatencyMeasurements.parse(Array(file.utf8))
        // 3008 MB → round(3008 / 1769 = 1.70) = 2 threads: p50 ⌈90.2⌉ = 91, p95 = ⌈131.01⌉ = 132.
        let prior = try DetectorLatencyPriors.prior(for: Self.lambda(memoryMB: 3008), from: measurements)
        XCTAssertEqual(prior.prior, LatencyPrior(p50Ms: 91, p95Ms: 132))
        XCTAssertEqual(prior.basis, .measuredInProcess(threads: 2))
        // 10,240 MB → 6 threads: never measured, so no prior rather than a guess.
        XCTAssertThrowsError(try DetectorLatencyPriors.prior(for: Self.lambda(memoryMB: 10_240), from: measurements)) {
            XCTAssertEqual(($0 as? DetectorPriorError)?.errorType, "Router.InvalidMeasurements")
            XCTAssertTrue("\($0)".contains("6 thread"), "\($0)")
        }
    }

    func testOutOfRangeMeasurementsAreRefused() {
        for runs in [
            #"[{"threads": 0, "p50Ms": 160}]"#, #"[{"threads": 1, "p50Ms": -1}]"#,
            #"[{"threads": 1, "p50Ms": 1e300}]"#, #"[{"threads": 1, "p50Ms": 160, "p99Ms": 100}]"#,
            #"[{"threads": 1, "p50Ms": 160}, {"threads": 1, "p50Ms": 150}]"#, #"[{"threads": 1}]"#,
        ] {
            XCTAssertThrowsError(try DetectorLatencyMeasurements.parse(Array(Self.file(inProcess: runs).utf8)), runs) {
                XCTAssertEqual(($0 as? DetectorPriorError)?.errorType, "Router.InvalidMeasurements", runs)
            }
        }
    }

    static func file(inProcess: String) -> String {
        """
        {"measured": {"source": "test", "inProcess": \(inProcess), "engine": []},
         "estimates": {"tailFactor": 2, "transferMs": 15, "endpoints": {}}}
        """
    }

    static func lambda(memoryMB: Int64) -> CatalogModel {
        CatalogModel(
            id: "detector", provider: .lambda, kind: .vision, contextWindow: 0,
            latency: LatencyPrior(p50Ms: 1, p95Ms: 1), quality: [:], tiers: [],
            compute: ComputeSpec(kind: "lambda", memoryMB: memoryMB))
    }
}
