"""Reference YOLOv8 pre- and post-processing in OpenCV/NumPy, transcribed from Ultralytics
(`LetterBox`, `non_max_suppression`, `scale_boxes`, `clip_boxes`), for the local endpoint's
image path and for the tests that check Switchyard's Swift implementation against it.
"""
from __future__ import annotations

import ast

import cv2
import numpy as np


def letterbox_geometry(h: int, w: int, new_h: int = 640, new_w: int = 640):
    """(r, (new_unpad_w, new_unpad_h), (top, bottom, left, right)) exactly as Ultralytics' LetterBox."""
    r = min(new_h / h, new_w / w)
    new_unpad = int(round(w * r)), int(round(h * r))
    dw, dh = (new_w - new_unpad[0]) / 2, (new_h - new_unpad[1]) / 2
    top, bottom = int(round(dh - 0.1)), int(round(dh + 0.1))
    left, right = int(round(dw - 0.1)), int(round(dw + 0.1))
    return r, new_unpad, (top, bottom, left, right)


def letterbox(img_bgr: np.ndarray, new_shape=(640, 640)) -> np.ndarray:
    """BGR uint8 HWC → letterboxed BGR uint8 HWC (resize INTER_LINEAR, pad 114)."""
    h, w = img_bgr.shape[:2]
    _, new_unpad, (top, bottom, left, right) = letterbox_geometry(h, w, new_shape[0], new_shape[1])
    if (w, h) != new_unpad:
        img_bgr = cv2.resize(img_bgr, new_unpad, interpolation=cv2.INTER_LINEAR)
    return cv2.copyMakeBorder(img_bgr, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114))


def preprocess(img_bgr: np.ndarray, new_shape=(640, 640)) -> np.ndarray:
    """BGR image → float32 [1, 3, H, W] RGB 0..1, as Ultralytics feeds an exported model."""
    boxed = letterbox(img_bgr, new_shape)
    chw = np.ascontiguousarray(boxed[..., ::-1].transpose(2, 0, 1))
    return (chw.astype(np.float32) / 255)[None]


def postprocess(output: np.ndarray, orig_h: int, orig_w: int, input_h: int = 640, input_w: int = 640,
                conf: float = 0.25, iou: float = 0.7, max_det: int = 300, max_nms: int = 30000) -> np.ndarray:
    """One image's raw output [1, 4+nc, N] → array [k, 6] of (x1, y1, x2, y2, conf, cls) in
    original-image pixels. Class-aware greedy NMS (suppress IoU > iou) in descending score order."""
    pred = output[0].T.astype(np.float32)  # [N, 4+nc]
    scores = pred[:, 4:]
    cls = scores.argmax(1)
    best = scores[np.arange(len(scores)), cls]
    keep = best > conf
    pred, best, cls = pred[keep], best[keep], cls[keep]
    order = np.argsort(-best, kind="stable")[:max_nms]
    pred, best, cls = pred[order], best[order], cls[order]
    cx, cy, w, h = pred[:, 0], pred[:, 1], pred[:, 2], pred[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1).astype(np.float64)
    kept = []
    for i in range(len(boxes)):
        ok = True
        for j in kept:
            if cls[j] != cls[i]:
                continue
            if _iou(boxes[i], boxes[j]) > iou:
                ok = False
                break
        if ok:
            kept.append(i)
    kept = kept[:max_det]
    boxes, best, cls = boxes[kept], best[kept], cls[kept]
    r, _, (top, _, left, _) = letterbox_geometry(orig_h, orig_w, input_h, input_w)
    boxes[:, [0, 2]] -= left
    boxes[:, [1, 3]] -= top
    boxes /= r
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, orig_w)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, orig_h)
    return np.concatenate([boxes, best[:, None].astype(np.float64), cls[:, None].astype(np.float64)], 1)


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    inter = w * h if (w > 0 and h > 0) else 0.0
    union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return inter / union if union > 0 else 0.0


def model_metadata(model_path: str) -> dict:
    """Class names and input size from an Ultralytics-style ONNX file's metadata_props
    (`names` is a Python dict literal, `imgsz` a list), falling back to the input's shape."""
    import onnx

    model = onnx.load(model_path, load_external_data=False)
    props = {p.key: p.value for p in model.metadata_props}
    names = ast.literal_eval(props["names"]) if "names" in props else {}
    if "imgsz" in props:
        imgsz = list(ast.literal_eval(props["imgsz"]))
    else:
        dims = model.graph.input[0].type.tensor_type.shape.dim
        imgsz = [dims[2].dim_value or 640, dims[3].dim_value or 640]
    return {"names": {int(k): str(v) for k, v in names.items()}, "imgsz": imgsz}
