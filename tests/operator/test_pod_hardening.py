"""Generator pods run locked down: non-root, read-only root filesystem with scratch
emptyDirs, no capabilities, the API token only where the live-rate watch needs it, and a
grace period that outlasts the final flush. Plain data: the rendered children, no servers."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from eventgen_operator.children import (
    build_deployment,
    build_job,
    spec_hash,
)
from eventgen_operator.labels import SPEC_HASH_ANNOTATION
from eventgen_operator.spec import GeneratorSpec
from tests.operator.builders import OWNER, batch, streaming
from tests.operator.test_children import CONFIG, env_of

GENERATOR_UID = 10001  # USER 10001:10001 in the Dockerfile
# `eventgen batch` flushes for max(--flush-timeout, 300 s) (generator/eventgen/cli/batch.py).
BATCH_FLUSH_FLOOR_SECONDS = 300


def render(spec: GeneratorSpec) -> dict[str, Any]:
    """The Deployment (streaming) or Job (batch) the operator renders for `spec`."""
    if spec.mode == "streaming":
        return build_deployment(spec, OWNER, CONFIG)
    return build_job(spec, OWNER, CONFIG)


def pod_of(manifest: dict[str, Any]) -> dict[str, Any]:
    pod: dict[str, Any] = manifest["spec"]["template"]["spec"]
    return pod


def mounts_of(manifest: dict[str, Any]) -> dict[str, str]:
    """mountPath -> volume kind ("emptyDir", ...) of the generator container."""
    pod = pod_of(manifest)
    volumes = {v["name"]: next(k for k in v if k != "name") for v in pod["volumes"]}
    [container] = pod["containers"]
    return {m["mountPath"]: volumes[m["name"]] for m in container["volumeMounts"]}


BOTH_MODES = pytest.mark.parametrize("spec", [streaming(), batch()], ids=["streaming", "batch"])


@BOTH_MODES
def test_pods_run_as_the_images_non_root_user_with_runtime_default_seccomp(
    spec: GeneratorSpec,
) -> None:
    context = pod_of(render(spec))["securityContext"]
    assert context["runAsNonRoot"] is True
    assert context["runAsUser"] == context["runAsGroup"] == GENERATOR_UID
    assert context["fsGroup"] == GENERATOR_UID  # emptyDirs writable by that user
    assert context["seccompProfile"] == {"type": "RuntimeDefault"}


@BOTH_MODES
def test_the_container_cannot_escalate_holds_no_capabilities_and_cannot_write_its_image(
    spec: GeneratorSpec,
) -> None:
    [container] = pod_of(render(spec))["containers"]
    context = container["securityContext"]
    assert context["allowPrivilegeEscalation"] is False
    assert context["readOnlyRootFilesystem"] is True
    assert context["capabilities"] == {"drop": ["ALL"]}


@BOTH_MODES
def test_tmp_is_a_writable_scratch_volume(spec: GeneratorSpec) -> None:
    # Python and the kube client write temp files; the image sets HOME=/tmp.
    assert mounts_of(render(spec)) == {"/tmp": "emptyDir"}


def test_only_streaming_pods_get_an_api_token_because_only_they_watch_the_live_rate() -> None:
    deployment, job = render(streaming()), render(batch())
    assert pod_of(deployment)["automountServiceAccountToken"] is True
    assert "EVENTGEN_RATE_CONFIGMAP" in env_of(deployment)
    assert pod_of(job)["automountServiceAccountToken"] is False
    # Nothing in a shard pod reaches for the API: no live rate, the index from the downward API.
    job_env = env_of(job)
    assert "EVENTGEN_RATE_CONFIGMAP" not in job_env and "EVENTGEN_RATE_FILE" not in job_env
    assert "fieldRef" in job_env["EVENTGEN_SHARD_INDEX"]


def test_streaming_pods_get_the_flush_timeout_explicitly_and_a_longer_grace_period() -> None:
    deployment = render(streaming())
    flush = float(env_of(deployment)["EVENTGEN_FLUSH_TIMEOUT"])
    assert flush == 30
    assert pod_of(deployment)["terminationGracePeriodSeconds"] == 60


def test_batch_pods_grace_period_outlasts_the_batch_flush() -> None:
    job = render(batch())
    flush = float(env_of(job)["EVENTGEN_FLUSH_TIMEOUT"])
    grace = pod_of(job)["terminationGracePeriodSeconds"]
    assert grace > max(flush, BATCH_FLUSH_FLOOR_SECONDS)


def test_an_interrupted_shard_fails_its_pod_so_the_job_reruns_it() -> None:
    # A node drain SIGTERMs a shard mid-way; exit 0 would count the short shard as done.
    job = render(batch())
    assert env_of(job)["EVENTGEN_INTERRUPTED_EXIT_CODE"] not in ("", "0")
    assert job["spec"]["backoffLimit"] > 0, "a failed shard pod must be retried"
    assert "EVENTGEN_INTERRUPTED_EXIT_CODE" not in env_of(render(streaming()))


@pytest.mark.parametrize(
    ("path", "mounts"),
    [
        ("/data/events", {"/tmp": "emptyDir", "/data": "emptyDir"}),  # a file in /data
        ("/data/out/", {"/tmp": "emptyDir", "/data/out": "emptyDir"}),  # a folder of parts
        ("/srv/a/b/events.jsonl", {"/tmp": "emptyDir", "/srv/a/b": "emptyDir"}),
        ("/tmp/out", {"/tmp": "emptyDir"}),  # already on the /tmp volume
        ("/tmp/deep/out/", {"/tmp": "emptyDir"}),
    ],
)
def test_jsonl_local_output_folder_is_writable_on_a_read_only_root(
    path: str, mounts: dict[str, str]
) -> None:
    sink = {"type": "jsonl-local", "jsonlLocal": {"path": path}}
    for spec in (streaming(sink=sink), batch(sink=sink)):
        manifest = render(spec)
        assert mounts_of(manifest) == mounts
        assert env_of(manifest)["EVENTGEN_OUTPUT"] == path


def test_jsonl_local_default_path_gets_its_folder_mounted() -> None:
    manifest = render(streaming(sink={"type": "jsonl-local"}))
    assert env_of(manifest)["EVENTGEN_OUTPUT"] == "/data/events"
    assert mounts_of(manifest)["/data"] == "emptyDir"


def test_hardening_stays_out_of_the_job_digest_so_an_upgrade_never_reruns_a_batch() -> None:
    job = render(batch(events=1000, shards=4, seed=3))
    # The same Job as an operator without the hardening rendered it.
    plain = copy.deepcopy(job["spec"])
    del plain["parallelism"]
    pod = plain["template"]["spec"]
    for key in ("securityContext", "automountServiceAccountToken", "volumes"):
        del pod[key]
    del pod["terminationGracePeriodSeconds"]
    [container] = pod["containers"]
    del container["securityContext"], container["volumeMounts"]
    del container["terminationMessagePath"], container["terminationMessagePolicy"]
    operator_owned = {"EVENTGEN_FLUSH_TIMEOUT", "EVENTGEN_INTERRUPTED_EXIT_CODE"}
    container["env"] = [e for e in container["env"] if e["name"] not in operator_owned]
    assert job["metadata"]["annotations"][SPEC_HASH_ANNOTATION] == spec_hash(plain)
