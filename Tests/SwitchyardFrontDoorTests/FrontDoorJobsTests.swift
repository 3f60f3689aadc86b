import SwitchyardContract
import SwitchyardJSON
import SwitchyardUsage
import Synchronization
import XCTest

@testable import SwitchyardFrontDoor

/// `/v1/detect`, the batch job API and back-pressure against the scripted backend, an in-memory
/// ledger, queue and job store; every expectation is counted by hand from the script.
final class FrontDoorJobsTests: XCTestCase {
    var key: APIKey!
    var other: APIKey!
    var backend: FakeBackend!
    var ledger: MemoryLedger!
    var queue: MemoryQueue!
    var store: MemoryBatchJobStore!
    var keys: KeyRing!

    override func setUpWithError() throws {
        var keyStore = try KeyStore()
        key = try keyStore.create(tenant: "acme", tier: "basic", name: nil, limits: .defaults, now: 1).0
        other = try keyStore.create(tenant: "globex", tier: "basic", name: nil, limits: .defaults, now: 1).0
        keys = KeyRing(store: keyStore)
        backend = try FakeBackend()
        ledger = MemoryLedger()
        queue = MemoryQueue()
        store = MemoryBatchJobStore()
    }

    func service(backlog: Int = 0, maxRunning: Int = 2) -> FrontDoorService {
        FrontDoorService(
            keys: keys, backend: backend,
            billing: FrontDoorBilling(ledger: ledger, queue: queue, backlog: { backlog }, maxBacklog: 100),
            batches: FrontDoorBatches(store: store, scheduler: BatchScheduler(maxRunning: maxRunning)))
    }

    func call(
        _ service: FrontDoorService, _ method: String, _ path: String, _ body: String = "", key: APIKey? = nil
    ) async -> FrontDoorResponse {
        var headers: [(name: String, value: String)] = []
        if let key = key ?? self.key { headers.append((name: "Authorization", value: "Bearer \(key.text)")) }
        return await service.handle(
            FrontDoorRequest(method: method, path: path, headers: headers, body: Array(body.utf8)))
    }

    func json(_ response: FrontDoorResponse) throws -> JSON { try JSON.parse(response.bytes ?? []) }

    static let image = "data:image/jpeg;base64,/9j/4AAQSkZJRgABAQ=="

    // MARK: - Detect

