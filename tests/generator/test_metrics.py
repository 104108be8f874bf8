"""/metrics and /healthz: served, counting, and following a live rate change."""

from __future__ import annotations

import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from eventgen.runtime.metrics import Metrics, MetricsServer
from eventgen.sinks.base import DeliveryStats
from tests.support.cli_process import clean_env, eventgen_command, summary
from tests.support.processes import free_port
from tests.support.waiting import wait_for


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def sample(text: str, name: str) -> float:
    """The value of an unlabelled sample ``name`` in Prometheus text format."""
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in metrics:\n{text}")


@pytest.fixture
def served() -> Iterator[tuple[Metrics, str]]:
    metrics = Metrics()
    server = MetricsServer(metrics, 0, host="127.0.0.1")
    server.start()
    yield metrics, f"http://127.0.0.1:{server.port}"
    server.stop()


def test_metrics_expose_counts_rate_and_latency(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    stats = DeliveryStats()
    metrics.sink_stats = stats
    metrics.generated.inc(120)
    stats.add_delivered(100, 4_000)
    stats.add_failed(20)
    metrics.target_rate.set(250)
    metrics.write_seconds.observe(0.003)
    status, text = get(base + "/metrics")
    assert status == 200
    assert sample(text, "eventgen_events_generated_total") == 120
    assert sample(text, "eventgen_events_delivered_total") == 100
    assert sample(text, "eventgen_events_failed_total") == 20
    assert sample(text, "eventgen_delivered_bytes_total") == 4_000
    assert sample(text, "eventgen_target_rate_events_per_second") == 250
    assert sample(text, "eventgen_sink_write_seconds_count") == 1


def test_healthz_follows_the_loop_and_the_sink(served: tuple[Metrics, str]) -> None:
    metrics, base = served
    assert get(base + "/healthz")[0] == 503  # not started yet
    metrics.beat()
    assert get(base + "/healthz") == (200, "ok\n")
    metrics.set_failed("topic not found")
    status, body = get(base + "/healthz")
    assert status == 503
    assert "topic not found" in body
    assert get(base + "/nope")[0] == 404


def test_a_running_stream_follows_its_rate_file_without_restarting(tmp_path: Path) -> None:
    port = free_port()
    rate_file = tmp_path / "rate"
    rate_file.write_text("200\n")
    process = subprocess.Popen(
        eventgen_command(
            "stream", "--rate", "50", "--rate-file", str(rate_file), "--output", f"{tmp_path}/out/"
        ),
        env=clean_env({"EVENTGEN_METRICS_PORT": str(port)}),
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"

    def scrape() -> str:
        return get(base + "/metrics")[1]

    def rate_near(target: float) -> float:
        """Observed events/s over ~2 s of the generated counter."""
        first, began = sample(scrape(), "eventgen_events_generated_total"), time.monotonic()
        time.sleep(2)
        last, ended = sample(scrape(), "eventgen_events_generated_total"), time.monotonic()
        return (last - first) / (ended - began) / target

    try:
        wait_for(
            lambda: sample(scrape(), "eventgen_target_rate_events_per_second") == 200,
            15,
            "the rate file's 200 events/s to apply",
            ignore=(OSError, AssertionError),
        )
        wait_for(
            lambda: sample(scrape(), "eventgen_events_generated_total") > 0,
            30,
            "the first events (after the generator's warm-up)",
        )
        assert rate_near(200) == pytest.approx(1, abs=0.25)
        rate_file.write_text("1000")
        wait_for(
            lambda: sample(scrape(), "eventgen_target_rate_events_per_second") == 1000,
            5,
            "the new rate to apply within 5 s",
        )
        assert rate_near(1000) == pytest.approx(1, abs=0.25)
        rate_file.write_text("0")
        wait_for(
            lambda: sample(scrape(), "eventgen_target_rate_events_per_second") == 0,
            5,
            "the pause to apply",
        )
        time.sleep(0.5)  # let a batch that was already due go out
        paused_at = sample(scrape(), "eventgen_events_generated_total")
        time.sleep(1.5)
        assert sample(scrape(), "eventgen_events_generated_total") == paused_at
        assert get(base + "/healthz") == (200, "ok\n"), "a paused generator is healthy"
        assert process.poll() is None, "the process kept running throughout"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0
    report = summary(stderr)
    assert report["delivered"] == report["generated"]


def test_a_loop_silent_for_too_long_is_unhealthy() -> None:
    now = [0.0]
    metrics = Metrics(stale_after=120, clock=lambda: now[0])
    metrics.beat()
    now[0] = 119.0
    assert metrics.health() == (True, "ok")
    now[0] = 125.0
    healthy, reason = metrics.health()
    assert not healthy
    assert reason == "generator loop silent for 125 s"
    metrics.beat()
    assert metrics.health()[0]
