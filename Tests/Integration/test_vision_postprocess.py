"""Switchyard's YOLOv8 post-processing (best class, confidence filter, class-aware NMS, undo
letterbox, clip, top-k) vs. a NumPy transcription of Ultralytics' on the same raw output:
same detections, boxes within 1e-3 px."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import assume, HealthCheck, given, settings
from hypothesis import strategies as st

from vision_fixtures import run_tool

import yolo_reference


def synthetic_output(seed: int, nc: int, anchors: int = 8400, hot: int = 300, size: int = 640) -> np.ndarray:
    """Like a real output: low background scores, a few hundred confident anchors in clusters."""
    rng = np.random.default_rng(seed)
    out = np.zeros((1, 4 + nc, anchors), np.float32)
    out[0, 0] = rng.uniform(-20, size + 20, anchors)
    out[0, 1] = rng.uniform(-20, size + 20, anchors)
    out[0, 2:4] = rng.uniform(2, 300, (2, anchors))
    out[0, 4:] = rng.uniform(0, 0.2, (nc, anchors))
    idx = rng.choice(anchors, hot, replace=False)
    centres = rng.uniform(0, size, (12, 2))
    which = rng.integers(0, 12, hot)
    out[0, 0, idx] = centres[which, 0] + rng.normal(0, 6, hot)
    out[0, 1, idx] = centres[which, 1] + rng.normal(0, 6, hot)
    out[0, 4 + rng.integers(0, nc, hot), idx] = rng.uniform(0.2, 1.0, hot)
    return out


def compare(output, width, height, tmp_path, conf=0.25, iou=0.7, max_det=300):
    path = tmp_path / "output.npy"
    np.save(path, output)
    ours = json.loads(run_tool("postprocess", path, "--width", width, "--height", height, "--conf", conf,
                               "--iou", iou, "--max-det", max_det).stdout)
    reference = yolo_reference.postprocess(output, height, width, conf=conf, iou=iou, max_det=max_det)
    assert len(ours) == len(reference)
    for mine, ref in zip(ours, reference):
        box = mine["box"]
        assert np.allclose([box["x1"], box["y1"], box["x2"], box["y2"]], ref[:4], atol=1e-3, rtol=0), (mine, ref)
        assert abs(mine["confidence"] - ref[4]) < 1e-6
        assert mine["classId"] == int(ref[5])
    return ours


@pytest.mark.parametrize("width,height", [(1920, 1080), (1080, 1920), (640, 640), (333, 500), (4032, 3024)])
@pytest.mark.parametrize("nc", [80, 1, 3])
def test_postprocess_matches_reference(width, height, nc, tmp_path):
    detections = compare(synthetic_output(width * nc, nc), width, height, tmp_path)
    assert detections, "the synthetic output should yield detections"
    for d in detections:
        assert 0 <= d["box"]["x1"] <= d["box"]["x2"] <= width and 0 <= d["box"]["y1"] <= d["box"]["y2"] <= height


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10_000), conf=st.sampled_from([0.1, 0.25, 0.5]), iou=st.sampled_from([0.45, 0.5, 0.7]),
       max_det=st.sampled_from([1, 10, 300]), width=st.integers(1, 3000), height=st.integers(1, 3000))
def test_postprocess_thresholds_and_topk_match(seed, conf, iou, max_det, width, height, tmp_path):
    # Ultralytics' letterbox resizes a 1x1321 strip to 0 columns (cv2.resize then fails); Switchyard
    # keeps one. The reference is only defined where both sides of the resized image are >= 1 px.
    r = min(640 / height, 640 / width)
    assume(round(width * r) >= 1 and round(height * r) >= 1)
    compare(synthetic_output(seed, 5, anchors=2100, hot=120), width, height, tmp_path, conf=conf, iou=iou, max_det=max_det)


def test_wrong_output_shape_is_a_typed_error(tmp_path):
    path = tmp_path / "bad.npy"
    np.save(path, np.zeros((1, 3, 10), np.float32))
    result = run_tool("postprocess", path, check=False)
    assert result.returncode == 2
    assert json.loads(result.stdout)["errorType"] == "Vision.BadModelOutput"


@pytest.mark.parametrize("names,imgsz", [(None, 640), (["person", "it's", 'say "hi"', "hair drier", "naïve"], 320)])
def test_class_names_and_input_size_are_read_from_the_onnx_file(names, imgsz, tmp_path):
    """The function reads the model's own Ultralytics metadata (names, imgsz), like the endpoint does."""
    import make_yolo_model
    import onnx

    names = names or [make_yolo_model.COCO_HEAD[k] if k < 8 else f"class{k}" for k in range(80)]
    path = tmp_path / "model.onnx"
    onnx.save(make_yolo_model.build(imgsz, names), path)
    ours = json.loads(run_tool("metadata", path).stdout)
    reference = yolo_reference.model_metadata(str(path))
    assert ours["imgsz"] == reference["imgsz"] == [imgsz, imgsz]
    assert {int(k): v for k, v in ours["names"].items()} == reference["names"] == dict(enumerate(names))


def test_input_size_falls_back_to_the_graph_input_shape(tmp_path):
    import make_yolo_model
    import onnx

    model = make_yolo_model.build(416, ["a", "b"])
    kept = [p for p in model.metadata_props if p.key != "imgsz"]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    assert json.loads(run_tool("metadata", path).stdout) == {"names": {"0": "a", "1": "b"}, "imgsz": [416, 416]}


def test_a_file_that_is_not_onnx_is_a_configuration_error(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"\x0a\xff\xff\xff\xff\x0f")  # a length-delimited field running past the end
    result = run_tool("metadata", path, check=False)
    assert result.returncode == 2 and json.loads(result.stdout)["errorType"] == "Config.InvalidDocument"
