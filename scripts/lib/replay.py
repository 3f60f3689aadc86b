"""scripts/replay: invoke a function through the emulator, or run the state machine, and print each response.

    scripts/replay <function> <event.json> [...]      one Lambda invocation per event
    scripts/replay statemachine <request.json> [...]  one synchronous execution per InferenceRequest

The state-machine mode uses a running stack when SWITCHYARD_STEPFUNCTIONS_ENDPOINT and
SWITCHYARD_STATE_MACHINE_ARN are set (scripts/demo --keep prints them); otherwise it starts the local
stack (tests' LocalStack) for the duration of the command.
"""
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "Integration"))
from emulator_fixtures import Emulator, start_emulator  # noqa: E402
from servers import REPO  # noqa: E402


def replay_statemachine(paths: list[str]) -> int:
    from pipeline_fixtures import EVENT_IMAGES_PORT, LocalStack
    from statemachine_fixtures import StepFunctionsLocal

    endpoint, arn = os.environ.get("SWITCHYARD_STEPFUNCTIONS_ENDPOINT"), os.environ.get("SWITCHYARD_STATE_MACHINE_ARN")
    stack = None
    if endpoint and arn:
        sfn = StepFunctionsLocal(int(endpoint.rsplit(":", 1)[1]), None)
    else:
        print("== starting the local stack", file=sys.stderr)
        stack = LocalStack(images_port=EVENT_IMAGES_PORT, log=lambda line: print(line, file=sys.stderr)).start()
        sfn, arn = stack.sfn, stack.state_machine_arn
    status = 0
    try:
        for path in paths:
            result = sfn.start_sync(arn, Path(path).read_text())
            if len(paths) > 1:
                print(f"--- {path}", file=sys.stderr)
            if result.status == "SUCCEEDED":
                print(json.dumps(result.output, indent=2))
            else:
                print(json.dumps({k: result.response.get(k) for k in ("status", "error", "cause")}, indent=2))
                status = 1
            print(f"({result.status} in {result.elapsed_ms:.0f} ms, {result.execution_arn})", file=sys.stderr)
    finally:
        if stack:
            stack.stop()
    return status


def main() -> int:
    function, events = sys.argv[1], sys.argv[2:]
    if function == "statemachine":
        return replay_statemachine(events)
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
