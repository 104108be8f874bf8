"""The operator -> generator contract, checked without a cluster or a process.

The operator's own builders render the Deployment and the Job of an EventGenerator; the
container's environment is resolved as a kubelet would (downward-API fields with a pod's
values, the rate from the live ConfigMap the operator renders) and fed through the
generator's own parser, the one ``eventgen stream`` / ``eventgen batch`` use. What the
generator then runs with must be what the spec asked for. And the contract table
(:mod:`eventgen.contract`) must name every ``EVENTGEN_*`` variable the operator sets, each
accepted by the command it is set for.
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from eventgen import contract
from eventgen.cli.batch import plan_shard, shard_index
from eventgen.cli.commands import generator_options, requested_sink
from eventgen.cli.parser import build_parser, parse_args
from eventgen.errors import ConfigError
from eventgen.runtime.liverate import parse_configmap_ref, rate_from_configmap
from eventgen.sinks.settings import SinkSettings, sink_settings
from eventgen_operator.children import (
    COMPLETION_INDEX_ANNOTATION,
    Owner,
    build_deployment,
    build_job,
    build_live_configmap,
    effective_seed,
)
from eventgen_operator.config import OperatorConfig
from eventgen_operator.hardening import (
    BATCH_FLUSH_TIMEOUT_SECONDS,
    BATCH_INTERRUPTED_EXIT_CODE,
    STREAM_FLUSH_TIMEOUT_SECONDS,
)
from eventgen_operator.sizing import streaming_shape
from eventgen_operator.spec import GeneratorSpec, parse_spec
from tests.support.kubelet_env import resolve_env

OWNER = Owner(name="orders", namespace="shop", uid="0f4c2a5e-1b7d-4e0a-9c3b-2d8e6f1a7b90")
CONFIG = OperatorConfig(gcp_project="acme-prod", metrics_port=9187)
POD_NAME = "orders-7d9c5b6f4-x2k8p"
SHARD = 2
START = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)

MIX = {"locale": "de_DE", "cancelRate": 0.07, "refundRate": 0.02}
FAULTS = {
    "duplicateRate": 0.01,
    "lateRate": 0.03,
    "maxLatenessSeconds": 900,
    "malformedRate": 0.001,
}
SINKS: dict[str, dict[str, Any]] = {
    "pubsub-ordered": {
        "type": "pubsub",
        "pubsub": {"project": "acme-data", "topic": "ecommerce-events", "orderingByOrderId": True},
    },
    "pubsub-default-project": {"type": "pubsub", "pubsub": {"topic": "ecommerce-events"}},
    "gcs": {"type": "gcs", "gcs": {"bucket": "acme-raw-data", "prefix": "raw/events/"}},
    "jsonl-local": {"type": "jsonl-local", "jsonlLocal": {"path": "/data/out"}},
    "stdout": {"type": "stdout"},
}
STREAMS: dict[str, dict[str, Any]] = {
    **{
        f"stream-{sink}": {"mode": "streaming", "rate": 50_000, "seed": 42, "sink": body}
        for sink, body in SINKS.items()
    },
    "stream-mix-faults-no-seed": {
        "mode": "streaming",
        "rate": 12.5,
        "sink": SINKS["stdout"],
        "events": MIX,
        "faults": FAULTS,
    },
    "stream-suspended": {"mode": "streaming", "rate": 300, "suspend": True, "sink": SINKS["gcs"]},
}
BATCHES: dict[str, dict[str, Any]] = {
    **{
        f"batch-{sink}": {
            "mode": "batch",
            "seed": 7,
            "batch": {"events": 1_000_003, "shards": 4},
            "sink": body,
        }
        for sink, body in SINKS.items()
    },
    "batch-flat-mix-faults": {
        "mode": "batch",
        "batch": {"events": 5, "shards": 3, "parallelism": 1, "dailyProfile": False},
        "sink": SINKS["gcs"],
        "events": MIX,
        "faults": FAULTS,
    },
}


def container(manifest: dict[str, Any]) -> dict[str, Any]:
    [generator] = manifest["spec"]["template"]["spec"]["containers"]
    return dict(generator)


def pod_environment(generator: dict[str, Any], live: dict[str, Any] | None) -> dict[str, str]:
    """The container's env as a kubelet resolves it for pod POD_NAME (shard SHARD)."""
    fields = {
        "metadata.name": POD_NAME,
        "metadata.namespace": OWNER.namespace,
        f"metadata.annotations['{COMPLETION_INDEX_ANNOTATION}']": str(SHARD),
    }

    def configmap_data(name: str) -> dict[str, str]:
        assert live is not None and name == live["metadata"]["name"], name
        return dict(live["data"])

    return resolve_env(generator, fields, configmap_data)


