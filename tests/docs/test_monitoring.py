"""examples/monitoring/ matches what the generators and the operator really expose: every
metric an alert reads is one the generator serves (or the kube-state-metrics config in the
same folder defines), and the PodMonitor selects the pods the operator renders."""

from __future__ import annotations

import re
from typing import Any

from prometheus_client import generate_latest

from eventgen.runtime.metrics import Metrics
from eventgen_operator.children import Owner, build_deployment
from eventgen_operator.config import OperatorConfig
from eventgen_operator.spec import parse_spec
from tests.docs.examples import EXAMPLES, documents

MONITORING = EXAMPLES / "monitoring"
PROMQL_WORDS = {"by", "on", "and", "or", "unless", "without", "ignoring", "group_left",
                "group_right", "bool", "offset", "le"}  # fmt: skip
KSM_PREFIX = "kube_customresource_"


def rules() -> list[dict[str, Any]]:
    (rule,) = documents(MONITORING / "prometheusrule.yaml")
    assert rule["kind"] == "PrometheusRule"
    return [r for group in rule["spec"]["groups"] for r in group["rules"]]


def metric_names(expr: str) -> set[str]:
    """Series names an expression reads: identifiers that are not functions, keywords,
    label matchers, grouping labels, durations or numbers."""
    text = re.sub(r'"[^"]*"', "", expr)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # range durations
    text = re.sub(r"\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)", "", text)
    names = set()
    for match in re.finditer(r"[A-Za-z_:][A-Za-z0-9_:]*", text):
        rest = text[match.end() :].lstrip()
        if rest.startswith("(") or match.group() in PROMQL_WORDS:
            continue
        names.add(match.group())
    return names


def served_by_generator() -> set[str]:
    """Series names in a real generator's /metrics exposition."""
    exposition = generate_latest(Metrics().registry).decode()
    return {line.split("{")[0].split(" ")[0] for line in exposition.splitlines()
            if line and not line.startswith("#")}  # fmt: skip


def defined_by_ksm_config() -> set[str]:
    (config,) = documents(MONITORING / "kube-state-metrics-eventgenerators.yaml")
    (resource,) = config["spec"]["resources"]
    assert resource["groupVersionKind"] == {
        "group": "ecommerce.dataplatform.io", "version": "v1alpha1", "kind": "EventGenerator",
    }  # fmt: skip
    return {KSM_PREFIX + metric["name"] for metric in resource["metrics"]}


def test_the_name_extraction_sees_through_promql() -> None:
    expr = 'sum by (pod) (rate(a_total{x="y"}[5m])) < 0.9 * on (pod) b unless c{le="1"} == 1'
    assert metric_names(expr) == {"a_total", "b", "c"}


def test_every_alert_reads_only_metrics_that_exist() -> None:
    known = served_by_generator() | defined_by_ksm_config()
    read = set()
    for rule in rules():
        names = metric_names(rule["expr"])
        assert names, f"{rule['alert']}: reads no metric"
        assert names <= known, f"{rule['alert']}: unknown metrics {sorted(names - known)}"
        read |= names
    # The alerts cover delivery, failures, stalls and the operator's conditions.
    assert {
        "eventgen_events_delivered_total",
        "eventgen_events_failed_total",
        "eventgen_events_generated_total",
        "eventgen_target_rate_events_per_second",
        "kube_customresource_eventgenerator_condition",
    } <= read


def test_every_alert_is_explained() -> None:
    for rule in rules():
        assert rule["alert"] and rule["labels"]["severity"] in {"warning", "critical"}
        assert rule["annotations"]["summary"]


def test_podmonitor_selects_generator_pods_and_their_metrics_port() -> None:
    (monitor,) = documents(MONITORING / "podmonitor.yaml")
    spec = parse_spec({"rate": 10, "sink": {"type": "stdout"}}, "orders-stream")
    owner = Owner(name="orders-stream", namespace="ns", uid="u")
    template = build_deployment(spec, owner, OperatorConfig())["spec"]["template"]
    pod_labels = template["metadata"]["labels"]
    assert monitor["spec"]["selector"]["matchLabels"].items() <= pod_labels.items()
    (endpoint,) = monitor["spec"]["podMetricsEndpoints"]
    (container,) = template["spec"]["containers"]
    assert endpoint["port"] in {port["name"] for port in container["ports"]}
    assert endpoint["path"] == "/metrics"
    # The relabelling reads the label the operator puts on every generator pod.
    (relabel,) = endpoint["relabelings"]
    (source,) = relabel["sourceLabels"]
    assert "ecommerce.dataplatform.io/generator" in pod_labels
    assert source == "__meta_kubernetes_pod_label_ecommerce_dataplatform_io_generator"
