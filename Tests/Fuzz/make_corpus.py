#!/usr/bin/env python3
"""Writes the committed seed corpora of scripts/fuzz (Tests/Fuzz/Corpus/<target>/): a few small,
valid inputs per target from which libFuzzer mutates. Needs Pillow (in .venv).

    .venv/bin/python Tests/Fuzz/make_corpus.py
"""
import io
import json
import struct
import zlib
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parents[2]
ROOT = REPO / "Tests" / "Fuzz" / "Corpus"


def json_corpus():
    out = ROOT / "json"
    out.mkdir(parents=True, exist_ok=True)
    (out / "router-event.json").write_bytes((REPO / "events/router/chat-basic.json").read_bytes())
    (out / "usage-batch.json").write_bytes((REPO / "events/usage-logger/batch-mixed.json").read_bytes())
    (out / "literals.json").write_text(
        '{"a":[0,-0,1e5,-1.5E-3,9223372036854775807,-9223372036854775808,9223372036854775808,true,false,null],'
        '"s":"\\u00e9\\ud83d\\ude00\\n\\t\\"\\\\\\/","e":{},"l":[],"k":{"K":1,"\\u212A2":2}}')
    (out / "deep.json").write_text("[" * 30 + "{\"x\":1}" + "]" * 30)
    (out / "llm-step.json").write_text(json.dumps({
        "request": {"requestId": "r1", "tenantId": "t", "messages": [{"role": "user", "content": "hi"}]},
        "plan": {"candidates": [{"model": "gpt-4o-mini", "attemptTimeoutMs": 5000, "contextWindow": 128000}],
                 "maxOutputTokens": 256},
        "context": {"requestId": "r1", "tenantId": "t"}}))


def image_corpus():
    out = ROOT / "image"
    out.mkdir(parents=True, exist_ok=True)

    def save(name, image, **options):
        buffer = io.BytesIO()
        image.save(buffer, **options)
        (out / name).write_bytes(buffer.getvalue())

    rgb = Image.new("RGB", (12, 8))
    for x in range(12):
        for y in range(8):
            rgb.putpixel((x, y), (x * 20, y * 30, (x * y) % 256))
    save("rgb.png", rgb, format="PNG")
    save("rgba.png", rgb.convert("RGBA"), format="PNG")
    save("gray.png", rgb.convert("L"), format="PNG")
    save("palette.png", rgb.convert("P"), format="PNG")
    save("interlaced.png", rgb, format="PNG", interlace=1)
    save("baseline.jpg", rgb, format="JPEG", quality=80)
    save("progressive.jpg", rgb, format="JPEG", quality=80, progressive=True)
    save("gray.jpg", rgb.convert("L"), format="JPEG")
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90
    save("orientation6.jpg", rgb, format="JPEG", exif=exif.tobytes())


def sse_corpus():
    # The first byte is the chunk size the harness splits the rest with.
    out = ROOT / "sse"
    out.mkdir(parents=True, exist_ok=True)
    for name in ("openai_stream.sse", "anthropic_stream.sse"):
        data = (REPO / "Tests/SwitchyardProvidersTests/Fixtures" / name).read_bytes()
        (out / name).write_bytes(bytes([7]) + data[:3000])
    (out / "crlf-comments.sse").write_bytes(
        bytes([2]) + b": keep-alive\r\nevent: x\r\ndata: a\r\ndata: b\r\nid: 1\r\n\r\ndata: [DONE]\n")


def event_stream_corpus():
    # AWS event stream: prelude (total, headers length, CRC), string headers, payload, message CRC.
    out = ROOT / "eventstream"
    out.mkdir(parents=True, exist_ok=True)

    def header(name, value):
        n, v = name.encode(), value.encode()
        return bytes([len(n)]) + n + bytes([7]) + struct.pack(">H", len(v)) + v

    def message(headers, payload):
        h = b"".join(header(k, v) for k, v in headers.items())
        prelude = struct.pack(">II", 12 + len(h) + len(payload) + 4, len(h))
        prelude += struct.pack(">I", zlib.crc32(prelude))
        body = prelude + h + payload
        return body + struct.pack(">I", zlib.crc32(body))

    stream = b"".join([
        message({":event-type": "messageStart", ":content-type": "application/json", ":message-type": "event"},
                b'{"role":"assistant"}'),
        message({":event-type": "contentBlockDelta", ":message-type": "event"},
                b'{"contentBlockIndex":0,"delta":{"text":"Hello"}}'),
        message({":event-type": "metadata", ":message-type": "event"},
                b'{"usage":{"inputTokens":12,"outputTokens":3,"totalTokens":15},"metrics":{"latencyMs":20}}'),
    ])
    (out / "converse-stream.bin").write_bytes(bytes([5]) + stream)
    (out / "exception.bin").write_bytes(
        bytes([64]) + message({":exception-type": "throttlingException", ":message-type": "exception"},
                              b'{"message":"slow down"}'))


if __name__ == "__main__":
    json_corpus()
    image_corpus()
    sse_corpus()
    event_stream_corpus()
