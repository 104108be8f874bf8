"""Polling until a condition holds, with a message that says what never happened."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T | None],
    timeout: float,
    message: str,
    *,
    interval: float = 0.2,
    ignore: tuple[type[BaseException], ...] = (),
) -> T:
    """Call ``predicate`` until it returns a truthy value, and return that value.

    ``timeout`` and ``interval`` are in seconds. Exceptions of the types in ``ignore`` count
    as "not yet" (for example a 404 while an object is still being created); any other
    exception propagates at once. On timeout raises ``TimeoutError`` naming ``message``, the
    last falsy result and the last ignored exception, so a failing test says what it awaited.
    """
    deadline = time.monotonic() + timeout
    last_result: object = None
    last_error: BaseException | None = None
    while True:
        try:
            result = predicate()
        except ignore as error:
            last_error = error
        else:
            if result:
                return result
            last_result = result
        if time.monotonic() >= deadline:
            detail = f"last result: {last_result!r}"
            if last_error is not None:
                detail += f"; last error: {type(last_error).__name__}: {last_error}"
            raise TimeoutError(f"{message} (not within {timeout:g} s; {detail})")
        time.sleep(interval)
