"""Live-rate inputs: parsing and validation, the polled file, and the ConfigMap watch loop."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from eventgen.errors import ConfigError, LiveRateError
from eventgen.runtime.liverate import (
    RateFileWatcher,
    parse_configmap_ref,
    parse_rate,
    rate_from_configmap,
    watch_configmap_rate,
)


def configmap(data: dict[str, str] | None, version: str = "1") -> client.V1ConfigMap:
    return client.V1ConfigMap(
        metadata=client.V1ObjectMeta(name="gen-rate", namespace="shop", resource_version=version),
        data=data,
    )


@pytest.mark.parametrize(("text", "rate"), [("250", 250.0), (" 12.5\n", 12.5), ("0", 0.0)])
def test_rates_parse_as_events_per_second(text: str, rate: float) -> None:
    assert parse_rate(text, "test") == rate


@pytest.mark.parametrize("text", ["", "fast", "-3", "nan", "inf", "1e400"])
def test_invalid_rates_name_their_source(text: str) -> None:
    with pytest.raises(LiveRateError, match=r"^rate file x:"):
        parse_rate(text, "rate file x")


def test_configmap_rate_is_read_from_rate_per_replica() -> None:
    assert rate_from_configmap(configmap({"ratePerReplica": "400"})) == 400.0
    as_dict = {
        "metadata": {"name": "gen-rate", "namespace": "shop"},
        "data": {"ratePerReplica": "7"},
    }
    assert rate_from_configmap(as_dict) == 7.0


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (None, "has no key 'ratePerReplica'"),
        ({"rate": "5"}, "has no key 'ratePerReplica'"),
        ({"ratePerReplica": "-5"}, "must be a finite number"),
        ({"ratePerReplica": "lots"}, "is not a number"),
    ],
)
def test_bad_configmaps_are_rejected_with_their_name(
    data: dict[str, str] | None, message: str
) -> None:
    with pytest.raises(LiveRateError, match=f"ConfigMap shop/gen-rate.*{message}"):
        rate_from_configmap(configmap(data))


def test_configmap_reference_takes_namespace_from_pod_namespace(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert parse_configmap_ref("shop/gen-rate") == ("shop", "gen-rate")
    monkeypatch.setenv("POD_NAMESPACE", "team-a")
    assert parse_configmap_ref("gen-rate") == ("team-a", "gen-rate")
    monkeypatch.delenv("POD_NAMESPACE")
    with pytest.raises(ConfigError, match="NAMESPACE/NAME"):
        parse_configmap_ref("gen-rate")
    with pytest.raises(ConfigError):
        parse_configmap_ref("a/b/c")


def test_rate_file_changes_are_reported_and_bad_contents_ignored(tmp_path: Path) -> None:
    path = tmp_path / "rate"
    seen: list[float] = []
    watcher = RateFileWatcher(path, seen.append)
    watcher.poll()  # missing file: nothing to report
    path.write_text("100\n")
    watcher.poll()
    watcher.poll()  # unchanged: reported once
    path.write_text("oops")
    watcher.poll()
    path.write_text("0")
    watcher.poll()
    assert seen == [100.0, 0.0]


def test_a_rate_file_that_does_not_exist_is_said_once_and_applies_when_it_appears(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "rate"
    seen: list[float] = []
    watcher = RateFileWatcher(path, seen.append, interval=60)
    with caplog.at_level("WARNING", logger="eventgen"):
        watcher.start()
    watcher.stop()
    assert [r.getMessage() for r in caplog.records if "does not exist" in r.getMessage()] == [
        f"rate file {path} does not exist yet; the starting rate stays"
    ]
    path.write_text("7")
    watcher.poll()
    assert seen == [7.0]


def rates_polled_until(path: Path, text: str, failure: str) -> list[float]:
    """Start a polling RateFileWatcher on ``path``, write ``text`` there, and return every
    rate its thread reported until it reported that one."""
    wanted = float(text)
    changed = threading.Event()
    seen: list[float] = []

    def record(rate: float) -> None:
        seen.append(rate)
        if rate == wanted:
            changed.set()

    watcher = RateFileWatcher(path, record, interval=0.05)
    watcher.start()
    try:
        path.write_text(text)
        assert changed.wait(10), failure
    finally:
        watcher.stop()
    return seen


def test_rate_file_watcher_thread_polls(tmp_path: Path) -> None:
    path = tmp_path / "rate"
    path.write_text("5")
    seen = rates_polled_until(path, "9", "the polling thread never reported the new rate")
    assert seen == [5.0, 9.0]


class FlakyApi:
    """A CoreV1Api stand-in: the first list fails, later lists return the ConfigMap.

    The watch request itself fails too, which exercises the retry path; the real
    conversation with an API server is tested by the operator suite.
    """

    def __init__(self, stop: threading.Event, versions: list[client.V1ConfigMap]) -> None:
        self.calls = 0
        self.stop = stop
        self.versions = versions

    def list_namespaced_config_map(self, namespace: str, **kwargs: Any) -> client.V1ConfigMapList:
        assert namespace == "shop"
        assert kwargs["field_selector"] == "metadata.name=gen-rate"
        if kwargs.get("watch"):
            raise ConnectionError("watch connection dropped")
        self.calls += 1
        if self.calls == 1:
            raise ConnectionError("API server unavailable")
        if self.calls > len(self.versions):
            self.stop.set()
            return client.V1ConfigMapList(
                items=[], metadata=client.V1ListMeta(resource_version="9")
            )
        item = self.versions[self.calls - 1]
        return client.V1ConfigMapList(
            items=[item], metadata=client.V1ListMeta(resource_version="5")
        )


def test_configmap_watch_retries_and_reports_each_new_rate() -> None:
    stop = threading.Event()
    api = FlakyApi(
        stop,
        [
            configmap({"ratePerReplica": "0"}),  # never served: the first call fails
            configmap({"ratePerReplica": "50"}),
            configmap({"ratePerReplica": "50"}),
            configmap({"ratePerReplica": "bad"}),
            configmap({"ratePerReplica": "75"}),
        ],
    )
    seen: list[float] = []
    watch_configmap_rate(api, "shop", "gen-rate", seen.append, stop, retry_seconds=0.01)
    assert seen == [50.0, 75.0]


def test_a_rate_file_that_is_not_text_is_ignored_and_watching_goes_on(tmp_path: Path) -> None:
    # A binary file (a wrong path, a half-copied file) must not end the polling thread.
    path = tmp_path / "rate"
    path.write_bytes(b"\xff\xfe\x00")
    seen = rates_polled_until(path, "7", "the polling thread stopped at the binary contents")
    assert seen == [7.0]


class _EmptyWatchResponse:
    """What the client returns for a watch request that the server ends with no events."""

    status = 200

    def stream(self, amt: int | None = None, decode_content: bool = False) -> Any:
        return iter(())

    def close(self) -> None:
        pass

    def release_conn(self) -> None:
        pass


class ImpatientApi:
    """A CoreV1Api stand-in whose server ends every watch at once, without an error."""

    def __init__(self) -> None:
        self.lists = 0

    def list_namespaced_config_map(self, namespace: str, **kwargs: Any) -> Any:
        """:return: V1ConfigMapList"""
        if kwargs.get("watch"):
            return _EmptyWatchResponse()
        self.lists += 1
        return client.V1ConfigMapList(
            items=[configmap({"ratePerReplica": "40"})],
            metadata=client.V1ListMeta(resource_version="5"),
        )


def test_watches_that_end_at_once_do_not_make_the_watcher_spin() -> None:
    api = ImpatientApi()
    stop = threading.Event()
    seen: list[float] = []
    thread = threading.Thread(
        target=watch_configmap_rate, args=(api, "shop", "gen-rate", seen.append, stop)
    )
    thread.start()
    # Watching for about a second against a server that closes every watch at once: a
    # watcher without backoff lists thousands of times; with it, a handful.
    stop.wait(1.0)
    stop.set()
    thread.join(10)
    assert not thread.is_alive(), "the watcher did not stop"
    assert seen == [40.0]
    assert 1 < api.lists <= 10, f"listed {api.lists} times in about a second"
