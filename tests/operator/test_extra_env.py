"""spec.env reaches the generator container after the operator's own variables; names the
operator owns are refused; the jsonl-local path must be one an emptyDir can be mounted for."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest

from eventgen_operator.children import build_deployment, build_job
from eventgen_operator.errors import InvalidSpecError
from eventgen_operator.labels import SPEC_HASH_ANNOTATION
from eventgen_operator.spec import parse_spec
from tests.operator.builders import OWNER, batch, crd, streaming
from tests.operator.test_children import CONFIG

EMULATOR = {"name": "PUBSUB_EMULATOR_HOST", "value": "pubsub-emulator:8085"}
PROXY = {"name": "HTTPS_PROXY", "value": "http://proxy:3128"}


def env_list(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = manifest["spec"]["template"]["spec"]["containers"][0]["env"]
    return env


def problems(raw: dict[str, Any]) -> list[str]:
    with pytest.raises(InvalidSpecError) as caught:
        parse_spec(raw, OWNER.name)
    return caught.value.problems


def spec_schema() -> dict[str, Any]:
    schema: dict[str, Any] = crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


@pytest.mark.parametrize("mode", ["streaming", "batch"])
def test_extra_env_comes_after_every_operator_variable_in_the_given_order(mode: str) -> None:
    if mode == "streaming":
        manifest = build_deployment(streaming(env=[EMULATOR, PROXY]), OWNER, CONFIG)
    else:
        manifest = build_job(batch(env=[EMULATOR, PROXY]), OWNER, CONFIG)
    env = env_list(manifest)
    assert env[-2:] == [EMULATOR, PROXY]
    operator_names = [item["name"] for item in env[:-2]]
    assert all(n.startswith("EVENTGEN_") or n == "POD_NAMESPACE" for n in operator_names)


def test_an_env_without_value_is_passed_as_empty() -> None:
    manifest = build_deployment(streaming(env=[{"name": "NO_PROXY"}]), OWNER, CONFIG)
    assert env_list(manifest)[-1] == {"name": "NO_PROXY", "value": ""}


def test_changing_env_replaces_the_batch_job_because_the_pods_would_differ() -> None:
    def digest(**fields: Any) -> str:
        job = build_job(batch(**fields), OWNER, CONFIG)
        return str(job["metadata"]["annotations"][SPEC_HASH_ANNOTATION])

    assert digest(env=[EMULATOR]) != digest()
    assert digest(env=[EMULATOR]) != digest(env=[{**EMULATOR, "value": "other:8085"}])


@pytest.mark.parametrize("name", ["EVENTGEN_RATE", "EVENTGEN_SINK", "POD_NAMESPACE"])
def test_operator_owned_names_are_refused_naming_the_entry(name: str) -> None:
    raw = {"sink": {"type": "stdout"}, "env": [PROXY, {"name": name, "value": "x"}]}
    assert problems(raw) == [
        f"spec.env[1].name: {name} is set by the operator; use the spec's own fields instead"
    ]


def test_a_name_listed_twice_is_refused() -> None:
    raw = {"sink": {"type": "stdout"}, "env": [PROXY, {**PROXY, "value": "http://other"}]}
    assert problems(raw) == ["spec.env[1].name: HTTPS_PROXY is listed twice"]


@pytest.mark.parametrize("name", ["1ABC", "MY-VAR", "A B", ""])
def test_names_that_are_not_variable_names_are_refused_by_schema_and_operator(name: str) -> None:
    raw = {"sink": {"type": "stdout"}, "env": [{"name": name, "value": "x"}]}
    assert problems(raw)[0].startswith("spec.env[0].name:")
    manifest = {"apiVersion": "v1", "kind": "X", "spec": raw}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(manifest, spec_schema())


def test_at_most_32_entries_in_schema_and_operator() -> None:
    many = [{"name": f"VAR_{i}", "value": "1"} for i in range(33)]
    raw = {"sink": {"type": "stdout"}, "env": many}
    assert problems(raw)[0].startswith("spec.env:")
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"spec": raw}, spec_schema())
    parse_spec({**raw, "env": many[:32]}, OWNER.name)
    jsonschema.validate({"spec": {**raw, "env": many[:32]}}, spec_schema())


@pytest.mark.parametrize(
    ("path", "why"),
    [
        ("/events.jsonl", "inside a folder below /"),
        ("/", "inside a folder below /"),
        ("data/events", "absolute"),
        ("/data/../etc/x", "'..'"),
        ("/usr/local/out/", "system folders (/usr)"),
        ("/opt/venv/events", "system folders (/opt)"),
    ],
)
def test_jsonl_local_paths_no_volume_can_serve_are_refused(path: str, why: str) -> None:
    raw = {"sink": {"type": "jsonl-local", "jsonlLocal": {"path": path}}}
    [problem] = problems(raw)
    assert problem.startswith("spec.sink.jsonlLocal.path: ") and why in problem


@pytest.mark.parametrize("path", ["/events.jsonl", "data/events", "/"])
def test_the_crd_refuses_jsonl_local_paths_outside_a_folder(path: str) -> None:
    raw = {"sink": {"type": "jsonl-local", "jsonlLocal": {"path": path}}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"spec": raw}, spec_schema())
