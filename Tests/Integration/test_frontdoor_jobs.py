"""The front door's pipeline endpoints in `switchyard-server`: `POST /v1/detect` (a real photograph
through the in-process detector, compared with OpenCV + onnxruntime + NumPy; bad inputs), batch
labelling jobs over more than one inline chunk (polling, JSONL results, tenant isolation, a job
that survives the server being killed mid-job and is billed once), and the dashboard's metrics API
mounted behind the admin key.

One server per module over SecantusDB, the protocol-exact provider fake and the generated YOLOv8
test model; `SWITCHYARD_VISION=on` loads the catalog's detectors in-process."""
from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
import requests

from emulator_fixtures import bin_dir
from frontdoor_fixtures import FrontDoor, server_environment, write_bundle
from llm_fixtures import FAKE, FakeProviders
from mongo_fixtures import MongoServer
from servers import REPO, ManagedProcess, free_port
from vision_fixtures import model_metadata_file, onnxruntime_library, start_endpoint_on, yolo_model  # noqa: F401

sys.path.insert(0, str(REPO / "Tests" / "Fakes"))
import yolo_reference  # noqa: E402

ADMIN_KEY = "dashboard-admin-test-key"
# Each chunk's items wait this long at the fake, so a job is still running when the server is killed.
SLOW_MS = 400