    func testDetectAnswersBoxesImageSizeDetectorAndCost() async throws {
        let service = service()
        let response = await call(
            service, "POST", "/v1/detect", #"{"image": "\#(Self.image)", "confidence_threshold": 0.5}"#)
        XCTAssertEqual(response.status, 200, String(decoding: response.bytes ?? [], as: UTF8.self))
        let body = try json(response)
        XCTAssertEqual(body["object"]?.stringValue, "detection")
        XCTAssertEqual(body["model"]?.stringValue, "detector")
        XCTAssertEqual(body["image"]?["width"]?.int64Value, 640)
        XCTAssertEqual(body["image"]?["height"]?.int64Value, 480)
        XCTAssertEqual(body["detections"]?[0]?["class_name"]?.stringValue, "person")
        XCTAssertEqual(body["detections"]?[0]?["score"]?.doubleValue, 0.9)
        XCTAssertEqual(body["detections"]?[0]?["box"]?["x2"]?.doubleValue, 30)
        // Router record + detector record at $0.001 each.
        XCTAssertEqual(body["usage"]?["cost_pico_usd"]?.int64Value, 2_000_000_000)
        let headers = Dictionary(response.headers.map { ($0.0, $0.1) }, uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(headers["x-switchyard-route"], "vision fastest")
        XCTAssertEqual(headers["x-switchyard-model"], "detector")
        XCTAssertEqual(headers["x-switchyard-cost-usd"], "0.002")
        // The ceiling was reserved under the request id.
        let requestID = try XCTUnwrap(headers["x-request-id"])
        XCTAssertTrue(ledger.state.withLock { $0.open.contains(requestID) })
    }

    func testDetectRefusals() async throws {
        let service = service()
        func error(_ body: String) async throws -> (Int, JSON) {
            let response = await call(service, "POST", "/v1/detect", body)
            return (response.status, try json(response)["error"] ?? .null)
        }
        var (status, e) = try await error("{}")
        XCTAssertEqual(status, 400)
        XCTAssertEqual(e["param"]?.stringValue, "image")
        (status, e) = try await error(#"{"image": "\#(Self.image)", "iou_threshold": 0}"#)
        XCTAssertEqual(status, 400)
        XCTAssertEqual(e["param"]?.stringValue, "iou_threshold")
        (status, e) = try await error(#"{"image": "\#(Self.image)", "max_detections": 0}"#)
        XCTAssertEqual(e["param"]?.stringValue, "max_detections")
        backend.script.withLock { $0.visionError = StepError(errorType: "Vision.NotAnImage", errorMessage: "no") }
        (status, e) = try await error(#"{"image": "\#(Self.image)"}"#)
        XCTAssertEqual(status, 400)
        XCTAssertEqual(e["code"]?.stringValue, "Vision.NotAnImage")
        XCTAssertEqual(e["param"]?.stringValue, "image")
        backend.script.withLock { $0.visionError = StepError(errorType: "Vision.ImageTooLarge", errorMessage: "big") }
        (status, e) = try await error(#"{"image": "\#(Self.image)"}"#)
        XCTAssertEqual(status, 413)
        backend.script.withLock { $0.visionError = StepError(errorType: "Vision.Timeout", errorMessage: "slow") }
        (status, e) = try await error(#"{"image": "\#(Self.image)"}"#)
        XCTAssertEqual(status, 502)
        backend.script.withLock {
            $0.visionError = nil
            $0.rejection = StepError(errorType: "Router.UnknownModel", errorMessage: "no such detector")
        }
        (status, e) = try await error(#"{"image": "\#(Self.image)", "model": "yolo-nowhere"}"#)
        XCTAssertEqual(status, 404)
        XCTAssertEqual(e["code"]?.stringValue, "model_not_found")
        backend.script.withLock {
            $0.rejection = nil
            $0.budget = .zero
        }
        (status, e) = try await error(#"{"image": "\#(Self.image)"}"#)
        XCTAssertEqual(status, 429)
        XCTAssertEqual(e["type"]?.stringValue, "insufficient_quota")
    }

    // MARK: - Batch jobs

    func items(_ n: Int) -> String {
        "[" + (0..<n).map { #"{"id": "i\#($0)", "text": "t\#($0)"}"# }.joined(separator: ",") + "]"
    }

    func waitForEnd(_ service: FrontDoorService, _ id: String, key: APIKey? = nil) async throws -> JSON {
        for _ in 0..<500 {
            let job = try json(await call(service, "GET", "/v1/batches/" + id, key: key))
            if job["status"]?.stringValue == "completed" || job["status"]?.stringValue == "failed" { return job }
            try await Task.sleep(for: .milliseconds(10))
        }
        XCTFail("job \(id) did not end")
        return .null
    }

    func testAJobOver40ItemsRunsInChunksWithResultsInItemOrder() async throws {
        backend.script.withLock { $0.failingItems = ["i41"] }
        let service = service()
        let created = await call(service, "POST", "/v1/batches", #"{"items": \#(items(90)), "max_tokens": 16}"#)
        XCTAssertEqual(created.status, 202)
        let id = try XCTUnwrap(try json(created)["id"]?.stringValue)
        XCTAssertEqual(try json(created)["chunks"]?["total"]?.int64Value, 3)
        let job = try await waitForEnd(service, id)
        XCTAssertEqual(job["status"]?.stringValue, "completed")
        XCTAssertEqual(job["request_counts"]?["total"]?.int64Value, 90)
        XCTAssertEqual(job["request_counts"]?["completed"]?.int64Value, 89)
        XCTAssertEqual(job["request_counts"]?["failed"]?.int64Value, 1)
        // 90 item records + 3 router records at $0.001.
        XCTAssertEqual(job["cost_pico_usd"]?.int64Value, 93_000_000_000)
        XCTAssertEqual(backend.chunksRun.withLock { $0 }, ["\(id)-c0", "\(id)-c1", "\(id)-c2"])
        // One reservation per chunk.
        XCTAssertEqual(ledger.state.withLock { $0.open }, ["\(id)-c0", "\(id)-c1", "\(id)-c2"])
        let results = await call(service, "GET", "/v1/batches/\(id)/results")
        XCTAssertEqual(results.headers.first { $0.0 == "content-type" }?.1, "application/jsonl")
        let lines = String(decoding: results.bytes ?? [], as: UTF8.self).split(separator: "\n").map {
            try? JSON.parse(Array($0.utf8))
        }
        XCTAssertEqual(lines.map { $0?["id"]?.stringValue }, (0..<90).map { "i\($0)" })
        XCTAssertEqual(lines[5]?["response"]?["text"]?.stringValue, "label:t5")
        XCTAssertEqual(lines[41]?["status"]?.stringValue, "failed")
        XCTAssertEqual(lines[41]?["error"]?["type"]?.stringValue, "Provider.Timeout")
    }

    func testChunksShrinkWhenItemsMayAnswerLong() {
        let batches = FrontDoorBatches(store: store)
        XCTAssertEqual(batches.itemsPerChunk(maxTokens: nil), 40)
        // 262144 / (4000 * 4 + 1024) = 15
        XCTAssertEqual(batches.itemsPerChunk(maxTokens: 4000), 15)
        XCTAssertEqual(batches.itemsPerChunk(maxTokens: 1_000_000), 1)
    }

    func testAnotherTenantSeesNoJob() async throws {
        let service = service()
        let created = await call(service, "POST", "/v1/batches", #"{"items": \#(items(2))}"#)
        let id = try XCTUnwrap(try json(created)["id"]?.stringValue)
        _ = try await waitForEnd(service, id)
        do {
            let status = await call(service, "GET", "/v1/batches/" + id, key: other).status
            XCTAssertEqual(status, 404)
        }
        do {
            let status = await call(service, "GET", "/v1/batches/\(id)/results", key: other).status
            XCTAssertEqual(status, 404)
        }
        do {
            let status = await call(service, "GET", "/v1/batches/\(id)/nope").status
            XCTAssertEqual(status, 404)
        }
    }

    func testInvalidJobsAreRefusedAtOnce() async throws {
        let service = service()
        do {
            let status = await call(service, "POST", "/v1/batches", #"{"items": []}"#).status
            XCTAssertEqual(status, 400)
        }
        let duplicate = await call(
            service, "POST", "/v1/batches", #"{"items": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]}"#)
        XCTAssertEqual(try json(duplicate)["error"]?["param"]?.stringValue, "items[1].id")
        do {
            let status = await call(service, "POST", "/v1/batches", #"{"items": [{"id": "a/b", "text": "x"}]}"#).status
            XCTAssertEqual(status, 400)
        }
        do {
            let status = await call(service, "POST", "/v1/batches", #"{"items": [{"id": "a"}]}"#).status
            XCTAssertEqual(status, 400)
        }
        backend.script.withLock { $0.rejection = StepError(errorType: "Router.UnknownModel", errorMessage: "no") }
        let unknown = await call(service, "POST", "/v1/batches", #"{"items": \#(items(2)), "model": "x"}"#)
        XCTAssertEqual(unknown.status, 404)
        XCTAssertTrue(backend.chunksRun.withLock { $0 }.isEmpty)
    }

    func testAJobOverBudgetStopsAndFailsTheRest() async throws {
        backend.script.withLock { $0.budget = PicoUSD(5_000_000_000) }  // one chunk's ceiling
        let service = service()
        let created = await call(service, "POST", "/v1/batches", #"{"items": \#(items(100))}"#)
        let id = try XCTUnwrap(try json(created)["id"]?.stringValue)
        let job = try await waitForEnd(service, id)
        XCTAssertEqual(job["status"]?.stringValue, "failed")
        XCTAssertEqual(job["error"]?["type"]?.stringValue, "FrontDoor.BudgetExceeded")
        XCTAssertEqual(job["request_counts"]?["completed"]?.int64Value, 40)
        XCTAssertEqual(job["request_counts"]?["failed"]?.int64Value, 60)
        XCTAssertEqual(backend.chunksRun.withLock { $0 }, ["\(id)-c0"])
    }

    func testAnUnfinishedJobResumesWithoutRerunningDoneChunks() async throws {
        var job = BatchJob(
            id: "batch_resume", tenant: "acme", tier: "basic", createdAtMs: 1, total: 3, chunkCount: 2, model: nil,
            hints: nil, parameters: nil)
        job.status = .inProgress
        var done = BatchChunk(job: job.id, tenant: "acme", index: 0, items: [BatchItem(id: "a", text: "x")])
        done.done = true
        done.results = [#"{"id":"a","status":"succeeded"}"#]
        done.succeeded = 1
        done.costPicoUSD = PicoUSD(7)
        let pending = BatchChunk(
            job: job.id, tenant: "acme", index: 1,
            items: [BatchItem(id: "b", text: "y"), BatchItem(id: "c", text: "z")])
        try await store.save(job, deadline: .now + .seconds(1))
        try await store.save(done, deadline: .now + .seconds(1))
        try await store.save(pending, deadline: .now + .seconds(1))
        let service = service()
        let resumed = try await service.resumeBatches()
        XCTAssertEqual(resumed, 1)
        let ended = try await waitForEnd(service, job.id)
        XCTAssertEqual(ended["status"]?.stringValue, "completed")
        XCTAssertEqual(ended["request_counts"]?["completed"]?.int64Value, 3)
        // 7 pico from the stored chunk + router and two items at $0.001.
        XCTAssertEqual(ended["cost_pico_usd"]?.int64Value, 3_000_000_007)
        XCTAssertEqual(backend.chunksRun.withLock { $0 }, ["batch_resume-c1"])
    }

    func testTheSchedulerRunsEveryJobAtMostNAtATime() async throws {
        let scheduler = BatchScheduler(maxRunning: 2)
        let state = Mutex<(running: Int, most: Int, done: Int)>((0, 0, 0))
        for i in 0..<6 {
            scheduler.schedule("job\(i)") {
                state.withLock {
                    $0.running += 1
                    $0.most = max($0.most, $0.running)
                }
                try? await Task.sleep(for: .milliseconds(20))
                state.withLock {
                    $0.running -= 1
                    $0.done += 1
                }
            }
        }
        scheduler.schedule("job0") { XCTFail("an active job is not scheduled twice") }
        for _ in 0..<200 where state.withLock({ $0.done }) < 6 { try await Task.sleep(for: .milliseconds(10)) }
        let final = state.withLock { $0 }
        XCTAssertEqual(final.done, 6)
        XCTAssertEqual(final.most, 2)
    }

    // MARK: - Back-pressure

    func testABacklogOfUnstoredUsageRefusesNewRequestsWith503() async throws {
        let service = service(backlog: 101)
        let response = await call(
            service, "POST", "/v1/chat/completions",
            #"{"model": "auto", "messages": [{"role": "user", "content": "hi"}]}"#)
        XCTAssertEqual(response.status, 503)
        XCTAssertEqual(response.headers.first { $0.0 == "retry-after" }?.1, "1")
        XCTAssertTrue(ledger.state.withLock { $0.open.isEmpty })
        XCTAssertEqual(backend.calls.load(ordering: .relaxed), 0)
        // Refused before routing: nothing ran, so nothing is added to the backlog it was refused for.
        XCTAssertTrue(queue.records.isEmpty)
        do {
            let status = await call(
                self.service(backlog: 100), "POST", "/v1/chat/completions",
                #"{"model": "auto", "messages": [{"role": "user", "content": "hi"}]}"#
            ).status
            XCTAssertEqual(status, 200)
        }
    }

    func testAJobsCostStopsAtTheLargestAmountRatherThanWrap() {
        XCTAssertEqual(FrontDoorService.jobCost(PicoUSD(40), plus: PicoUSD(2)), PicoUSD(42))
        XCTAssertEqual(FrontDoorService.jobCost(PicoUSD(Int64.max - 1), plus: PicoUSD(5)), PicoUSD(Int64.max))
        XCTAssertEqual(FrontDoorService.jobCost(PicoUSD(Int64.min + 1), plus: PicoUSD(-5)), PicoUSD(Int64.min))
    }
}
