"""Streaming generators on a real API server, seen through kubectl."""

from __future__ import annotations

import json
from typing import Any

from tests.operator.running import EXAMPLES, RunningOperator, condition, example, table_row


def replicasets(op: RunningOperator, name: str) -> list[dict[str, Any]]:
    return [
        rs
        for rs in op.items("replicasets")
        if any(ref["name"] == name for ref in rs["metadata"].get("ownerReferences") or [])
    ]


def shape(op: RunningOperator, name: str) -> tuple[int, str] | None:
    """(Deployment replicas, live ratePerReplica) once both exist."""
    deployment = op.get("deployment", name)
    live = op.get("configmap", f"{name}-live")
    if deployment is None or live is None:
        return None
    return deployment["spec"]["replicas"], live["data"]["ratePerReplica"]


def test_the_streaming_example_gets_a_deployment_a_live_rate_and_a_status(
    operator: RunningOperator,
) -> None:
    operator.apply(example("streaming.yaml"))
    operator.wait_for(lambda: shape(operator, "orders-stream") == (1, "100"), "1 pod at 100/s")
    generator = operator.wait_status(
        "orders-stream", lambda s: s.get("observedGeneration") == 1, "status observed"
    )
    status = generator["status"]
    assert (status["replicas"], status["ratePerReplica"]) == (1, 100)
    # No kubelet here: the pod stays Pending, and the status says so.
    assert status["phase"] == "Pending"
    assert condition(status, "Ready")["reason"] == "ReplicasNotReady"
    deployment = operator.get("deployment", "orders-stream")
    [owner] = deployment["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["uid"]) == ("EventGenerator", generator["metadata"]["uid"])
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] == ["eventgen", "stream"]
    assert container["image"] == "registry.test/eventgen:test"
    env = {item["name"]: item for item in container["env"]}
    assert env["EVENTGEN_PUBSUB_TOPIC"]["value"] == "ecommerce-events"
    assert env["EVENTGEN_RATE_CONFIGMAP"]["value"] == "orders-stream-live"
    shown = table_row(operator.kubectl("get", "evgen", "orders-stream"))
    assert list(shown) == [
        "NAME", "MODE", "RATE", "EVENTS", "SHARDS", "REPLICAS", "READY", "PHASE", "REASON",
        "AGE",
    ]  # fmt: skip
    assert list(shown.values())[:9] == [
        "orders-stream", "streaming", "100", "", "", "1", "0", "Pending", "",
    ]  # fmt: skip
    assert "evgen" in operator.kubectl("api-resources", "--api-group=ecommerce.dataplatform.io")


def test_rate_edits_rescale_without_a_new_replicaset(operator: RunningOperator) -> None:
    operator.apply(example("streaming.yaml"))
    operator.wait_for(lambda: shape(operator, "orders-stream") == (1, "100"), "1 pod at 100/s")
    operator.wait_for(lambda: len(replicasets(operator, "orders-stream")) == 1, "a ReplicaSet")
    [first] = replicasets(operator, "orders-stream")
    for rate, replicas, per_replica in [
        (20_000, 1, "20000"),
        (200_000, 10, "20000"),
        (0, 0, "0"),
    ]:
        operator.patch_spec("orders-stream", rate=rate)
        operator.wait_for(
            lambda r=replicas, p=per_replica: shape(operator, "orders-stream") == (r, p),
            f"rate {rate}: {replicas} replicas at {per_replica}/s each",
        )
        operator.wait_for(
            lambda r=replicas: (
                [rs["spec"]["replicas"] for rs in replicasets(operator, "orders-stream")] == [r]
            ),
            f"the one ReplicaSet scaled to {replicas}",
        )
        [only] = replicasets(operator, "orders-stream")
        assert only["metadata"]["uid"] == first["metadata"]["uid"], "pods were rolled"
    # Phase Paused comes with the edit; Ready follows once the Deployment reports its pods gone
    # (reading both from the first Paused status raced with that: seen failing under load).
    operator.wait_status(
        "orders-stream",
        lambda s: s.get("phase") == "Paused" and condition(s, "Ready").get("status") == "True",
        "Paused and Ready",
    )
    events = operator.kubectl(
        "get", "events", "--field-selector", "involvedObject.name=orders-stream"
    )
    assert "Paused" in events


def test_suspend_scales_to_zero_and_resume_restores(operator: RunningOperator) -> None:
    manifest = example("streaming.yaml")
    manifest["spec"]["rate"] = 48_000
    operator.apply(manifest)
    operator.wait_for(lambda: shape(operator, "orders-stream") == (3, "16000"), "3 pods")
    operator.patch_spec("orders-stream", suspend=True)
    operator.wait_for(lambda: shape(operator, "orders-stream") == (0, "16000"), "suspended")
    operator.wait_status("orders-stream", lambda s: s.get("phase") == "Suspended", "Suspended")
    operator.patch_spec("orders-stream", suspend=False)
    operator.wait_for(lambda: shape(operator, "orders-stream") == (3, "16000"), "resumed")
    assert len(replicasets(operator, "orders-stream")) == 1


