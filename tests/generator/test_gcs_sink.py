"""Cloud Storage sink against a real gcp-storage-emulator server, with the real client."""

from __future__ import annotations

import datetime as dt
import gzip
import json
from collections.abc import Iterator
from typing import Any

import pytest

from eventgen.errors import SinkError
from eventgen.sinks.gcs import GcsSink, object_prefix
from tests.generator.batches import make_batch, sequences
from tests.support.cli_process import run_eventgen, summary
from tests.support.gcs_emulator import GcsEmulator

pytest_plugins = ["tests.support.gcs_fixtures"]

BUCKET = "shop-dev-raw-data"


@pytest.fixture
def client(gcs_emulator: GcsEmulator) -> Iterator[Any]:
    gcs_emulator.wipe()
    made = gcs_emulator.client()
    made.create_bucket(BUCKET)
    yield made


def objects(client: Any, prefix: str = "") -> dict[str, bytes]:
    return {
        blob.name: blob.download_as_bytes() for blob in client.list_blobs(BUCKET, prefix=prefix)
    }


def test_prefix_is_normalised() -> None:
    assert object_prefix("raw") == "raw/"
    assert object_prefix("/raw/") == "raw/"
    assert object_prefix("") == ""


def test_parts_land_under_the_date_partition_and_only_when_complete(client: Any) -> None:
    batch = make_batch(100, generator_id="b-shard-0")
    sink = GcsSink(
        BUCKET,
        "raw/",
        generator_id="b-shard-0",
        partition_date=dt.date(2026, 11, 26),
        rotate_bytes=len(batch.jsonl()) * 2 // 3,
        client=client,
    )
    sink.write(batch)
    assert list(objects(client)) == ["raw/events/dt=2026-11-26/b-shard-0-part-00000.jsonl"]
    sink.write(make_batch(10, first=100, generator_id="b-shard-0"))
    sink.close()
    stored = objects(client)
    assert list(stored) == [
        "raw/events/dt=2026-11-26/b-shard-0-part-00000.jsonl",
        "raw/events/dt=2026-11-26/b-shard-0-part-00001.jsonl",
    ]
    assert [s for data in stored.values() for s in sequences(data)] == list(range(110))
    assert sink.stats.delivered == 110


def test_gzip_objects_decompress_to_the_events(client: Any) -> None:
    sink = GcsSink(BUCKET, "raw", generator_id="g", partition_date=dt.date(2026, 1, 2),
                   compressed=True, client=client)  # fmt: skip
    sink.write(make_batch(40))
    sink.close()
    ((name, data),) = objects(client).items()
    assert name == "raw/events/dt=2026-01-02/g-part-00000.jsonl.gz"
    assert sequences(gzip.decompress(data)) == list(range(40))


def test_a_missing_bucket_is_a_one_line_sink_error(client: Any) -> None:
    sink = GcsSink("no-such-bucket", "raw/", generator_id="g", client=client)
    sink.write(make_batch(5))
    with pytest.raises(SinkError, match="upload of gs://no-such-bucket/raw/events/dt=") as error:
        sink.flush()
    assert "\n" not in str(error.value)
    assert sink.stats.failed == 5
    assert sink.stats.delivered == 0


def test_sharded_batch_lands_as_expected_objects_and_reruns_overwrite(
    client: Any, gcs_emulator: GcsEmulator
) -> None:
    total, shards = 5_000, 3
    env = {"STORAGE_EMULATOR_HOST": gcs_emulator.host}
    base = ["batch", "--sink", "gcs", "--gcs-bucket", BUCKET, "--gcs-prefix", "raw/",
            "--name", "nightly", "--events", str(total), "--shard-count", str(shards),
            "--start", "2026-11-26", "--rotate-bytes", "256KiB"]  # fmt: skip
    for index in range(shards):
        result = run_eventgen([*base, "--shard-index", str(index)], env)
        assert result.returncode == 0, result.stderr
        assert summary(result.stderr)["delivered"] == str(
            total // shards + (index < total % shards)
        )
    first = objects(client, "raw/")
    assert all(name.startswith("raw/events/dt=2026-11-26/nightly-shard-") for name in first)
    assert {name.rsplit("/", 1)[1].split("-part-")[0] for name in first} == {
        f"nightly-shard-{i}" for i in range(shards)
    }
    assert len(first) > shards, "256 KiB rotation splits each ~0.9 MB shard into parts"
    events = [json.loads(line) for data in first.values() for line in data.splitlines()]
    assert len(events) == total
    assert len({e["event_id"] for e in events}) == total

    rerun = run_eventgen([*base, "--shard-index", "1"], env)
    assert rerun.returncode == 0, rerun.stderr
    second = objects(client, "raw/")
    assert second == first, "a rerun overwrites the same objects with the same bytes"
