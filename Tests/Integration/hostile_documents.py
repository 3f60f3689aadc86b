"""Generic hostile documents, replayed against every function by test_bad_input.py.

They are generated rather than committed (a 6 MB body, a 100k-key object). Each has a name; a
function's `events/<function>/bad/expect.json` says under "generic" what the function must answer
for the ones that reach it. Documents the Invoke API refuses before any function sees them (not
JSON, over 6 MB) carry that expectation here, the same for every function, as Lambda's would be.
"""
from __future__ import annotations

import json

SIX_MB = 6 * 1024 * 1024


def _many_keys(count: int) -> bytes:
    return ("{" + ",".join(f'"k{i}":0' for i in range(count)) + "}").encode()


def _padded(size: int) -> bytes:
    """A valid JSON object of exactly `size` bytes: an id plus one long string."""
    head = b'{"requestId":"r-big","tenantId":"t","padding":"'
    tail = b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


# name → (bytes, what the Invoke API answers, or None when the document reaches the function).
# A trailing "?" means the API may refuse it or pass it on: Lambda accepts any valid JSON up to
# 6 MB, while the local emulator parses with the default JSON limits (10,000 members per object).
GENERIC: dict[str, tuple[bytes, str | None]] = {
    # Numbers
    "huge-integer": (b'{"requestId":"r","tenantId":"t","n":' + b"9" * 30 + b"}", None),
    # Valid JSON to Lambda; beyond Double, so our parser (and the emulator) refuse it.
    "integer-beyond-double": (b'{"requestId":"r","tenantId":"t","n":' + b"9" * 400 + b"}",
                              "InvalidRequestContentException?"),
    "megabyte-of-digits": (b'{"n":' + b"7" * (1 << 20) + b"}", "InvalidRequestContentException"),
    "exponent-overflow": (b'{"n":1e999}', "InvalidRequestContentException"),
    "nan-literal": (b'{"n":NaN}', "InvalidRequestContentException"),
    "infinity-literal": (b'{"n":-Infinity}', "InvalidRequestContentException"),
    # Structure
    "deep-nesting": (b"[" * 100_000 + b"]" * 100_000, "InvalidRequestContentException"),
    "nesting-200": (b'{"a":' * 200 + b"1" + b"}" * 200, None),
    "many-keys": (_many_keys(100_000), "InvalidRequestContentException?"),
    "duplicate-keys": (b'{"requestId":"a","requestId":"b","tenantId":"t"}', "InvalidRequestContentException"),
    "trailing-garbage": (b'{"requestId":"a"} {}', "InvalidRequestContentException"),
    # Text
    "invalid-utf8": (b'{"requestId":"\xff\xfe\xfd","tenantId":"t"}', "InvalidRequestContentException"),
    "lone-surrogate": (b'{"requestId":"\\ud800","tenantId":"t"}', "InvalidRequestContentException"),
    "raw-control-character": (b'{"requestId":"a\x01b"}', "InvalidRequestContentException"),
    "control-characters-in-ids": (json.dumps({
        "requestId": "r\u0000\u001f\u007f\u0085", "tenantId": "t\nforged log line", "step": "llm\u001fx",
        "invocationId": "i\r\n"}).encode(), None),
    # Types
    "null": (b"null", None),
    "string-root": (b'"hello"', None),
    "array-root": (b"[1,2,3]", None),
    "empty-object": (b"{}", None),
    "wrong-types": (json.dumps({
        "requestId": 42, "tenantId": ["t"], "messages": "hi", "records": {"0": 1}, "plan": 7, "context": True,
        "timestamp": "yesterday"}).encode(), None),
    # Size
    "oversized-6mb": (_padded(SIX_MB + 1), "RequestEntityTooLargeException"),
    "near-limit-6mb": (_padded(SIX_MB - 1024), None),
}