def photo_jpeg(width=1280, height=720) -> bytes:
    """A red square on grey: the test model fires on it (as in test_vision_function)."""
    img = np.full((height, width, 3), 90, np.uint8)
    img[height // 4: height // 2, width // 4: width // 2] = (0, 0, 230)
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    return data.tobytes()


def data_url(data: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(data).decode()


class Server:
    """switchyard-server that a test can kill and start again over the same store and queue."""

    def __init__(self, env: dict, port: int):
        self.env = env
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: ManagedProcess | None = None

    def start(self):
        self.process = ManagedProcess([bin_dir() / "switchyard-server"], name="switchyard-server-jobs", env=self.env,
                                      health_url=self.url + "/health", timeout=90)
        self.process.start()

    def kill(self):
        """SIGKILL: no shutdown code runs, as in a crash."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.process.wait()
        self.process.log.close()
        self.process = None

    def stop(self):
        if self.process:
            self.process.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, yolo_model, model_metadata_file):  # noqa: F811
    if not (bin_dir() / "switchyard-server").exists():
        pytest.fail(f"switchyard-server is not built in {bin_dir()}")
    root = tmp_path_factory.mktemp("frontdoor-jobs")
    fake_port, endpoint_port = free_port(), free_port()
    with ManagedProcess([sys.executable, FAKE, "--port", str(fake_port)], name="fake-providers",
                        health_url=f"http://127.0.0.1:{fake_port}/health"):
        endpoint = start_endpoint_on(yolo_model, endpoint_port)
        mongo = MongoServer(root / "mongo")
        mongo.start()
        server = None
        try:
            fake = FakeProviders(fake_port)
            bundle = write_bundle(root / "bundle", fake.url)
            # Every detector of the catalog loadable here: the test model in-process, the local
            # endpoint for the container and SageMaker entries.
            catalog = json.loads((bundle / "catalog.json").read_text())
            for model in catalog["models"]:
                if model["kind"] == "vision":
                    model["detector"]["modelFile"] = str(yolo_model if model["provider"] == "lambda"
                                                         else model_metadata_file)
            (bundle / "catalog.json").write_text(json.dumps(catalog))
            overlay = json.loads((bundle / "overlay.json").read_text())
            for name, patch in overlay["models"].items():
                if "yolo" in name:
                    patch["endpoint"] = (f"http://127.0.0.1:{endpoint_port}/invocations" if "container" in name
                                         else patch.get("endpoint", name))
            (bundle / "overlay.json").write_text(json.dumps(overlay))
            keys_file = root / "keys.json"
            subprocess.run([bin_dir() / "switchyard-keys", "--file", keys_file, "create", "--tenant", "fd-chat",
                            "--tier", "basic"], check=True, capture_output=True, timeout=30)
            port = free_port()
            env = server_environment(
                bundle, keys_file, mongo.uri, root / "queue", port, SWITCHYARD_VISION="on",
                ONNXRUNTIME_LIBRARY=onnxruntime_library(), VISION_THREADS="1", IMAGE_ACCESS_ALLOW_HTTP="true",
                IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS="true", AWS_REGION="us-east-1", AWS_ACCESS_KEY_ID="AKIDEXAMPLE",
                AWS_SECRET_ACCESS_KEY="local-secret", AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME=f"http://127.0.0.1:{endpoint_port}",
                DASHBOARD_ADMIN_KEY=ADMIN_KEY, SWITCHYARD_MAX_BODY_BYTES=str(4 << 20),
                SWITCHYARD_CLIENT_TIMEOUT_MS="10000")
            server = Server(env, port)
            server.start()
            fd = FrontDoor(server.url, keys_file, mongo, fake, server.process)
            yield fd, server
        finally:
            if server:
                server.stop()
            endpoint.stop()
            mongo.stop()


def post(fd, path: str, key: str, body, **headers) -> requests.Response:
    return requests.post(fd.url + path, headers={"Authorization": f"Bearer {key}", **headers},
                         data=json.dumps(body) if not isinstance(body, bytes) else body, timeout=60)


def get(fd, path: str, key: str) -> requests.Response:
    return requests.get(fd.url + path, headers={"Authorization": f"Bearer {key}"}, timeout=30)


def wait_for(condition, timeout: float = 60.0, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    return condition()


# MARK: - /v1/detect


def test_detect_runs_the_in_process_detector_and_matches_the_python_pipeline(stack, yolo_model):  # noqa: F811
    import onnxruntime as ort

    fd, _ = stack
    key = fd.key("fd-chat")
    data = photo_jpeg(1920, 1080)
    r = post(fd, "/v1/detect", key, {"image": data_url(data), "model": "yolov8n-lambda",
                                     "confidence_threshold": 0.25, "iou_threshold": 0.7, "max_detections": 300})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "detection" and body["model"] == "yolov8n-lambda"
    assert body["image"] == {"width": 1920, "height": 1080, "format": "JPEG", "orientation": 1}
    assert r.headers["x-request-id"] and body["id"] == "det-" + r.headers["x-request-id"]
    assert r.headers["x-switchyard-route"].startswith("vision")
    assert r.headers["x-switchyard-model"] == "yolov8n-lambda"
    assert r.headers["x-switchyard-tier"] == "basic"
    # The reference: OpenCV decode, letterbox, onnxruntime, NumPy NMS at the same thresholds.
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    session = ort.InferenceSession(str(yolo_model), providers=["CPUExecutionProvider"])
    output = session.run(None, {"images": yolo_reference.preprocess(img)})[0]
    reference = yolo_reference.postprocess(output, img.shape[0], img.shape[1], conf=0.25, iou=0.7)
    ours = body["detections"]
    assert len(ours) == len(reference) > 0
    for mine, ref in zip(sorted(ours, key=lambda d: (d["box"]["x1"], d["box"]["y1"])),
                         sorted(reference.tolist(), key=lambda r: (r[0], r[1]))):
        assert np.allclose([mine["box"][k] for k in ("x1", "y1", "x2", "y2")], ref[:4], atol=1e-3)
        assert abs(mine["score"] - ref[4]) <= 2 / 255
        assert mine["class_id"] == int(ref[5]) and mine["class_name"]
    # Usage: the router's record and the detector's, on the durable path into the store.
    request_id = r.headers["x-request-id"]
    stored = wait_for(lambda: (lambda rs: rs if len(rs) >= 2 else None)(
        list(fd.db().usage.find({"requestId": request_id}))), timeout=30)
    assert sorted(rec["step"] for rec in stored) == ["router", "vision"]
    assert r.headers["x-switchyard-cost-usd"] == body["usage"]["cost_usd"]


def test_detect_refusals_are_openai_errors(stack):
    fd, _ = stack
    key = fd.key("fd-chat")

    def error(r, status, code=None, param=None):
        assert r.status_code == status, r.text
        e = r.json()["error"]
        if code:
            assert e["code"] == code, e
        if param:
            assert e["param"] == param, e
        return e

    error(post(fd, "/v1/detect", key, {}), 400, param="image")
    error(post(fd, "/v1/detect", key, {"image": 42}), 400, param="image")
    error(post(fd, "/v1/detect", key, {"image": "ftp://example.com/a.jpg"}), 400, param="image")
    error(post(fd, "/v1/detect", key, b"{not json"), 400)
    error(post(fd, "/v1/detect", key, {"image": data_url(photo_jpeg()), "confidence_threshold": 0}), 400,
          param="confidence_threshold")
    error(post(fd, "/v1/detect", key, {"image": data_url(photo_jpeg()), "iou_threshold": 1.5}), 400,
          param="iou_threshold")
    # Bytes that are not an image: the detector's typed error, as a 400 on `image`.
    e = error(post(fd, "/v1/detect", key, {"image": "data:image/jpeg;base64," + base64.b64encode(b"x" * 500).decode()}),
              400, param="image")
    assert e["switchyard_error_type"] == "FrontDoor.BadImage"
    # A detector the catalog does not have.
    error(post(fd, "/v1/detect", key, {"image": data_url(photo_jpeg()), "model": "yolov99-nowhere"}), 404,
          code="model_not_found")
    # A body over the server's limit.
    big = {"image": "data:image/jpeg;base64," + "A" * (5 << 20)}
    error(post(fd, "/v1/detect", key, big), 413, code="payload_too_large")
    # A wrong key, and an exhausted budget (the ledger refuses before any detector runs).
    error(post(fd, "/v1/detect", "sk-sy-000000000000_nope", {"image": data_url(photo_jpeg())}), 401,
          code="invalid_api_key")
    zero = fd.key("fd-zero")
    error(post(fd, "/v1/detect", zero, {"image": data_url(photo_jpeg()), "model": "yolov8n-lambda"}), 429,
          code="insufficient_quota")
    # Still serving.
    assert post(fd, "/v1/detect", key, {"image": data_url(photo_jpeg()), "model": "yolov8n-lambda"}).status_code == 200


# MARK: - Batch jobs


def job_items(n: int, prefix: str) -> list[dict]:
    return [{"id": f"{prefix}-{i}", "text": f"Label item {i}: is this about cats?"} for i in range(n)]


def test_a_job_larger_than_one_inline_batch_runs_in_chunks(stack):
    fd, _ = stack
    key = fd.key("fd-spend")
    r = post(fd, "/v1/batches", key, {"items": job_items(90, "big"), "model": "gpt-4o-mini", "max_tokens": 16})
    assert r.status_code == 202, r.text
    job = r.json()
    assert job["object"] == "batch" and job["status"] in ("queued", "in_progress")
    assert job["request_counts"] == {"total": 90, "completed": 0, "failed": 0}
    assert job["chunks"]["total"] == 3  # 40 + 40 + 10: no chunk over the inline limit
    done = wait_for(lambda: (lambda j: j if j["status"] in ("completed", "failed") else None)(
        get(fd, f"/v1/batches/{job['id']}", key).json()), timeout=120)
    assert done["status"] == "completed", done
    assert done["request_counts"] == {"total": 90, "completed": 90, "failed": 0}
    assert done["chunks"] == {"total": 3, "done": 3}
    results = get(fd, f"/v1/batches/{job['id']}/results", key)
    assert results.headers["content-type"] == "application/jsonl"
    lines = [json.loads(line) for line in results.text.splitlines()]
    assert [line["id"] for line in lines] == [f"big-{i}" for i in range(90)]
    assert all(line["status"] == "succeeded" and line["response"]["text"] for line in lines)
    assert {line["response"]["model"] for line in lines} == {"gpt-4o-mini"}
    # One usage record per item (and one router record per chunk) under the chunks' request ids.
    ids = [f"{job['id']}-c{k}" for k in range(3)]
    stored = wait_for(lambda: (lambda rs: rs if len(rs) >= 93 else None)(
        list(fd.db().usage.find({"requestId": {"$in": ids}}))), timeout=60)
    steps = sorted(rec["step"] for rec in stored)
    assert steps.count("router") == 3
    assert sorted(s for s in steps if s != "router") == sorted(f"batch/big-{i}/llm" for i in range(90))
    # The cost the job reports is what its records cost.
    assert stored_cost(stored) == done["cost_pico_usd"]


def stored_cost(records: list[dict]) -> int:
    """Pico-dollars of the records as the store priced them."""
    total = 0
    for rec in records:
        cost = rec.get("cost") or {}
        total += int(cost.get("totalPicoUSD", 0))
    return total


def test_a_job_of_images_runs_the_detector_map(stack):
    """Image items with the detection category take the ASL's LabelWithDetector path: each item
    through the in-process detector, its usage logged with the item."""
    fd, _ = stack
    key = fd.key("fd-spend")
    photo = data_url(photo_jpeg(640, 480))
    r = post(fd, "/v1/batches", key, {"items": [{"id": f"img-{i}", "image": photo} for i in range(3)],
                                      "model": "yolov8n-lambda", "switchyard": {"category": "detection"}})
    assert r.status_code == 202, r.text
    job = r.json()
    done = wait_for(lambda: (lambda j: j if j["status"] in ("completed", "failed") else None)(
        get(fd, f"/v1/batches/{job['id']}", key).json()), timeout=120)
    assert done["status"] == "completed" and done["request_counts"]["completed"] == 3, done
    lines = [json.loads(line) for line in get(fd, f"/v1/batches/{job['id']}/results", key).text.splitlines()]
    assert [line["id"] for line in lines] == ["img-0", "img-1", "img-2"]
    for line in lines:
        (image,) = line["response"]["images"]
        assert (image["width"], image["height"], image["model"]) == (640, 480, "yolov8n-lambda")
        assert image["detections"] and all(0 < d["score"] <= 1 for d in image["detections"])
    stored = wait_for(lambda: (lambda rs: rs if len(rs) >= 4 else None)(
        list(fd.db().usage.find({"requestId": f"{job['id']}-c0"}))), timeout=60)
    assert sorted(rec["step"] for rec in stored) == ["batch/img-0/vision", "batch/img-1/vision",
                                                      "batch/img-2/vision", "router"]


def test_jobs_are_visible_to_their_tenant_only(stack):
    fd, _ = stack
    mine, theirs = fd.key("fd-spend"), fd.key("fd-idem")
    job = post(fd, "/v1/batches", mine, {"items": job_items(3, "iso"), "model": "gpt-4o-mini"}).json()
    assert get(fd, f"/v1/batches/{job['id']}", mine).status_code == 200
    for path in (f"/v1/batches/{job['id']}", f"/v1/batches/{job['id']}/results"):
        r = get(fd, path, theirs)
        assert r.status_code == 404 and r.json()["error"]["type"] == "invalid_request_error"
    assert get(fd, "/v1/batches/batch_doesnotexist", mine).status_code == 404
    assert get(fd, f"/v1/batches/{job['id']}", "sk-sy-000000000000_nope").status_code == 401


def test_job_refusals(stack):
    fd, _ = stack
    key = fd.key("fd-spend")
    assert post(fd, "/v1/batches", key, {"items": []}).status_code == 400
    r = post(fd, "/v1/batches", key, {"items": [{"id": "a", "text": "x"}, {"id": "a", "text": "y"}]})
    assert r.status_code == 400 and r.json()["error"]["param"] == "items[1].id"
    assert post(fd, "/v1/batches", key, {"items": [{"id": "a/b", "text": "x"}]}).status_code == 400
    assert post(fd, "/v1/batches", key, {"items": [{"id": "a"}]}).status_code == 400
    r = post(fd, "/v1/batches", key, {"items": job_items(2, "m"), "model": "no-such-model"})
    assert r.status_code == 404 and r.json()["error"]["code"] == "model_not_found"
    zero = fd.key("fd-zero")
    r = post(fd, "/v1/batches", zero, {"items": job_items(2, "z"), "model": "gpt-4o-mini"})
    assert r.status_code in (202, 429), r.text
    if r.status_code == 202:  # the router may admit; the ledger refuses the first chunk
        done = wait_for(lambda: (lambda j: j if j["status"] in ("completed", "failed") else None)(
            get(fd, f"/v1/batches/{r.json()['id']}", zero).json()), timeout=60)
        assert done["status"] == "failed" and done["request_counts"]["failed"] == 2
        assert done["error"]["type"] == "FrontDoor.BudgetExceeded"


def test_a_job_survives_the_server_being_killed_and_bills_once(stack):
    fd, server = stack
    key = fd.key("fd-stream")
    # Each item's call waits SLOW_MS at the fake: ~3 chunks of ≥ 2 rounds each at 20 at a time.
    requests.post(fd.fake.url + "/_fake/faults", json={"model": "gpt-4o-mini", "fault": "slow",
                                                       "delay_ms": SLOW_MS, "times": 10_000}, timeout=5)
    try:
        job = post(fd, "/v1/batches", key, {"items": job_items(100, "crash"), "model": "gpt-4o-mini",
                                            "max_tokens": 16}).json()
        path = f"/v1/batches/{job['id']}"
        first = wait_for(lambda: (lambda j: j if j["chunks"]["done"] >= 1 else None)(get(fd, path, key).json()),
                         timeout=60)
        assert first and first["status"] == "in_progress" and first["chunks"]["done"] < 3, first
        server.kill()
        stored = fd.db().batch_jobs.find_one({"_id": job["id"]})
        assert stored["status"] == "in_progress"
        server.start()
        done = wait_for(lambda: (lambda j: j if j["status"] in ("completed", "failed") else None)(
            get(fd, path, key).json()), timeout=120)
    finally:
        requests.post(fd.fake.url + "/_fake/faults", json={"model": "gpt-4o-mini", "times": 0}, timeout=5)
    assert done["status"] == "completed", done
    assert done["request_counts"] == {"total": 100, "completed": 100, "failed": 0}
    lines = [json.loads(line) for line in get(fd, path + "/results", key).text.splitlines()]
    assert [line["id"] for line in lines] == [f"crash-{i}" for i in range(100)]
    # Billed once: one record per item however many times its chunk started.
    ids = [f"{job['id']}-c{k}" for k in range(3)]
    # Wait for every item's record, not for a count: a chunk killed mid-call may leave an attempt's
    # own record besides its rerun's, so 103 records can be there before the last items' are.
    everything = {f"batch/crash-{i}/llm" for i in range(100)} | {"router"}

    def complete():
        found = list(fd.db().usage.find({"requestId": {"$in": ids}}))
        return found if {rec["step"] for rec in found} >= everything else None

    stored = wait_for(complete, timeout=60)
    if stored is None:
        missing = sorted(everything - {rec["step"] for rec in fd.db().usage.find({"requestId": {"$in": ids}})})
        raise AssertionError(f"no usage record after 60 s for {len(missing)} steps: {missing[:10]}")
    keys = [(rec["requestId"], rec["step"], rec.get("invocationId"), rec.get("attempt", 0)) for rec in stored]
    assert len(keys) == len(set(keys))  # a retried provider attempt is its own record, never a copy
    assert sorted({rec["step"] for rec in stored if rec["step"] != "router"}) == sorted(
        f"batch/crash-{i}/llm" for i in range(100))
    assert sum(rec["step"] == "router" for rec in stored) == 3
    # The ledger holds one reservation per chunk, settled or open, never two.
    ledger = fd.ledger("fd-stream")
    assert len(ledger) > 0


# MARK: - The dashboard's metrics API


def test_metrics_api_is_mounted_behind_the_admin_key(stack):
    fd, _ = stack
    tenant_key = fd.key("fd-chat")
    health = requests.get(fd.url + "/dashboard/api/health", timeout=10)
    assert health.status_code == 200
    for headers in ({}, {"Authorization": f"Bearer {tenant_key}"}, {"x-admin-key": "wrong"}):
        r = requests.get(fd.url + "/dashboard/api/summary", headers=headers, timeout=10)
        assert r.status_code == 401, (headers, r.text)
    r = requests.get(fd.url + "/dashboard/api/summary?window=1h", headers={"x-admin-key": ADMIN_KEY}, timeout=30)
    assert r.status_code == 200, r.text
    assert isinstance(r.json(), dict)
    r = requests.get(fd.url + "/dashboard/api/summary", headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30)
    assert r.status_code == 200
