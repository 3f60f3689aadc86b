"""Switchyard's decode + letterbox tensor vs. OpenCV's (imdecode, resize INTER_LINEAR,
copyMakeBorder 114, BGR→RGB, CHW, /255) on real photographs: max abs difference ≤ 1/255."""
from __future__ import annotations

import json

import cv2
import numpy as np
import pytest

from vision_fixtures import run_tool, sample_photographs

import yolo_reference

TOLERANCE = 1 / 255 + 1e-6


def swift_tensor(path, size, tmp_path):
    out = tmp_path / "tensor.npy"
    run_tool("letterbox", path, "--size", size, "--out", out)
    return np.load(out)


def opencv_tensor(data: bytes, size: int):
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    return yolo_reference.preprocess(img, (size, size))


PHOTOS = sample_photographs()


def test_there_are_photographs_to_compare():
    assert len(PHOTOS) >= 5, PHOTOS


@pytest.mark.parametrize("photo", PHOTOS, ids=[p.name for p in PHOTOS])
@pytest.mark.parametrize("size", [640, 320])
def test_letterbox_matches_opencv(photo, size, tmp_path):
    ours = swift_tensor(photo, size, tmp_path)
    reference = opencv_tensor(photo.read_bytes(), size)
    assert ours.shape == reference.shape == (1, 3, size, size)
    assert ours.dtype == np.float32
    diff = np.abs(ours - reference)
    assert diff.max() <= TOLERANCE, f"max diff {diff.max() * 255:.2f}/255 at {np.unravel_index(diff.argmax(), diff.shape)}"


@pytest.mark.parametrize("width,height", [(1920, 1080), (1080, 1920), (1000, 999), (333, 777), (4032, 3024)])
def test_letterbox_matches_opencv_on_resampled_jpegs(width, height, tmp_path):
    """Photographs scaled to common camera sizes and JPEG-encoded: downscales by 1.5–6x and upscales."""
    source = cv2.imread(str(next(p for p in PHOTOS if p.name.startswith("chelsea") or p.name.startswith("astronaut"))))
    scaled = cv2.resize(source, (width, height), interpolation=cv2.INTER_CUBIC)
    ok, encoded = cv2.imencode(".jpg", scaled, [cv2.IMWRITE_JPEG_QUALITY, 92])
    assert ok
    path = tmp_path / "scaled.jpg"
    path.write_bytes(encoded.tobytes())
    ours = swift_tensor(path, 640, tmp_path)
    reference = opencv_tensor(encoded.tobytes(), 640)
    diff = np.abs(ours - reference)
    assert diff.max() <= TOLERANCE, f"max diff {diff.max() * 255:.2f}/255"
    # Most pixels are bit-exact: OpenCV's SIMD rounding is reproduced, only its scalar tail differs.
    assert (diff > 0).mean() < 0.01


def test_exif_orientation_is_applied_like_opencv(tmp_path):
    """A JPEG with EXIF orientation 6: both sides rotate it upright before letterboxing."""
    source = cv2.imread(str(PHOTOS[0]))
    ok, encoded = cv2.imencode(".jpg", cv2.resize(source, (320, 200)))
    data = encoded.tobytes()
    tiff = b"II*\x00\x08\x00\x00\x00" + b"\x01\x00" + b"\x12\x01\x03\x00\x01\x00\x00\x00\x06\x00\x00\x00" + b"\x00\x00\x00\x00"
    payload = b"Exif\x00\x00" + tiff
    app1 = b"\xff\xe1" + (len(payload) + 2).to_bytes(2, "big") + payload
    rotated = data[:2] + app1 + data[2:]
    path = tmp_path / "rotated.jpg"
    path.write_bytes(rotated)
    summary = json.loads(run_tool("decode", path).stdout)
    assert (summary["width"], summary["height"], summary["orientation"]) == (200, 320, 6)
    reference_img = cv2.imdecode(np.frombuffer(rotated, np.uint8), cv2.IMREAD_COLOR)
    assert reference_img.shape[:2] == (320, 200), "this OpenCV build does not apply EXIF orientation"
    diff = np.abs(swift_tensor(path, 640, tmp_path) - yolo_reference.preprocess(reference_img))
    assert diff.max() <= TOLERANCE
