"""docs/reference/eventgenerator.md is what scripts/gen_crd_docs.py makes of the CRD, and it
documents every field with its type, default and bounds."""

from __future__ import annotations

import copy
import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "gen_crd_docs.py"
CRD = ROOT / "crds" / "eventgenerators.yaml"
REFERENCE = ROOT / "docs" / "reference" / "eventgenerator.md"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_crd_docs", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def crd() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(CRD.read_text(encoding="utf-8"))
    return loaded


def spec_schema(document: dict[str, Any]) -> dict[str, Any]:
    schema: dict[str, Any] = document["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


def properties(schema: dict[str, Any], path: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property path under `schema`, walked independently of the script's own walk."""
    for name, child in schema.get("properties", {}).items():
        yield f"{path}.{name}", child
        yield from properties(child, f"{path}.{name}")


def row(text: str, path: str) -> list[str]:
    """The cells of the table row documenting `path`."""
    for line in text.splitlines():
        if line.startswith(f"| `{path}` |"):
            # Split on unescaped pipes only.
            cells = line.replace("\\|", "\0").strip("|").split("|")
            return [c.strip().replace("\0", "|") for c in cells]
    raise AssertionError(f"{path} is not documented")


def test_committed_reference_is_the_generated_one() -> None:
    generated = load_script().render(crd())
    assert REFERENCE.read_text(encoding="utf-8") == generated, (
        "docs/reference/eventgenerator.md is stale: run python scripts/gen_crd_docs.py"
    )


def test_every_spec_field_has_its_type_default_bounds_and_description() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    fields = list(properties(spec_schema(crd())["properties"]["spec"], "spec"))
    assert len(fields) > 20
    for path, schema in fields:
        _, kind, default, bounds, description = row(text, path)
        is_map = isinstance(schema.get("additionalProperties"), dict)
        spelled = {"array": "list of"}.get(schema["type"], str(schema["type"]))
        assert kind.startswith("map of" if is_map else spelled), path
        if "default" in schema:
            shown = schema["default"]
            shown = str(shown).lower() if isinstance(shown, bool) else str(shown)
            assert default == f"`{shown}`", path
        else:
            assert default == "", path
        for key in ("minimum", "maximum", "minLength", "maxLength", "maxItems"):
            if key in schema:
                assert str(schema[key]) in bounds, f"{path}: {key} missing from {bounds!r}"
        for value in schema.get("enum", []):
            assert f"`{value}`" in bounds, path
        if "pattern" in schema:
            assert schema["pattern"] in bounds, path
        assert description == " ".join(str(schema.get("description", "")).split()), path


def test_required_fields_and_cross_field_rules_are_stated() -> None:
    text = REFERENCE.read_text(encoding="utf-8")
    assert "required" in row(text, "spec.sink")[1]
    assert "required" in row(text, "spec.sink.type")[1]
    assert "required" not in row(text, "spec.rate")[1]
    spec = spec_schema(crd())["properties"]["spec"]
    for rule in spec.get("x-kubernetes-validations", []):
        assert rule["message"] in text


def test_a_pipe_in_a_pattern_does_not_break_the_table() -> None:
    document = copy.deepcopy(crd())
    spec = spec_schema(document)["properties"]["spec"]
    spec["properties"]["sink"]["properties"]["type"]["pattern"] = "^(a|b)$"
    text = load_script().render(document)
    cells = row(text, "spec.sink.type")
    assert len(cells) == 5
    assert "^(a|b)$" in cells[3]


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, check=False
    )


def test_check_mode_fails_on_a_stale_reference_and_passes_once_regenerated(
    tmp_path: Path,
) -> None:
    output = tmp_path / "ref.md"
    output.write_text("# old\n", encoding="utf-8")
    stale = run_script("--check", "--output", str(output))
    assert stale.returncode == 1
    assert len(stale.stderr.strip().splitlines()) == 1 and "stale" in stale.stderr
    assert output.read_text() == "# old\n", "--check must not write"
    assert run_script("--output", str(output)).returncode == 0
    assert run_script("--check", "--output", str(output)).returncode == 0


@pytest.mark.parametrize("content", [None, "kind: NotACrd\n", "a: [unclosed\n"])
def test_unreadable_crd_is_one_line_error_and_nothing_written(
    tmp_path: Path, content: str | None
) -> None:
    source, output = tmp_path / "crd.yaml", tmp_path / "ref.md"
    if content is not None:
        source.write_text(content, encoding="utf-8")
    done = run_script("--crd", str(source), "--output", str(output))
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "cannot read" in done.stderr
    assert not output.exists()
