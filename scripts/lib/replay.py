"""scripts/replay: invoke a function through the emulator and print each response."""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "Integration"))
from emulator_fixtures import Emulator, start_emulator  # noqa: E402
from servers import REPO  # noqa: E402


def main() -> int:
    function, events = sys.argv[1], sys.argv[2:]
    endpoint = os.environ.get("SWITCHYARD_LAMBDA_ENDPOINT")
    process = None
    if endpoint:
        emulator = Emulator(int(endpoint.rsplit(":", 1)[1]), None)
        emulator.url = endpoint
    else:
        emulator, process = start_emulator(REPO / os.environ.get("SWITCHYARD_FUNCTIONS", "infra/local/functions.json"))
    status = 0
    try:
        for path in events:
            raw = Path(path).read_bytes()
            result = emulator.invoke(function, None, raw=raw)
            if len(events) > 1:
                print(f"--- {path}", file=sys.stderr)
            try:
                print(json.dumps(json.loads(result.body), indent=2))
            except ValueError:
                sys.stdout.write(result.body.decode(errors="replace") + "\n")
            if result.status != 200 or result.function_error:
                kind = result.headers.get("x-amzn-errortype") or result.function_error
                print(f"(HTTP {result.status}, {kind})", file=sys.stderr)
                status = 1
    finally:
        if process:
            process.stop()
    return status


if __name__ == "__main__":
    sys.exit(main())
