"""What a first upgrade hits, on a real API server: the previous chart's CRD (from crds/) is
upgraded with the release so a new spec field survives; IAMPolicyMembers are replaced, not
updated, when the generator ServiceAccount and the project change; every object name the
values schema allows is accepted by the server with the real Config Connector CRDs."""

from __future__ import annotations

import secrets
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from eventgen_operator.config import OperatorConfig
from eventgen_operator.crdcheck import CONDITION_TYPE, CRD_PATH, ServedCrdCheck
from eventgen_operator.kubeapi import HttpKubeApi
from eventgen_operator.reconciling import Reconciler
from tests.chart.test_kcc_names import ADVERSARIAL, names_values
from tests.support.controlplane import ControlPlane
from tests.support.helm_chart import (
    CHART_DIR,
    REPO_ROOT,
    default_values,
    helm_with_values,
    render_text,
)

# The last commit whose chart shipped the CRD in crds/ (Helm installs that once, never
# upgrades it): the "previous chart version" users upgrade from.
PREVIOUS_CHART_COMMIT = "3111ffc491a2d6f5242db86d08cb979be35e804e"
CRD = "crd/eventgenerators.ecommerce.dataplatform.io"
NEW_FIELD = "upgradeProbe"


def _previous_chart(folder: Path) -> Path:
    """The chart at PREVIOUS_CHART_COMMIT, unpacked from git (skips outside a git checkout)."""
    target = folder / f"previous-{secrets.token_hex(3)}"
    target.mkdir()
    try:
        archive = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "archive", PREVIOUS_CHART_COMMIT, "helm/platform"],
            capture_output=True, check=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.CalledProcessError) as error:
        pytest.skip(f"the previous chart is not available from git: {error}")
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True)
    chart = target / "helm" / "platform"
    assert (chart / "crds" / "eventgenerators.yaml").is_file()
    return chart


def _chart_with_new_field(folder: Path) -> Path:
    """This chart, with one more (optional) spec field in its CRD, as the next release adds."""
    chart = folder / f"next-{secrets.token_hex(3)}" / "platform"
    shutil.copytree(CHART_DIR, chart)
    crd_file = chart / "files" / "eventgenerators.crd.yaml"
    text = crd_file.read_text()
    crd = yaml.safe_load(text)
    spec = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"]["spec"]
    spec["properties"][NEW_FIELD] = {"type": "string"}
    crd_file.write_text(yaml.safe_dump(crd, sort_keys=False))
    return chart


def _event_generator(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "ecommerce.dataplatform.io/v1alpha1",
        "kind": "EventGenerator",
        "metadata": {"name": f"probe-{secrets.token_hex(3)}", "namespace": namespace},
        "spec": {
            "mode": "streaming",
            "rate": 1,
            "seed": 1,
            "sink": {
                "type": "pubsub",
                "pubsub": {"project": "test-project", "topic": "ecommerce-events"},
            },
            NEW_FIELD: "kept",
        },
    }


def _stored_field(control_plane: ControlPlane, namespace: str, name: str) -> str:
    return control_plane.kubectl(
        "get", "eventgenerator", name, "--namespace", namespace,
        "-o", f"jsonpath={{.spec.{NEW_FIELD}}}",
    ).stdout  # fmt: skip


def test_upgrade_from_the_crds_folder_chart_brings_a_new_spec_field(
    control_plane: ControlPlane,
    helm_apply_flags: list[str],
    namespace: str,
    release: str,
) -> None:
    folder = control_plane.workdir
    values = ["--set", "gcp.projectId=test-project", "--set", "configConnector.enabled=false"]
    # The previous chart on a cluster whose CRD is that chart's (as after a real install).
    control_plane.kubectl("delete", CRD, "--ignore-not-found", "--wait=true")
    flags = [f for f in helm_apply_flags if f != "--take-ownership"]
    control_plane.helm(
        "install", release, str(_previous_chart(folder)), "--namespace", namespace, *values, *flags
    )
    # Guard: the old CRD really prunes the new field (else this test could not fail).
    old = _event_generator(namespace)
    control_plane.kubectl("apply", "--validate=false", "-f", "-", input=yaml.safe_dump(old))
    assert _stored_field(control_plane, namespace, old["metadata"]["name"]) == ""

    control_plane.helm(
        "upgrade", release, str(_chart_with_new_field(folder)), "--namespace", namespace,
        *values, *helm_apply_flags,
    )  # fmt: skip
    new = _event_generator(namespace)

    def stored() -> str | None:
        # Re-applied until the server serves the upgraded schema (it may lag a moment).
        control_plane.kubectl("apply", "--validate=false", "-f", "-", input=yaml.safe_dump(new))
        return _stored_field(control_plane, namespace, new["metadata"]["name"]) or None

    assert control_plane.wait_for(stored, timeout=30, message="the upgraded CRD to keep the field")
    annotations = yaml.safe_load(control_plane.kubectl("get", CRD, "-o", "yaml").stdout)[
        "metadata"
    ]["annotations"]
    assert annotations["helm.sh/resource-policy"] == "keep"

    control_plane.helm("uninstall", "--no-hooks", release, "--namespace", namespace)
    control_plane.kubectl("get", CRD)  # kept: EventGenerators survive an uninstall
    # Leave the session's CRD as the current one for the tests that follow.
    control_plane.kubectl(
        "apply", "--validate=false", "-f", str(REPO_ROOT / "crds" / "eventgenerators.yaml")
    )


