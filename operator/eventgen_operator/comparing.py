"""Does an object on the server already say what we want? (so unchanged children are not patched)

The API server fills in defaults (terminationMessagePath, protocol, ...), so an object it
returns holds more than the operator sent. `covers` asks the right question: is every
value the operator wants present and equal, ignoring what the server added.
"""

from __future__ import annotations

from typing import Any


def covers(actual: Any, desired: Any) -> bool:
    """True when `actual` holds everything in `desired`.

    Mappings: every desired key present and covered. Lists: the same length, element by
    element covered (a merge patch replaces lists whole, so extra elements are drift).
    Scalars: equal. A desired None means "absent" (what a merge patch makes of it).
    """
    if isinstance(desired, dict):
        if not isinstance(actual, dict):
            return False
        return all(
            actual.get(key) is None
            if value is None
            else key in actual and covers(actual[key], value)
            for key, value in desired.items()
        )
    if isinstance(desired, list):
        if not isinstance(actual, list) or len(actual) != len(desired):
            return False
        return all(covers(have, want) for have, want in zip(actual, desired, strict=True))
    return bool(actual == desired)
