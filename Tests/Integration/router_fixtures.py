"""Helpers for the router's integration tests: a protocol-exact fake of an OpenAI-compatible chat
endpoint for the LLM classifier (served from a thread on 127.0.0.1, so the function's real libcurl
path is exercised), a copy of the bundle with an edited policy, and an independent estimate of a
call's cost computed from infra/rates.json and infra/catalog.json with Python's Decimal."""
from __future__ import annotations

import json
import shutil
import threading
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from servers import REPO

INFRA = REPO / "infra"


def bundle_copy(tmp_path: Path, edit_policy=None, model: bytes | None = None, with_model: bool = True) -> Path:
    """infra/'s policy, catalog, rates, local signals and learned classifier in tmp_path/bundle, the
    policy edited by `edit_policy`; `model` replaces the classifier file, `with_model=False` leaves it out."""
    target = tmp_path / "bundle"
    (target / "local").mkdir(parents=True, exist_ok=True)
    for name in ("policy.json", "catalog.json", "rates.json", "local/router-signals.json"):
        shutil.copy(INFRA / name, target / name)
    learned = json.loads((INFRA / "policy.json").read_text())["classifier"].get("learned")
    if learned and with_model:
        (target / learned["file"]).parent.mkdir(parents=True, exist_ok=True)
        (target / learned["file"]).write_bytes(model if model is not None else (INFRA / learned["file"]).read_bytes())
    if edit_policy:
        policy = json.loads((target / "policy.json").read_text())
        edit_policy(policy)
        (target / "policy.json").write_text(json.dumps(policy))
    return target


def input_tokens(request: dict) -> int:
    """The router's documented estimate: (UTF-8 bytes + 3) // 4 + 4 per message, text only."""
    texts = []
    for message in request.get("messages", []):
        content = message["content"]
        texts += [content] if isinstance(content, str) else [p["text"] for p in content if p.get("type") == "text"]
    size = sum(len(t.encode()) for t in texts)
    return (size + 3) // 4 + 4 * max(len(texts), 1)


def estimated_cost_pico(model: str, request: dict, category: str) -> int:
    """One LLM call's cost in pico-USD, rounded up: every input token at the fresh-input price."""
    rates = json.loads((INFRA / "rates.json").read_text())
    catalog = {m["id"]: m for m in json.loads((INFRA / "catalog.json").read_text())["models"]}
    policy = json.loads((INFRA / "policy.json").read_text())
    rate = max((r for r in rates["models"] if r["model"] == model), key=lambda r: r["effectiveFrom"])
    outputs = policy["defaults"]["outputTokens"]
    requested = (request.get("parameters") or {}).get("maxTokens") or outputs.get(category, outputs["default"])
    entry = catalog[model]
    output = min(requested, entry.get("maxOutputTokens", entry["contextWindow"]))
    pico = Decimal(10) ** 12
    per_token_in = Decimal(rate.get("inputPerMillionTokens", "0")) * pico / 10**6
    per_token_out = Decimal(rate.get("outputPerMillionTokens", "0")) * pico / 10**6
    exact = input_tokens(request) * per_token_in + output * per_token_out
    return int(-(-exact // 1))


class FakeClassifierEndpoint:
    """Answers POST /v1/chat/completions with `content` as the assistant message; records requests."""

    def __init__(self, content: str, status: int = 200):
        self.content = content
        self.status = status
        self.requests: list[dict] = []
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                endpoint.requests.append({"path": self.path, "body": body, "authorization": self.headers.get("Authorization")})
                payload = json.dumps({
                    "id": "chatcmpl-fake", "object": "chat.completion", "model": body.get("model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": endpoint.content}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 50, "completion_tokens": 10, "total_tokens": 60},
                }).encode()
                self.send_response(endpoint.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeClassifierEndpoint":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()
