"""`eventgen-operator` command line: bad usage is one clear line and exit status 2."""

from __future__ import annotations

import os
import subprocess

import pytest

from eventgen_operator.comparing import covers
from tests.operator.running import operator_command


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ([], "eventgen-operator: pass --all-namespaces or --namespace NAME"),
        (["--namespace", "a", "--all-namespaces"], "not allowed with argument"),
        (["--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_usage_exits_2_with_one_line(args: list[str], message: str) -> None:
    result = subprocess.run(
        [operator_command(), *args], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 2
    assert message in result.stderr.strip().splitlines()[-1]


def test_bad_generator_resources_from_the_chart_stop_the_operator_with_one_line() -> None:
    env = {**os.environ, "EVENTGEN_OPERATOR_GENERATOR_RESOURCES": '{"limits": {"memory": "x"}}'}
    result = subprocess.run(
        [operator_command(), "--all-namespaces"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("eventgen-operator: error: EVENTGEN_OPERATOR_GENERATOR_RESOURCES: ")
    assert "resources.limits.memory" in line


def test_server_defaults_do_not_count_as_drift_but_changed_or_missing_values_do() -> None:
    desired = {"spec": {"replicas": 2, "template": {"containers": [{"name": "g", "env": []}]}}}
    defaulted = {
        "spec": {
            "replicas": 2,
            "progressDeadlineSeconds": 600,
            "template": {"containers": [{"name": "g", "env": [], "imagePullPolicy": "Always"}]},
        }
    }
    assert covers(defaulted, desired)
    assert not covers({"spec": {"replicas": 3, "template": defaulted["spec"]["template"]}}, desired)
    extra_env = {"name": "g", "env": [{"name": "X", "value": "1"}]}
    assert not covers({"spec": {"replicas": 2, "template": {"containers": [extra_env]}}}, desired)
    assert not covers({"spec": {"template": defaulted["spec"]["template"]}}, desired)
