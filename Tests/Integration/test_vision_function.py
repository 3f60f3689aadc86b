"""The vision function end to end: the real bootstrap under the local Lambda emulator, the local
SageMaker-compatible endpoint running the generated ONNX model, and a local image server for URL
inputs. Checks detections against the model's known behaviour and the Python reference, and
that every failure comes back as a typed function error."""
from __future__ import annotations

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import cv2
import numpy as np
import pytest

from emulator_fixtures import bin_dir, start_emulator
from servers import free_port
from vision_fixtures import model_metadata_file, sample_photographs, start_endpoint, vision_endpoint, yolo_model  # noqa: F401

import yolo_reference


def red_square_jpeg(width=1280, height=720) -> bytes:
    """Gray background with a pure red square: the test model reports class 0 ("person") over it."""
    img = np.full((height, width, 3), 90, np.uint8)  # gray: every channel under half, so it scores 0
    img[200:520, 400:720] = (0, 0, 255)  # BGR red
    ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 95])
    assert ok
    return data.tobytes()


class ImageServer:
    """Serves /photo.jpg, /slow.jpg (never finishes in time) and /huge.jpg (larger than the cap)."""

    def __init__(self, photo: bytes):
        photo_bytes = photo

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/slow.jpg":
                    time.sleep(5)
                body = photo_bytes if self.path in ("/photo.jpg", "/slow.jpg") else b"\xff\xd8\xff" + b"\x00" * (3 << 20)
                if self.path not in ("/photo.jpg", "/slow.jpg", "/huge.jpg"):
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

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def function_config(endpoint_url: str, metadata, backend: str = "local", **extra) -> dict:
    if not (bin_dir() / "vision-function").exists():
        pytest.skip("vision-function not built")
    env = {"VISION_BACKEND": backend, "VISION_ENDPOINT_URL": endpoint_url, "VISION_MODEL_METADATA": str(metadata),
           "VISION_ALLOW_PRIVATE_URLS": "true", "VISION_FETCH_TIMEOUT_MS": "1500", "VISION_MAX_IMAGE_BYTES": str(2 << 20),
           "VISION_MAX_PIXELS": "30000000", **extra}
    return {"functions": [{"name": "vision", "bootstrap": str(bin_dir() / "vision-function"), "timeoutSeconds": 20,
                           "memoryMB": 512, "maxConcurrency": 2, "environment": env}]}


@pytest.fixture
def emulator(vision_endpoint, model_metadata_file, tmp_path):
    emu, process = start_emulator(function_config(vision_endpoint, model_metadata_file), tmp_path=tmp_path)
    try:
        yield emu
    finally:
        process.stop()


def test_detects_the_red_square_with_class_names_from_the_model(emulator):
    result = emulator.invoke("vision", {"image": base64.b64encode(red_square_jpeg()).decode(), "requestId": "t1"})
    assert result.function_error is None, result.body
    body = result.json
    assert body["backend"] == "local" and body["requestId"] == "t1"
    image = body["results"][0]
    assert image["image"] == {"width": 1280, "height": 720, "format": "JPEG", "orientation": 1}
    people = [d for d in image["detections"] if d["className"] == "person"]
    assert people, image["detections"]
    for d in people:  # every "person" box lies on the red square (400..720 x 200..520), allowing one cell
        cx = (d["box"]["x1"] + d["box"]["x2"]) / 2
        cy = (d["box"]["y1"] + d["box"]["y2"]) / 2
        assert 400 - 64 <= cx <= 720 + 64 and 200 - 64 <= cy <= 520 + 64, d
    assert body["usage"] == {"images": 1, "pixels": 1280 * 720, "inputBytes": len(red_square_jpeg())}


def test_detections_match_the_python_pipeline(emulator, yolo_model):
    """Same photograph through Switchyard (Swift pre/post + endpoint) and through OpenCV + onnxruntime + NumPy."""
    import onnxruntime as ort

    data = red_square_jpeg(1920, 1080)
    ours = emulator.invoke("vision", {"image": base64.b64encode(data).decode(), "maxDetections": 300}).json["results"][0]["detections"]
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    session = ort.InferenceSession(str(yolo_model), providers=["CPUExecutionProvider"])
    output = session.run(None, {"images": yolo_reference.preprocess(img)})[0]
    reference = yolo_reference.postprocess(output, img.shape[0], img.shape[1], conf=0.25, iou=0.7)
    assert len(ours) == len(reference)
    for mine, ref in zip(sorted(ours, key=lambda d: (d["box"]["x1"], d["box"]["y1"])), sorted(reference.tolist(), key=lambda r: (r[0], r[1]))):
        assert np.allclose([mine["box"][k] for k in ("x1", "y1", "x2", "y2")], ref[:4], atol=1e-3)
        assert abs(mine["confidence"] - ref[4]) <= 2 / 255  # the tensors agree to 1/255
        assert mine["classId"] == int(ref[5])


