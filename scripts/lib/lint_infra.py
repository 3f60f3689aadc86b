"""Lints the deployment: infra/template.yaml and every state machine it deploys.

1. cfn-lint on the SAM template as written.
2. The SAM transform (aws-sam-translator, offline) to plain CloudFormation, then cfn-lint on that:
   references, IAM documents and every generated resource are checked too. The state machines'
   DefinitionUri files must exist and their `${…}` placeholders must match DefinitionSubstitutions.
3. Each ASL file on its own, because cfn-lint does not look inside a file SAM references:
   - wrapped in a plain AWS::StepFunctions::StateMachine (placeholders filled in), so cfn-lint
     checks the definition against the ASL schema (a state of type "Passs" fails here);
   - parsed by the local engine's ASL parser (moto's, the one the integration tests run);
   - every StartAt, Next, Default, Choice and Catch target names a state of its scope;
   - every error name in Retry/Catch is one Step Functions or Lambda defines, or an errorType
     that a Swift error enum returns (from the `errorType` properties in Sources/).

    lint_infra.py [--template infra/template.yaml] [--asl FILE ...]
Prints each finding and exits 1 if there is one.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
from template_facts import load as load_template  # noqa: E402

PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
# Error names Step Functions defines, and those of its Lambda integration.
STATES_ERRORS = {
    "States.ALL", "States.TaskFailed", "States.Timeout", "States.HeartbeatTimeout", "States.Runtime",
    "States.Permissions", "States.ResultPathMatchFailure", "States.ParameterPathFailure", "States.BranchFailed",
    "States.NoChoiceMatched", "States.IntrinsicFailure", "States.ExceedToleratedFailureThreshold",
    "States.ItemReaderFailed", "States.ResultWriterFailed", "States.DataLimitExceeded", "States.QueryEvaluationError",
}
LAMBDA_ERRORS = {
    "Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException", "Lambda.Unknown",
    # Lambda's own platform errors: a function that exits, or is stopped at its timeout.
    "Runtime.ExitError", "Sandbox.Timedout",
}


def function_error_types(sources: Path) -> set[str]:
    """Every `"Area.Name"` literal inside an `errorType` property of a Swift type under `sources`."""
    names: set[str] = set()
    for path in sources.rglob("*.swift"):
        text = path.read_text()
        for match in re.finditer(r"var errorType: String\s*\{", text):
            depth, i = 1, match.end()
            while depth and i < len(text):
                depth += {"{": 1, "}": -1}.get(text[i], 0)
                i += 1
            names.update(re.findall(r'"([A-Z][A-Za-z]*\.[A-Z][A-Za-z]*)"', text[match.end():i]))
    return names


def scopes(machine: dict, path: str = "/"):
    """(path, scope) for the machine and every Parallel branch and Map processor inside it."""
    yield path, machine
    for name, state in machine.get("States", {}).items():
        for i, branch in enumerate(state.get("Branches", [])):
            yield from scopes(branch, f"{path}{name}[{i}]/")
        processor = state.get("ItemProcessor") or state.get("Iterator")
        if processor:
            yield from scopes(processor, f"{path}{name}/")


def structure_findings(machine: dict, known_errors: set[str]) -> list[str]:
    findings = []
    for where, scope in scopes(machine):
        names = set(scope.get("States", {}))
        if scope.get("StartAt") not in names:
            findings.append(f"{where}: StartAt {scope.get('StartAt')!r} is not a state of this scope")
        for name, state in scope.get("States", {}).items():
            targets = [("Next", state.get("Next")), ("Default", state.get("Default"))]
            targets += [("Choices.Next", c.get("Next")) for c in state.get("Choices", [])]
            targets += [("Catch.Next", c.get("Next")) for c in state.get("Catch", [])]
            for kind, target in targets:
                if target is not None and target not in names:
                    findings.append(f"{where}{name}: {kind} {target!r} is not a state of this scope")
            for rule in state.get("Retry", []) + state.get("Catch", []):
                for error in rule.get("ErrorEquals", []):
                    if error not in known_errors:
                        findings.append(f"{where}{name}: {error!r} is neither a Step Functions or Lambda error nor "
                                        "an errorType a Swift error enum returns")
    return findings


def substitute(text: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def dummy_values(names) -> dict[str, str]:
    """Values of the shape CloudFormation substitutes: function ARNs, a queue URL."""
    values = {}
    for name in names:
        if name.endswith("FunctionArn"):
            values[name] = f"arn:aws:lambda:us-east-1:123456789012:function:{name.removesuffix('FunctionArn')}"
        elif name.endswith("QueueUrl"):
            values[name] = f"https://sqs.us-east-1.amazonaws.com/123456789012/{name.removesuffix('Url')}"
        else:
            values[name] = f"placeholder-{name}"
    return values


def cfn_lint(paths: list[str]) -> list[str]:
    """cfn-lint on all `paths` in one run (its start-up dominates); each finding names its file."""
    executable = Path(sys.executable).parent / "cfn-lint"
    result = subprocess.run([str(executable), *paths], capture_output=True, text=True)
    if result.returncode == 0:
        return []
    return [f"cfn-lint: {line}" for line in (result.stdout + result.stderr).strip().splitlines() if line.strip()]


def moto_parse(definition: str) -> list[str]:
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser, ASLParserException
    try:
        AmazonStateLanguageParser.parse(definition)
    except ASLParserException as e:
        return [f"the local engine's parser refuses it: {e}"]
    except Exception as e:  # the preprocessor raises plain exceptions for semantic errors
        return [f"the local engine's parser refuses it: {type(e).__name__}: {e}"]
    return []


def without_express_children(machine: dict) -> dict:
    """moto's grammar has no `ExecutionType` in a Distributed Map's ProcessorConfig (docs/pipeline.md):
    the copy it parses leaves it out; cfn-lint checks the original."""
    machine = copy.deepcopy(machine)
    for _, scope in scopes(machine):
        for state in scope.get("States", {}).values():
            state.get("ItemProcessor", {}).get("ProcessorConfig", {}).pop("ExecutionType", None)
    return machine


def lint_asl(path: Path, kind: str, known_errors: set[str], workdir: str) -> tuple[list[str], str | None]:
    """Findings of the checks done here, and the wrapped template for cfn-lint."""
    raw = path.read_text()
    filled = substitute(raw, dummy_values(set(PLACEHOLDER.findall(raw))))
    try:
        machine = json.loads(filled)
    except json.JSONDecodeError as e:
        return [f"{path.name}: not JSON: {e}"], None
    findings = [f"{path.name}: {f}" for f in structure_findings(machine, known_errors)]
    wrapped = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": {"Machine": {"Type": "AWS::StepFunctions::StateMachine", "Properties": {
            "RoleArn": "arn:aws:iam::123456789012:role/switchyard-statemachine",
            "StateMachineType": kind, "Definition": machine}}},
    }
    out = os.path.join(workdir, path.name.replace(".asl.json", ".wrapped.json"))
    Path(out).write_text(json.dumps(wrapped, indent=1))
    findings += [f"{path.name}: {f}" for f in moto_parse(json.dumps(without_express_children(machine)))]
    return findings, out


def sam_transform(template_path: Path, workdir: str) -> tuple[list[str], str | None]:
    """The template as CloudFormation after SAM's transform (artifact paths replaced by S3 URIs,
    as `sam package` does), written to a file for cfn-lint."""
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    class NoManagedPolicyLookups:
        def load(self):
            return {}

    template = yaml_parse(template_path.read_text())
    findings = []
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource["Type"] == "AWS::Serverless::Function" and isinstance(properties.get("CodeUri"), str):
            properties["CodeUri"] = f"s3://switchyard-artifacts/{Path(properties['CodeUri']).name}"
        if resource["Type"] == "AWS::Serverless::StateMachine" and isinstance(properties.get("DefinitionUri"), str):
            asl = template_path.parent / properties["DefinitionUri"]
            if not asl.exists():
                findings.append(f"{name}: DefinitionUri {properties['DefinitionUri']} does not exist")
            else:
                used = set(PLACEHOLDER.findall(asl.read_text()))
                given = set(properties.get("DefinitionSubstitutions", {}))
                if used - given:
                    findings.append(f"{name}: {asl.name} uses {sorted(used - given)} without a DefinitionSubstitution")
                if given - used:
                    findings.append(f"{name}: substitutes {sorted(given - used)}, which {asl.name} does not use")
            properties["DefinitionUri"] = f"s3://switchyard-artifacts/{Path(properties['DefinitionUri']).name}"
    try:
        output = transform(template, {}, NoManagedPolicyLookups())
    except InvalidDocumentException as e:
        return findings + [f"SAM transform: {cause.message}" for cause in e.causes], None
    out = os.path.join(workdir, "template.transformed.json")
    Path(out).write_text(json.dumps(output, indent=1))
    return findings, out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--template", default=str(REPO / "infra" / "template.yaml"))
    parser.add_argument("--asl", nargs="*", help="ASL files (default: those the template deploys)")
    parser.add_argument("--sources", default=str(REPO / "Sources"))
    args = parser.parse_args()
    template_path = Path(args.template)
    known_errors = STATES_ERRORS | LAMBDA_ERRORS | function_error_types(Path(args.sources))
    findings: list[str] = []
    with tempfile.TemporaryDirectory() as workdir:
        to_lint = [str(template_path)]
        sam_findings, transformed = sam_transform(template_path, workdir)
        findings += sam_findings
        if transformed:
            to_lint.append(transformed)
        kinds = {}
        for resource in load_template(str(template_path))["Resources"].values():
            if resource["Type"] == "AWS::Serverless::StateMachine":
                uri = resource["Properties"]["DefinitionUri"]
                kinds[(template_path.parent / uri).resolve()] = resource["Properties"].get("Type", "STANDARD")
        files = [Path(p).resolve() for p in args.asl] if args.asl else sorted(kinds)
        for path in files:
            if path.exists():
                asl_findings, wrapped = lint_asl(path, kinds.get(path, "EXPRESS"), known_errors, workdir)
                findings += asl_findings
                if wrapped:
                    to_lint.append(wrapped)
        findings += cfn_lint(to_lint)
    for finding in findings:
        print(finding)
    print(f"lint-infra: {len(files)} state machine file(s), {len(findings)} finding(s)")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
