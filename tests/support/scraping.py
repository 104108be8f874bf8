"""Read a running generator's Prometheus /metrics the way a monitoring system would."""

from __future__ import annotations

import urllib.request


def metric(port: int, name: str, timeout: float = 5.0) -> float | None:
    """The value of the unlabelled sample ``name`` on the generator's /metrics; None until it
    answers (or when it exposes no such sample)."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as answer:
            text = answer.read().decode()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return None


def target_rate(port: int, timeout: float = 5.0) -> float | None:
    """The generator's `eventgen_target_rate_events_per_second` gauge; None until it answers."""
    return metric(port, "eventgen_target_rate_events_per_second", timeout)