def test_upgrade_after_changing_the_ksa_and_the_project_succeeds(
    control_plane: ControlPlane,
    kcc_crds: list[str],
    helm_apply_flags: list[str],
    namespace: str,
    release: str,
) -> None:
    helm_with_values(
        control_plane, "install", release, namespace, default_values(), *helm_apply_flags
    )
    changed = default_values(
        gcp={"projectId": "other-project"},
        generator={"serviceAccount": {"name": "shop-generator"}},
    )
    helm_with_values(control_plane, "upgrade", release, namespace, changed, *helm_apply_flags)
    members = control_plane.kubectl(
        "get", "iampolicymembers", "--namespace", namespace,
        "-o", "jsonpath={range .items[*]}{.spec.member};{end}",
    ).stdout.strip(";").split(";")  # fmt: skip
    assert f"serviceAccount:other-project.svc.id.goog[{namespace}/shop-generator]" in members
    assert not any("test-project" in member for member in members)


def test_every_adversarial_name_is_accepted_by_a_strict_server_dry_run(
    control_plane: ControlPlane, kcc_crds: list[str], namespace: str
) -> None:
    helm = control_plane.tools.helm if control_plane.tools else None
    if helm is None:
        pytest.skip("helm/kubectl not installed; run scripts/install-tools.sh")
    for names in ADVERSARIAL:
        text = render_text(helm, names_values(*names), namespace=namespace)
        cnrm = [d for d in yaml.safe_load_all(text) if d and ".cnrm." in d["apiVersion"]]
        result = control_plane.kubectl(
            "apply", "--dry-run=server", "--validate=strict", "-f", "-",
            input=yaml.safe_dump_all(cnrm), check=False,
        )  # fmt: skip
        assert result.returncode == 0, (names, result.stderr)


def test_the_server_refuses_the_raw_names_the_chart_no_longer_uses(
    control_plane: ControlPlane, kcc_crds: list[str], namespace: str
) -> None:
    # Guards the guard above: Orders_Events as metadata.name is what the chart used to render.
    topic = {
        "apiVersion": "pubsub.cnrm.cloud.google.com/v1beta1",
        "kind": "PubSubTopic",
        "metadata": {"name": "Orders_Events", "namespace": namespace},
    }
    result = control_plane.kubectl(
        "apply", "--dry-run=server", "-f", "-", input=yaml.safe_dump(topic), check=False
    )
    assert result.returncode != 0
    assert "Orders_Events" in result.stderr


def test_operator_facing_an_older_crd_says_so_in_every_status(
    control_plane: ControlPlane, namespace: str
) -> None:
    # The previous chart's CRD: no schema revision annotation.
    control_plane.kubectl(
        "apply", "--validate=false", "-f", str(REPO_ROOT / "crds" / "eventgenerators.yaml")
    )
    control_plane.kubectl("annotate", CRD, "ecommerce.dataplatform.io/schema-revision-")
    try:
        body = _event_generator(namespace)
        del body["spec"][NEW_FIELD]
        control_plane.wait_for(
            lambda: (
                control_plane.kubectl(
                    "apply", "-f", "-", input=yaml.safe_dump(body), check=False
                ).returncode
                == 0
                or None
            ),
            timeout=30,
            message="the EventGenerator to be accepted",
        )
        with control_plane.api_client() as client:
            api = HttpKubeApi(client)
            check = ServedCrdCheck(lambda: api.get_path(CRD_PATH))
            assert "no schema revision" in (check.problem() or "")
            reconciler = Reconciler(api, OperatorConfig(), amend_status=check.amend)
            outcome = reconciler.reconcile(namespace, body["metadata"]["name"])
            assert outcome is not None
        stored = yaml.safe_load(
            control_plane.kubectl(
                "get", "eventgenerator", body["metadata"]["name"], "-n", namespace, "-o", "yaml"
            ).stdout
        )
        [condition] = [c for c in stored["status"]["conditions"] if c["type"] == CONDITION_TYPE]
        assert condition["status"] == "False"
        assert condition["reason"] == "CRDOutdated"
        assert "this operator was built for" in condition["message"]
    finally:
        control_plane.kubectl(
            "apply", "--validate=false", "-f", str(REPO_ROOT / "crds" / "eventgenerators.yaml")
        )
