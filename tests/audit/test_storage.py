"""``eventgen audit gs://…`` with the real google-cloud-storage client against the emulator,
over objects a real ``eventgen batch --sink gcs`` uploaded."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.audit.events import audit_json, batch_of_two_shards
from tests.support.cli_process import run_eventgen
from tests.support.gcs_emulator import GcsEmulator

pytest_plugins = ["tests.support.gcs_fixtures"]

BUCKET = "shop-dev-raw-data"
DAY = "raw/events/dt=2026-11-26/"


@pytest.fixture
def bucket(gcs_emulator: GcsEmulator, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A bucket holding a 2-shard batch of 20,000 events: shard 0 plain in 3+ parts, 1 gzip."""
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs_emulator.host)
    gcs_emulator.wipe()
    client = gcs_emulator.client()
    client.create_bucket(BUCKET)
    batch_of_two_shards(
        20_000,
        "--sink",
        "gcs",
        "--gcs-bucket",
        BUCKET,
        env={"STORAGE_EMULATOR_HOST": gcs_emulator.host},
    )
    return client.bucket(BUCKET)


def names(bucket: Any, generator_id: str) -> list[str]:
    return sorted(b.name for b in bucket.list_blobs(prefix=f"{DAY}{generator_id}-part-"))


def test_a_complete_batch_in_the_bucket_is_complete(bucket: Any, capsys: Any) -> None:
    assert len(names(bucket, "shop-shard-0")) >= 3
    code, verdict, _ = audit_json(capsys, f"gs://{BUCKET}/{DAY}", "--expected-events", "20000")
    assert code == 0, verdict["problems"]
    assert verdict["totals"]["seen"] == 20_000 and verdict["totals"]["generators"] == 2


def test_a_deleted_object_is_missing_with_its_range(bucket: Any, capsys: Any) -> None:
    victim = bucket.blob(names(bucket, "shop-shard-0")[1])
    lines = victim.download_as_bytes().splitlines()
    first, last = (json.loads(lines[i])["sequence"] for i in (0, -1))
    victim.delete()
    code, verdict, _ = audit_json(capsys, f"gs://{BUCKET}/raw/")
    assert code == 1
    (broken,) = [g for g in verdict["generators"] if g["missing"]]
    assert (broken["generator_id"], broken["missing_ranges"]) == ("shop-shard-0", [[first, last]])


def test_an_object_copied_under_another_name_is_doubled(bucket: Any, capsys: Any) -> None:
    (gz,) = names(bucket, "shop-shard-1")
    bucket.blob(f"{DAY}copy-of-shard-1.jsonl.gz").upload_from_string(
        bucket.blob(gz).download_as_bytes()
    )
    code, verdict, _ = audit_json(capsys, f"gs://{BUCKET}/{DAY}")
    assert code == 1
    assert verdict["totals"]["doubled"] == 10_000
    assert audit_json(capsys, f"gs://{BUCKET}/{DAY}", "--allow-duplicates")[0] == 0


def test_a_prefix_selects_the_objects_audited(bucket: Any, capsys: Any) -> None:
    code, verdict, _ = audit_json(capsys, f"gs://{BUCKET}/{DAY}shop-shard-1")
    assert code == 0
    assert [g["generator_id"] for g in verdict["generators"]] == ["shop-shard-1"]


def test_a_faulty_batch_in_the_bucket_passes_only_when_told(
    gcs_emulator: GcsEmulator, bucket: Any, capsys: Any
) -> None:
    faults = ["--duplicate-rate", "0.01", "--malformed-rate", "0.005"]
    result = run_eventgen(
        ["batch", "--events", "8000", "--name", "faulty", "--start", "2026-11-26", "--sink",
         "gcs", "--gcs-bucket", BUCKET, "--gcs-prefix", "faulty/", "--gzip", *faults],
        {"STORAGE_EMULATOR_HOST": gcs_emulator.host},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    code, verdict, _ = audit_json(capsys, f"gs://{BUCKET}/faulty/")
    assert code == 1 and any("not events" in p for p in verdict["problems"])
    code, verdict, _ = audit_json(capsys, f"gs://{BUCKET}/faulty/", *faults)
    assert code == 0, verdict["problems"]
    # --events counts what the batch emitted, injected copies and malformed events included.
    assert verdict["totals"]["malformed"] > 0 and verdict["totals"]["records"] == 8000


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("gs://no-such-bucket/raw/", "gs://no-such-bucket: no such bucket"),
        (f"gs://{BUCKET}/nothing-here/", "no *.jsonl, *.ndjson or *.json objects"),
    ],
)
def test_a_wrong_bucket_or_prefix_is_bad_input(
    bucket: Any, capsys: Any, url: str, message: str
) -> None:
    code, _, err = audit_json(capsys, url)
    assert code == 2
    assert err.startswith("eventgen: error: ") and message in err and len(err.splitlines()) == 1
