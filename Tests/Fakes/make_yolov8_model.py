#!/usr/bin/env python3
"""Writes an ONNX model with YOLOv8's real detection architecture and size (random weights), for
timing in-process inference without downloading weights (and without torch).

The graph is the one Ultralytics exports for `yolov8n.pt` / `yolov8s.pt` (`yolo export
format=onnx`, BatchNorm fused into the convolutions, SiLU as Sigmoid·Mul): the CSP-Darknet
backbone with C2f blocks and SPPF, the PAN neck, and the decoupled Detect head with its DFL
box decoding, anchors and strides, so it runs the same operators on the same tensor shapes:
input `images` float32 [1, 3, S, S], output `output0` float32 [1, 4 + nc, anchors] (cx, cy, w,
h in input pixels, then sigmoid class scores), metadata `names`, `imgsz`, `stride`, `task`.
yolov8n: 3.16 M parameters, 8.7 GFLOPs at 640; yolov8s: 11.2 M, 28.6 GFLOPs.

The weights are random (He-normal, seeded). What a CPU spends on a graph does not depend on the
values (they stay well clear of denormals here), but the number of candidates post-processing
sees does: random weights give either none or all 8,400 anchors, depending on the photograph, so
the class bias is set so that none passes the default 0.25, and the post-processing of a busy
scene is timed on a synthetic output instead (`vision-tool bench`, scripts/bench-vision). Boxes
and classes mean nothing: correctness tests use the small, predictable model of
make_yolo_model.py.

    make_yolov8_model.py OUT.onnx [--scale n|s] [--imgsz 640] [--classes 80] [--seed 0]
"""
from __future__ import annotations

import argparse
import math

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from make_yolo_model import COCO_HEAD

# Ultralytics' yolov8.yaml scales: (depth, width, max_channels).
SCALES = {"n": (0.33, 0.25, 1024), "s": (0.33, 0.50, 1024), "m": (0.67, 0.75, 768)}
REG_MAX = 16
CLASS_BIAS = -6.0  # sigmoid(-6) = 0.0025: no anchor reaches the 0.25 threshold


def make_divisible(x: float, divisor: int = 8) -> int:
    return int(math.ceil(x / divisor) * divisor)


