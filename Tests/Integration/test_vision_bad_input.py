"""Bad images through the real decoders (vision-tool decode): each is a typed error, never a
crash; plus a random-mutation fuzz over real photographs."""
from __future__ import annotations

import json
import random
import struct
import zlib

import pytest

from vision_fixtures import run_tool, sample_photographs


def decode(tmp_path, data: bytes, *extra) -> dict:
    path = tmp_path / "input.bin"
    path.write_bytes(data)
    result = run_tool("decode", path, *extra, check=False)
    assert result.returncode in (0, 2), f"crashed with {result.returncode}: {result.stderr[-2000:]}"
    return json.loads(result.stdout)


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_with_size(width: int, height: int) -> bytes:
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16)) + png_chunk(b"IEND", b"")


def photo(suffix: str) -> bytes:
    return next(p for p in sample_photographs() if p.suffix == suffix).read_bytes()


def test_valid_photographs_decode(tmp_path):
    for path in sample_photographs():
        summary = decode(tmp_path, path.read_bytes())
        assert summary["width"] > 0 and summary["height"] > 0, (path, summary)


@pytest.mark.parametrize("suffix", [".jpg", ".png"])
def test_truncated_images_are_corrupt(tmp_path, suffix):
    data = photo(suffix)
    for cut in (len(data) // 2, len(data) - 200, 40):
        assert decode(tmp_path, data[:cut])["errorType"] == "Vision.CorruptImage"


def test_corrupt_png_crc_is_detected(tmp_path):
    data = bytearray(photo(".png"))
    data[len(data) // 2] ^= 0x55
    assert decode(tmp_path, bytes(data))["errorType"] == "Vision.CorruptImage"


@pytest.mark.parametrize("at", [0.3, 0.5, 0.8])
def test_corrupt_jpeg_entropy_data_is_corrupt(tmp_path, at):
    """64 bytes of 0xFF inside the entropy-coded data: 0xFF runs are fill bytes, so the byte after
    them forms a marker (it is neither the 0x00 of a stuffed 0xFF nor a restart marker, checked
    below). A marker in the middle of a scan is libjpeg's JWRN_HIT_MARKER warning ("Corrupt JPEG
    data: premature end of data segment"), which libjpeg-turbo would paper over with gray rows;
    the decoder stops on warnings, so this must be Vision.CorruptImage with libjpeg's message."""
    data = bytearray(photo(".jpg"))
    start = int(len(data) * at)
    sos = data.index(b"\xff\xda")
    assert start > sos + 64, "the corruption must land in the scan data"
    after = data[start + 64]
    assert after != 0x00 and not 0xD0 <= after <= 0xD7 and after != 0xFF, hex(after)
    data[start:start + 64] = b"\xff" * 64
    result = decode(tmp_path, bytes(data))
    assert result["errorType"] == "Vision.CorruptImage", result
    assert "Corrupt JPEG data" in result["errorMessage"], result


def test_not_an_image(tmp_path):
    assert decode(tmp_path, b'{"prompt": "this is JSON"}')["errorType"] == "Vision.NotAnImage"
    assert decode(tmp_path, b"%PDF-1.7\n...")["errorType"] == "Vision.NotAnImage"


def test_decompression_bomb_is_refused_before_decoding(tmp_path):
    bomb = png_with_size(100_000, 100_000)  # 30 GB of RGB declared in under 100 bytes
    assert len(bomb) < 100
    result = decode(tmp_path, bomb)
    assert result["errorType"] == "Vision.ImageTooLarge"
    assert decode(tmp_path, photo(".jpg"), "--max-pixels", "1000")["errorType"] == "Vision.ImageTooLarge"


def test_zero_size_images(tmp_path):
    assert decode(tmp_path, b"")["errorType"] == "Vision.EmptyImage"
    assert decode(tmp_path, png_with_size(0, 10))["errorType"] == "Vision.EmptyImage"


def test_unsupported_formats(tmp_path):
    gif = b"GIF89a" + struct.pack("<HH", 1, 1) + b"\x00\x00\x00;"
    webp = b"RIFF" + struct.pack("<I", 30) + b"WEBPVP8 " + b"\x00" * 20
    bmp = b"BM" + b"\x00" * 60
    for data in (gif, webp, bmp):
        assert decode(tmp_path, data)["errorType"] == "Vision.UnsupportedFormat"


def test_random_mutations_never_crash(tmp_path):
    """Bit flips, overwrites, cuts and insertions over real JPEG and PNG files."""
    rng = random.Random(1234)
    seeds = [photo(".jpg"), photo(".png")]
    seen = set()
    for i in range(120):
        data = bytearray(seeds[i % 2])
        for _ in range(rng.randint(1, 6)):
            at = rng.randrange(len(data))
            op = rng.randrange(4)
            if op == 0:
                data[at] ^= 1 << rng.randrange(8)
            elif op == 1:
                data[at] = rng.randrange(256)
            elif op == 2:
                del data[at:at + rng.randint(1, 512)]
            else:
                data[at:at] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 32)))
        result = decode(tmp_path, bytes(data))
        seen.add(result.get("errorType", "decoded"))
    assert seen <= {"decoded", "Vision.CorruptImage", "Vision.EmptyImage", "Vision.ImageTooLarge", "Vision.NotAnImage",
                    "Vision.UnsupportedFormat"}, seen
