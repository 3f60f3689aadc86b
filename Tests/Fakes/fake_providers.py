#!/usr/bin/env python3
"""Protocol-exact fake of the OpenAI Chat Completions, Anthropic Messages and Bedrock Converse /
ConverseStream APIs, with fault injection, for tests and benchmarks of the llm-caller.

Real SaaS endpoints cannot be reached from CI, so this server reproduces what the llm-caller
depends on: paths, auth headers, JSON bodies, stream framing (`data:` chunks and `[DONE]`; Anthropic's
event types; Bedrock's binary AWS event-stream), error bodies and rate-limit headers as documented.

Faults are chosen per request through the model name, so a test picks its scenario without any
side channel: everything after the first `?` in the model is a query string, e.g.

    gpt-fake?fault=rate_limit&times=2&retry_after=1&scenario=t17

fault         effect
rate_limit    429 + retry-after (seconds) / retry-after-ms, provider's error body
server_error  500 with the provider's error body
overloaded    529 overloaded_error (Anthropic's form; OpenAI/Bedrock get 503)
slow          waits `delay_ms` (default 2000) before the status line
cut           stream: sends some chunks, then ends the HTTP body cleanly WITHOUT the terminator
              ([DONE] / message_stop); non-stream: declares a longer Content-Length and closes
drop          stream: closes the TCP connection mid-chunk (broken chunked encoding)
malformed     200 with a body that is not valid JSON (stream: one `data:` line that is not JSON)
context       400 context-window error (OpenAI `context_length_exceeded`, Anthropic/Bedrock text)
no_usage      success without usage figures (stream: OpenAI ignores include_usage)
auth          401 with the provider's authentication error

`times=N` applies the fault to the first N requests of that exact model string, then answers
normally (default: every request). Options that shape a success: `completion_bytes=N` (length of
the reply text), `cached=N`, `reasoning=N`, `cache_write=N` (usage details reported), `tool=NAME`
(when the request offers that tool, answer with a call to it — OpenAI `tool_calls`, Anthropic
`tool_use`, Bedrock `toolUse` — buffered or streamed, arguments `{"query": <first prompt words>}`).

Embeddings: OpenAI `POST /v1/embeddings` and Bedrock Titan `POST /model/{id}/invoke` answer with
deterministic vectors (`dimensions`, default 8) and token counts (one per word), with the same
faults.

Faults can also be armed for a model name without changing it (the llm-caller sends only catalog
provider model names, so the local stack's end-to-end tests arm faults this way):
POST /_fake/faults {"model": "gpt-4o-mini", "fault": "rate_limit", "times": 1, "retry_after": "0.4"}
applies that fault (and its options) to the next `times` requests for exactly that model.

Introspection for tests: GET /_fake/requests?model=... lists requests seen (path, model, stream,
the parsed request body, its headers, status returned, usage returned); GET /_fake/connections
counts the TCP connections accepted so far (connection reuse is checked on the server side);
POST /_fake/reset clears counters.
GET /health answers 200. It also answers Secrets Manager `GetSecretValue` (POST / with
`X-Amz-Target: secretsmanager.GetSecretValue`, SigV4-signed) for the secret `llm-provider-keys`,
a JSON object holding the two keys above.
"""
from __future__ import annotations

import argparse
import json
import socket
import sys
import threading
import time
import uuid
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote, urlsplit

OPENAI_KEY = "sk-fake-openai"
ANTHROPIC_KEY = "sk-ant-fake"

_lock = threading.Lock()
_connections = 0
_counts: dict[str, int] = {}
_log: list[dict] = []
_armed: dict[str, dict] = {}


def parse_model(model: str) -> tuple[str, dict[str, str]]:
    base, _, query = model.partition("?")
    options = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
    return base, options


def fault_for(model: str, options: dict[str, str]) -> str | None:
    """The fault this request gets, counting requests per exact model string. A fault armed for
    this model (POST /_fake/faults) comes first, and its options join the request's."""
    fault = options.get("fault")
    with _lock:
        seen = _counts.get(model, 0)
        _counts[model] = seen + 1
        armed = _armed.get(model)
        if armed and armed["times"] > 0:
            armed["times"] -= 1
            options.update(armed["options"])
            return armed["options"].get("fault")
    if not fault:
        return None
    times = options.get("times")
    if times is not None and seen >= int(times):
        return None
    return fault


