"""Reconciles of one EventGenerator never overlap, also across its deletion and re-creation."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any, cast

from eventgen_operator.config import OperatorConfig
from eventgen_operator.keyed_locks import KeyedLocks
from eventgen_operator.kubeapi import KubeApi
from eventgen_operator.reconciling import Reconciler


class GatedApi:
    """A KubeApi stand-in whose ``get`` waits for the test to release each caller in turn.

    Every EventGenerator reads as gone (None), so a reconcile is just its locked read; the
    stand-in records how many reads ever ran at the same time.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self.inside = 0
        self.most_inside = 0
        self.entered = 0
        self._released = 0

    def get(self, kind: object, namespace: str, name: str) -> Mapping[str, Any] | None:
        with self._changed:
            self.entered += 1
            ticket = self.entered
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
            self._changed.notify_all()
            self._changed.wait_for(lambda: self._released >= ticket, timeout=30)
            self.inside -= 1
        return None

    def wait_entered(self, count: int, timeout: float) -> bool:
        """Whether ``count`` reads have begun within ``timeout`` seconds."""
        with self._changed:
            return self._changed.wait_for(lambda: self.entered >= count, timeout)

    def release_one(self) -> None:
        with self._changed:
            self._released += 1
            self._changed.notify_all()


def test_a_generator_deleted_and_recreated_mid_reconcile_is_never_reconciled_twice_at_once() -> (
    None
):
    api = GatedApi()
    reconciler = Reconciler(cast(KubeApi, api), OperatorConfig())

    def reconcile() -> threading.Thread:
        thread = threading.Thread(target=reconciler.reconcile, args=("shop", "gen"))
        thread.start()
        return thread

    first = reconcile()  # e.g. the deletion's child events
    assert api.wait_entered(1, 10), "the first reconcile never read"
    second = reconcile()  # queued behind the first
    threading.Event().wait(0.3)  # let it reach the lock (not an assertion on time)
    api.release_one()  # the first finds the generator gone and leaves
    assert api.wait_entered(2, 10), "the second reconcile never read"
    third = reconcile()  # the re-created generator's create handler
    # If the third got a lock of its own, it reads now, beside the second.
    api.wait_entered(3, 0.5)
    api.release_one()
    api.release_one()
    for thread in (first, second, third):
        thread.join(10)
        assert not thread.is_alive()
    assert api.entered == 3
    assert api.most_inside == 1, "two reconciles of one generator ran at once"


def test_keyed_locks_exclude_per_key_and_keep_only_keys_in_use() -> None:
    locks = KeyedLocks()
    holders: dict[str, int] = {"a": 0, "b": 0}
    most: dict[str, int] = {"a": 0, "b": 0}
    count = threading.Lock()

    def work(key: str) -> None:
        for _ in range(200):
            with locks.holding(key):
                with count:
                    holders[key] += 1
                    most[key] = max(most[key], holders[key])
                threading.Event().wait(0.0005)  # hold it a moment so threads collide
                with count:
                    holders[key] -= 1

    threads = [threading.Thread(target=work, args=(key,)) for key in "abab"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert most == {"a": 1, "b": 1}
    assert len(locks) == 0, "locks of keys nobody uses were kept"


def test_keyed_locks_let_different_keys_run_together() -> None:
    locks = KeyedLocks()
    inside_b = threading.Event()
    with locks.holding("a"):
        thread = threading.Thread(target=lambda: _hold_and_signal(locks, "b", inside_b))
        thread.start()
        assert inside_b.wait(10), "key b waited for key a"
        thread.join(10)
        assert len(locks) == 1


def _hold_and_signal(locks: KeyedLocks, key: str, inside: threading.Event) -> None:
    with locks.holding(key):
        inside.set()
