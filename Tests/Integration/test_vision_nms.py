"""Switchyard's class-aware NMS vs. cv2.dnn.NMSBoxesBatched on hypothesis-generated box sets:
identical kept indices, in the same order."""
from __future__ import annotations

import json
import subprocess

import cv2
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vision_fixtures import vision_tool


@pytest.fixture(scope="module")
def nms_process():
    """One vision-tool process answering JSON lines, so each example costs a round trip, not a start."""
    process = subprocess.Popen([str(vision_tool()), "nms"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        process.stdin.close()
        process.wait(10)


def swift_nms(process, boxes, scores, class_ids, score_threshold, iou_threshold, top_k):
    request = {"boxes": boxes, "scores": scores, "classIds": class_ids, "scoreThreshold": score_threshold,
               "iouThreshold": iou_threshold, "topK": top_k}
    process.stdin.write(json.dumps(request) + "\n")
    process.stdin.flush()
    line = process.stdout.readline()
    assert line, "vision-tool nms exited"
    return json.loads(line)["indices"]


def f32(x: float) -> float:
    return float(np.float32(x))


coordinate = st.one_of(st.floats(0, 1000, allow_nan=False, width=32), st.sampled_from([0.0, 10.0, 100.0, 100.5]))
extent = st.one_of(st.floats(0.5, 400.0, allow_nan=False, width=32), st.sampled_from([10.0, 50.0, 100.0]))
score = st.one_of(st.floats(0, 1, allow_nan=False, width=32), st.sampled_from([0.25, 0.5, 0.9]))
box = st.tuples(coordinate, coordinate, extent, extent, score, st.integers(0, 4))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    boxes=st.lists(box, min_size=0, max_size=80),
    score_threshold=st.sampled_from([0.0, 0.1, 0.25, 0.5]),
    iou_threshold=st.floats(0.0625, 0.9375, width=32),
    top_k=st.integers(0, 40),
)
def test_nms_matches_opencv(nms_process, boxes, score_threshold, iou_threshold, top_k):
    rects = [[x, y, w, h] for x, y, w, h, _, _ in boxes]
    scores = [f32(s) for *_, s, _ in boxes]
    classes = [c for *_, c in boxes]
    expected = cv2.dnn.NMSBoxesBatched(rects, scores, classes, score_threshold, iou_threshold, 1.0, top_k) if boxes else []
    expected = [int(i) for i in np.array(expected).reshape(-1)]
    assert swift_nms(nms_process, rects, scores, classes, score_threshold, iou_threshold, top_k) == expected


def test_nms_on_a_crowd(nms_process):
    """A dense scene: 2000 boxes in clusters, 20 classes."""
    rng = np.random.default_rng(7)
    centres = rng.uniform(0, 1500, (60, 2))
    pick = rng.integers(0, 60, 2000)
    xy = centres[pick] + rng.normal(0, 12, (2000, 2))
    wh = rng.uniform(20, 120, (2000, 2))
    rects = np.concatenate([xy, wh], 1).tolist()
    scores = rng.uniform(0, 1, 2000).astype(np.float32).tolist()
    classes = rng.integers(0, 20, 2000).tolist()
    expected = [int(i) for i in np.array(cv2.dnn.NMSBoxesBatched(rects, scores, classes, 0.25, 0.45)).reshape(-1)]
    assert len(expected) > 100
    assert swift_nms(nms_process, rects, scores, classes, 0.25, 0.45, 0) == expected