def prompt_text(messages: list, system=None) -> str:
    parts: list[str] = []

    def add(content):
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):
            for block in content:
                if isinstance(block, dict):
                    if isinstance(block.get("text"), str):
                        parts.append(block["text"])
    if isinstance(system, str):
        parts.append(system)
    elif isinstance(system, list):
        add(system)
    for m in messages or []:
        if isinstance(m, dict):
            add(m.get("content"))
    return " ".join(parts)


def count_tokens(text: str) -> int:
    """The fake's tokenizer: one token per whitespace-separated word, plus a fixed overhead."""
    return len(text.split()) + 3


def completion_for(prompt: str, options: dict[str, str]) -> str:
    size = options.get("completion_bytes")
    if size is not None:
        n = int(size)
        words = ("lorem ipsum dolor sit amet " * (n // 26 + 1))[:n]
        return words
    return "Echo: " + " ".join(prompt.split()[:12])


def offered_tools(req: dict, provider: str) -> list[str]:
    tools = (req.get("toolConfig") or {}).get("tools") if provider == "bedrock" else req.get("tools")
    names = []
    for tool in tools or []:
        if provider == "openai":
            names.append((tool.get("function") or {}).get("name"))
        elif provider == "anthropic":
            names.append(tool.get("name"))
        else:
            names.append((tool.get("toolSpec") or {}).get("name"))
    return names


def tool_call_for(req: dict, options: dict[str, str], prompt: str, provider: str) -> dict | None:
    """The tool call this request gets (option `tool=NAME`, when the request offers that tool)."""
    name = options.get("tool")
    if not name or name not in offered_tools(req, provider):
        return None
    prefix = {"openai": "call_", "anthropic": "toolu_", "bedrock": "tooluse_"}[provider]
    return {"id": prefix + uuid.uuid4().hex[:12], "name": name,
            "arguments": json.dumps({"query": " ".join(prompt.split()[:3])}, separators=(",", ":"))}


def embedding(text: str, dimensions: int) -> list[float]:
    """A deterministic vector for `text`."""
    return [((zlib.crc32(f"{i}:{text}".encode()) % 2001) - 1000) / 1000 for i in range(dimensions)]


def split_chunks(text: str, pieces: int = 4) -> list[str]:
    words = text.split(" ")
    if len(words) <= 1:
        return [text]
    step = max(1, len(words) // pieces)
    out = []
    for i in range(0, len(words), step):
        chunk = " ".join(words[i:i + step])
        out.append(chunk if i == 0 else " " + chunk)
    return out


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fake-providers/1"
    sys_version = ""

    def setup(self):
        global _connections
        with _lock:
            _connections += 1
        super().setup()
        # Headers and body go out in separate writes; without this, Nagle plus delayed ACK
        # adds ~40 ms to every kept-alive request.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, fmt, *args):  # quiet: tests read /_fake/requests instead
        pass

    # ---- plumbing -------------------------------------------------------------------------
    def _body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, body: bytes, headers: dict[str, str] | None = None,
              content_type: str = "application/json"):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, doc, headers=None):
        self._send(status, json.dumps(doc, separators=(",", ":")).encode(), headers)

    def _start_stream(self, headers: dict[str, str]):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()

    def _chunk(self, data: bytes):
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def _end_chunks(self):
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _drop(self):
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.close_connection = True

    def _record(self, entry: dict):
        with _lock:
            _log.append(entry)

    # ---- routes ---------------------------------------------------------------------------
    def do_GET(self):
        url = urlsplit(self.path)
        if url.path == "/health":
            return self._json(200, {"status": "ok"})
        if url.path == "/_fake/connections":
            with _lock:
                accepted = _connections
            return self._json(200, {"connections": accepted})
        if url.path == "/_fake/requests":
            want = parse_qs(url.query).get("model", [None])[0]
            with _lock:
                items = [e for e in _log if want is None or e.get("model") == want]
            return self._json(200, {"requests": items})
        self._json(404, {"error": {"message": f"Unknown path {url.path}", "type": "invalid_request_error"}})

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path == "/_fake/reset":
            with _lock:
                _counts.clear()
                _log.clear()
                _armed.clear()
            self._body()
            return self._json(200, {"reset": True})
        if url.path == "/_fake/faults":
            spec = json.loads(self._body() or b"{}")
            model, times = spec.pop("model"), int(spec.pop("times", 1))
            with _lock:
                _armed[model] = {"times": times, "options": {k: str(v) for k, v in spec.items()}}
            return self._json(200, {"armed": model, "times": times})
        raw = self._body()
        if url.path == "/" and self.headers.get("X-Amz-Target", "").startswith("secretsmanager."):
            return self.secrets_manager(raw)
        if url.path == "/v1/chat/completions":
            return self.openai(raw)
        if url.path == "/v1/embeddings":
            return self.openai_embeddings(raw)
        if url.path.startswith("/model/") and url.path.endswith("/invoke"):
            return self.titan_embeddings(raw, unquote(url.path[len("/model/"):url.path.rindex("/")]))
        if url.path == "/v1/messages":
            return self.anthropic(raw)
        if url.path.startswith("/model/") and (url.path.endswith("/converse") or url.path.endswith("/converse-stream")):
            return self.bedrock(raw, unquote(url.path[len("/model/"):url.path.rindex("/")]),
                                url.path.endswith("/converse-stream"))
        self._json(404, {"error": {"message": f"Unknown path {url.path}", "type": "invalid_request_error"}})

    # ---- OpenAI -----------------------------------------------------------------------------
    def openai(self, raw: bytes):
        rid = "req_" + uuid.uuid4().hex[:16]
        common = {"x-request-id": rid, "openai-processing-ms": "1", "openai-version": "2020-10-01",
                  "x-ratelimit-limit-requests": "10000", "x-ratelimit-remaining-requests": "9999",
                  "x-ratelimit-reset-requests": "6ms", "x-ratelimit-limit-tokens": "30000000",
                  "x-ratelimit-remaining-tokens": "29999000", "x-ratelimit-reset-tokens": "2ms"}
        auth = self.headers.get("Authorization", "")
        try:
            req = json.loads(raw)
        except ValueError:
            return self._json(400, {"error": {"message": "We could not parse the JSON body of your request.",
                                              "type": "invalid_request_error", "param": None, "code": None}}, common)
        model = req.get("model", "")
        base, options = parse_model(model)
        stream = bool(req.get("stream"))
        include_usage = bool((req.get("stream_options") or {}).get("include_usage"))
        entry = {"provider": "openai", "model": model, "stream": stream, "status": 200, "usage": None,
                 "authorization_ok": auth == f"Bearer {OPENAI_KEY}", "request": req, "headers": dict(self.headers)}
        if auth != f"Bearer {OPENAI_KEY}":
            entry["status"] = 401
            self._record(entry)
            return self._json(401, {"error": {"message": "Incorrect API key provided: sk-***. You can find your API key at https://platform.openai.com/account/api-keys.",
                                              "type": "invalid_request_error", "param": None, "code": "invalid_api_key"}}, common)
        fault = fault_for(model, options)
        if fault == "slow":
            time.sleep(int(options.get("delay_ms", "2000")) / 1000)
        error = self.openai_error(fault, options)
        if error:
            status, body, extra = error
            entry["status"] = status
            self._record(entry)
            return self._json(status, body, {**common, **extra})
        if not isinstance(req.get("messages"), list) or not req["messages"]:
            entry["status"] = 400
            self._record(entry)
            return self._json(400, {"error": {"message": "[] is too short - 'messages'", "type": "invalid_request_error",
                                              "param": None, "code": None}}, common)
        prompt = prompt_text(req["messages"])
        call = tool_call_for(req, options, prompt, "openai")
        text = call["arguments"] if call else completion_for(prompt, options)
        usage = {"prompt_tokens": count_tokens(prompt), "completion_tokens": len(text.split()),
                 "prompt_tokens_details": {"cached_tokens": int(options.get("cached", "0")), "audio_tokens": 0},
                 "completion_tokens_details": {"reasoning_tokens": int(options.get("reasoning", "0")), "audio_tokens": 0,
                                               "accepted_prediction_tokens": 0, "rejected_prediction_tokens": 0}}
        usage["completion_tokens"] += usage["completion_tokens_details"]["reasoning_tokens"]
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        cid = "chatcmpl-" + uuid.uuid4().hex[:24]
        created = int(time.time())
        if not stream:
            if fault == "malformed":
                entry["status"] = 200
                self._record(entry)
                return self._send(200, b'{"id": "' + cid.encode() + b'", "choices": [{"index": 0, "message": {', common)
            if fault == "cut":
                self._record(entry)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "4096")
                self.end_headers()
                self.wfile.write(b'{"id":"' + cid.encode() + b'","object":"chat.completion","choices":[')
                return self._drop()
            message = {"role": "assistant", "content": text, "refusal": None, "annotations": []}
            if call:
                message["content"] = None
                message["tool_calls"] = [{"id": call["id"], "type": "function",
                                          "function": {"name": call["name"], "arguments": call["arguments"]}}]
            body = {"id": cid, "object": "chat.completion", "created": created, "model": base,
                    "choices": [{"index": 0, "message": message,
                                 "logprobs": None, "finish_reason": "tool_calls" if call else "stop"}],
                    "usage": None if fault == "no_usage" else usage,
                    "service_tier": "default", "system_fingerprint": "fp_fake0001"}
            if fault == "no_usage":
                del body["usage"]
            entry["usage"] = body.get("usage")
            self._record(entry)
            return self._json(200, body, common)
        # streaming: recorded up front (and updated in place) so a client that hangs up still shows
        self._start_stream(common)
        self._record(entry)

        def chunk(delta, finish=None, with_usage=False, usage_value=None, choices=True):
            doc = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": base,
                   "service_tier": "default", "system_fingerprint": "fp_fake0001",
                   "choices": ([{"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}] if choices else [])}
            if with_usage:
                doc["usage"] = usage_value
            self._chunk(b"data: " + json.dumps(doc, separators=(",", ":")).encode() + b"\n\n")

        report_usage = include_usage and fault != "no_usage"
        if call:
            chunk({"role": "assistant", "content": None, "tool_calls": [
                {"index": 0, "id": call["id"], "type": "function", "function": {"name": call["name"], "arguments": ""}}]},
                with_usage=report_usage)
            half = len(text) // 2
            for piece in (text[:half], text[half:]):
                chunk({"tool_calls": [{"index": 0, "function": {"arguments": piece}}]}, with_usage=report_usage)
            chunk({}, finish="tool_calls", with_usage=report_usage)
            if report_usage:
                chunk(None, with_usage=True, usage_value=usage, choices=False)
                entry["usage"] = usage
            self._chunk(b"data: [DONE]\n\n")
            return self._end_chunks()
        chunk({"role": "assistant", "content": "", "refusal": None}, with_usage=report_usage)
        pieces = split_chunks(text)
        for i, piece in enumerate(pieces):
            if fault == "malformed" and i == 1:
                self._chunk(b'data: {"id":"' + cid.encode() + b'","choices":[{"delta":{"content":"oops"\n\n')
                continue
            chunk({"content": piece}, with_usage=report_usage)
            if fault in ("cut", "drop") and i == len(pieces) // 2:
                entry["truncated"] = fault
                if fault == "cut":
                    return self._end_chunks()
                self.wfile.write(b"40\r\ndata: {\"partial")
                return self._drop()
        chunk({}, finish="stop", with_usage=report_usage)
        if report_usage:
            chunk(None, with_usage=True, usage_value=usage, choices=False)
            entry["usage"] = usage
        self._chunk(b"data: [DONE]\n\n")
        self._end_chunks()

    def openai_error(self, fault, options):
        retry_after = options.get("retry_after", "1")
        if fault == "rate_limit":
            return 429, {"error": {"message": "Rate limit reached for requests. Please try again in 1s.",
                                   "type": "requests", "param": None, "code": "rate_limit_exceeded"}}, \
                {"retry-after": retry_after, "retry-after-ms": str(int(float(retry_after) * 1000)),
                 "x-ratelimit-remaining-requests": "0"}
        if fault == "server_error":
            return 500, {"error": {"message": "The server had an error while processing your request. Sorry about that!",
                                   "type": "server_error", "param": None, "code": None}}, {}
        if fault == "overloaded":
            return 503, {"error": {"message": "The engine is currently overloaded, please try again later.",
                                   "type": "server_error", "param": None, "code": None}}, {}
        if fault == "context":
            return 400, {"error": {"message": "This model's maximum context length is 128000 tokens. However, your messages resulted in 130012 tokens. Please reduce the length of the messages.",
                                   "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}}, {}
        if fault == "auth":
            return 401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                   "param": None, "code": "invalid_api_key"}}, {}
        return None

    def openai_embeddings(self, raw: bytes):
        auth = self.headers.get("Authorization", "")
        try:
            req = json.loads(raw)
        except ValueError:
            return self._json(400, {"error": {"message": "We could not parse the JSON body of your request.",
                                              "type": "invalid_request_error", "param": None, "code": None}})
        model = req.get("model", "")
        base, options = parse_model(model)
        entry = {"provider": "openai", "model": model, "stream": False, "status": 200, "usage": None,
                 "request": req, "headers": dict(self.headers), "authorization_ok": auth == f"Bearer {OPENAI_KEY}"}
        if not entry["authorization_ok"]:
            entry["status"] = 401
            self._record(entry)
            return self._json(401, {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error",
                                              "param": None, "code": "invalid_api_key"}})
        error = self.openai_error(fault_for(model, options), options)
        if error:
            status, body, extra = error
            entry["status"] = status
            self._record(entry)
            return self._json(status, body, extra)
        inputs = req.get("input")
        inputs = [inputs] if isinstance(inputs, str) else inputs
        dimensions = int(req.get("dimensions") or 8)
        usage = {"prompt_tokens": sum(len(t.split()) for t in inputs), "total_tokens": sum(len(t.split()) for t in inputs)}
        entry["usage"] = usage
        self._record(entry)
        self._json(200, {"object": "list", "model": base, "usage": usage,
                         "data": [{"object": "embedding", "index": i, "embedding": embedding(t, dimensions)}
                                  for i, t in enumerate(inputs)]})

    def _bedrock_request(self, raw: bytes, model: str, stream: bool):
        """What every Bedrock operation checks first: a SigV4 signature for bedrock and a JSON body.
        Returns (entry, common headers, error sender, request), or None once an error is answered."""
        auth = self.headers.get("Authorization", "")
        entry = {"provider": "bedrock", "model": model, "stream": stream, "status": 200, "usage": None,
                 "headers": dict(self.headers),
                 "signed": auth.startswith("AWS4-HMAC-SHA256 Credential=") and "/bedrock/aws4_request" in auth
                 and bool(self.headers.get("X-Amz-Date"))}
        common = {"x-amzn-RequestId": str(uuid.uuid4())}

        def error(status, etype, message):
            entry["status"] = status
            self._record(entry)
            return self._json(status, {"message": message},
                              {**common, "x-amzn-ErrorType": f"{etype}:http://internal.amazon.com/coral/com.amazon.bedrock/"})
        if not entry["signed"]:
            return error(403, "UnrecognizedClientException", "The security token included in the request is invalid.")
        try:
            req = json.loads(raw)
        except ValueError:
            return error(400, "SerializationException", "Unable to parse request body")
        entry["request"] = req
        return entry, common, error, req

    def titan_embeddings(self, raw: bytes, model: str):
        begun = self._bedrock_request(raw, model, stream=False)
        if begun is None:
            return
        entry, common, error, req = begun
        base, options = parse_model(model)
        fault = fault_for(model, options)
        if fault == "rate_limit":
            return error(429, "ThrottlingException", "Too many requests, please wait before trying again.")
        if fault == "server_error":
            return error(500, "InternalServerException", "The server encountered an internal error.")
        text = req.get("inputText")
        if not isinstance(text, str) or not text:
            return error(400, "ValidationException", "Malformed input request: inputText is required")
        count = len(text.split())
        entry["usage"] = {"inputTextTokenCount": count}
        self._record(entry)
        self._json(200, {"embedding": embedding(text, int(req.get("dimensions") or 8)), "inputTextTokenCount": count},
                   common)

    # ---- Anthropic --------------------------------------------------------------------------
    def anthropic(self, raw: bytes):
        rid = "req_" + uuid.uuid4().hex[:24]
        common = {"request-id": rid, "anthropic-organization-id": "00000000-0000-0000-0000-000000000000",
                  "anthropic-ratelimit-requests-limit": "4000", "anthropic-ratelimit-requests-remaining": "3999",
                  "anthropic-ratelimit-requests-reset": "2026-01-01T00:00:01Z",
                  "anthropic-ratelimit-tokens-limit": "400000", "anthropic-ratelimit-tokens-remaining": "399000"}

        def error(status, etype, message, extra=None):
            return self._json(status, {"type": "error", "error": {"type": etype, "message": message},
                                       "request_id": rid}, {**common, **(extra or {})})
        try:
            req = json.loads(raw)
        except ValueError:
            return error(400, "invalid_request_error", "Request body is not valid JSON")
        model = req.get("model", "")
        base, options = parse_model(model)
        stream = bool(req.get("stream"))
        entry = {"provider": "anthropic", "model": model, "stream": stream, "status": 200, "usage": None,
                 "request": req, "headers": dict(self.headers)}
        if self.headers.get("x-api-key") != ANTHROPIC_KEY:
            entry["status"] = 401
            self._record(entry)
            return error(401, "authentication_error", "invalid x-api-key")
        if not self.headers.get("anthropic-version"):
            entry["status"] = 400
            self._record(entry)
            return error(400, "invalid_request_error", "anthropic-version: header is required")
        if "max_tokens" not in req:
            entry["status"] = 400
            self._record(entry)
            return error(400, "invalid_request_error", "max_tokens: Field required")
        fault = fault_for(model, options)
        if fault == "slow":
            time.sleep(int(options.get("delay_ms", "2000")) / 1000)
        retry_after = options.get("retry_after", "1")
        faults = {
            "rate_limit": (429, "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit",
                           {"retry-after": retry_after, "anthropic-ratelimit-requests-remaining": "0"}),
            "server_error": (500, "api_error", "Internal server error", {}),
            "overloaded": (529, "overloaded_error", "Overloaded", {}),
            "context": (400, "invalid_request_error", "prompt is too long: 210000 tokens > 200000 maximum", {}),
            "auth": (401, "authentication_error", "invalid x-api-key", {}),
        }
        if fault in faults:
            status, etype, message, extra = faults[fault]
            entry["status"] = status
            self._record(entry)
            return error(status, etype, message, extra)
        prompt = prompt_text(req.get("messages"), req.get("system"))
        call = tool_call_for(req, options, prompt, "anthropic")
        text = call["arguments"] if call else completion_for(prompt, options)
        usage = {"input_tokens": count_tokens(prompt), "cache_creation_input_tokens": int(options.get("cache_write", "0")),
                 "cache_read_input_tokens": int(options.get("cached", "0")), "output_tokens": len(text.split())}
        mid = "msg_" + uuid.uuid4().hex[:24]
        if not stream:
            if fault == "malformed":
                self._record(entry)
                return self._send(200, b'{"id":"' + mid.encode() + b'","type":"message","content":[{"type":"te', common)
            content = ([{"type": "tool_use", "id": call["id"], "name": call["name"], "input": json.loads(text)}]
                       if call else [{"type": "text", "text": text}])
            body = {"id": mid, "type": "message", "role": "assistant", "model": base,
                    "content": content, "stop_reason": "tool_use" if call else "end_turn", "stop_sequence": None,
                    "usage": {**usage, "service_tier": "standard"}}
            entry["usage"] = body["usage"]
            self._record(entry)
            return self._json(200, body, common)
        self._start_stream(common)
        self._record(entry)

        def event(name, doc):
            self._chunk(b"event: " + name.encode() + b"\ndata: " + json.dumps(doc, separators=(",", ":")).encode() + b"\n\n")

        event("message_start", {"type": "message_start", "message": {
            "id": mid, "type": "message", "role": "assistant", "model": base, "content": [], "stop_reason": None,
            "stop_sequence": None, "usage": {"input_tokens": usage["input_tokens"],
                                             "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
                                             "cache_read_input_tokens": usage["cache_read_input_tokens"],
                                             "output_tokens": 1, "service_tier": "standard"}}})
        if call:
            event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {
                "type": "tool_use", "id": call["id"], "name": call["name"], "input": {}}})
            half = len(text) // 2
            for piece in (text[:half], text[half:]):
                event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                              "delta": {"type": "input_json_delta", "partial_json": piece}})
            event("content_block_stop", {"type": "content_block_stop", "index": 0})
            event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                                    "usage": {"output_tokens": usage["output_tokens"]}})
            entry["usage"] = usage
            event("message_stop", {"type": "message_stop"})
            return self._end_chunks()
        event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
        event("ping", {"type": "ping"})
        pieces = split_chunks(text)
        for i, piece in enumerate(pieces):
            if fault == "malformed" and i == 1:
                self._chunk(b'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"ty\n\n')
                continue
            event("content_block_delta", {"type": "content_block_delta", "index": 0,
                                          "delta": {"type": "text_delta", "text": piece}})
            if fault in ("cut", "drop") and i == len(pieces) // 2:
                entry["truncated"] = fault
                if fault == "cut":
                    return self._end_chunks()
                self.wfile.write(b"40\r\nevent: content_block_delta\ndata: {")
                return self._drop()
        event("content_block_stop", {"type": "content_block_stop", "index": 0})
        final_usage = {"output_tokens": usage["output_tokens"]}
        event("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                                "usage": final_usage})
        entry["usage"] = usage
        event("message_stop", {"type": "message_stop"})
        self._end_chunks()

    # ---- Secrets Manager GetSecretValue (awsJson1.1) -----------------------------------------
    def secrets_manager(self, raw: bytes):
        """Serves one secret, `llm-provider-keys`, holding the keys this fake accepts."""
        auth = self.headers.get("Authorization", "")
        entry = {"provider": "secretsmanager", "model": None, "status": 200,
                 "signed": auth.startswith("AWS4-HMAC-SHA256 Credential=") and "/secretsmanager/aws4_request" in auth}
        headers = {"x-amzn-RequestId": str(uuid.uuid4())}
        if not entry["signed"]:
            entry["status"] = 400
            self._record(entry)
            return self._send(400, json.dumps({"__type": "UnrecognizedClientException",
                                               "message": "The security token included in the request is invalid."}).encode(),
                              headers, "application/x-amz-json-1.1")
        secret_id = json.loads(raw or b"{}").get("SecretId")
        entry["model"] = secret_id
        if self.headers.get("X-Amz-Target") != "secretsmanager.GetSecretValue" or secret_id != "llm-provider-keys":
            entry["status"] = 400
            self._record(entry)
            return self._send(400, json.dumps({"__type": "ResourceNotFoundException",
                                               "message": "Secrets Manager can't find the specified secret."}).encode(),
                              headers, "application/x-amz-json-1.1")
        self._record(entry)
        body = {"ARN": "arn:aws:secretsmanager:us-east-1:123456789012:secret:llm-provider-keys-AbCdEf",
                "Name": "llm-provider-keys", "VersionId": "00000000-0000-0000-0000-000000000001",
                "SecretString": json.dumps({"OPENAI_API_KEY": OPENAI_KEY, "ANTHROPIC_API_KEY": ANTHROPIC_KEY}),
                "VersionStages": ["AWSCURRENT"], "CreatedDate": 1.7e9}
        self._send(200, json.dumps(body).encode(), headers, "application/x-amz-json-1.1")

    # ---- Bedrock Converse and ConverseStream ------------------------------------------------
    def bedrock(self, raw: bytes, model: str, stream: bool = False):
        begun = self._bedrock_request(raw, model, stream)
        if begun is None:
            return
        entry, common, error, req = begun
        base, options = parse_model(model)
        fault = fault_for(model, options)
        if fault == "slow":
            time.sleep(int(options.get("delay_ms", "2000")) / 1000)
        faults = {"rate_limit": (429, "ThrottlingException", "Too many requests, please wait before trying again."),
                  "server_error": (500, "InternalServerException", "The server encountered an internal error."),
                  "overloaded": (503, "ServiceUnavailableException", "The service is temporarily unable to handle the request."),
                  "context": (400, "ValidationException", "Input is too long for requested model.")}
        if fault in faults:
            return error(*faults[fault])
        if not isinstance(req.get("messages"), list) or not req["messages"]:
            return error(400, "ValidationException", "The model returned the following errors: messages: at least one message is required")
        prompt = prompt_text(req["messages"], req.get("system"))
        call = tool_call_for(req, options, prompt, "bedrock")
        text = call["arguments"] if call else completion_for(prompt, options)
        usage = {"inputTokens": count_tokens(prompt), "outputTokens": len(text.split())}
        usage["totalTokens"] = usage["inputTokens"] + usage["outputTokens"]
        if options.get("cached"):
            usage["cacheReadInputTokens"] = int(options["cached"])
            usage["cacheWriteInputTokens"] = int(options.get("cache_write", "0"))
        if stream:
            return self.bedrock_stream(entry, common, text, usage, fault, call)
        if fault == "malformed":
            self._record(entry)
            return self._send(200, b'{"output":{"message":', common)
        content = ([{"toolUse": {"toolUseId": call["id"], "name": call["name"], "input": json.loads(text)}}]
                   if call else [{"text": text}])
        body = {"output": {"message": {"role": "assistant", "content": content}},
                "stopReason": "tool_use" if call else "end_turn",
                "usage": usage, "metrics": {"latencyMs": 1}}
        entry["usage"] = usage
        self._record(entry)
        self._json(200, body, common)

    @staticmethod
    def event_stream_message(headers: dict[str, str], payload: bytes) -> bytes:
        """One AWS event-stream message: prelude (lengths + CRC32), string headers, payload, CRC32."""
        encoded = b""
        for name, value in headers.items():
            n, v = name.encode(), value.encode()
            encoded += bytes([len(n)]) + n + b"\x07" + len(v).to_bytes(2, "big") + v
        total = 12 + len(encoded) + len(payload) + 4
        prelude = total.to_bytes(4, "big") + len(encoded).to_bytes(4, "big")
        prelude += zlib.crc32(prelude).to_bytes(4, "big")
        message = prelude + encoded + payload
        return message + zlib.crc32(message).to_bytes(4, "big")

    def bedrock_stream(self, entry, common, text, usage, fault, call=None):
        self.send_response(200)
        self.send_header("Content-Type", "application/vnd.amazon.eventstream")
        self.send_header("Transfer-Encoding", "chunked")
        for k, v in common.items():
            self.send_header(k, v)
        self.end_headers()
        self._record(entry)

        def event(name, doc, corrupt=False):
            doc = {**doc, "p": "abcdefghijklmnopqrstuvwxyzABCDEFGHIJ"[:len(name)]}  # Bedrock pads payloads
            message = self.event_stream_message(
                {":event-type": name, ":content-type": "application/json", ":message-type": "event"},
                json.dumps(doc, separators=(",", ":")).encode())
            if corrupt:
                message = message[:-1] + bytes([message[-1] ^ 0xFF])
            self._chunk(message)

        event("messageStart", {"role": "assistant"})
        if call:
            event("contentBlockStart", {"contentBlockIndex": 0, "start": {"toolUse": {"toolUseId": call["id"], "name": call["name"]}}})
            half = len(text) // 2
            for piece in (text[:half], text[half:]):
                event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"toolUse": {"input": piece}}})
            event("contentBlockStop", {"contentBlockIndex": 0})
            event("messageStop", {"stopReason": "tool_use"})
            entry["usage"] = usage
            event("metadata", {"usage": usage, "metrics": {"latencyMs": 1}})
            return self._end_chunks()
        pieces = split_chunks(text)
        for i, piece in enumerate(pieces):
            event("contentBlockDelta", {"contentBlockIndex": 0, "delta": {"text": piece}}, corrupt=fault == "malformed" and i == 1)
            if fault in ("cut", "drop") and i == len(pieces) // 2:
                entry["truncated"] = fault
                if fault == "cut":
                    return self._end_chunks()
                self.wfile.write(b"40\r\n\x00\x00\x00")
                return self._drop()
        event("contentBlockStop", {"contentBlockIndex": 0})
        event("messageStop", {"stopReason": "end_turn"})
        entry["usage"] = usage
        event("metadata", {"usage": usage, "metrics": {"latencyMs": 1}})
        self._end_chunks()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8790)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), Handler)
    server.daemon_threads = True
    print(f"fake-providers listening on http://{args.host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
