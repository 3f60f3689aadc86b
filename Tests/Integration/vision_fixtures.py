"""Fixtures for the vision tests: the vision-tool CLI, the generated YOLOv8-format model, the
local endpoint, a bundle (catalog) for the vision function, and the photographs scikit-image
ships (BSD-licensed, inside the package)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from servers import REPO, ManagedProcess, free_port

sys.path.insert(0, str(REPO / "Tests" / "Fakes"))

from emulator_fixtures import bin_dir  # noqa: E402


def vision_tool() -> Path:
    path = bin_dir() / "vision-tool"
    if not path.exists():
        pytest.skip(f"{path} not built (swift build --product vision-tool)")
    return path


def run_tool(*args, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run([str(vision_tool()), *map(str, args)], capture_output=True, text=True, check=check, timeout=120)


def sample_photographs(limit_bytes: int = 3_000_000) -> list[Path]:
    """The colour and gray JPEG/PNG photographs bundled with scikit-image's wheel."""
    from skimage import data

    root = Path(data.__file__).parent
    files = sorted(p for p in root.glob("*") if p.suffix.lower() in (".png", ".jpg", ".jpeg") and p.stat().st_size < limit_bytes)
    return files


@pytest.fixture(scope="session")
def yolo_model(tmp_path_factory) -> Path:
    """The 80-class test model (COCO's first names, then class<k>)."""
    import make_yolo_model

    path = tmp_path_factory.mktemp("model") / "yolov8-test.onnx"
    import onnx

    onnx.save(make_yolo_model.build(640, [make_yolo_model.COCO_HEAD[k] if k < 8 else f"class{k}" for k in range(80)]), path)
    return path


@pytest.fixture(scope="session")
def model_metadata_file(yolo_model, tmp_path_factory) -> Path:
    import yolo_reference

    meta = yolo_reference.model_metadata(str(yolo_model))
    path = tmp_path_factory.mktemp("meta") / "yolov8-test.json"
    path.write_text(json.dumps({"names": {str(k): v for k, v in meta["names"].items()}, "imgsz": meta["imgsz"]}))
    return path


def start_endpoint(model: Path, *extra: str) -> tuple[str, ManagedProcess]:
    port = free_port()
    process = ManagedProcess(
        [sys.executable, REPO / "Tests" / "Fakes" / "vision_endpoint.py", "--model", model, "--port", str(port), *extra],
        name="vision-endpoint", health_url=f"http://127.0.0.1:{port}/ping")
    process.start()
    return f"http://127.0.0.1:{port}/invocations", process


@pytest.fixture(scope="session")
def vision_endpoint(yolo_model):
    url, process = start_endpoint(yolo_model)
    try:
        yield url
    finally:
        process.stop()


def start_endpoint_on(model: Path, port: int, *extra: str) -> ManagedProcess:
    process = ManagedProcess(
        [sys.executable, REPO / "Tests" / "Fakes" / "vision_endpoint.py", "--model", model, "--port", str(port), *extra],
        name="vision-endpoint", health_url=f"http://127.0.0.1:{port}/ping")
    process.start()
    return process


def onnxruntime_library() -> str:
    """The wheel's libonnxruntime.so, as the function opens it (ONNXRUNTIME_LIBRARY)."""
    import onnxruntime

    capi = Path(onnxruntime.__file__).parent / "capi"
    return str(sorted(capi.glob("libonnxruntime.so.*"))[-1])


def detector(model_id: str, provider: str, detector_spec: dict, compute: dict, endpoint: str | None = None,
             region: str | None = None) -> dict:
    entry = {"id": model_id, "provider": provider, "kind": "vision", "contextWindow": 0, "capabilities": [],
             "latency": {"p50Ms": 60, "p95Ms": 200}, "quality": {"detection": 0.7}, "tiers": ["basic"],
             "compute": compute, "detector": detector_spec}
    if endpoint:
        entry["endpoint"] = endpoint
    if region:
        entry["region"] = region
    return entry


def write_bundle(directory: Path, model: Path, endpoint_port: int, metadata: Path | None = None,
                 extra: list[dict] | None = None) -> Path:
    """A bundle whose catalog has the four homes of one model: in-process (`cells-lambda`), a
    container at the local endpoint (`cells-container`), the same endpoint as a SageMaker endpoint
    (`cells-sagemaker`, through AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME) and as AWS's hosting sample
    (`cells-hosting`)."""
    directory.mkdir(parents=True, exist_ok=True)
    meta = {"modelFile": str(metadata or model)}
    models = [
        detector("cells-lambda", "lambda", {"modelFile": str(model)}, {"kind": "lambda"}),
        detector("cells-container", "container", meta, {"kind": "fargate", "milliVCPU": 2048, "memoryMB": 4096},
                 endpoint=f"http://127.0.0.1:{endpoint_port}/invocations"),
        detector("cells-sagemaker", "sagemaker", meta, {"kind": "endpoint", "instanceType": "ml.g4dn.xlarge"},
                 endpoint="cells-prod", region="us-east-1"),
        detector("cells-hosting", "sagemaker", {**meta, "wireFormat": "hosting-sample"},
                 {"kind": "endpoint", "instanceType": "ml.g4dn.xlarge"}, endpoint="cells-sample", region="us-east-1"),
        *(extra or []),
    ]
    (directory / "catalog.json").write_text(json.dumps({"version": "test-1", "models": models}))
    return directory


def vision_config(bundle: Path, endpoint_port: int, memory_mb: int = 1024, **environment: str) -> dict:
    if not (bin_dir() / "vision-function").exists():
        pytest.skip("vision-function not built")
    env = {"SWITCHYARD_BUNDLE_DIR": str(bundle), "ONNXRUNTIME_LIBRARY": onnxruntime_library(),
           "IMAGE_ACCESS_ALLOW_HTTP": "true", "IMAGE_ACCESS_ALLOW_PRIVATE_HOSTS": "true",
           "AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME": f"http://127.0.0.1:{endpoint_port}",
           "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY": "local-secret",
           "VISION_FETCH_TIMEOUT_MS": "1500", "VISION_THREADS": "1", **environment}
    return {"functions": [{"name": "vision", "bootstrap": str(bin_dir() / "vision-function"), "timeoutSeconds": 60,
                           "memoryMB": memory_mb, "maxConcurrency": 2, "environment": env}]}


def step_input(images: list[str], plan: list[str], request_id: str = "req-1", item: dict | None = None,
               **plan_settings) -> dict:
    """A VisionStepInput document: the request's images (or a batch item's) and the plan."""
    context = {"requestId": request_id, "tenantId": "acme", "tier": "basic", "route": "vision",
               "bundleVersion": "test-1"}
    doc = {"plan": {"candidates": [{"model": m, "attemptTimeoutMs": 5000, "estimatedCostPicoUSD": 0,
                                      "estimatedLatencyMs": 100} for m in plan], **plan_settings},
           "context": context}
    if item is not None:
        doc["item"] = item
    else:
        doc["request"] = {"requestId": request_id, "tenantId": "acme", "images": images}
    return doc
