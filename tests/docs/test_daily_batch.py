"""The daily-batch example: its CronJob runs the script it ships with, and the script,
authenticated as the example's own ServiceAccount (so its Role is what is tested), creates
today's EventGenerator once, never a second time, and keeps only the newest few."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from tests.docs.examples import DAILY, documents, load_script
from tests.operator.running import install_crd
from tests.support.controlplane import ControlPlane

SCRIPT = DAILY / "create_daily_batch.py"
TEMPLATE = DAILY / "eventgenerator.yaml"
LABEL = "ecommerce.dataplatform.io/daily-batch"


def cronjob_objects() -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in documents(DAILY / "cronjob.yaml")}


def test_cronjob_runs_the_shipped_script_on_the_shipped_template() -> None:
    objects = cronjob_objects()
    pod = objects["CronJob"]["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    (mount,) = container["volumeMounts"]
    (volume,) = pod["volumes"]
    assert volume["name"] == mount["name"]
    # `kubectl create configmap --from-file` keys the files by their names.
    files = {arg for arg in container["command"] if arg.startswith(mount["mountPath"] + "/")}
    assert files == {f"{mount['mountPath']}/{SCRIPT.name}", f"{mount['mountPath']}/{TEMPLATE.name}"}
    assert pod["serviceAccountName"] == objects["ServiceAccount"]["metadata"]["name"]
    assert objects["RoleBinding"]["roleRef"]["name"] == objects["Role"]["metadata"]["name"]


def test_template_is_a_batch_whose_dated_name_fits_the_operators_limit() -> None:
    module = load_script(SCRIPT)
    template = module.load_template(TEMPLATE)
    body = module.daily_object(template, dt.date(2026, 12, 31))
    assert body["metadata"]["name"] == f"{template['metadata']['name']}-20261231"
    assert len(body["metadata"]["name"]) <= 52
    assert body["spec"] == template["spec"]


def test_a_streaming_template_is_refused_with_one_line(tmp_path: Path) -> None:
    streaming = tmp_path / "t.yaml"
    streaming.write_text(yaml.safe_dump({"kind": "EventGenerator", "metadata": {"name": "x"},
                                         "spec": {"mode": "streaming"}}))  # fmt: skip
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(streaming)], capture_output=True, text=True, check=False
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"create_daily_batch: error: {streaming}: spec.mode must be batch for a daily batch"
    )


def run_script(kubeconfig: Path, namespace: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), str(TEMPLATE), "--namespace", namespace, *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={"KUBECONFIG": str(kubeconfig), "PATH": "/usr/bin:/bin"},
    )


def daily_names(plane: ControlPlane, namespace: str) -> list[str]:
    listed = plane.kubectl("-n", namespace, "get", "evgen", "-l", LABEL, "-o", "json").stdout
    return sorted(item["metadata"]["name"] for item in json.loads(listed)["items"])


def test_script_as_the_example_account_creates_today_once_and_prunes_old_days(
    control_plane: ControlPlane, namespace: str
) -> None:
    install_crd(control_plane)
    rbac = [d for k, d in cronjob_objects().items() if k != "CronJob"]
    control_plane.kubectl("-n", namespace, "apply", "-f", "-", input=yaml.safe_dump_all(rbac))
    kubeconfig = control_plane.serviceaccount_kubeconfig(namespace, "daily-batch")
    template = yaml.safe_load(TEMPLATE.read_text())
    base = template["metadata"]["name"]
    # Two earlier days, as the CronJob would have left them.
    for day in ("20200101", "20200102"):
        old = {**template, "metadata": {"name": f"{base}-{day}", "labels": {LABEL: base}}}
        control_plane.kubectl("-n", namespace, "apply", "-f", "-", input=yaml.safe_dump(old))
    today = f"{base}-{dt.datetime.now(dt.UTC):%Y%m%d}"

    first = run_script(kubeconfig, namespace, "--keep", "2")
    assert first.returncode == 0, first.stderr
    assert f"created EventGenerator {namespace}/{today}" in first.stdout
    assert f"deleted EventGenerator {namespace}/{base}-20200101" in first.stdout
    assert daily_names(control_plane, namespace) == [f"{base}-20200102", today]
    created = json.loads(
        control_plane.kubectl("-n", namespace, "get", "evgen", today, "-o", "json").stdout
    )
    # What the template says, as stored (the API server adds the schema's defaults).
    stored = {key: created["spec"]["batch"][key] for key in template["spec"]["batch"]}
    assert stored == template["spec"]["batch"]

    again = run_script(kubeconfig, namespace, "--keep", "2")
    assert again.returncode == 0, again.stderr
    assert "exists: today's batch is not rerun" in again.stdout
    assert (
        created["metadata"]["uid"]
        == json.loads(
            control_plane.kubectl("-n", namespace, "get", "evgen", today, "-o", "json").stdout
        )["metadata"]["uid"]
    )


def test_script_without_rights_says_so_in_one_line(
    control_plane: ControlPlane, namespace: str
) -> None:
    install_crd(control_plane)
    control_plane.kubectl("-n", namespace, "create", "serviceaccount", "nobody")
    kubeconfig = control_plane.serviceaccount_kubeconfig(namespace, "nobody")
    done = run_script(kubeconfig, namespace)
    assert done.returncode == 1
    assert done.stderr.strip() == "create_daily_batch: error: Kubernetes API: 403 Forbidden"
