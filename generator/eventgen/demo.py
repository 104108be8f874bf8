"""The local demo (``./dev demo``, ``python -m eventgen.demo``): no cloud account needed.

1. A batch of 100,000 events into ``out/batch/`` (progress bar on a terminal, summary).
2. A paced stream, about 5 seconds at 2,000 events/s, into ``out/stream/``.
Then it shows where the files are and one event. Both steps run the real ``eventgen``
command code, so what the demo shows is what the CLI does.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from eventgen.cli.main import main as eventgen

BATCH_EVENTS = 100_000
STREAM_RATE = 2_000
STREAM_SECONDS = 5


def parse(argv: Sequence[str] | None) -> argparse.Namespace:
    """Demo options: where to write, and the seed."""
    parser = argparse.ArgumentParser(prog="eventgen.demo", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder (default ./out)")
    parser.add_argument("--seed", type=int, default=42, help="seed (default 42)")
    return parser.parse_args(argv)


def run(argv: Sequence[str] | None = None) -> int:
    """Run both demo steps; return the exit code of the first step that fails, else 0."""
    args = parse(argv)
    batch_dir, stream_dir = args.out / "batch", args.out / "stream"
    # Stream part names carry their start time; drop the previous demo's so the folder
    # shows this run only (batch parts have fixed names and are simply replaced).
    for old in stream_dir.glob("demo-stream.*-part-*.jsonl"):
        old.unlink()
    common = ["--metrics-port", "0", "--seed", str(args.seed), "--log-level", "warning"]

    print(f"== batch: {BATCH_EVENTS:,} events into {batch_dir}/", file=sys.stderr)
    batch = ["batch", "--name", "demo", "--events", str(BATCH_EVENTS)]
    code = eventgen([*batch, "--output", f"{batch_dir}/", *common])
    if code:
        return code

    print(
        f"== stream: ~{STREAM_SECONDS} s at {STREAM_RATE:,} events/s into {stream_dir}/",
        file=sys.stderr,
    )
    # A fixed event count (rather than --duration) makes the stream exactly 5 s of events
    # however long the generator takes to warm up.
    stream = ["stream", "--generator-id", "demo-stream", "--rate", str(STREAM_RATE)]
    events = str(STREAM_RATE * STREAM_SECONDS)
    code = eventgen([*stream, "--events", events, "--output", f"{stream_dir}/", *common])
    if code:
        return code

    files = sorted(batch_dir.glob("*.jsonl")) + sorted(stream_dir.glob("*.jsonl"))
    print("\nfiles:", file=sys.stderr)
    for path in files:
        lines = sum(1 for _ in path.open("rb"))
        print(f"  {path}  ({lines:,} events, {path.stat().st_size:,} bytes)", file=sys.stderr)
    if files:
        with files[0].open("rb") as first:
            # As written, byte for byte: re-serialising would turn 0.00 into 0.0.
            line = first.readline().decode().rstrip("\n")
        print("\na sample event (one JSON object per line):", file=sys.stderr)
        print(line, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(run())
