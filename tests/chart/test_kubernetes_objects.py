"""The operator, its RBAC and the generator identity render as the operator expects them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from eventgen_operator.config import OperatorConfig
from tests.chart.matrix import VALUE_MATRIX
from tests.support.helm_chart import Rendered, RenderError, default_values, render

# (apiGroup, resource) -> verbs: the operator's permissions, exactly (least privilege).
NAMESPACED_RULES = {
    ("ecommerce.dataplatform.io", "eventgenerators"): {"get", "list", "watch", "patch"},
    ("ecommerce.dataplatform.io", "eventgenerators/status"): {"get", "patch"},
    ("apps", "deployments"): {"get", "list", "watch", "create", "patch"},
    ("batch", "jobs"): {"get", "list", "watch", "create", "patch", "delete"},
    ("", "configmaps"): {"get", "list", "watch", "create", "patch"},
    ("", "pods"): {"get", "list", "watch"},
    ("", "events"): {"create", "patch"},
}
CLUSTER_RULES = {
    ("apiextensions.k8s.io", "customresourcedefinitions"): {"get", "list", "watch"},
    ("", "namespaces"): {"get", "list", "watch"},
}


def _permissions(role: dict[str, Any]) -> dict[tuple[str, str], set[str]]:
    granted: dict[tuple[str, str], set[str]] = {}
    for rule in role["rules"]:
        assert "resourceNames" not in rule and "nonResourceURLs" not in rule
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                granted.setdefault((group, resource), set()).update(rule["verbs"])
    return granted


def _operator_container(rendered: Rendered) -> dict[str, Any]:
    deployment = rendered.one("Deployment", "platform-operator")
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    return container  # type: ignore[no-any-return]


def _is_hook(obj: dict[str, Any]) -> bool:
    return "helm.sh/hook" in obj["metadata"].get("annotations", {})


def test_all_namespaces_operator_gets_one_cluster_role_with_exact_permissions(
    defaults: Rendered,
) -> None:
    # (The uninstall hook's own ClusterRole is checked in test_uninstall_hook.py.)
    [role] = [r for r in defaults.of_kind("ClusterRole") if not _is_hook(r)]
    assert _permissions(role) == {**NAMESPACED_RULES, **CLUSTER_RULES}
    [binding] = [b for b in defaults.of_kind("ClusterRoleBinding") if not _is_hook(b)]
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert binding["subjects"] == [
        {"kind": "ServiceAccount", "name": "platform-operator", "namespace": "eventgen"}
    ]
    operator_roles = [
        r for r in defaults.of_kind("Role") if r["metadata"]["name"] == "platform-operator"
    ]
    assert operator_roles == []


def test_watched_namespaces_get_roles_and_the_cluster_role_keeps_only_cluster_reads(
    helm: Path,
) -> None:
    rendered = render(helm, VALUE_MATRIX["watched-namespaces"])
    [cluster_role] = rendered.of_kind("ClusterRole")
    assert _permissions(cluster_role) == CLUSTER_RULES
    roles = {
        r["metadata"]["namespace"]: r
        for r in rendered.of_kind("Role")
        if r["metadata"]["name"] == "platform-operator"
    }
    assert set(roles) == {"team-a", "team-b", "team-c"}
    for role in roles.values():
        assert _permissions(role) == NAMESPACED_RULES
    bindings = [
        b for b in rendered.of_kind("RoleBinding") if b["metadata"]["name"] == "platform-operator"
    ]
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b", "team-c"]
    for binding in bindings:
        assert binding["roleRef"] == {
            "apiGroup": "rbac.authorization.k8s.io",
            "kind": "Role",
            "name": "platform-operator",
        }
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "platform-operator", "namespace": "eventgen"}
        ]


def test_operator_args_name_the_watched_namespaces(helm: Path, defaults: Rendered) -> None:
    assert "--all-namespaces" in _operator_container(defaults)["args"]
    rendered = render(helm, VALUE_MATRIX["watched-namespaces"])
    args = _operator_container(rendered)["args"]
    assert "--all-namespaces" not in args
    assert [a for a in args if a.startswith("--namespace")] == [
        "--namespace=team-a",
        "--namespace=team-b",
        "--namespace=team-c",
    ]


def test_generator_ksa_may_only_read_configmaps_in_each_namespace_it_runs_in(
    helm: Path,
) -> None:
    rendered = render(helm, VALUE_MATRIX["watched-namespaces"])
    accounts = [
        sa
        for sa in rendered.of_kind("ServiceAccount")
        if sa["metadata"]["name"] == "platform-generator"
    ]
    assert sorted(sa["metadata"]["namespace"] for sa in accounts) == ["team-a", "team-b", "team-c"]
    roles = [r for r in rendered.of_kind("Role") if r["metadata"]["name"] == "platform-generator"]
    assert len(roles) == 3
    for role in roles:
        assert _permissions(role) == {("", "configmaps"): {"get", "list", "watch"}}
    bindings = [
        b for b in rendered.of_kind("RoleBinding") if b["metadata"]["name"] == "platform-generator"
    ]
    for binding in bindings:
        namespace = binding["metadata"]["namespace"]
        assert binding["subjects"] == [
            {"kind": "ServiceAccount", "name": "platform-generator", "namespace": namespace}
        ]


def test_operator_learns_generator_service_account_and_image_from_env(helm: Path) -> None:
    values = default_values(
        generator={
            "image": {"repository": "europe-docker.pkg.dev/p/r/eventgen", "tag": "0.1.3"},
            "serviceAccount": {"name": "gen"},
        }
    )
    env = {e["name"]: e.get("value") for e in _operator_container(render(helm, values))["env"]}
    assert env["EVENTGEN_OPERATOR_GENERATOR_SERVICE_ACCOUNT"] == "gen"
    assert env["EVENTGEN_OPERATOR_GENERATOR_IMAGE"] == "europe-docker.pkg.dev/p/r/eventgen:0.1.3"
    assert env["EVENTGEN_OPERATOR_GCP_PROJECT"] == "test-project"


def test_generator_resources_reach_the_operator_as_json_only_when_set(helm: Path) -> None:
    def operator_env(values: dict[str, Any]) -> dict[str, Any]:
        container = _operator_container(render(helm, values))
        return {e["name"]: e.get("value") for e in container["env"]}

    # Unset: no variable, so the operator's sized defaults by sink apply.
    assert "EVENTGEN_OPERATOR_GENERATOR_RESOURCES" not in operator_env(default_values())
    wanted = {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "1Gi"}}
    env = operator_env(default_values(generator={"resources": wanted}))
    config = OperatorConfig.from_env(env)
    assert config.generator_resources == wanted


def test_a_typo_in_generator_resources_fails_the_install(helm: Path) -> None:
    with pytest.raises(RenderError, match="request"):
        render(helm, default_values(generator={"resources": {"request": {"cpu": "1"}}}))


def test_operator_pod_is_hardened(defaults: Rendered) -> None:
    deployment = defaults.one("Deployment", "platform-operator")
    pod = deployment["spec"]["template"]["spec"]
    assert pod["serviceAccountName"] == "platform-operator"
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = _operator_container(defaults)
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}
    assert security["runAsUser"] >= 10000
    assert container["resources"]["limits"]["memory"]
    assert container["resources"]["requests"]["cpu"]
    assert container["command"] == ["eventgen-operator"]
    assert container["image"] == "eventgen:0.1.0"


def test_operator_probes_hit_the_liveness_endpoint_it_serves(defaults: Rendered) -> None:
    container = _operator_container(defaults)
    assert "--liveness=http://0.0.0.0:8080/healthz" in container["args"]
    [port] = container["ports"]
    assert port["containerPort"] == 8080
    for probe in ("livenessProbe", "readinessProbe"):
        assert container[probe]["httpGet"] == {"path": "/healthz", "port": port["name"]}


def test_one_operator_at_a_time_because_kopf_runs_standalone(defaults: Rendered) -> None:
    deployment = defaults.one("Deployment", "platform-operator")
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}


@pytest.mark.parametrize("case", sorted(VALUE_MATRIX))
def test_every_object_has_standard_labels_and_a_valid_name(helm: Path, case: str) -> None:
    rendered = render(helm, VALUE_MATRIX[case])
    for obj in rendered.objects:
        name = obj["metadata"]["name"]
        if obj["kind"] == "CustomResourceDefinition":
            continue  # named by its group, and shipped verbatim from crds/
        assert len(name) <= 63, name
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/instance"] == "platform"
        assert labels["helm.sh/chart"] == "platform-0.1.0"
        assert labels["app.kubernetes.io/component"]


def test_long_release_names_are_cut_to_63_characters_keeping_names_distinct(helm: Path) -> None:
    release = "a-really-long-release-name-that-someone-typed-quickly"  # helm's 53-char limit
    rendered = render(helm, default_values(), release=release)
    named = [
        (o["kind"], o["metadata"].get("namespace"), o["metadata"]["name"])
        for o in rendered.objects
        if o["kind"] != "CustomResourceDefinition"
    ]
    assert all(len(name) <= 63 and not name.endswith("-") for _, _, name in named)
    assert len(set(named)) == len(named)  # the operator and generator accounts stay apart
    accounts = {name for kind, _, name in named if kind == "ServiceAccount"}
    assert {name.rsplit("-", 1)[1] for name in accounts} == {"operator", "generator", "uninstall"}


def test_selector_matches_pod_labels(defaults: Rendered) -> None:
    deployment = defaults.one("Deployment", "platform-operator")
    selector = deployment["spec"]["selector"]["matchLabels"]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector.items() <= pod_labels.items()
    assert selector["app.kubernetes.io/component"] == "operator"


def test_sample_event_generator_only_when_asked(helm: Path, defaults: Rendered) -> None:
    assert defaults.of_kind("EventGenerator") == []
    sample = render(helm, VALUE_MATRIX["sample-on"]).one("EventGenerator")
    assert sample["spec"]["rate"] == 25
    assert sample["spec"]["sink"] == {
        "type": "pubsub",
        "pubsub": {"project": "test-project", "topic": "ecommerce-events"},
    }


def test_network_policy_confines_the_operator_to_dns_and_the_api_server(
    defaults: Rendered,
) -> None:
    policy = defaults.one("NetworkPolicy", "platform-operator")
    pod_labels = defaults.one("Deployment", "platform-operator")["spec"]["template"]["metadata"][
        "labels"
    ]
    assert policy["spec"]["podSelector"]["matchLabels"].items() <= pod_labels.items()
    assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
    [ingress] = policy["spec"]["ingress"]
    assert ingress["ports"] == [{"port": 8080, "protocol": "TCP"}]
    egress_ports = {
        (port["port"], port["protocol"])
        for rule in policy["spec"]["egress"]
        for port in rule["ports"]
    }
    assert egress_ports == {(53, "UDP"), (53, "TCP"), (443, "TCP"), (6443, "TCP")}
    assert all("to" not in rule for rule in policy["spec"]["egress"])  # ports only