def test_hand_edits_and_deletions_of_children_are_undone(operator: RunningOperator) -> None:
    operator.apply(example("streaming.yaml"))
    operator.wait_for(lambda: shape(operator, "orders-stream") == (1, "100"), "1 pod at 100/s")
    uid = operator.get("deployment", "orders-stream")["metadata"]["uid"]
    operator.kubectl("scale", "deployment", "orders-stream", "--replicas=7")
    operator.wait_for(lambda: shape(operator, "orders-stream") == (1, "100"), "scale undone")
    operator.kubectl(
        "patch", "configmap", "orders-stream-live", "--type", "merge",
        "-p", '{"data": {"ratePerReplica": "99999"}}',
    )  # fmt: skip
    operator.wait_for(lambda: shape(operator, "orders-stream") == (1, "100"), "rate restored")
    operator.kubectl("delete", "deployment", "orders-stream")
    operator.wait_for(
        lambda: (d := operator.get("deployment", "orders-stream")) and d["metadata"]["uid"] != uid,
        "the deleted Deployment recreated",
    )
    operator.kubectl("delete", "configmap", "orders-stream-live")
    operator.wait_for(lambda: shape(operator, "orders-stream") == (1, "100"), "ConfigMap back")


def test_deleting_a_generator_garbage_collects_its_children(operator: RunningOperator) -> None:
    operator.apply(example("streaming.yaml"))
    operator.wait_for(lambda: shape(operator, "orders-stream") == (1, "100"), "children")
    operator.kubectl("delete", "evgen", "orders-stream")
    operator.wait_for(
        lambda: (
            operator.get("deployment", "orders-stream") is None
            and operator.get("configmap", "orders-stream-live") is None
            and not replicasets(operator, "orders-stream")
        ),
        "the garbage collector to delete the Deployment, ReplicaSet and ConfigMap",
        timeout=90,
    )


def test_an_operator_restart_creates_no_duplicates(operator: RunningOperator) -> None:
    for name in ("a", "b", "c"):
        manifest = example("streaming.yaml")
        manifest["metadata"]["name"] = name
        operator.apply(manifest)
    for name in ("a", "b", "c"):
        operator.wait_for(lambda n=name: shape(operator, n) == (1, "100"), f"{name} created")
    operator.stop()
    operator.patch_spec("b", rate=80_000)  # edited while the operator is down
    operator.start()
    operator.wait_for(lambda: shape(operator, "b") == (4, "20000"), "the offline edit applied")
    operator.wait_status("b", lambda s: s.get("observedGeneration") == 2, "generation 2 seen")
    assert sorted(d["metadata"]["name"] for d in operator.items("deployments")) == ["a", "b", "c"]
    assert sorted(
        c["metadata"]["name"]
        for c in operator.items("configmaps")
        if "-live" in c["metadata"]["name"]
    ) == [
        "a-live",
        "b-live",
        "c-live",
    ]
    for name in ("a", "b", "c"):
        assert len(replicasets(operator, name)) == 1


def test_fifty_generators_at_once(operator: RunningOperator) -> None:
    documents = []
    for index in range(50):
        manifest = example("streaming.yaml")
        manifest["metadata"]["name"] = f"gen-{index:02d}"
        manifest["spec"]["rate"] = 4000 * (index + 1)
        documents.append(manifest)
    operator.apply({"apiVersion": "v1", "kind": "List", "items": documents})

    def all_observed() -> bool:
        items = operator.items("evgen")
        return len(items) == 50 and all(
            (item.get("status") or {}).get("observedGeneration") == 1 for item in items
        )

    operator.wait_for(all_observed, "all 50 generators observed", timeout=180)
    replicas = {d["metadata"]["name"]: d["spec"]["replicas"] for d in operator.items("deployments")}
    assert replicas == {f"gen-{i:02d}": -(-(4000 * (i + 1)) // 20000) for i in range(50)}


def test_generators_outside_the_watched_namespaces_are_left_alone(
    operator: RunningOperator, namespace: str
) -> None:
    other = f"{namespace[:50]}-other"
    operator.plane.create_namespace(other)
    try:
        operator.plane.kubectl(
            "apply", "--namespace", other, "-f", str(EXAMPLES / "streaming.yaml")
        )
        operator.apply(example("streaming.yaml"))
        operator.wait_status("orders-stream", lambda s: s.get("observedGeneration") == 1, "seen")
        foreign = operator.plane.kubectl(
            "get", "evgen,deployments", "--namespace", other, "-o", "json"
        ).stdout
        items = json.loads(foreign)["items"]
        assert [item["kind"] for item in items] == ["EventGenerator"]
        assert "status" not in items[0]
    finally:
        operator.plane.delete_namespace(other)