def test_batch_and_url_inputs(emulator):
    photo = red_square_jpeg()
    with ImageServer(photo) as server:
        result = emulator.invoke("vision", {"images": [server.url("/photo.jpg"), base64.b64encode(photo).decode()]})
    assert result.function_error is None, result.body
    first, second = result.json["results"]
    assert first["detections"] == second["detections"]


@pytest.mark.parametrize("request_body,error_type", [
    ({"image": base64.b64encode(b"not an image at all").decode()}, "Vision.NotAnImage"),
    ({"image": base64.b64encode(red_square_jpeg()[:4000]).decode()}, "Vision.CorruptImage"),
    ({"image": "!!!"}, "Vision.InvalidRequest"),
    ({}, "Vision.InvalidRequest"),
    ({"image": "AAAA", "iouThreshold": 3}, "Vision.InvalidRequest"),
])
def test_bad_requests_are_typed_errors(emulator, request_body, error_type):
    result = emulator.invoke("vision", request_body)
    assert result.function_error == "Unhandled"
    assert result.json["errorType"] == error_type, result.json


def test_bomb_through_the_function(emulator):
    import struct
    import zlib

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    bomb = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 50_000, 50_000, 8, 2, 0, 0, 0)) + chunk(b"IEND", b"")
    result = emulator.invoke("vision", {"image": base64.b64encode(bomb).decode()})
    assert result.json["errorType"] == "Vision.ImageTooLarge"


def test_url_timeout_and_size_cap(emulator):
    with ImageServer(red_square_jpeg()) as server:
        started = time.monotonic()
        slow = emulator.invoke("vision", {"image": server.url("/slow.jpg")})
        assert time.monotonic() - started < 4.5
        huge = emulator.invoke("vision", {"image": server.url("/huge.jpg")})
        missing = emulator.invoke("vision", {"image": server.url("/missing.jpg")})
    assert slow.json["errorType"] == "Vision.FetchFailed" and "ms" in slow.json["errorMessage"]
    assert huge.json["errorType"] == "Vision.PayloadTooLarge"
    assert missing.json["errorType"] == "Vision.FetchFailed"


def test_endpoint_returning_the_wrong_shape(yolo_model, model_metadata_file, tmp_path):
    url, endpoint = start_endpoint(yolo_model, "--fault", "wrong-shape")
    emu, process = start_emulator(function_config(url, model_metadata_file), tmp_path=tmp_path)
    try:
        result = emu.invoke("vision", {"image": base64.b64encode(red_square_jpeg()).decode()})
    finally:
        process.stop()
        endpoint.stop()
    assert result.json["errorType"] == "Vision.BadModelOutput"


def test_endpoint_down_is_retryable_unavailable(model_metadata_file, tmp_path):
    emu, process = start_emulator(function_config(f"http://127.0.0.1:{free_port()}/invocations", model_metadata_file), tmp_path=tmp_path)
    try:
        result = emu.invoke("vision", {"image": base64.b64encode(red_square_jpeg()).decode()})
    finally:
        process.stop()
    assert result.json["errorType"] == "Vision.BackendUnavailable"


def test_hosting_sample_backend_against_the_same_endpoint(vision_endpoint, yolo_model, tmp_path):
    """Backend (b): base64 JPEG in, boxes JSON out; the endpoint does the Python pre/post-processing.
    Class names come straight from the .onnx file here (VISION_MODEL_METADATA=model.onnx)."""
    emu, process = start_emulator(function_config(vision_endpoint, yolo_model, backend="hosting-sample"), tmp_path=tmp_path)
    try:
        result = emu.invoke("vision", {"image": base64.b64encode(red_square_jpeg()).decode()})
    finally:
        process.stop()
    assert result.function_error is None, result.body
    body = result.json
    assert body["backend"] == "hosting-sample"
    assert any(d["className"] == "person" for d in body["results"][0]["detections"])