def parsed(generator: dict[str, Any], env: Mapping[str, str]) -> argparse.Namespace:
    """The container's command line through the generator's own parser, env as defaults."""
    program, *argv = generator["command"]
    assert program == "eventgen"
    return parse_args(argv, env)


def expected_sink(spec: GeneratorSpec, flush_timeout: float) -> SinkSettings:
    """The sink settings the spec asks for, written out field by field."""
    sink = spec.sink
    if sink.type == "pubsub":
        assert sink.pubsub is not None
        return SinkSettings(
            kind="pubsub",
            pubsub_project=sink.pubsub.project or CONFIG.gcp_project,
            pubsub_topic=sink.pubsub.topic,
            ordering_key="order_id" if sink.pubsub.ordering_by_order_id else None,
            flush_timeout=flush_timeout,
        )
    if sink.type == "gcs":
        assert sink.gcs is not None
        return SinkSettings(
            kind="gcs",
            gcs_bucket=sink.gcs.bucket,
            gcs_prefix=sink.gcs.prefix,
            flush_timeout=flush_timeout,
        )
    if sink.type == "jsonl-local":
        assert sink.jsonl_local is not None
        path = sink.jsonl_local.path
        # A folder of parts in the pod, where the operator mounts an emptyDir at the path;
        # here, with nothing mounted, the generator sees what is (not) on this machine.
        return SinkSettings(
            kind="jsonl",
            output=Path(path),
            output_is_folder=Path(path).is_dir(),
            flush_timeout=flush_timeout,
        )
    return SinkSettings(kind="stdout", flush_timeout=flush_timeout)


def assert_mix(args: argparse.Namespace, spec: GeneratorSpec, rate: float) -> None:
    """The event mix and faults the generator's options model ends up with."""
    options = generator_options(args, start=START, events_per_second=rate or 1.0)
    assert options.seed == effective_seed(spec, OWNER)
    assert options.locale == spec.events.locale
    asked = {
        "cancel_rate": spec.events.cancel_rate,
        "refund_rate": spec.events.refund_rate,
        "duplicate_rate": spec.faults.duplicate_rate,
        "late_rate": spec.faults.late_rate,
        "max_lateness_seconds": spec.faults.max_lateness_seconds,
        "malformed_rate": spec.faults.malformed_rate,
    }
    defaults = type(options).model_fields
    for field, value in asked.items():
        want = defaults[field].default if value is None else value
        assert getattr(options, field) == pytest.approx(want), field


@pytest.mark.parametrize("raw", STREAMS.values(), ids=STREAMS.keys())
def test_a_streaming_pod_runs_with_what_the_spec_asked(raw: dict[str, Any]) -> None:
    spec = parse_spec(raw, OWNER.name)
    live = build_live_configmap(spec, OWNER)
    generator = container(build_deployment(spec, OWNER, CONFIG))
    env = pod_environment(generator, live)
    args = parsed(generator, env)

    assert args.command == "stream"
    shape = streaming_shape(spec.rate, spec.max_rate_per_replica, spec.suspend)
    assert args.rate == pytest.approx(shape.rate_per_replica, rel=1e-6)
    assert args.rate == rate_from_configmap(live)  # the first rate is the live one
    assert parse_configmap_ref(args.rate_configmap, env[contract.POD_NAMESPACE]) == (
        OWNER.namespace,
        live["metadata"]["name"],
    )
    assert (args.generator_id, args.name) == (POD_NAME, OWNER.name)
    assert args.metrics_port == CONFIG.metrics_port
    assert args.events is None and args.duration is None, "a stream runs until stopped"
    settings = sink_settings(requested_sink(args))
    assert settings == expected_sink(spec, STREAM_FLUSH_TIMEOUT_SECONDS)
    assert_mix(args, spec, args.rate)


