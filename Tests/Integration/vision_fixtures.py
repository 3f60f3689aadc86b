"""Fixtures for the vision tests: the vision-tool CLI, the generated YOLOv8-format model, the
local endpoint, and the photographs scikit-image ships (BSD-licensed, inside the package)."""
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
