#!/usr/bin/env python3
"""A local, SageMaker-compatible inference endpoint for any YOLOv8-format ONNX model.

Serves the two container routes SageMaker calls, on 127.0.0.1:

  GET  /ping          200 with the model's metadata as JSON ({"names", "imgsz", "input", "output"})
  POST /invocations   by Content-Type (also as /endpoints/<name>/invocations, the SageMaker runtime
                      path, so the vision function's SigV4-signed SageMaker calls can land here):
       application/x-npy   the letterboxed image in, raw output out: uint8 [N, H, W, 3] RGB .npy
                           (what Switchyard sends: 1.2 MB at 640, normalised here as
                           `x.astype(float32) / 255` in CHW), or a float32 [N, 3, H, W] tensor as is
                           → the model's output as .npy ([N, 4+nc, anchors]); N > 1 runs one item
                           at a time when the model's batch dimension is fixed at 1.
       anything else       the AWS YOLOv8 hosting sample's contract: the body is a base64 JPEG/PNG;
                           the answer is {"boxes": [[x1, y1, x2, y2, conf, cls], ...]} in that
                           image's pixels (Ultralytics pre/post-processing, conf 0.25, IoU 0.7).

Class names and input size come from the model file. `--fault` makes it misbehave for tests:
`wrong-shape` answers a [1, 2, 3] tensor, `slow` sleeps `--delay-ms` before answering,
`server-error` answers 500. Requests to /endpoints/... must carry a SigV4 `Authorization` header for
service `sagemaker` (checked for shape, not signature: the fake has no secret), else 403, as
SageMaker answers an unsigned call.

    vision_endpoint.py --model MODEL.onnx [--host 127.0.0.1] [--port 8080] [--threads 1]
"""
from __future__ import annotations

import argparse
import base64
import binascii
import io
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import cv2
import numpy as np
import onnxruntime as ort

sys.path.insert(0, str(Path(__file__).resolve().parent))
import yolo_reference  # noqa: E402

MAX_BODY = 6 * 1024 * 1024 + 1024 * 1024  # SageMaker's 6 MB payload limit, plus .npy headroom


class Model:
    def __init__(self, path: str, threads: int):
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        self.session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0]
        self.output = self.session.get_outputs()[0]
        self.metadata = yolo_reference.model_metadata(path)
        self.fixed_batch = isinstance(self.input.shape[0], int) and self.input.shape[0] == 1

    def run(self, tensor: np.ndarray) -> np.ndarray:
        if self.fixed_batch and tensor.shape[0] > 1:
            return np.concatenate([self.run(tensor[i:i + 1]) for i in range(tensor.shape[0])], 0)
        return self.session.run([self.output.name], {self.input.name: tensor})[0]

    def describe(self) -> dict:
        return {**self.metadata, "names": {str(k): v for k, v in self.metadata["names"].items()},
                "input": {"name": self.input.name, "shape": self.input.shape},
                "output": {"name": self.output.name, "shape": self.output.shape}}


def make_handler(model: Model, fault: str | None, delay_ms: int):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *args):  # quiet: tests read the log only on failure
            pass

        def reply(self, status: int, body: bytes, content_type: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def error(self, status: int, message: str) -> None:
            self.reply(status, json.dumps({"message": message}).encode(), "application/json")

        def do_GET(self):
            if self.path != "/ping":
                return self.error(404, f"no route {self.path}")
            self.reply(200, json.dumps(model.describe()).encode(), "application/json")

        def do_POST(self):
            if self.path.startswith("/endpoints/") and self.path.endswith("/invocations"):
                auth = self.headers.get("Authorization") or ""
                if not (auth.startswith("AWS4-HMAC-SHA256 ") and "/sagemaker/aws4_request" in auth):
                    return self.error(403, "Missing Authentication Token")
            elif self.path != "/invocations":
                return self.error(404, f"no route {self.path}")
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                return self.error(413, f"payload of {length} bytes exceeds {MAX_BODY}")
            body = self.rfile.read(length)
            if fault == "slow":
                time.sleep(delay_ms / 1000)
            if fault == "server-error":
                return self.error(500, "injected failure")
            content_type = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            try:
                if content_type == "application/x-npy":
                    self.invoke_tensor(body)
                else:
                    self.invoke_image(body)
            except ValueError as e:
                self.error(400, str(e))

        def invoke_tensor(self, body: bytes) -> None:
            try:
                tensor = np.load(io.BytesIO(body), allow_pickle=False)
            except Exception as e:  # numpy raises several types for a bad file
                raise ValueError(f"body is not a .npy tensor: {e}") from e
            h, w = model.metadata["imgsz"]
            if tensor.dtype == np.uint8 and tensor.ndim == 4 and tensor.shape[1:] == (h, w, 3):
                tensor = np.ascontiguousarray(tensor.transpose(0, 3, 1, 2)).astype(np.float32) / 255
            elif tensor.dtype != np.float32 or tensor.ndim != 4 or tensor.shape[1:] != (3, h, w):
                raise ValueError(f"expected uint8 [N, {h}, {w}, 3] or float32 [N, 3, {h}, {w}], "
                                 f"got {tensor.dtype} {list(tensor.shape)}")
            output = np.zeros((1, 2, 3), np.float32) if fault == "wrong-shape" else model.run(tensor)
            out = io.BytesIO()
            np.save(out, output.astype(np.float32), allow_pickle=False)
            self.reply(200, out.getvalue(), "application/x-npy")

        def invoke_image(self, body: bytes) -> None:
            try:
                raw = base64.b64decode(body, validate=False)
            except binascii.Error as e:
                raise ValueError(f"body is not base64: {e}") from e
            img = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_COLOR)
            if img is None:
                raise ValueError("body is not a decodable image")
            h, w = model.metadata["imgsz"]
            output = model.run(yolo_reference.preprocess(img, (h, w)))
            boxes = yolo_reference.postprocess(output, img.shape[0], img.shape[1], h, w)
            self.reply(200, json.dumps({"boxes": boxes.tolist()}).encode(), "application/json")

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    parser.add_argument("--fault", choices=["wrong-shape", "slow", "server-error"])
    parser.add_argument("--delay-ms", type=int, default=5000)
    args = parser.parse_args()
    model = Model(args.model, args.threads)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(model, args.fault, args.delay_ms))
    server.daemon_threads = True
    print(f"vision endpoint: {args.model} ({len(model.metadata['names'])} classes, imgsz {model.metadata['imgsz']}) "
          f"on http://{args.host}:{args.port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
