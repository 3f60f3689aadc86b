#!/usr/bin/env python3
"""Writes a small YOLOv8-format detection model as ONNX, so the whole vision path runs without
downloading weights.

Same contract as an Ultralytics export: input `images` float32 [1, 3, S, S] (RGB, 0..1), output
`output0` float32 [1, 4 + nc, N] with N = (S/8)² + (S/16)² + (S/32)² anchors in Ultralytics order
(stride 8, then 16, then 32), rows cx, cy, w, h, then one score per class; metadata_props `names`
(a Python dict literal), `imgsz`, `stride`, `task`, `batch` as Ultralytics writes them.

What it computes is simple and known, so tests can predict its output exactly: for stride 16
and 32, the box of each grid cell is centred on the cell, 2 and 1 cells wide; with m the mean of
colour channel k % 3 over the cell (AveragePool), the score of class k is
max(0, 2m - 1) / (1 + k // 3), times a per-stride gain (0.9 for stride 16, 1.0 for 32). Stride-8
anchors always score 0. So the gray letterbox padding (114) and dark or gray backgrounds score 0,
a saturated red square yields "class 0" boxes over it, and overlapping boxes exercise NMS.

    make_yolo_model.py OUT.onnx [--imgsz 640] [--names person,bicycle,car | --classes 80]
"""
from __future__ import annotations

import argparse

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

COCO_HEAD = ["person", "bicycle", "car", "motorcycle", "airplane", "bus", "train", "truck"]


def class_gains(nc: int) -> tuple[np.ndarray, np.ndarray]:
    """Conv weights [nc, 3, 1, 1] and bias [nc]: class k computes g·(2m - 1) for channel k % 3, g = 1 / (1 + k // 3)."""
    w = np.zeros((nc, 3, 1, 1), np.float32)
    b = np.zeros(nc, np.float32)
    for k in range(nc):
        g = 1.0 / (1 + k // 3)
        w[k, k % 3, 0, 0] = 2 * g
        b[k] = -g
    return w, b


def grid_boxes(size: int, stride: int, cells_wide: float) -> np.ndarray:
    """[1, 4, n] boxes (cx, cy, w, h) for each cell of the stride grid, row-major."""
    n = size // stride
    ys, xs = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
    cx = (xs.reshape(-1) + 0.5) * stride
    cy = (ys.reshape(-1) + 0.5) * stride
    wh = np.full(n * n, stride * cells_wide)
    return np.stack([cx, cy, wh, wh])[None].astype(np.float32)


def build(size: int, names: list[str]) -> onnx.ModelProto:
    nc = len(names)
    nodes, inits = [], []
    weights, bias = class_gains(nc)
    inits.append(numpy_helper.from_array(weights, "class_gains"))
    inits.append(numpy_helper.from_array(bias, "class_bias"))
    pieces = []
    # Stride 8: fixed boxes, zero scores (independent of the input).
    n8 = (size // 8) ** 2
    zero8 = np.concatenate([grid_boxes(size, 8, 1.0), np.zeros((1, nc, n8), np.float32)], 1)
    inits.append(numpy_helper.from_array(zero8, "stride8"))
    pieces.append("stride8")
    for stride, cells, gain in ((16, 2.0, 0.9), (32, 1.0, 1.0)):
        n = (size // stride) ** 2
        pooled, scored, rectified, scaled, flat, boxes, both = (
            f"{name}{stride}" for name in ("pool", "conv", "relu", "gain", "flat", "boxes", "out"))
        nodes.append(helper.make_node("AveragePool", ["images"], [pooled], kernel_shape=[stride, stride], strides=[stride, stride]))
        nodes.append(helper.make_node("Conv", [pooled, "class_gains", "class_bias"], [scored]))
        nodes.append(helper.make_node("Relu", [scored], [rectified]))
        inits.append(numpy_helper.from_array(np.array(gain, np.float32), f"gainvalue{stride}"))
        nodes.append(helper.make_node("Mul", [rectified, f"gainvalue{stride}"], [scaled]))
        inits.append(numpy_helper.from_array(np.array([1, nc, n], np.int64), f"shape{stride}"))
        nodes.append(helper.make_node("Reshape", [scaled, f"shape{stride}"], [flat]))
        inits.append(numpy_helper.from_array(grid_boxes(size, stride, cells), boxes))
        nodes.append(helper.make_node("Concat", [boxes, flat], [both], axis=1))
        pieces.append(both)
    nodes.append(helper.make_node("Concat", pieces, ["output0"], axis=2))
    anchors = sum((size // s) ** 2 for s in (8, 16, 32))
    graph = helper.make_graph(
        nodes, "switchyard-yolov8-test",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + nc, anchors])],
        inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="switchyard")
    model.ir_version = 8
    meta = {
        "description": "Switchyard test model in YOLOv8 detection format (colour-cell detector)",
        "author": "Switchyard", "task": "detect", "stride": "32", "batch": "1",
        "imgsz": str([size, size]), "names": str({i: n for i, n in enumerate(names)}),
    }
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--names", help="comma-separated class names")
    parser.add_argument("--classes", type=int, help="number of classes (COCO's first names, then class<k>)")
    args = parser.parse_args()
    if args.imgsz % 32:
        parser.error("--imgsz must be a multiple of 32")
    if args.names:
        names = [n.strip() for n in args.names.split(",") if n.strip()]
    else:
        count = args.classes or 3
        names = [COCO_HEAD[k] if k < len(COCO_HEAD) else f"class{k}" for k in range(count)]
    onnx.save(build(args.imgsz, names), args.out)


if __name__ == "__main__":
    main()
