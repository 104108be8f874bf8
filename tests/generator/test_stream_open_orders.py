"""A stream's own bound on open orders (eventgen.bounds.STREAM_MAX_IN_FLIGHT_ORDERS).

It is what a stream simulates before its first event and keeps queued for its whole life,
so it sets the pods' start-up time and memory (bench generator_pod); a flag still sets it.
"""

from __future__ import annotations

from eventgen.bounds import STREAM_MAX_IN_FLIGHT_ORDERS
from tests.support.cli_process import run_eventgen

REPLAY = ["--run-id", "", "--start", "2026-11-26T12:00:00Z", "--seed", "5"]


def replayed(*extra: str) -> bytes:
    """A byte-for-byte replayable 2,000-event stream to stdout."""
    result = run_eventgen(
        ["stream", *REPLAY, "--rate", "20000", "--events", "2000", *extra],
        env={"EVENTGEN_GENERATOR_ID": "shop-0"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_a_stream_defaults_to_its_own_bound_and_the_flag_or_environment_still_sets_it() -> None:
    default = replayed()
    assert default == replayed("--max-in-flight-orders", str(STREAM_MAX_IN_FLIGHT_ORDERS))
    # The options' own default (a batch's) gives other delays, hence other events.
    batch_bound = replayed("--max-in-flight-orders", "1000000")
    assert batch_bound != default
    environment = run_eventgen(
        ["stream", *REPLAY, "--rate", "20000", "--events", "2000"],
        env={"EVENTGEN_GENERATOR_ID": "shop-0", "EVENTGEN_MAX_IN_FLIGHT_ORDERS": "1000000"},
    )
    assert environment.stdout == batch_bound


def test_help_states_each_commands_default() -> None:
    stream = run_eventgen(["stream", "--help"]).stdout.decode()
    batch = run_eventgen(["batch", "--help"]).stdout.decode()
    assert f"(default {STREAM_MAX_IN_FLIGHT_ORDERS} for a stream)" in " ".join(stream.split())
    assert "(default 1000000)" in " ".join(batch.split())
