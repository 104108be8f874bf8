"""The chart's pre-delete hook: every EventGenerator deleted, its pods waited for."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from eventgen_operator.uninstall import parse_args, stop_generators
from tests.support.clock import SimulatedClock


class FakeGenerators:
    """Stand-in for the API: pods drain ``drain_polls`` polls after their generator goes."""

    def __init__(self, names: Sequence[tuple[str, str]], drain_polls: int) -> None:
        self._names = list(names)
        self.deleted: list[tuple[str, str]] = []
        self._polls_left = drain_polls

    def names(self) -> list[tuple[str, str]]:
        return [n for n in self._names if n not in self.deleted]

    def delete(self, namespace: str, name: str) -> None:
        self.deleted.append((namespace, name))

    def pods(self) -> list[str]:
        if self._polls_left <= 0:
            return []
        self._polls_left -= 1
        return [f"{ns}/{name}-abc" for ns, name in self.deleted]


def test_every_generator_is_deleted_and_the_hook_waits_for_its_pods() -> None:
    generators = FakeGenerators([("a", "orders"), ("b", "clicks")], drain_polls=3)
    said: list[str] = []
    clock = SimulatedClock(0.0)
    status = stop_generators(generators, 60, said.append, clock, clock.sleep)
    assert status == 0
    assert generators.deleted == [("a", "orders"), ("b", "clicks")]
    assert clock.now == 3.0  # waited while the pods drained
    assert said[-1] == "2 EventGenerator(s) deleted; no generator pod is left"


def test_pods_that_outlive_the_timeout_fail_the_hook_and_are_named() -> None:
    generators = FakeGenerators([("a", "orders")], drain_polls=1000)
    said: list[str] = []
    clock = SimulatedClock(0.0)
    status = stop_generators(generators, 5, said.append, clock, clock.sleep)
    assert status == 1
    assert said[-1] == "error: after 5 s, generator pods still run: a/orders-abc"


def test_nothing_to_stop_is_success() -> None:
    said: list[str] = []
    clock = SimulatedClock(0.0)
    assert stop_generators(FakeGenerators([], 0), 5, said.append, clock, clock.sleep) == 0
    assert said == ["0 EventGenerator(s) deleted; no generator pod is left"]


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--namespace", "a", "--all-namespaces"],
        ["-A", "--timeout", "0"],
        ["-A", "--timeout", "x"],
    ],
)
def test_bad_command_lines_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parse_args(argv)
    assert exit_.value.code == 2
    assert "error:" in capsys.readouterr().err
