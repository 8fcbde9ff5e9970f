"""The scenario a run was made from, read again from its manifest and checked to be the same."""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from typing import Any

from drgsim.errors import DrgsimError
from drgsim.scenario.schema import Scenario


def run_scenario(
    out: Path, manifest: dict[str, Any], path: Path | None = None, at_hand: Scenario | None = None
) -> Scenario:
    """The scenario of the run in `out`: its file (or `path`) with the run's `--set` overrides.

    The scenario is accepted only when it resolves to what the run ran (the manifest's
    `resolved_scenario_sha256`), so that recomputing or re-simulating from it is exact.
    `at_hand` is the run's own scenario, when the run is at hand: it is taken, unread, where the
    manifest's hash says it is the one its file resolves to.
    """
    from drgsim.scenario.loader import load_scenario, with_overrides

    named = manifest.get("scenario_file")
    source = path or (Path(named) if named else None)
    need = (
        f"{out}: explain needs the scenario this run was made from"
        + (f" ({named})" if named else "")
        + ", unchanged"
    )
    if source is None:
        raise DrgsimError(f"{need}; the manifest names no scenario file: give it with --scenario")
    if not source.is_file():
        raise DrgsimError(f"{need}; {source} is not a file: give the scenario with --scenario")
    want = manifest.get("resolved_scenario_sha256")
    if (
        at_hand is not None
        and path is None
        and want is not None
        and resolved_sha256(at_hand) == want
    ):
        return at_hand
    scn = load_scenario(source)
    overrides = {k: _literal(k, v) for k, v in manifest.get("overrides", {}).items()}
    if overrides:
        scn = with_overrides(scn, overrides, label="--set")
    if want is not None and resolved_sha256(scn) != want:
        raise DrgsimError(
            f"{need}; {source} (with the run's --set) is not the scenario that was run "
            "(its resolved sha256 differs): restore it, or rerun the scenario"
        )
    return scn


def resolved_sha256(scn: Scenario) -> str:
    """The hash of a resolved scenario that a run's manifest records."""
    return hashlib.sha256(repr(scn).encode()).hexdigest()


def _literal(key: str, text: str) -> Any:
    """A --set value as the manifest recorded it (Python's repr of a plain value)."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        raise DrgsimError(
            f"manifest.json: overrides.{key}: got {text!r}; expected a plain value"
        ) from None
