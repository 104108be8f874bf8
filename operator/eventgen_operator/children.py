"""Pure functions: an EventGenerator in, the Kubernetes objects it should own out.

Nothing here talks to a server, so every rule (replica math, the live-rate ConfigMap, which
fields may change without a restart) is tested as plain data. Names are deterministic
(`<name>`, `<name>-live`), so a restarted operator finds its children instead of
duplicating them.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eventgen import contract
from eventgen.runtime.termination import DEFAULT_PATH as TERMINATION_MESSAGE_PATH
from eventgen_operator.config import OperatorConfig, default_resources
from eventgen_operator.hardening import (
    BATCH_FLUSH_TIMEOUT_SECONDS,
    BATCH_INTERRUPTED_EXIT_CODE,
    STREAM_FLUSH_TIMEOUT_SECONDS,
    container_security_context,
    grace_period_seconds,
    pod_security_context,
    scratch_volumes,
)
from eventgen_operator.kubeapi import GROUP, VERSION
from eventgen_operator.labels import (
    GENERATOR_LABEL,
    MANAGED_BY,
    MANAGED_BY_LABEL,
    SPEC_HASH_ANNOTATION,
)
from eventgen_operator.sizing import StreamingShape, batch_parallelism, flat_shape
from eventgen_operator.spec import GeneratorSpec

CONTAINER_NAME = "generator"
# The annotation the Job controller (Kubernetes >= 1.21) puts on each Indexed Job pod.
COMPLETION_INDEX_ANNOTATION = "batch.kubernetes.io/job-completion-index"

Manifest = dict[str, Any]


@dataclass(frozen=True)
class Owner:
    """The EventGenerator that owns the children (from its metadata)."""

    name: str
    namespace: str
    uid: str


def format_rate(events_per_second: float) -> str:
    """A rate as the ConfigMap stores it: `5000`, `333.333`, `0.5` (at most 3 decimals)."""
    text = f"{events_per_second:.3f}".rstrip("0").rstrip(".")
    return text or "0"


def effective_seed(spec: GeneratorSpec, owner: Owner) -> int:
    """The spec's seed, else a stable 63-bit seed derived from the object's uid, so two
    generators without a seed never emit the same events and one keeps its stream."""
    if spec.seed is not None:
        return spec.seed
    digest = hashlib.blake2b(owner.uid.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") >> 1


def labels(owner: Owner) -> dict[str, str]:
    """Labels on every child; GENERATOR_LABEL is how the operator finds its children."""
    return {
        "app.kubernetes.io/name": "eventgen",
        "app.kubernetes.io/instance": owner.name,
        "app.kubernetes.io/component": "generator",
        MANAGED_BY_LABEL: MANAGED_BY,
        GENERATOR_LABEL: owner.name,
    }


def selector_labels(owner: Owner) -> dict[str, str]:
    """The immutable part of the labels: what a Deployment selects its pods by."""
    return {"app.kubernetes.io/component": "generator", GENERATOR_LABEL: owner.name}


def owner_references(owner: Owner) -> list[dict[str, Any]]:
    """The controller reference that makes deletion garbage collection.

    No blockOwnerDeletion: it would need update rights on eventgenerators/finalizers
    where the OwnerReferencesPermissionEnforcement admission plugin is on.
    """
    return [
        {
            "apiVersion": f"{GROUP}/{VERSION}",
            "kind": "EventGenerator",
            "name": owner.name,
            "uid": owner.uid,
            "controller": True,
        }
    ]


def _metadata(owner: Owner, name: str) -> Manifest:
    return {
        "name": name,
        "namespace": owner.namespace,
        "labels": labels(owner),
        "ownerReferences": owner_references(owner),
    }


def live_configmap_name(owner: Owner) -> str:
    """`<name>-live`: the ConfigMap holding the live per-replica rate."""
    return f"{owner.name}-live"


def _env(variable: contract.Variable, value: str | float | int | bool) -> Manifest:
    """One of the generator's variables (eventgen.contract) with its value as text."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, float):
        text = format_rate(value) if value >= 0.001 or value == 0 else repr(value)
    else:
        text = str(value)
    return {"name": variable.name, "value": text}


