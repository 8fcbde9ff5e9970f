"""The stops that signals asked of this process, kept so that none is lost where Python drops it.

A signal handler that raises KeyboardInterrupt may run inside a finalizer (``__del__``, a weakref
callback, a garbage-collection pass), where Python prints "Exception ignored" and carries on: the
run would then finish and replace its output as if no one had asked it to stop. The command
line's handler notes each signal here first; the output's swap and the command's exit read it.
"""

from __future__ import annotations

import sys
from typing import Any

_RECEIVED: list[int] = []


def note(signum: int) -> None:
    """Record that signal `signum` asked this process to stop."""
    _RECEIVED.append(signum)


def mark() -> int:
    """A point to ask `since` from: the stops asked for so far."""
    return len(_RECEIVED)


def since(point: int) -> int:
    """The first signal that asked for a stop after `point`; 0 if none did."""
    return _RECEIVED[point] if len(_RECEIVED) > point else 0


def quiet_dropped(hook: Any = None) -> Any:
    """An unraisable-exception hook that stays quiet about a KeyboardInterrupt Python dropped in
    a finalizer (it is noted here and acted on) and passes anything else to `hook`."""
    fallback = hook or sys.__unraisablehook__

    def unraisable(info: Any) -> None:
        if isinstance(info.exc_value, KeyboardInterrupt) and _RECEIVED:
            return
        fallback(info)

    return unraisable
