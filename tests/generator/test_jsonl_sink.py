"""Local JSONL files: single file, folder parts, gzip, rotation, atomic completion."""

from __future__ import annotations

import gzip
import itertools
import shutil
import subprocess
from pathlib import Path

import pytest

from eventgen.errors import ConfigError, SinkError
from eventgen.sinks.jsonl import JsonlSink
from tests.generator.batches import make_batch, sequences


def test_single_file_holds_every_event_in_order(tmp_path: Path) -> None:
    target = tmp_path / "events.jsonl"
    sink = JsonlSink(target, folder=False, generator_id="gen-0")
    sink.write(make_batch(3))
    sink.write(make_batch(4, first=3))
    assert not target.exists(), "a part must not appear under its final name before completion"
    sink.close()
    assert sequences(target.read_bytes()) == list(range(7))
    assert sink.stats.delivered == 7
    assert sink.stats.bytes_written == target.stat().st_size
    assert list(tmp_path.iterdir()) == [target]


def test_gzip_folder_parts_decompress_to_the_events(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path / "out", folder=True, generator_id="b-shard-2", compressed=True)
    sink.write(make_batch(50))
    sink.close()
    (part,) = (tmp_path / "out").iterdir()
    assert part.name == "b-shard-2-part-00000.jsonl.gz"
    assert sequences(gzip.decompress(part.read_bytes())) == list(range(50))


@pytest.mark.skipif(shutil.which("gzip") is None, reason="no gzip command on this machine")
def test_gzip_parts_are_standard_gzip_that_gzip_d_reads_and_reruns_repeat_byte_for_byte(
    tmp_path: Path,
) -> None:
    # ISA-L writes them (sinks/rolling.py); BigQuery and `gzip -d` must read them as gzip.
    def write(folder: Path) -> list[Path]:
        sink = JsonlSink(
            folder, folder=True, generator_id="g", compressed=True, rotate_bytes=20_000
        )
        sink.write(make_batch(300))
        sink.write(make_batch(200, first=300))
        sink.close()
        return sorted(folder.iterdir())

    parts = write(tmp_path / "first")
    assert len(parts) > 2, "rotation must produce several compressed parts"
    read_back: list[int] = []
    for part in parts:
        subprocess.run(["gzip", "-t", str(part)], check=True)
        unzipped = subprocess.run(["gzip", "-dc", str(part)], check=True, capture_output=True)
        assert unzipped.stdout == gzip.decompress(part.read_bytes())
        read_back.extend(sequences(unzipped.stdout))
    assert read_back == list(range(500))
    again = write(tmp_path / "again")
    assert [p.read_bytes() for p in again] == [p.read_bytes() for p in parts]


def test_rotation_by_size_fills_parts_without_splitting_lines(tmp_path: Path) -> None:
    limit = 2_000
    sink = JsonlSink(tmp_path, folder=True, generator_id="g", rotate_bytes=limit)
    sink.write(make_batch(100))
    sink.write(make_batch(20, first=100))
    sink.close()
    parts = sorted(tmp_path.iterdir())
    assert [p.name for p in parts] == [f"g-part-{i:05d}.jsonl" for i in range(len(parts))]
    contents = [p.read_bytes() for p in parts]
    assert [s for c in contents for s in sequences(c)] == list(range(120))
    for current, following in itertools.pairwise(contents):
        first_line_of_next = len(following.splitlines()[0]) + 1
        # Each part is as full as the limit allows: the next line would not have fitted.
        assert len(current) <= limit < len(current) + first_line_of_next
    assert sink.stats.delivered == 120
    assert sink.stats.bytes_written == sum(map(len, contents))


def test_an_event_larger_than_a_part_still_gets_written(tmp_path: Path) -> None:
    sink = JsonlSink(tmp_path, folder=True, generator_id="g", rotate_bytes=10)
    sink.write(make_batch(3))
    sink.close()
    assert len(list(tmp_path.iterdir())) == 3
    assert sink.stats.delivered == 3


def test_unfinished_part_stays_a_tmp_and_finished_parts_are_whole(tmp_path: Path) -> None:
    batch = make_batch(10)
    line = len(batch.payloads[0]) + 1
    sink = JsonlSink(tmp_path, folder=True, generator_id="g", rotate_bytes=line * 4)
    sink.write(batch)  # parts 0 and 1 complete, part 2 open with two events
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["g-part-00000.jsonl", "g-part-00001.jsonl", "g-part-00002.jsonl.tmp"]
    assert sink.stats.delivered == 8  # only events in completed parts count


def test_rerun_replaces_files_instead_of_appending(tmp_path: Path) -> None:
    for _ in range(2):
        sink = JsonlSink(tmp_path, folder=True, generator_id="g")
        sink.write(make_batch(5))
        sink.close()
    (part,) = tmp_path.iterdir()
    assert sequences(part.read_bytes()) == list(range(5))


def test_rotation_into_a_single_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rotation needs a folder"):
        JsonlSink(tmp_path / "one.jsonl", folder=False, generator_id="g", rotate_bytes=100)


def test_unwritable_folder_is_a_sink_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(SinkError, match="cannot create output folder"):
        JsonlSink(blocker / "sub", folder=True, generator_id="g")


def test_stream_parts_complete_after_rotate_seconds(tmp_path: Path) -> None:
    now = [100.0]
    sink = JsonlSink(
        tmp_path, folder=True, generator_id="g", rotate_seconds=300, clock=lambda: now[0]
    )
    sink.write(make_batch(5))
    now[0] += 299
    sink.write(make_batch(5, first=5))
    assert sink.completed == []
    now[0] += 1
    sink.write(make_batch(5, first=10))  # the part is now 300 s old: it completes
    assert sink.completed == [str(tmp_path / "g-part-00000.jsonl")]
    assert sink.stats.delivered == 15
    sink.write(make_batch(1, first=15))
    sink.close()
    assert sequences((tmp_path / "g-part-00001.jsonl").read_bytes()) == [15]
