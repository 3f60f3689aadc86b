"""The local Lambda emulator as a test fixture, running the real bootstrap binaries."""
from __future__ import annotations

import base64
import json
import os
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from servers import REPO, ManagedProcess, free_port


def bin_dir() -> Path:
    """Where the built executables are: $SWITCHYARD_BIN, else the release build, else debug."""
    if os.environ.get("SWITCHYARD_BIN"):
        return Path(os.environ["SWITCHYARD_BIN"])
    for candidate in (REPO / ".build" / "release", REPO / ".build" / "debug"):
        if (candidate / "switchyard-emulator").exists():
            return candidate
    raise RuntimeError("no build found: run scripts/build first")


@dataclass
class InvokeResult:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def json(self):
        return json.loads(self.body)

    @property
    def function_error(self) -> str | None:
        return self.headers.get("x-amz-function-error")


class Emulator:
    def __init__(self, port: int, process: ManagedProcess):
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process = process

    def invoke(self, function: str, payload, *, raw: bytes | None = None, invocation_type: str | None = None,
               client_context: dict | None = None, timeout: float = 60) -> InvokeResult:
        body = raw if raw is not None else json.dumps(payload).encode()
        request = urllib.request.Request(f"{self.url}/2015-03-31/functions/{function}/invocations", data=body, method="POST")
        request.add_header("Content-Type", "application/json")
        if invocation_type:
            request.add_header("X-Amz-Invocation-Type", invocation_type)
        if client_context is not None:
            request.add_header("X-Amz-Client-Context", base64.b64encode(json.dumps(client_context).encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return InvokeResult(response.status, {k.lower(): v for k, v in response.headers.items()}, response.read())
        except urllib.error.HTTPError as e:
            return InvokeResult(e.code, {k.lower(): v for k, v in e.headers.items()}, e.read())


def start_emulator(config: Path | dict, env: dict[str, str] | None = None, tmp_path: Path | None = None) -> tuple[Emulator, ManagedProcess]:
    """Starts the emulator on a free port with `config` (a path, or a dict written to tmp_path)."""
    if isinstance(config, dict):
        assert tmp_path is not None
        path = tmp_path / "functions.json"
        path.write_text(json.dumps(config))
        config = path
    port = free_port()
    binaries = bin_dir()
    process = ManagedProcess(
        [binaries / "switchyard-emulator", "--config", config, "--port", str(port)],
        name="emulator", health_url=f"http://127.0.0.1:{port}/health",
        # The bundle (catalog, policy, rates) for functions.json's ${SWITCHYARD_BUNDLE_DIR}: the repo's infra/;
        # the in-process detector's generated model under .run/models/ (scripts/vision-make-model --local).
        env={"SWITCHYARD_BIN": str(binaries),
             "SWITCHYARD_BUNDLE_DIR": os.environ.get("SWITCHYARD_BUNDLE_DIR") or str(REPO / "infra"),
             "SWITCHYARD_VISION_MODEL_DIR": os.environ.get("SWITCHYARD_VISION_MODEL_DIR") or str(REPO / ".run"),
             **(env or {})})
    process.start()
    return Emulator(port, process), process
