"""The chart's copies of shared definitions stay identical to their sources of truth."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from eventgen.schema import bigquery_schema
from tests.support.helm_chart import CHART_DIR, REPO_ROOT

CHART_SCHEMA = CHART_DIR / "files" / "raw_events.schema.json"
REFRESH_HINT = (
    "refresh it: eventgen schema --format bigquery > helm/platform/files/raw_events.schema.json"
)


def test_chart_crd_is_a_verbatim_copy_of_crds_folder() -> None:
    source = REPO_ROOT / "crds" / "eventgenerators.yaml"
    copy = CHART_DIR / "crds" / "eventgenerators.yaml"
    assert copy.read_bytes() == source.read_bytes(), (
        "helm/platform/crds/eventgenerators.yaml differs from crds/eventgenerators.yaml; "
        "copy it: cp crds/eventgenerators.yaml helm/platform/crds/"
    )


def test_chart_table_schema_is_the_event_models_schema() -> None:
    stored = json.loads(CHART_SCHEMA.read_text())
    assert stored == bigquery_schema(), REFRESH_HINT


def test_chart_table_schema_is_what_the_schema_command_prints() -> None:
    # The command users run to refresh the file must print exactly what the chart holds.
    command = shutil.which("eventgen", path=str(Path(sys.executable).parent))
    assert command is not None, "the eventgen command is not installed next to this Python"
    result = subprocess.run(
        [command, "schema", "--format", "bigquery"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout) == json.loads(CHART_SCHEMA.read_text()), REFRESH_HINT