def _field_env(variable: contract.Variable | str, field_path: str) -> Manifest:
    """A variable the kubelet fills from the pod's own metadata (downward API)."""
    name = variable if isinstance(variable, str) else variable.name
    return {"name": name, "valueFrom": {"fieldRef": {"fieldPath": field_path}}}


def _sink_env(spec: GeneratorSpec, config: OperatorConfig) -> list[Manifest]:
    sink = spec.sink
    if sink.type == "pubsub":
        assert sink.pubsub is not None and sink.pubsub.topic  # checked by parse_spec
        env = [_env(contract.SINK, "pubsub")]
        project = sink.pubsub.project or config.gcp_project
        if project:
            env.append(_env(contract.PUBSUB_PROJECT, project))
        env.append(_env(contract.PUBSUB_TOPIC, sink.pubsub.topic))
        if sink.pubsub.ordering_by_order_id:
            env.append(_env(contract.ORDERING_KEY, "order_id"))
        return env
    if sink.type == "gcs":
        assert sink.gcs is not None and sink.gcs.bucket  # checked by parse_spec
        return [
            _env(contract.SINK, "gcs"),
            _env(contract.GCS_BUCKET, sink.gcs.bucket),
            _env(contract.GCS_PREFIX, sink.gcs.prefix),
        ]
    if sink.type == "jsonl-local":
        path = sink.jsonl_local.path if sink.jsonl_local else "/data/events"
        return [_env(contract.SINK, "jsonl"), _env(contract.OUTPUT, path)]
    return [_env(contract.SINK, "stdout")]


def _mix_env(spec: GeneratorSpec) -> list[Manifest]:
    optional: list[tuple[contract.Variable, float | int | None]] = [
        (contract.CANCEL_RATE, spec.events.cancel_rate),
        (contract.REFUND_RATE, spec.events.refund_rate),
        (contract.DUPLICATE_RATE, spec.faults.duplicate_rate),
        (contract.LATE_RATE, spec.faults.late_rate),
        (contract.MAX_LATENESS_SECONDS, spec.faults.max_lateness_seconds),
        (contract.MALFORMED_RATE, spec.faults.malformed_rate),
    ]
    env = [_env(contract.LOCALE, spec.events.locale)]
    env.extend(_env(variable, value) for variable, value in optional if value is not None)
    return env


def _user_env(spec: GeneratorSpec) -> list[Manifest]:
    """spec.env, after the operator's own variables (which it may not name)."""
    return [{"name": item.name, "value": item.value} for item in spec.env]


def _container(
    spec: GeneratorSpec, config: OperatorConfig, command: str, env: list[Manifest]
) -> Manifest:
    """The generator container as the spec asks for it (hardening is added separately)."""
    container: Manifest = {
        "name": CONTAINER_NAME,
        "image": spec.image or config.generator_image,
        "command": ["eventgen", command],
        "env": [*env, *_user_env(spec)],
        "ports": [{"name": "metrics", "containerPort": config.metrics_port, "protocol": "TCP"}],
    }
    if spec.image_pull_policy:
        container["imagePullPolicy"] = spec.image_pull_policy
    resources = container_resources(spec, config)
    if resources:
        container["resources"] = resources
    return container


def container_resources(spec: GeneratorSpec, config: OperatorConfig) -> Manifest:
    """The spec's `resources` when it has them, whole (`{}`: none); else the chart's
    (config.generator_resources); else the built-in defaults for the sink, from the sizing
    bench (config.py). Never merged: a spec's CPU request above a default limit would
    otherwise make a container the API server refuses."""
    if spec.resources is None:
        defaults = config.generator_resources
        if defaults is None:
            defaults = default_resources(spec.sink.type)
        chosen: Iterable[tuple[str, Mapping[str, int | str] | None]] = defaults.items()
    else:
        chosen = (("requests", spec.resources.requests), ("limits", spec.resources.limits))
    return {
        key: {name: str(value) for name, value in values.items()}
        for key, values in chosen
        if values
    }