class Graph:
    def __init__(self, seed: int):
        self.nodes, self.inits = [], []
        self.rng = np.random.default_rng(seed)
        self.count = 0
        self.params = 0

    def name(self, stem: str) -> str:
        self.count += 1
        return f"{stem}_{self.count}"

    def const(self, array: np.ndarray, stem: str = "const") -> str:
        name = self.name(stem)
        self.inits.append(numpy_helper.from_array(array, name))
        return name

    def node(self, op: str, inputs: list[str], outputs: int = 1, **attrs) -> list[str]:
        names = [self.name(op.lower()) for _ in range(outputs)]
        self.nodes.append(helper.make_node(op, inputs, names, **attrs))
        return names

    def conv(self, x: str, c1: int, c2: int, k: int = 1, s: int = 1, act: bool = True,
             bias: float | None = None) -> str:
        """Conv2d with BatchNorm folded in (weight and bias), then SiLU = x·sigmoid(x)."""
        fan_in = c1 * k * k
        w = (self.rng.standard_normal((c2, c1, k, k)) * math.sqrt(2.0 / fan_in)).astype(np.float32)
        b = (np.full(c2, bias, np.float32) if bias is not None
             else (self.rng.standard_normal(c2) * 0.05).astype(np.float32))
        self.params += w.size + b.size
        p = k // 2
        (y,) = self.node("Conv", [x, self.const(w, "w"), self.const(b, "b")], kernel_shape=[k, k],
                         strides=[s, s], pads=[p, p, p, p])
        if not act:
            return y
        (sig,) = self.node("Sigmoid", [y])
        (out,) = self.node("Mul", [y, sig])
        return out

    def c2f(self, x: str, c1: int, c2: int, n: int, shortcut: bool) -> str:
        c = int(c2 * 0.5)
        y = self.conv(x, c1, 2 * c, 1)
        y0, y1 = self.node("Split", [y, self.const(np.array([c, c], np.int64), "split")], outputs=2, axis=1)
        outs, cur = [y0, y1], y1
        for _ in range(n):
            b = self.conv(self.conv(cur, c, c, 3), c, c, 3)
            if shortcut:
                (b,) = self.node("Add", [cur, b])
            outs.append(b)
            cur = b
        (cat,) = self.node("Concat", outs, axis=1)
        return self.conv(cat, (2 + n) * c, c2, 1)

    def sppf(self, x: str, c1: int, c2: int, k: int = 5) -> str:
        c = c1 // 2
        y = self.conv(x, c1, c, 1)
        pools = [y]
        for _ in range(3):
            (y,) = self.node("MaxPool", [y], kernel_shape=[k, k], strides=[1, 1], pads=[k // 2] * 4)
            pools.append(y)
        (cat,) = self.node("Concat", pools, axis=1)
        return self.conv(cat, 4 * c, c2, 1)

    def upsample(self, x: str) -> str:
        scales = self.const(np.array([1, 1, 2, 2], np.float32), "scales")
        (y,) = self.node("Resize", [x, "", scales], mode="nearest")
        return y


def build(scale: str, size: int, names: list[str], seed: int) -> tuple[onnx.ModelProto, int]:
    depth, width, max_channels = SCALES[scale]
    nc = len(names)
    ch = lambda c: make_divisible(min(c, max_channels) * width)  # noqa: E731
    rep = lambda r: max(round(r * depth), 1)  # noqa: E731
    g = Graph(seed)
    x = "images"
    # Backbone
    p1 = g.conv(x, 3, ch(64), 3, 2)
    p2 = g.conv(p1, ch(64), ch(128), 3, 2)
    b2 = g.c2f(p2, ch(128), ch(128), rep(3), True)
    p3 = g.conv(b2, ch(128), ch(256), 3, 2)
    b4 = g.c2f(p3, ch(256), ch(256), rep(6), True)
    p4 = g.conv(b4, ch(256), ch(512), 3, 2)
    b6 = g.c2f(p4, ch(512), ch(512), rep(6), True)
    p5 = g.conv(b6, ch(512), ch(1024), 3, 2)
    b8 = g.c2f(p5, ch(1024), ch(1024), rep(3), True)
    b9 = g.sppf(b8, ch(1024), ch(1024))
    # Neck (PAN)
    (c11,) = g.node("Concat", [g.upsample(b9), b6], axis=1)
    h12 = g.c2f(c11, ch(1024) + ch(512), ch(512), rep(3), False)
    (c14,) = g.node("Concat", [g.upsample(h12), b4], axis=1)
    h15 = g.c2f(c14, ch(512) + ch(256), ch(256), rep(3), False)
    (c17,) = g.node("Concat", [g.conv(h15, ch(256), ch(256), 3, 2), h12], axis=1)
    h18 = g.c2f(c17, ch(256) + ch(512), ch(512), rep(3), False)
    (c20,) = g.node("Concat", [g.conv(h18, ch(512), ch(512), 3, 2), b9], axis=1)
    h21 = g.c2f(c20, ch(512) + ch(1024), ch(1024), rep(3), False)
    # Detect head
    levels = [(h15, ch(256), 8), (h18, ch(512), 16), (h21, ch(1024), 32)]
    c2 = max(16, levels[0][1] // 4, REG_MAX * 4)
    c3 = max(levels[0][1], min(nc, 100))
    flat = []
    for feature, c, stride in levels:
        box = g.conv(g.conv(g.conv(feature, c, c2, 3), c2, c2, 3), c2, 4 * REG_MAX, 1, act=False)
        cls = g.conv(g.conv(g.conv(feature, c, c3, 3), c3, c3, 3), c3, nc, 1, act=False, bias=CLASS_BIAS)
        (both,) = g.node("Concat", [box, cls], axis=1)
        (f,) = g.node("Reshape", [both, g.const(np.array([1, 4 * REG_MAX + nc, -1], np.int64), "shape")])
        flat.append(f)
    (cat,) = g.node("Concat", flat, axis=2)
    anchors = sum((size // s) ** 2 for s in (8, 16, 32))
    box, cls = g.node("Split", [cat, g.const(np.array([4 * REG_MAX, nc], np.int64), "split")], outputs=2, axis=1)
    # DFL: softmax over 16 bins per side, expectation via a fixed 1x1 convolution with weights 0..15.
    (b4d,) = g.node("Reshape", [box, g.const(np.array([1, 4, REG_MAX, anchors], np.int64), "shape")])
    (bt,) = g.node("Transpose", [b4d], perm=[0, 2, 1, 3])
    (soft,) = g.node("Softmax", [bt], axis=1)
    dfl_w = np.arange(REG_MAX, dtype=np.float32).reshape(1, REG_MAX, 1, 1)
    (dist,) = g.node("Conv", [soft, g.const(dfl_w, "dfl")], kernel_shape=[1, 1])
    (dist,) = g.node("Reshape", [dist, g.const(np.array([1, 4, anchors], np.int64), "shape")])
    # Anchors (cell centres) and strides, as make_anchors builds them.
    points, strides = [], []
    for s in (8, 16, 32):
        n = size // s
        ys, xs = np.meshgrid(np.arange(n) + 0.5, np.arange(n) + 0.5, indexing="ij")
        points.append(np.stack([xs.reshape(-1), ys.reshape(-1)]))
        strides.append(np.full(n * n, s))
    anchor = g.const(np.concatenate(points, 1)[None].astype(np.float32), "anchors")
    stride = g.const(np.concatenate(strides)[None, None].astype(np.float32), "strides")
    lt, rb = g.node("Split", [dist, g.const(np.array([2, 2], np.int64), "split")], outputs=2, axis=1)
    (x1y1,) = g.node("Sub", [anchor, lt])
    (x2y2,) = g.node("Add", [anchor, rb])
    (summed,) = g.node("Add", [x1y1, x2y2])
    (cxy,) = g.node("Div", [summed, g.const(np.array(2, np.float32), "two")])
    (wh,) = g.node("Sub", [x2y2, x1y1])
    (xywh,) = g.node("Concat", [cxy, wh], axis=1)
    (dbox,) = g.node("Mul", [xywh, stride])
    (scores,) = g.node("Sigmoid", [cls])
    g.nodes.append(helper.make_node("Concat", [dbox, scores], ["output0"], axis=1))
    graph = helper.make_graph(
        g.nodes, f"yolov8{scale}-random",
        [helper.make_tensor_value_info("images", TensorProto.FLOAT, [1, 3, size, size])],
        [helper.make_tensor_value_info("output0", TensorProto.FLOAT, [1, 4 + nc, anchors])], g.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="switchyard")
    model.ir_version = 8
    meta = {"description": f"YOLOv8{scale} architecture with random weights (Switchyard timing model)",
            "author": "Switchyard", "task": "detect", "stride": "32", "batch": "1",
            "imgsz": str([size, size]), "names": str({i: n for i, n in enumerate(names)})}
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.checker.check_model(model)
    return model, g.params


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out")
    parser.add_argument("--scale", choices=sorted(SCALES), default="n")
    parser.add_argument("--imgsz", type=int, default=640)
    parser.add_argument("--classes", type=int, default=80)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if args.imgsz % 32:
        parser.error("--imgsz must be a multiple of 32")
    names = [COCO_HEAD[k] if k < len(COCO_HEAD) else f"class{k}" for k in range(args.classes)]
    model, params = build(args.scale, args.imgsz, names, args.seed)
    onnx.save(model, args.out)
    print(f"{args.out}: yolov8{args.scale} architecture, {params / 1e6:.2f} M parameters, {args.classes} classes")


if __name__ == "__main__":
    main()
