"""``eventgen audit`` over local JSONL files and folders, plain and gzip, from real batches."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from eventgen.cli.main import main
from tests.audit.events import audit_json, batch_of_two_shards, generated, write_parts
from tests.support.cli_process import run_eventgen


@pytest.fixture(scope="module")
def batch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real 2-shard batch of 30,000 events: shard 0 plain in 4 parts, shard 1 gzip."""
    folder = tmp_path_factory.mktemp("batch") / "dt=2026-11-26"
    batch_of_two_shards(30_000, "--output", f"{folder}/")
    return folder


@pytest.fixture
def copy(batch: Path, tmp_path: Path) -> Path:
    target = tmp_path / "copy"
    shutil.copytree(batch, target)
    return target


def parts(folder: Path, generator_id: str) -> list[Path]:
    return sorted(folder.glob(f"{generator_id}-part-*"))


def test_a_complete_batch_is_complete_exactly_once(batch: Path, capsys: Any) -> None:
    assert len(parts(batch, "shop-shard-0")) >= 3, "the batch should span several parts"
    code, verdict, _ = audit_json(capsys, str(batch.parent), "--expected-events", "30000")
    assert code == 0, verdict["problems"]
    totals = verdict["totals"]
    assert (totals["records"], totals["expected"], totals["seen"]) == (30_000, 30_000, 30_000)
    assert {
        g["generator_id"]: (g["expected"], g["seen"], g["missing"], g["doubled"])
        for g in verdict["generators"]
    } == {"shop-shard-0": (15_000, 15_000, 0, 0), "shop-shard-1": (15_000, 15_000, 0, 0)}


def test_a_deleted_part_is_missing_with_its_exact_range(copy: Path, capsys: Any) -> None:
    deleted = parts(copy, "shop-shard-0")[1]
    lines = deleted.read_bytes().splitlines()
    first, last = (json.loads(lines[i])["sequence"] for i in (0, -1))
    deleted.unlink()
    code, verdict, _ = audit_json(capsys, str(copy))
    assert code == 1
    shard = next(g for g in verdict["generators"] if g["generator_id"] == "shop-shard-0")
    assert (shard["missing"], shard["missing_ranges"]) == (len(lines), [[first, last]])
    assert verdict["problems"] == [f"{len(lines):,} events missing in 1 generator(s)"]


def test_a_deleted_last_part_needs_the_expected_total_to_be_seen(copy: Path, capsys: Any) -> None:
    last = parts(copy, "shop-shard-0")[-1]
    lost = len(last.read_bytes().splitlines())
    last.unlink()
    code, _, _ = audit_json(capsys, str(copy))
    assert code == 0  # highest sequence + 1 cannot see a lost tail (docs/audit.md says so)
    code, verdict, _ = audit_json(capsys, str(copy), "--expected-events", "30000")
    assert code == 1
    assert verdict["problems"][0].startswith(f"{lost:,} events missing after the highest")


def test_a_part_loaded_twice_is_doubled_unless_duplicates_are_allowed(
    copy: Path, capsys: Any
) -> None:
    gz = parts(copy, "shop-shard-1")[0]
    shutil.copy(gz, copy / "again-shop-shard-1.jsonl.gz")
    code, verdict, _ = audit_json(capsys, str(copy))
    assert code == 1
    shard = next(g for g in verdict["generators"] if g["generator_id"] == "shop-shard-1")
    assert (shard["doubled"], shard["doubled_ranges"], shard["missing"]) == (
        15_000,
        [[0, 14_999]],
        0,
    )
    code, verdict, _ = audit_json(capsys, str(copy), "--allow-duplicates")
    assert code == 0


def test_the_command_exits_with_the_verdicts_code(copy: Path) -> None:
    assert run_eventgen(["audit", str(copy)]).returncode == 0
    parts(copy, "shop-shard-0")[1].unlink()
    result = run_eventgen(["audit", str(copy)])
    assert result.returncode == 1
    assert result.stdout.decode().endswith(f"verdict: INCOMPLETE ({copy})\n")
    assert result.stderr == b""


def test_files_and_folders_combine_into_one_verdict(batch: Path, capsys: Any) -> None:
    shard0 = [str(p) for p in parts(batch, "shop-shard-0")]
    code, verdict, _ = audit_json(capsys, *shard0, *(str(p) for p in parts(batch, "shop-shard-1")))
    assert code == 0 and verdict["totals"]["seen"] == 30_000
    code, verdict, _ = audit_json(capsys, *shard0[1:], str(parts(batch, "shop-shard-1")[0]))
    assert code == 1 and verdict["totals"]["missing"] > 0