def _pod_spec(spec: GeneratorSpec, config: OperatorConfig, container: Manifest) -> Manifest:
    pod: Manifest = {"containers": [container]}
    account = spec.service_account_name or config.generator_service_account
    if account:
        pod["serviceAccountName"] = account
    return pod


def _hardened(
    spec: GeneratorSpec, pod: Manifest, *, flush_timeout: int, api_access: bool
) -> Manifest:
    """`pod` locked down (see hardening.py): non-root, read-only root filesystem, scratch
    emptyDirs, the API token only where the pod calls the API, and a grace period that
    outlasts the final flush (EVENTGEN_FLUSH_TIMEOUT, passed explicitly)."""
    [plain] = pod["containers"]
    output = None
    if spec.sink.type == "jsonl-local":
        output = spec.sink.jsonl_local.path if spec.sink.jsonl_local else "/data/events"
    volumes, mounts = scratch_volumes(output)
    container: Manifest = {
        **plain,
        # First, so spec.env still comes after every operator variable.
        "env": [_env(contract.FLUSH_TIMEOUT, flush_timeout), *plain["env"]],
        "securityContext": container_security_context(),
        "volumeMounts": mounts,
        # The generator writes its one-line fatal error there (eventgen.runtime.termination); a
        # crash that could not, leaves its last log lines instead. The operator reports
        # either as Degraded=True GeneratorFailing.
        "terminationMessagePath": TERMINATION_MESSAGE_PATH,
        "terminationMessagePolicy": "FallbackToLogsOnError",
    }
    return {
        **pod,
        "containers": [container],
        "securityContext": pod_security_context(),
        "automountServiceAccountToken": api_access,
        "terminationGracePeriodSeconds": grace_period_seconds(flush_timeout),
        "volumes": volumes,
    }


def build_live_configmap(
    spec: GeneratorSpec,
    owner: Owner,
    planned: StreamingShape | None = None,
    shape_document: str | None = None,
) -> Manifest:
    """The ConfigMap `<name>-live` whose `ratePerReplica` (and `shape`, for a shaped
    stream: `shape_document` from eventgen_operator.shaping) the streaming pods follow live.

    `planned` is the shape the reconcile sized (sizing.py); None: the spec's flat shape.
    """
    shape = planned or flat_shape(spec)
    data = {contract.LIVE_RATE_KEY: format_rate(shape.rate_per_replica)}
    if shape_document is not None:
        data[contract.LIVE_SHAPE_KEY] = shape_document
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": _metadata(owner, live_configmap_name(owner)),
        "data": data,
    }


def build_deployment(
    spec: GeneratorSpec,
    owner: Owner,
    config: OperatorConfig,
    planned: StreamingShape | None = None,
) -> Manifest:
    """The streaming Deployment.

    The pod template holds nothing that depends on the rate: the starting rate comes from
    the live ConfigMap (configMapKeyRef) and later values through the ConfigMap watch, so a
    rate edit changes only `replicas` and never rolls the pods. `planned` is the shape the
    reconcile sized (sizing.py); None: the spec's flat shape.
    """
    live = live_configmap_name(owner)
    env = [
        _field_env(contract.GENERATOR_ID, "metadata.name"),
        _field_env(contract.POD_NAMESPACE, "metadata.namespace"),
        _env(contract.NAME, owner.name),
        _env(contract.SEED, effective_seed(spec, owner)),
        *_sink_env(spec, config),
        {
            "name": contract.RATE.name,
            "valueFrom": {"configMapKeyRef": {"name": live, "key": contract.LIVE_RATE_KEY}},
        },
        _env(contract.RATE_CONFIGMAP, live),
        _env(contract.METRICS_PORT, config.metrics_port),
        *_mix_env(spec),
    ]
    container = _container(spec, config, "stream", env)
    container["readinessProbe"] = {
        "httpGet": {"path": "/healthz", "port": "metrics"},
        "periodSeconds": 10,
    }
    # The live-rate ConfigMap watch is the one reason a generator needs the API token.
    pod = _hardened(
        spec,
        _pod_spec(spec, config, container),
        flush_timeout=STREAM_FLUSH_TIMEOUT_SECONDS,
        api_access=True,
    )
    shape = planned or flat_shape(spec)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": _metadata(owner, owner.name),
        "spec": {
            "replicas": shape.replicas,
            "revisionHistoryLimit": 3,
            "selector": {"matchLabels": selector_labels(owner)},
            "template": {"metadata": {"labels": labels(owner)}, "spec": pod},
        },
    }