@pytest.mark.parametrize("raw", BATCHES.values(), ids=BATCHES.keys())
def test_a_batch_shard_runs_with_what_the_spec_asked(raw: dict[str, Any]) -> None:
    spec = parse_spec(raw, OWNER.name)
    assert spec.batch is not None
    generator = container(build_job(spec, OWNER, CONFIG))
    env = pod_environment(generator, None)
    args = parsed(generator, env)

    assert args.command == "batch"
    plan = plan_shard(args.events, shard_index(args, env), args.shard_count)
    assert (plan.index, plan.count) == (SHARD, spec.batch.shards)
    assert args.events == spec.batch.events
    assert args.name == OWNER.name and args.generator_id is None  # <name>-shard-<index>
    assert args.metrics_port == CONFIG.metrics_port
    assert args.interrupted_exit_code == BATCH_INTERRUPTED_EXIT_CODE != 0
    settings = sink_settings(requested_sink(args))
    assert settings == expected_sink(spec, BATCH_FLUSH_TIMEOUT_SECONDS)
    daily = args.option_daily_profile
    assert (True if daily is None else daily) is spec.batch.daily_profile
    assert_mix(args, spec, 1.0)


def operator_variables() -> dict[str, set[str]]:
    """Every EVENTGEN_* variable the operator sets, with the commands it sets it for."""
    seen: dict[str, set[str]] = {}
    manifests = [
        *(build_deployment(parse_spec(raw, OWNER.name), OWNER, CONFIG) for raw in STREAMS.values()),
        *(build_job(parse_spec(raw, OWNER.name), OWNER, CONFIG) for raw in BATCHES.values()),
    ]
    for manifest in manifests:
        generator = container(manifest)
        for item in generator["env"]:
            if item["name"].startswith(contract.ENV_PREFIX):
                seen.setdefault(item["name"], set()).add(generator["command"][1])
    return seen


def test_every_variable_the_operator_sets_is_in_the_contract_table() -> None:
    table = {variable.name: set(variable.commands) for variable in contract.VARIABLES}
    seen = operator_variables()
    assert len(seen) >= 20, "the cases no longer cover the operator's variables"
    unlisted = sorted(set(seen) - set(table))
    assert not unlisted, f"the operator sets variables the contract table lacks: {unlisted}"
    for name, commands in seen.items():
        assert commands <= table[name], f"{name} is set for {commands}, listed for {table[name]}"
    unused = sorted(set(table) - set(seen))
    assert not unused, f"the table lists variables no pod gets (a case is missing?): {unused}"


def test_every_row_of_the_table_is_a_flag_its_commands_accept() -> None:
    _, commands = build_parser()
    assert len({variable.name for variable in contract.VARIABLES}) == len(contract.VARIABLES)
    for variable in contract.VARIABLES:
        assert variable.name == contract.env_name(variable.flag)
        assert variable.meaning, variable.name
        for command in variable.commands:
            flags = commands[command]._option_string_actions
            assert variable.flag in flags, f"eventgen {command} has no {variable.flag}"


def test_the_live_configmap_keys_are_the_ones_the_generator_reads() -> None:
    spec = parse_spec(STREAMS["stream-mix-faults-no-seed"], OWNER.name)
    live = build_live_configmap(spec, OWNER, shape_document='{"daily": {"peak": 2}}')
    assert set(live["data"]) == {contract.LIVE_RATE_KEY, contract.LIVE_SHAPE_KEY}
    assert rate_from_configmap(live) == spec.rate


def test_a_bad_value_in_a_contract_variable_is_a_one_line_error_naming_it() -> None:
    # The generator checks the operator's values like a user's: EVENTGEN_RATE's reason.
    with pytest.raises(ConfigError, match=r"^EVENTGEN_RATE='-1': rate '-1' must be"):
        parse_args(["stream"], {contract.RATE.name: "-1"})


def test_docs_contracts_names_every_variable_of_the_table() -> None:
    text = (Path(__file__).resolve().parents[2] / "docs" / "CONTRACTS.md").read_text("utf-8")
    section = text.split("## Operator -> generator pod", 1)[1].split("\n## ", 1)[0]
    missing = [v.name for v in contract.VARIABLES if v.name not in section]
    assert not missing, f"docs/CONTRACTS.md (Operator -> generator pod) lacks {missing}"
