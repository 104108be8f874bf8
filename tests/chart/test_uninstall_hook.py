"""`helm uninstall` stops the generators first: a pre-delete hook with just enough RBAC.

Rendered here; run for real on the node (tests/e2e/test_real_node.py), where the uninstall
leaves no EventGenerator and no generator pod behind.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.support.helm_chart import default_values, render

HOOK = "platform-uninstall"


def hook_objects(helm: Path, **values: Any) -> list[dict[str, Any]]:
    rendered = render(helm, default_values(**values))
    return [
        o
        for o in rendered.objects
        if o["metadata"].get("annotations", {}).get("helm.sh/hook") == "pre-delete"
    ]


def test_by_default_a_pre_delete_job_deletes_generators_in_every_namespace(helm: Path) -> None:
    objects = {(o["kind"], o["metadata"]["name"]) for o in hook_objects(helm)}
    assert objects == {
        ("ServiceAccount", HOOK),
        ("ClusterRole", HOOK),
        ("ClusterRoleBinding", HOOK),
        ("NetworkPolicy", HOOK),
        ("Job", HOOK),
    }
    (job,) = [o for o in hook_objects(helm) if o["kind"] == "Job"]
    (container,) = job["spec"]["template"]["spec"]["containers"]
    assert container["command"] == ["python", "-m", "eventgen_operator.uninstall"]
    assert container["args"] == ["--all-namespaces", "--timeout=300"]
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == HOOK
    # Removed once it succeeded; a leftover from a failed uninstall is replaced on the next.
    assert job["metadata"]["annotations"]["helm.sh/hook-delete-policy"] == (
        "before-hook-creation,hook-succeeded"
    )


def test_the_hook_may_only_list_and_delete_generators_and_read_pods(helm: Path) -> None:
    (role,) = [o for o in hook_objects(helm) if o["kind"] == "ClusterRole"]
    assert role["rules"] == [
        {
            "apiGroups": ["ecommerce.dataplatform.io"],
            "resources": ["eventgenerators"],
            "verbs": ["get", "list", "delete"],
        },
        {"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]},
    ]
    # RBAC objects exist before the Job that needs them (lower weights run first).
    weights = {
        o["kind"]: int(o["metadata"]["annotations"]["helm.sh/hook-weight"])
        for o in hook_objects(helm)
    }
    assert weights["ServiceAccount"] < weights["ClusterRoleBinding"] < weights["Job"]


def test_with_watched_namespaces_the_hook_gets_a_role_in_each_and_no_cluster_role(
    helm: Path,
) -> None:
    objects = hook_objects(helm, operator={"watchNamespaces": ["team-a", "team-b"]})
    roles = sorted((o["kind"], o["metadata"]["namespace"]) for o in objects if "Role" in o["kind"])
    assert roles == [
        ("Role", "team-a"),
        ("Role", "team-b"),
        ("RoleBinding", "team-a"),
        ("RoleBinding", "team-b"),
    ]
    (job,) = [o for o in objects if o["kind"] == "Job"]
    args = job["spec"]["template"]["spec"]["containers"][0]["args"]
    assert args == ["--namespace=team-a", "--namespace=team-b", "--timeout=300"]


def test_the_hook_runs_locked_down_like_the_operator(helm: Path) -> None:
    (job,) = [o for o in hook_objects(helm) if o["kind"] == "Job"]
    pod = job["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    context = container["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"] == {"drop": ["ALL"]}
    assert job["spec"]["activeDeadlineSeconds"] > 300


def test_the_hook_pod_may_reach_only_dns_and_the_api_server(helm: Path) -> None:
    objects = hook_objects(helm)
    (policy,) = [o for o in objects if o["kind"] == "NetworkPolicy"]
    (job,) = [o for o in objects if o["kind"] == "Job"]
    pod_labels = job["spec"]["template"]["metadata"]["labels"]
    selected = policy["spec"]["podSelector"]["matchLabels"]
    assert selected.items() <= pod_labels.items()
    assert "ingress" not in policy["spec"] and policy["spec"]["policyTypes"] == [
        "Ingress",
        "Egress",
    ]
    ports = sorted(p["port"] for rule in policy["spec"]["egress"] for p in rule["ports"])
    assert ports == [53, 53, 443, 6443]


def test_turned_off_the_release_has_no_hook(helm: Path) -> None:
    assert hook_objects(helm, operator={"uninstall": {"deleteGenerators": False}}) == []