def test_injected_faults_pass_when_told_through_the_generators_own_variables(
    tmp_path: Path, capsys: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    payloads = generated(20_000, "faulty-shard-0", duplicate_rate=0.01, malformed_rate=0.005)
    write_parts(tmp_path, payloads, "faulty-shard-0", 7000, gzipped=True)
    code, verdict, _ = audit_json(capsys, str(tmp_path))
    assert code == 1
    assert any("not events" in p for p in verdict["problems"])
    # The same variables the generator was given (EVENTGEN_DUPLICATE_RATE, ..._MALFORMED_RATE).
    monkeypatch.setenv("EVENTGEN_DUPLICATE_RATE", "0.01")
    monkeypatch.setenv("EVENTGEN_MALFORMED_RATE", "0.005")
    code, verdict, _ = audit_json(capsys, str(tmp_path))
    assert code == 0, verdict["problems"]
    assert verdict["totals"]["malformed"] > 0
    # A real loss on top of the injected faults still fails.
    (tmp_path / "faulty-shard-0-part-00001.jsonl.gz").unlink()
    code, verdict, _ = audit_json(capsys, str(tmp_path))
    assert code == 1


def test_the_text_verdict_is_a_table_with_totals(copy: Path, capsys: Any) -> None:
    parts(copy, "shop-shard-0")[1].unlink()
    code = main(["audit", str(copy)])
    out = capsys.readouterr().out.splitlines()
    assert code == 1
    assert out[0].split() == [
        "generator_id",
        "expected",
        "seen",
        "missing",
        "doubled",
        "first",
        "missing",
        "ranges",
    ]
    assert out[1].startswith("shop-shard-0 ")  # generators with problems first
    assert out[-1] == f"verdict: INCOMPLETE ({copy})"


def test_other_producers_key_order_and_string_sequences_are_read(
    tmp_path: Path, capsys: Any
) -> None:
    # A BigQuery export: keys in another order, INT64 as strings, blank lines.
    lines = [
        json.dumps({"sequence": str(s), "generator_id": "g", "event_id": f"e{s}"})
        for s in range(50)
    ]
    (tmp_path / "export.json").write_text("\n".join(lines[:25]) + "\n\n" + "\n".join(lines[25:]))
    code, verdict, _ = audit_json(capsys, str(tmp_path / "export.json"))
    assert code == 0 and verdict["totals"]["seen"] == 50


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/nonexistent/events"], "/nonexistent/events: no such file or folder"),
        (["EMPTY"], "no *.jsonl, *.ndjson or *.json files"),
        (["BROKEN.jsonl.gz"], "not a readable gzip file"),
        (["BLANK.jsonl"], "no records in"),
        (["EMPTY", "--duplicate-rate", "2"], "rate '2' must be from 0 to 1"),
        (["EMPTY", "--malformed-rate", "x"], "invalid rate 'x'"),
        (
            ["EMPTY", "--since", "2026-01-01"],
            "--since, --until and --dry-run apply to a bq:// table only",
        ),
        (["EMPTY", "--format", "xml"], "invalid choice: 'xml'"),
        (["bq://my-project.ds.tbl"], "a BigQuery source needs --since"),
        (["bq://my-project.ds.tbl", "EMPTY"], "a bq:// table is audited alone"),
        (["bq://nodataset", "--since", "2026-01-01"], "expected bq://PROJECT.DATASET.TABLE"),
        (
            ["bq://my-project.ds.tbl", "--since", "2026-01-02", "--until", "2026-01-01"],
            "is not after --since",
        ),
        (["gs://"], "expected gs://BUCKET/PREFIX"),
        (["projects/p/subscriptions/a/b"], "expected projects/PROJECT/subscriptions/SUBSCRIPTION"),
        (["projects/p/subscriptions/ecommerce-events-sub"], "is the pipeline's subscription"),
        ([], "the following arguments are required: SOURCE"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, tmp_path: Path, capsys: Any
) -> None:
    (tmp_path / "EMPTY").mkdir()
    (tmp_path / "BROKEN.jsonl.gz").write_bytes(gzip.compress(b'{"a":1}\n' * 100)[:-20])
    (tmp_path / "BLANK.jsonl").write_text("\n\n")
    resolved = [
        str(tmp_path / a) if a.isupper() or a.endswith((".gz", ".jsonl")) else a for a in args
    ]
    code = main(["audit", *resolved])
    out, err = capsys.readouterr()
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1 and err.startswith("eventgen: error: "), err
    assert message in err
