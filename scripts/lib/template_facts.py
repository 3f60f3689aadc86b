"""Reads infra/template.yaml for the cost model: every parameter's default (as the string
CloudFormation passes) and the counts of billed resources it declares. No decisions: what the
counts mean is SwitchyardBilling.DeploymentProfile's business.

    template_facts.py infra/template.yaml  > facts.json
"""
from __future__ import annotations

import json
import sys

import yaml


class CloudFormationLoader(yaml.SafeLoader):
    """YAML with CloudFormation's short forms (!Ref, !Sub, !If …) read as plain values."""


def _tag(loader, suffix, node):
    if isinstance(node, yaml.ScalarNode):
        return {suffix: loader.construct_scalar(node)}
    if isinstance(node, yaml.SequenceNode):
        return {suffix: loader.construct_sequence(node, deep=True)}
    return {suffix: loader.construct_mapping(node, deep=True)}


CloudFormationLoader.add_multi_constructor("!", _tag)


def load(path: str) -> dict:
    with open(path) as f:
        return yaml.load(f, Loader=CloudFormationLoader)


def facts(template: dict) -> dict:
    parameters = {}
    for name, spec in template["Parameters"].items():
        default = spec.get("Default", "")
        parameters[name] = str(default).lower() if isinstance(default, bool) else str(default)
    resources = template["Resources"]

    def count(kind: str, **properties) -> int:
        return sum(1 for r in resources.values() if r["Type"] == kind and all(
            (r.get(k) if k == "Condition" else r.get("Properties", {}).get(k)) == v for k, v in properties.items()))

    alarm_metrics = 0
    for r in resources.values():
        if r["Type"] == "AWS::CloudWatch::Alarm":
            metrics = r["Properties"].get("Metrics")
            alarm_metrics += sum(1 for m in metrics if "MetricStat" in m) if metrics else 1
    return {
        "parameters": parameters,
        "resources": {
            "baseInterfaceEndpoints": count("AWS::EC2::VPCEndpoint", VpcEndpointType="Interface", Condition="VpcOn"),
            "fargateInterfaceEndpoints": count("AWS::EC2::VPCEndpoint", VpcEndpointType="Interface",
                                               Condition="FargateOn"),
            "availabilityZones": count("AWS::EC2::Subnet", Condition="VpcOn"),
            "secrets": count("AWS::SecretsManager::Secret"),
            "alarmMetrics": alarm_metrics,
        },
    }


if __name__ == "__main__":
    json.dump(facts(load(sys.argv[1])), sys.stdout, indent=1, sort_keys=True)
    print()
