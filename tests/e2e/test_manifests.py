"""The kind suite's inputs agree with the project, checked here where the suite cannot run:
its EventGenerators pass the CRD schema and the operator's own checks and ask for what the
scenario expects; the chart accepts its values and renders what run.sh loads; the emulator's
ports line up across the manifest, the kind config and the generators' spec.env."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from eventgen_operator.sizing import streaming_shape
from eventgen_operator.spec import parse_spec
from tests.e2e import scenario
from tests.support.tools import Tools

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def crd_spec_schema() -> dict[str, Any]:
    crd = load(ROOT / "crds" / "eventgenerators.yaml")
    (version,) = [v for v in crd["spec"]["versions"] if v["name"] == "v1alpha1"]
    schema: dict[str, Any] = version["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.parametrize("name", ["stream.yaml", "batch.yaml"])
def test_e2e_generators_pass_the_crd_schema_and_the_operators_checks(name: str) -> None:
    manifest = load(HERE / "manifests" / name)
    assert manifest["apiVersion"] == "ecommerce.dataplatform.io/v1alpha1"
    assert manifest["kind"] == "EventGenerator"
    jsonschema.validate(manifest, crd_spec_schema())
    parse_spec(manifest["spec"], manifest["metadata"]["name"])


def test_stream_manifest_and_rate_edits_give_the_replicas_the_scenario_expects() -> None:
    spec = parse_spec(load(HERE / "manifests" / "stream.yaml")["spec"], scenario.STREAM_NAME)
    assert spec.mode == "streaming" and spec.sink.type == "pubsub"
    assert spec.sink.pubsub is not None
    assert (spec.sink.pubsub.project, spec.sink.pubsub.topic) == (scenario.PROJECT, scenario.TOPIC)
    assert (spec.rate, spec.max_rate_per_replica) == (
        scenario.STREAM_RATE,
        scenario.MAX_RATE_PER_REPLICA,
    )
    assert streaming_shape(spec.rate, spec.max_rate_per_replica, suspended=False).replicas == 1
    for rate, replicas in scenario.RATE_EDITS:
        assert (
            streaming_shape(rate, spec.max_rate_per_replica, suspended=False).replicas == replicas
        )
    # The edits add a pod, remove every pod (Paused) and bring one back: "existing pods keep
    # running", "pods drain" and "new pods start" are all real claims.
    counts = [replicas for _, replicas in scenario.RATE_EDITS]
    assert max(counts) > 1 and 0 in counts and counts[-1] == 1


def test_batch_manifest_asks_for_the_events_and_shards_the_scenario_counts() -> None:
    spec = parse_spec(load(HERE / "manifests" / "batch.yaml")["spec"], "e2e-batch")
    assert spec.mode == "batch" and spec.batch is not None
    assert (spec.batch.events, spec.batch.shards) == (scenario.BATCH_EVENTS, scenario.BATCH_SHARDS)
    # Counted from pod logs: the events must go to stdout.
    assert spec.sink.type == "stdout"


def test_emulator_is_reachable_where_generators_and_the_host_look_for_it() -> None:
    documents = list(yaml.safe_load_all((HERE / "manifests" / "pubsub-emulator.yaml").read_text()))
    service = next(d for d in documents if d["kind"] == "Service")
    deployment = next(d for d in documents if d["kind"] == "Deployment")
    (port,) = service["spec"]["ports"]
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert f"--host-port=0.0.0.0:{port['port']}" in container["command"]
    assert {p["name"]: p["containerPort"] for p in container["ports"]}[port["targetPort"]] == (
        port["port"]
    )
    # The streaming generator's spec.env points at the Service's in-cluster address.
    stream = parse_spec(load(HERE / "manifests" / "stream.yaml")["spec"], "e2e-stream")
    env = {item.name: item.value for item in stream.env}
    meta = service["metadata"]
    assert env["PUBSUB_EMULATOR_HOST"] == (
        f"{meta['name']}.{meta['namespace']}.svc.cluster.local:{port['port']}"
    )
    # The host reaches the NodePort through the kind config's port mapping.
    run_sh = (HERE / "run.sh").read_text()
    assert f"containerPort: {port['nodePort']}" in run_sh


def test_run_sh_builds_the_image_the_chart_and_values_name() -> None:
    run_sh = (HERE / "run.sh").read_text()
    values = load(HERE / "values-kind.yaml")
    chart_values = load(ROOT / "helm" / "platform" / "values.yaml")
    repository = chart_values["operator"]["image"]["repository"]
    assert f"image={repository}:$version" in run_sh
    assert values["operator"]["image"]["repository"] == repository
    # Generators run the same project image (the chart's default): no test-only image.
    assert "generator" not in values
    assert chart_values["generator"]["image"]["repository"] == repository
    assert values["configConnector"]["enabled"] is False


def test_chart_accepts_the_kind_values_and_renders_the_loaded_images(tools: Tools) -> None:
    import subprocess

    done = subprocess.run(
        [
            str(tools.helm),
            "template",
            "platform",
            str(ROOT / "helm" / "platform"),
            "--namespace",
            "eventgen",
            "-f",
            str(HERE / "values-kind.yaml"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    objects = [d for d in yaml.safe_load_all(done.stdout) if d]
    assert not [o for o in objects if "cnrm.cloud.google.com" in o["apiVersion"]]
    (operator,) = [o for o in objects if o["kind"] == "Deployment"]
    (container,) = operator["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "eventgen:0.1.0"
    assert container["imagePullPolicy"] == "Never"
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["EVENTGEN_OPERATOR_GENERATOR_IMAGE"] == "eventgen:0.1.0"
    # The generator ServiceAccount lands in the namespace the scenario's generators run in.
    accounts = {(o["metadata"].get("namespace"), o["kind"]) for o in objects}
    assert ("e2e", "ServiceAccount") in accounts
