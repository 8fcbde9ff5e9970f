"""Errors that drgsim reports to its users as one clear line each."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class DrgsimError(ValueError):
    """Raised for bad user input; its message is meant to be shown as it is, without a traceback."""


class ScenarioError(DrgsimError):
    """Raised when a scenario file or override is invalid; one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(self.problems))


NO_VALUE = object()  # a problem with no single bad value to show


def problem(file: str | None, line: int | None, path: str, value: object, allowed: str) -> str:
    """Format one problem as `file:line: key.path: got value; allowed …`."""
    where = file or "<scenario>"
    if line is not None:
        where = f"{where}:{line}"
    key = f"{path}: " if path else ""
    if value is NO_VALUE:
        return f"{where}: {key}{allowed}"
    shown = repr(value) if isinstance(value, str) else str(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"{where}: {key}got {shown}; {allowed}"


def did_you_mean(given: object, known: Iterable[object], cutoff: float = 0.6) -> str:
    """A "did you mean 'X'? " naming the known value closest to `given`; empty if none is close."""
    close = difflib.get_close_matches(str(given), [str(k) for k in known], n=1, cutoff=cutoff)
    return f"did you mean '{close[0]}'? " if close else ""


class Interrupted(KeyboardInterrupt):
    """A stop asked for by a signal (SIGTERM, SIGHUP, Ctrl-C), raised like Ctrl-C so that a run
    cleans up its staging directory."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signal = signum


class WrittenThenInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) that came once the new output was in place: it was written in full."""

    def __init__(self, out: object, signum: int) -> None:
        super().__init__(out)
        self.out, self.signal = out, signum
