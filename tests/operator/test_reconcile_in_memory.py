"""The reconciler against `MemoryKubeApi`: which children it creates, patches, replaces or
leaves alone, and what it says in the status, in milliseconds (no server).

The batch cases are the ones a cluster shows only slowly: a Job replaced when the batch
changes, patched in place when only its parallelism does, left alone once finished, never
rerun once it succeeded (even when the Job is deleted), and run again when it was deleted
before it finished. The on-cluster suites keep what only a cluster shows (RBAC, the Job and
Deployment controllers, garbage collection, admission).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from eventgen_operator.config import OperatorConfig
from eventgen_operator.errors import ChildRejectedError, InvalidSpecError
from eventgen_operator.kubeapi import CONFIGMAPS, DEPLOYMENTS, EVENTGENERATORS, JOBS, PODS, Kind
from eventgen_operator.labels import SPEC_HASH_ANNOTATION
from eventgen_operator.memory_kubeapi import MemoryKubeApi
from eventgen_operator.reconciling import ChildBusyError, Outcome, Reconciler
from tests.operator.builders import OWNER, add_generator, edit_spec, status_of
from tests.operator.running import condition

BATCH = {"mode": "batch", "batch": {"events": 1000, "shards": 4}}
COMPLETE = {
    "succeeded": 4,
    "completionTime": "2026-01-05T12:10:00Z",
    "conditions": [{"type": "Complete", "status": "True"}],
}
FAILED = {
    "failed": 7,
    "conditions": [{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}],
}


class Setup:
    """A memory API, a reconciler on it, and the Events the reconciler posted."""

    def __init__(self, **spec: Any) -> None:
        self.api = MemoryKubeApi()
        self.events: list[tuple[str, str, bool]] = []
        self.reconciler = Reconciler(self.api, OperatorConfig(), notify=self._notify)
        add_generator(self.api, **spec)

    def _notify(self, body: Mapping[str, Any], reason: str, message: str, warning: bool) -> None:
        self.events.append((reason, message, warning))

    def reconcile(self) -> Outcome:
        outcome = self.reconciler.reconcile(OWNER.namespace, OWNER.name)
        assert outcome is not None
        return outcome

    def child(self, kind: Kind, name: str = OWNER.name) -> dict[str, Any]:
        found = self.api.get(kind, OWNER.namespace, name)
        assert found is not None, f"{kind.plural}/{name} does not exist"
        return found

    def missing(self, kind: Kind, name: str = OWNER.name) -> bool:
        return self.api.get(kind, OWNER.namespace, name) is None

    def set_status(self, kind: Kind, **status: Any) -> None:
        self.api.set_status(kind, OWNER.namespace, OWNER.name, status)

    def reasons(self) -> list[str]:
        return [reason for reason, _, _ in self.events]


def succeeded_batch() -> Setup:
    """A batch whose Job completed, as the operator saw it (status Succeeded)."""
    setup = Setup(**BATCH)
    setup.reconcile()
    setup.set_status(JOBS, **COMPLETE)
    setup.reconcile()
    return setup


def uid(manifest: Mapping[str, Any]) -> str:
    return str(manifest["metadata"]["uid"])


def version(manifest: Mapping[str, Any]) -> str:
    return str(manifest["metadata"]["resourceVersion"])


# -- streaming ---------------------------------------------------------------------------


def test_a_new_stream_gets_its_live_configmap_and_a_deployment_sized_for_the_rate() -> None:
    setup = Setup(rate=12000, maxRatePerReplica=5000)
    outcome = setup.reconcile()
    assert outcome.changed_children == ("ConfigMap orders-live", "Deployment orders")
    assert setup.child(CONFIGMAPS, "orders-live")["data"] == {"ratePerReplica": "4000"}
    deployment = setup.child(DEPLOYMENTS)
    generator = setup.child(EVENTGENERATORS)
    assert deployment["spec"]["replicas"] == 3
    [reference] = deployment["metadata"]["ownerReferences"]
    assert reference["uid"] == uid(generator) and reference["controller"] is True
    status = status_of(setup.api)
    assert (status["phase"], status["observedGeneration"], status["replicas"]) == ("Pending", 1, 3)
    assert condition(status, "Ready")["reason"] == "ReplicasNotReady"
    assert setup.reasons() == ["Pending"]


def test_an_unchanged_stream_costs_reads_only() -> None:
    setup = Setup()
    setup.reconcile()
    setup.api.requests.clear()
    outcome = setup.reconcile()
    assert outcome.changed_children == ()
    assert setup.api.writes() == []
    assert setup.reasons() == ["Pending"]  # no second phase event


def test_ready_replicas_make_the_stream_running_with_a_status_write_only() -> None:
    setup = Setup(rate=12000, maxRatePerReplica=5000)
    setup.reconcile()
    setup.set_status(DEPLOYMENTS, replicas=3, readyReplicas=3, updatedReplicas=3)
    setup.api.requests.clear()
    outcome = setup.reconcile()
    assert outcome.changed_children == ()
    assert setup.api.writes() == [f"PATCH {EVENTGENERATORS.item('shop', 'orders')}/status"]
    status = status_of(setup.api)
    ready = condition(status, "Ready")
    assert (status["phase"], ready["status"], ready["reason"]) == (
        "Running",
        "True",
        "AllReplicasReady",
    )
    assert setup.events[-1] == ("Running", "phase Running: 3 of 3 replicas ready", False)


def test_a_rate_edit_scales_the_deployment_without_touching_its_pod_template() -> None:
    setup = Setup(rate=4000, maxRatePerReplica=5000)
    setup.reconcile()
    before = setup.child(DEPLOYMENTS)
    edit_spec(setup.api, rate=9000)
    outcome = setup.reconcile()
    after = setup.child(DEPLOYMENTS)
    assert outcome.changed_children == ("ConfigMap orders-live", "Deployment orders")
    assert (before["spec"]["replicas"], after["spec"]["replicas"]) == (1, 2)
    assert after["spec"]["template"] == before["spec"]["template"]  # no rollout
    assert setup.child(CONFIGMAPS, "orders-live")["data"]["ratePerReplica"] == "4500"
    assert status_of(setup.api)["observedGeneration"] == 2


def test_suspend_scales_to_zero_and_keeps_the_rate_the_pods_resume_with() -> None:
    setup = Setup(rate=12000, maxRatePerReplica=5000)
    setup.reconcile()
    edit_spec(setup.api, suspend=True)
    setup.reconcile()
    assert setup.child(DEPLOYMENTS)["spec"]["replicas"] == 0
    assert setup.child(CONFIGMAPS, "orders-live")["data"]["ratePerReplica"] == "4000"
    setup.set_status(DEPLOYMENTS, replicas=0)
    setup.reconcile()
    assert status_of(setup.api)["phase"] == "Suspended"
    assert setup.events[-1] == (
        "Suspended",
        "phase Suspended: suspended, generation stopped",
        False,
    )


def test_rate_zero_pauses_with_no_replicas() -> None:
    setup = Setup(rate=0)
    setup.reconcile()
    assert setup.child(DEPLOYMENTS)["spec"]["replicas"] == 0
    assert setup.child(CONFIGMAPS, "orders-live")["data"]["ratePerReplica"] == "0"
    assert status_of(setup.api)["phase"] == "Paused"


def test_hand_edits_and_deletions_of_stream_children_are_undone() -> None:
    setup = Setup(rate=12000, maxRatePerReplica=5000)
    setup.reconcile()
    setup.api.merge_patch(DEPLOYMENTS, "shop", "orders", {"spec": {"replicas": 7}})
    setup.api.delete(CONFIGMAPS, "shop", "orders-live")
    outcome = setup.reconcile()
    assert outcome.changed_children == ("ConfigMap orders-live", "Deployment orders")
    assert setup.child(DEPLOYMENTS)["spec"]["replicas"] == 3
    assert setup.child(CONFIGMAPS, "orders-live")["data"]["ratePerReplica"] == "4000"


def test_a_foreign_object_holding_a_childs_name_is_left_alone() -> None:
    setup = Setup()
    foreign = {"metadata": {"name": "orders", "labels": {"team": "other"}}, "spec": {"replicas": 2}}
    setup.api.create(DEPLOYMENTS, "shop", foreign)
    with pytest.raises(ChildBusyError, match="Deployment orders exists and is not owned"):
        setup.reconcile()
    assert setup.child(DEPLOYMENTS)["metadata"]["labels"] == {"team": "other"}


def test_failing_pods_found_by_label_make_the_stream_degraded() -> None:
    setup = Setup()
    setup.reconcile()
    crash_loop = {
        "containerStatuses": [
            {
                "name": "generator",
                "ready": False,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "message": "eventgen: error: nope"}},
            }
        ]
    }
    labelled = {"ecommerce.dataplatform.io/generator": "orders"}
    for name, labels in (("orders-7d9f8-abcde", labelled), ("other-1", {})):
        setup.api.create(PODS, "shop", {"metadata": {"name": name, "labels": labels}, "spec": {}})
        setup.api.set_status(PODS, "shop", name, crash_loop)
    setup.reconcile()
    degraded = condition(status_of(setup.api), "Degraded")
    assert (degraded["status"], degraded["reason"]) == ("True", "GeneratorFailing")
    # Only the generator's own pod counts (no "and 1 more pod(s) failing").
    assert degraded["message"] == "pod orders-7d9f8-abcde: eventgen: error: nope"


def test_the_mode_cannot_change_and_the_running_children_stay() -> None:
    setup = Setup()
    setup.reconcile()
    edit_spec(setup.api, mode="batch", batch={"events": 10})
    with pytest.raises(InvalidSpecError, match=r"spec\.mode is immutable"):
        setup.reconcile()
    assert status_of(setup.api)["phase"] == "Invalid"
    assert setup.missing(JOBS) and not setup.missing(DEPLOYMENTS)
    assert setup.events[-1][0] == "InvalidSpec"


def test_a_generator_gone_or_being_deleted_is_not_reconciled() -> None:
    setup = Setup()
    setup.api.merge_patch(
        EVENTGENERATORS,
        "shop",
        "orders",
        {"metadata": {"deletionTimestamp": "2026-01-05T12:00:00Z"}},
    )
    assert setup.reconciler.reconcile("shop", "orders") is None
    setup.api.delete(EVENTGENERATORS, "shop", "orders")
    assert setup.reconciler.reconcile("shop", "orders") is None
    assert setup.missing(DEPLOYMENTS) and setup.missing(CONFIGMAPS, "orders-live")
    assert not any("eventgenerators/orders/status" in write for write in setup.api.writes())


# -- batch -------------------------------------------------------------------------------


def test_a_batch_gets_one_indexed_job_whose_digest_the_status_remembers() -> None:
    setup = Setup(**BATCH)
    outcome = setup.reconcile()
    job = setup.child(JOBS)
    assert outcome.changed_children == ("Job orders",)
    assert (job["spec"]["completions"], job["spec"]["parallelism"]) == (4, 4)
    assert job["spec"]["completionMode"] == "Indexed"
    status = status_of(setup.api)
    assert status["phase"] == "Pending"
    assert status["batch"]["specHash"] == job["metadata"]["annotations"][SPEC_HASH_ANNOTATION]
    assert setup.missing(DEPLOYMENTS) and setup.missing(CONFIGMAPS, "orders-live")


def test_a_parallelism_edit_patches_the_running_job_in_place() -> None:
    setup = Setup(**BATCH)
    setup.reconcile()
    setup.set_status(JOBS, active=4)
    before = setup.child(JOBS)
    edit_spec(setup.api, batch={"parallelism": 2})
    outcome = setup.reconcile()
    after = setup.child(JOBS)
    assert outcome.changed_children == ("Job orders",)
    assert uid(after) == uid(before) and after["spec"]["parallelism"] == 2
    assert "ReplacingJob" not in setup.reasons()


def test_suspending_a_batch_sets_parallelism_to_zero_in_place() -> None:
    setup = Setup(**BATCH)
    setup.reconcile()
    setup.set_status(JOBS, active=4, succeeded=1)
    before = setup.child(JOBS)
    edit_spec(setup.api, suspend=True)
    setup.reconcile()
    after = setup.child(JOBS)
    assert uid(after) == uid(before) and after["spec"]["parallelism"] == 0
    status = status_of(setup.api)
    assert status["phase"] == "Suspended"
    assert condition(status, "Ready")["message"] == "suspended after 1 of 4 shards"


def test_a_changed_batch_replaces_the_running_job_and_says_so() -> None:
    setup = Setup(**BATCH)
    setup.reconcile()
    before = setup.child(JOBS)
    edit_spec(setup.api, batch={"events": 5000})
    setup.api.requests.clear()
    outcome = setup.reconcile()
    after = setup.child(JOBS)
    assert outcome.changed_children == ("Job orders",)
    assert uid(after) != uid(before)
    digest = after["metadata"]["annotations"][SPEC_HASH_ANNOTATION]
    assert digest != before["metadata"]["annotations"][SPEC_HASH_ANNOTATION]
    assert [w.split()[0] for w in setup.api.writes()] == ["DELETE", "POST", "PATCH"]
    assert ("ReplacingJob", "batch spec changed: replacing Job orders", False) in setup.events
    assert status_of(setup.api)["batch"]["specHash"] == digest


def test_a_finished_job_is_never_patched() -> None:
    setup = succeeded_batch()
    before = setup.child(JOBS)
    edit_spec(setup.api, batch={"parallelism": 1})
    outcome = setup.reconcile()
    assert outcome.changed_children == ()
    assert version(setup.child(JOBS)) == version(before)
    assert status_of(setup.api)["phase"] == "Succeeded"


def test_a_succeeded_batch_whose_job_is_deleted_is_not_run_again() -> None:
    setup = succeeded_batch()
    done = status_of(setup.api)
    setup.api.delete(JOBS, "shop", "orders")  # by hand, or by a TTL
    outcome = setup.reconcile()
    assert outcome.changed_children == ()
    assert setup.missing(JOBS)
    status = status_of(setup.api)
    assert status["phase"] == "Succeeded"
    assert (
        status["batch"] == done["batch"] and status["completionTime"] == COMPLETE["completionTime"]
    )
    # A different batch afterwards is a new run.
    edit_spec(setup.api, batch={"events": 2000})
    assert setup.reconcile().changed_children == ("Job orders",)
    assert status_of(setup.api)["phase"] == "Pending"


def test_a_finished_batch_edited_into_a_different_one_runs_as_a_new_job() -> None:
    setup = succeeded_batch()
    before = setup.child(JOBS)
    edit_spec(setup.api, batch={"shards": 8})
    setup.reconcile()
    after = setup.child(JOBS)
    assert uid(after) != uid(before) and after["spec"]["completions"] == 8
    assert status_of(setup.api)["phase"] == "Pending"


@pytest.mark.parametrize(
    ("state", "phase"),
    [({"active": 2, "succeeded": 1}, "Running"), (FAILED, "Failed")],
    ids=["running", "failed"],
)
def test_a_job_deleted_before_it_succeeded_runs_again(state: dict[str, Any], phase: str) -> None:
    setup = Setup(**BATCH)
    setup.reconcile()
    setup.set_status(JOBS, **state)
    setup.reconcile()
    assert status_of(setup.api)["phase"] == phase
    before = setup.child(JOBS)
    setup.api.delete(JOBS, "shop", "orders")
    assert setup.reconcile().changed_children == ("Job orders",)
    after = setup.child(JOBS)
    assert uid(after) != uid(before)
    assert after["metadata"]["annotations"] == before["metadata"]["annotations"]  # same batch


def test_a_foreign_job_holding_the_name_is_left_alone() -> None:
    setup = Setup(**BATCH)
    setup.api.create(JOBS, "shop", {"metadata": {"name": "orders"}, "spec": {"parallelism": 9}})
    with pytest.raises(ChildBusyError, match="Job orders exists and is not owned"):
        setup.reconcile()
    assert setup.child(JOBS)["spec"]["parallelism"] == 9


# -- refused children --------------------------------------------------------------------


def test_a_refused_configmap_stops_before_the_deployment_and_says_why() -> None:
    setup = Setup()
    setup.api.refuse(CONFIGMAPS, 403, 'configmaps "orders-live" is forbidden: exceeded quota')
    with pytest.raises(ChildRejectedError) as refused:
        setup.reconcile()
    assert (refused.value.child, refused.value.status) == ("ConfigMap orders-live", 403)
    assert setup.missing(DEPLOYMENTS)
    status = status_of(setup.api)
    assert status["phase"] == "Rejected" and status["reason"] == "ChildRejected"
    assert condition(status, "Ready")["message"] == (
        'ConfigMap orders-live: configmaps "orders-live" is forbidden: exceeded quota'
    )
    assert setup.reasons() == ["ChildRejected"]


def test_a_refused_scale_keeps_the_running_deployment_and_recovers_when_accepted() -> None:
    setup = Setup(rate=4000, maxRatePerReplica=5000)
    setup.reconcile()
    setup.api.refuse(DEPLOYMENTS, 403, "exceeded quota: pods")
    edit_spec(setup.api, rate=20000)
    for _ in range(2):  # the same refusal twice: one event
        with pytest.raises(ChildRejectedError, match=r"Deployment orders refused .*\(403\)"):
            setup.reconcile()
    assert setup.child(DEPLOYMENTS)["spec"]["replicas"] == 1
    assert status_of(setup.api)["phase"] == "Rejected"
    assert setup.reasons() == ["Pending", "ChildRejected"]
    setup.api.accept(DEPLOYMENTS)
    setup.reconcile()
    assert setup.child(DEPLOYMENTS)["spec"]["replicas"] == 4
    assert status_of(setup.api)["phase"] == "Pending"


def test_a_refused_replacement_job_is_reported_and_created_once_accepted() -> None:
    setup = Setup(**BATCH)
    setup.reconcile()
    setup.api.refuse(JOBS, 422, 'Job.batch "orders" is invalid: spec.template: denied by policy')
    edit_spec(setup.api, batch={"events": 5000})
    with pytest.raises(ChildRejectedError, match="Job orders refused"):
        setup.reconcile()
    # The old Job was deleted before the new one was refused: nothing runs the old batch.
    assert setup.missing(JOBS)
    assert status_of(setup.api)["phase"] == "Rejected"
    setup.api.accept(JOBS)
    assert setup.reconcile().changed_children == ("Job orders",)
    [container] = setup.child(JOBS)["spec"]["template"]["spec"]["containers"]
    assert {"name": "EVENTGEN_EVENTS", "value": "5000"} in container["env"]
