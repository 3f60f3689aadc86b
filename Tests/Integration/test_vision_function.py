"""The vision function end to end: the real bootstrap under the local Lambda emulator, with a
catalog whose detectors are the same generated YOLOv8-format model in four homes (in-process
through onnxruntime, the local endpoint as a container, as a SigV4 SageMaker endpoint, and as
AWS's hosting sample), and a local image server for URL inputs. Checks that the plan picks the
backend, that in-process detections equal the endpoint's and the Python pipeline's, that
failures are structured outcomes, and that a batch of 12 MP photos stays within the function's
memory."""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import pytest

from emulator_fixtures import start_emulator
from servers import free_port
from vision_fixtures import (detector, sample_photographs, start_endpoint_on, step_input, vision_config,  # noqa: F401
                             write_bundle, yolo_model)

import yolo_reference


def red_square_jpeg(width=1280, height=720) -> bytes:
    """Gray background with a pure red square: the test model reports class 0 ("person") over it."""
    img = np.full((height, width, 3), 90, np.uint8)  # gray: every channel under half, so it scores 0
    img[height * 5 // 18:height * 13 // 18, width * 5 // 16:width * 9 // 16] = (0, 0, 255)  # BGR red
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return data.tobytes()


def inline(data: bytes) -> str:
    return base64.b64encode(data).decode()


class ImageServer:
    """Serves /photo.jpg, /<n>.jpg from `files`, /slow.jpg (never in time) and /huge.jpg (over the cap)."""

    def __init__(self, photo: bytes, files: dict[str, bytes] | None = None):
        served = {"/photo.jpg": photo, **{f"/{k}": v for k, v in (files or {}).items()}}

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/slow.jpg":
                    time.sleep(5)
                body = served.get(self.path, photo if self.path == "/slow.jpg" else None)
                if self.path == "/huge.jpg":
                    body = b"\xff\xd8\xff" + b"\x00" * (3 << 20)
                if body is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"


@pytest.fixture(scope="module")
def endpoint_port(yolo_model):
    port = free_port()
    process = start_endpoint_on(yolo_model, port)
    try:
        yield port
    finally:
        process.stop()


@pytest.fixture(scope="module")
def bundle(tmp_path_factory, yolo_model, endpoint_port):
    dead = free_port()  # nothing listens here
    return write_bundle(tmp_path_factory.mktemp("bundle"), yolo_model, endpoint_port, extra=[
        detector("dead-container", "container", {"modelFile": str(yolo_model)}, {"kind": "fargate"},
                 endpoint=f"http://127.0.0.1:{dead}/invocations")])


@pytest.fixture(scope="module")
def emulator(bundle, endpoint_port, tmp_path_factory):
    emu, process = start_emulator(vision_config(bundle, endpoint_port), tmp_path=tmp_path_factory.mktemp("emu"))
    try:
        yield emu
    finally:
        process.stop()


def detect(emulator, images: list[str], plan: list[str], **settings) -> dict:
    result = emulator.invoke("vision", step_input(images, plan, **settings))
    assert result.status == 200 and result.function_error is None, result.body
    return result.json


def by_position(detections: list[dict]) -> list[dict]:
    return sorted(detections, key=lambda d: (d["classId"], d["box"]["x1"], d["box"]["y1"], -d["confidence"]))


# MARK: - The plan picks the backend


def test_in_process_detects_the_red_square(emulator):
    outcome = detect(emulator, [inline(red_square_jpeg())], ["cells-lambda"])
    assert outcome["status"] == "succeeded" and outcome["model"] == "cells-lambda" and outcome["provider"] == "lambda"
    image = outcome["results"][0]
    assert (image["width"], image["height"], image["format"], image["orientation"]) == (1280, 720, "JPEG", 1)
    people = [d for d in image["detections"] if d["className"] == "person"]
    assert people and len(people) == len(image["detections"])
    for d in people:  # every box lies on the red square (400..720 x 200..520), allowing one cell
        cx, cy = (d["box"]["x1"] + d["box"]["x2"]) / 2, (d["box"]["y1"] + d["box"]["y2"]) / 2
        assert 400 - 64 <= cx <= 720 + 64 and 200 - 64 <= cy <= 520 + 64, d
    [record] = outcome["usage"]
    assert record["requestId"] == "req-1" and record["step"] == "vision" and record["attempt"] == 0
    assert record["backend"] == "lambda" and record["status"] == "succeeded"
    assert record["images"] == {"count": 1, "pixels": 1280 * 720}
    assert record["compute"]["kind"] == "lambda" and record["compute"]["memoryMB"] == 1024
    assert record["invocationId"] and record["invocationId"] != "req-1"  # the Lambda request id


@pytest.mark.parametrize("model,provider,backend,compute", [
    ("cells-container", "container", "fargate", "fargate"),
    ("cells-sagemaker", "sagemaker", "sagemaker", "endpoint"),  # signed: the endpoint refuses unsigned calls
    ("cells-hosting", "sagemaker", "sagemaker", "endpoint"),
])
def test_the_plan_picks_the_backend(emulator, model, provider, backend, compute):
    outcome = detect(emulator, [inline(red_square_jpeg())], [model])
    assert outcome["status"] == "succeeded", outcome
    assert (outcome["model"], outcome["provider"]) == (model, provider)
    assert any(d["className"] == "person" for d in outcome["results"][0]["detections"])
    [record] = outcome["usage"]
    assert (record["backend"], record["compute"]["kind"]) == (backend, compute)


def test_in_process_detections_equal_the_endpoints(emulator):
    """The same model on the same images, in-process and behind the endpoint (uint8 tensor in,
    divided by 255 there): boxes within 1e-3 px, classes equal, confidences within 1e-4."""
    images = [red_square_jpeg()] + [p.read_bytes() for p in sample_photographs()[:6]]
    compared = 0
    for data in images:
        here = detect(emulator, [inline(data)], ["cells-lambda"], maxDetections=1000)
        there = detect(emulator, [inline(data)], ["cells-container"], maxDetections=1000)
        ours, theirs = by_position(here["results"][0]["detections"]), by_position(there["results"][0]["detections"])
        assert len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert a["classId"] == b["classId"]
            assert np.allclose([a["box"][k] for k in ("x1", "y1", "x2", "y2")],
                               [b["box"][k] for k in ("x1", "y1", "x2", "y2")], atol=1e-3)
            assert abs(a["confidence"] - b["confidence"]) <= 1e-4
        compared += len(ours)
    assert compared > 0


def test_detections_match_the_python_pipeline(emulator, yolo_model):
    """Same photograph through Switchyard in-process and through OpenCV + onnxruntime + NumPy."""
    import onnxruntime as ort

    data = red_square_jpeg(1920, 1080)
    ours = detect(emulator, [inline(data)], ["cells-lambda"], maxDetections=300)["results"][0]["detections"]
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    session = ort.InferenceSession(str(yolo_model), providers=["CPUExecutionProvider"])
    output = session.run(None, {"images": yolo_reference.preprocess(img)})[0]
    reference = yolo_reference.postprocess(output, img.shape[0], img.shape[1], conf=0.25, iou=0.7)
    assert len(ours) == len(reference) > 0
    for mine, ref in zip(sorted(ours, key=lambda d: (d["box"]["x1"], d["box"]["y1"])),
                         sorted(reference.tolist(), key=lambda r: (r[0], r[1]))):
        assert np.allclose([mine["box"][k] for k in ("x1", "y1", "x2", "y2")], ref[:4], atol=1e-3)
        assert abs(mine["confidence"] - ref[4]) <= 2 / 255  # the tensors agree to 1/255
        assert mine["classId"] == int(ref[5])


def test_a_failed_backend_falls_back_to_the_next_detector(emulator):
    outcome = detect(emulator, [inline(red_square_jpeg()), inline(red_square_jpeg(640, 480))],
                     ["dead-container", "cells-lambda"])
    assert outcome["status"] == "degraded" and outcome["model"] == "cells-lambda"
    assert [r["model"] for r in outcome["results"]] == ["cells-lambda", "cells-lambda"]
    assert [(u["model"], u["status"], u["attempt"]) for u in outcome["usage"]] == [
        ("dead-container", "failed", 0), ("cells-lambda", "fallback", 1)]
    assert outcome["usage"][0]["errorType"] == "Vision.BackendUnavailable"
    assert outcome["usage"][1]["images"]["count"] == 2


def test_batch_items_and_urls(emulator):
    photo = red_square_jpeg()
    with ImageServer(photo) as server:
        outcome = detect(emulator, [], ["cells-lambda"],
                         item={"id": "item-3", "images": [server.url("/photo.jpg"), inline(photo)]})
    assert outcome["status"] == "succeeded" and outcome["itemId"] == "item-3"
    first, second = outcome["results"]
    assert first["detections"] == second["detections"]
    assert outcome["usage"][0]["step"] == "batch/item-3/vision"


# MARK: - Failures are outcomes


def truncated_png() -> bytes:
    ok, data = cv2.imencode(".png", np.full((64, 64, 3), 128, np.uint8))
    return data.tobytes()[:60]


@pytest.mark.parametrize("images,settings,error_type", [
    ([inline(b"not an image at all")], {}, "Vision.NotAnImage"),
    ([inline(red_square_jpeg()[:4000])], {}, "Vision.CorruptImage"),
    ([inline(truncated_png())], {}, "Vision.CorruptImage"),
    ([], {}, "Vision.InvalidRequest"),
    ([inline(red_square_jpeg())], {"iouThreshold": 3}, "Vision.InvalidRequest"),
    (["gopher://example.com/cat.jpg"], None, None),  # not even a reference: the event does not decode
    (["s3://someone-elses-bucket/cat.jpg"], {}, "Image.Forbidden"),
])
def test_bad_input_is_a_failed_outcome(emulator, images, settings, error_type):
    result = emulator.invoke("vision", step_input(images, ["cells-lambda"], **(settings or {})))
    if error_type is None:
        assert result.function_error == "Unhandled" and result.json["errorType"] == "Runtime.InvalidEvent"
        return
    assert result.function_error is None, result.body
    outcome = result.json
    assert outcome["status"] == "failed" and outcome["results"] == []
    assert outcome["error"]["errorType"] == error_type, outcome["error"]


def test_bomb_is_refused_before_decoding(emulator):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")
    outcome = detect(emulator, [inline(bomb)], ["cells-lambda"])
    assert outcome["status"] == "failed" and outcome["error"]["errorType"] == "Vision.ImageTooLarge"


def test_url_timeout_size_cap_and_missing(bundle, endpoint_port, tmp_path):
    emu, process = start_emulator(vision_config(bundle, endpoint_port, VISION_MAX_IMAGE_BYTES=str(2 << 20)),
                                  tmp_path=tmp_path)
    try:
        with ImageServer(red_square_jpeg()) as server:
            started = time.monotonic()
            slow = detect(emu, [server.url("/slow.jpg")], ["cells-lambda"])
            assert time.monotonic() - started < 4.5
            huge = detect(emu, [server.url("/huge.jpg")], ["cells-lambda"])
            missing = detect(emu, [server.url("/missing.jpg")], ["cells-lambda"])
    finally:
        process.stop()
    assert slow["error"]["errorType"] == "Image.FetchFailed" and "ms" in slow["error"]["errorMessage"]
    assert huge["error"]["errorType"] == "Image.TooLarge"
    assert missing["error"]["errorType"] == "Image.FetchFailed" and "404" in missing["error"]["errorMessage"]


def test_local_hosts_are_refused_in_every_spelling_without_the_local_allowance(bundle, endpoint_port, tmp_path):
    """The production policy (no private hosts): a server on 127.0.0.1 is not reachable by any
    spelling of its address, nor by `localhost`, nor by the machine's own name."""
    import socket

    emu, process = start_emulator(
        vision_config(bundle, endpoint_port, IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS="false"), tmp_path=tmp_path)
    try:
        with ImageServer(red_square_jpeg()) as server:
            hosts = ["127.0.0.1", "127.1", "0x7f.0.0.1", "2130706433", "0177.0.0.1", "[::ffff:127.0.0.1]", "localhost",
                     socket.gethostname()]
            for host in hosts:
                outcome = detect(emu, [server.url("/photo.jpg", host=host)], ["cells-lambda"])
                assert outcome["status"] == "failed", host
                assert outcome["error"]["errorType"] in ("Image.Forbidden", "Image.FetchFailed"), (host, outcome)
                if host != socket.gethostname():
                    assert outcome["error"]["errorType"] == "Image.Forbidden", (host, outcome)
            metadata = detect(emu, ["https://169.254.169.254/latest/meta-data/iam"], ["cells-lambda"])
            assert metadata["error"]["errorType"] == "Image.Forbidden"
    finally:
        process.stop()


def test_endpoint_returning_the_wrong_shape(yolo_model, tmp_path):
    port = free_port()
    endpoint = start_endpoint_on(yolo_model, port, "--fault", "wrong-shape")
    bundle = write_bundle(tmp_path / "bundle", yolo_model, port)
    emu, process = start_emulator(vision_config(bundle, port), tmp_path=tmp_path)
    try:
        outcome = detect(emu, [inline(red_square_jpeg())], ["cells-container"])
    finally:
        process.stop()
        endpoint.stop()
    assert outcome["status"] == "failed" and outcome["error"]["errorType"] == "Vision.BadModelOutput"
    assert outcome["usage"][0]["status"] == "failed"


# MARK: - Init


def init_error(bundle: Path, port: int, tmp_path: Path, **environment) -> dict:
    emu, process = start_emulator(vision_config(bundle, port, **environment), tmp_path=tmp_path)
    try:
        result = emu.invoke("vision", step_input([inline(red_square_jpeg())], ["cells-lambda"]))
    finally:
        process.stop()
    assert result.function_error == "Unhandled", result.body
    return result.json


def test_missing_or_corrupt_model_is_a_typed_init_error(yolo_model, tmp_path):
    missing = write_bundle(tmp_path / "missing", tmp_path / "nowhere.onnx", free_port(), metadata=yolo_model)
    assert init_error(missing, free_port(), tmp_path)["errorType"] == "Vision.ModelUnavailable"
    corrupt_file = tmp_path / "corrupt.onnx"
    corrupt_file.write_bytes(yolo_model.read_bytes()[:5000])
    corrupt = write_bundle(tmp_path / "corrupt", corrupt_file, free_port(), metadata=yolo_model)
    assert init_error(corrupt, free_port(), tmp_path)["errorType"] == "Vision.ModelUnavailable"


def test_missing_onnxruntime_is_a_typed_init_error(bundle, tmp_path):
    doc = init_error(bundle, free_port(), tmp_path, ONNXRUNTIME_LIBRARY="/nonexistent/libonnxruntime.so")
    assert doc["errorType"] == "ONNX.LibraryUnavailable"


def test_onnxruntime_writes_no_telemetry_store(bundle, endpoint_port, tmp_path):
    """The wheel's onnxruntime keeps a telemetry store (an SQLite file, fsynced, and a device id) under
    $XDG_CACHE_HOME when its environment is created, unless ORT_DISABLE_TELEMETRY is set, which the
    function does before it loads the library."""
    cache = tmp_path / "cache"
    cache.mkdir()
    emu, process = start_emulator(vision_config(bundle, endpoint_port, XDG_CACHE_HOME=str(cache), HOME=str(cache)),
                                  tmp_path=tmp_path)
    try:
        outcome = detect(emu, [inline(red_square_jpeg())], ["cells-lambda"])
    finally:
        process.stop()
    assert outcome["status"] == "succeeded" and outcome["provider"] == "lambda"
    assert sorted(str(p.relative_to(cache)) for p in cache.rglob("*")) == []


# MARK: - Memory


def function_peak_rss_mb(emulator_pid: int) -> float:
    """VmHWM of the emulator's vision-function child."""
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
            cmdline = (proc / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == emulator_pid and b"vision-function" in cmdline:
            status = (proc / "status").read_text()
            return int(next(l for l in status.splitlines() if l.startswith("VmHWM")).split()[1]) / 1024
    raise AssertionError("no vision-function process")


def test_a_batch_of_twelve_megapixel_photos_stays_within_the_functions_memory(bundle, endpoint_port, tmp_path):
    """16 different 12 MP photos (4032x3024 JPEGs) by URL through the in-process detector, at
    1024 MB: every image is detected and the process's peak RSS stays under its memory."""
    from skimage import data as skdata

    source = cv2.imread(str(Path(skdata.__file__).parent / "chelsea.png"))
    files = {}
    for k in range(16):
        shifted = np.roll(cv2.resize(source, (4032, 3024), interpolation=cv2.INTER_LINEAR), k * 97, axis=1)
        files[f"{k}.jpg"] = cv2.imencode(".jpg", shifted, [cv2.IMWRITE_JPEG_QUALITY, 90])[1].tobytes()
    emu, process = start_emulator(vision_config(bundle, endpoint_port, memory_mb=1024, VISION_FETCH_TIMEOUT_MS="20000"),
                                  tmp_path=tmp_path)
    try:
        with ImageServer(b"", files) as server:
            result = emu.invoke("vision", step_input([server.url(f"/{k}.jpg") for k in range(16)], ["cells-lambda"]),
                                timeout=600)
        peak = function_peak_rss_mb(process.pid)
    finally:
        process.stop()
    assert result.function_error is None, result.body
    outcome = result.json
    assert outcome["status"] == "succeeded", outcome.get("error")
    assert [(r["width"], r["height"]) for r in outcome["results"]] == [(4032, 3024)] * 16
    assert outcome["usage"][0]["images"] == {"count": 16, "pixels": 16 * 4032 * 3024}
    print(f"peak RSS of vision-function, 16 x 12 MP by URL, in-process: {peak:.1f} MB")
    assert peak < 1024