def spec_hash(job_spec: Manifest) -> str:
    """A short digest of a Job spec: Kubernetes forbids editing a Job's pod template, so
    a changed digest means the Job must be replaced."""
    canonical = json.dumps(job_spec, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(canonical).hexdigest()[:16]


def build_job(spec: GeneratorSpec, owner: Owner, config: OperatorConfig) -> Manifest:
    """The batch Job: Indexed, one completion per shard, exactly `batch.events` in total.

    Each pod learns its shard from the completion-index annotation (Kubernetes >= 1.21);
    the generator splits the total over the shard count itself. The spec-hash annotation
    covers everything but parallelism (the one field that may change in place).
    """
    assert spec.batch is not None  # checked by parse_spec
    env = [
        _env(contract.NAME, owner.name),
        _env(contract.SEED, effective_seed(spec, owner)),
        *_sink_env(spec, config),
        _env(contract.EVENTS, spec.batch.events),
        _env(contract.SHARD_COUNT, spec.batch.shards),
        # Only when off: the generator's default is on, and a default spec's Job (and so its
        # digest) stays as it was before the field existed.
        *([_env(contract.DAILY_PROFILE, "false")] if not spec.batch.daily_profile else []),
        _field_env(contract.SHARD_INDEX, f"metadata.annotations['{COMPLETION_INDEX_ANNOTATION}']"),
        _field_env(contract.POD_NAMESPACE, "metadata.namespace"),
        _env(contract.METRICS_PORT, config.metrics_port),
        *_mix_env(spec),
    ]
    pod_spec = _pod_spec(spec, config, _container(spec, config, "batch", env))
    pod_spec["restartPolicy"] = "Never"
    job_spec: Manifest = {
        "completionMode": "Indexed",
        "completions": spec.batch.shards,
        # A retried shard rewrites its own objects; allow a few failures per shard.
        "backoffLimit": max(6, spec.batch.shards),
        "template": {"metadata": {"labels": labels(owner)}, "spec": pod_spec},
    }
    metadata = _metadata(owner, owner.name)
    # The digest names the batch the user asked for. The operator's hardening stays out of
    # it: a change there (an operator upgrade) must neither replace a running batch nor
    # rerun a finished one.
    metadata["annotations"] = {SPEC_HASH_ANNOTATION: spec_hash(job_spec)}
    # Shard pods never call the Kubernetes API (the shard index comes from the downward API).
    hardened = _hardened(
        spec, pod_spec, flush_timeout=BATCH_FLUSH_TIMEOUT_SECONDS, api_access=False
    )
    [container] = hardened["containers"]
    container["env"] = [
        _env(contract.INTERRUPTED_EXIT_CODE, BATCH_INTERRUPTED_EXIT_CODE),
        *container["env"],
    ]
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": metadata,
        "spec": {
            **job_spec,
            "template": {**job_spec["template"], "spec": hardened},
            "parallelism": batch_parallelism(spec),
        },
    }
