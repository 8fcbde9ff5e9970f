"""The run information of a run report or a sweep page: what manifest.json or sweep.json records,
as labelled rows in zh or en."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from drgsim.present import labels
from drgsim.present.parameters import as_text

YUAN_PER_YI = 1e8
YUAN_PER_WAN = 1e4
SHA_SHOWN = 12  # leading hex digits of a hash, enough to tell two apart
#: Keys shown in another key's row.
FOLDED = frozenset({"scenario_sha256", "tasks_run", "points"})
VERSION = (
    "_version"  # a run's manifest names each library's version in a key of its own: numpy_version
)


def run_information(manifest: Mapping[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, value) rows of a run's or a sweep's manifest: what was run, then how and when; a
    key drgsim does not know (a later version's) is shown under its own name, so that nothing is
    hidden."""
    rows = [
        (labels.text(f"info.{key}", lang), show(manifest, lang))
        for key, show in _FORMAT.items()
        if manifest.get(key) is not None or (key == "versions" and _flat_versions(manifest))
    ]
    rows += [
        (str(key), as_text(value))
        for key, value in manifest.items()
        if key not in _FORMAT and key not in FOLDED and not str(key).endswith(VERSION)
    ]
    return rows


def _scenario_file(m: Mapping[str, Any], lang: str) -> str:
    sha = str(m.get("scenario_sha256") or "")
    file = str(m["scenario_file"])
    if not sha:
        return file
    return labels.text("info.file_sha", lang, file=file, sha=sha[:SHA_SHOWN])


def _grid(m: Mapping[str, Any], lang: str) -> str:
    grid = m["grid"]
    keys = " × ".join(labels.text("info.grid_key", lang, name=k, n=len(v)) for k, v in grid.items())
    points = len(m["points"]) if "points" in m else _product(len(v) for v in grid.values())
    return labels.text("info.grid_value", lang, points=points, keys=keys)


def _product(counts: Any) -> int:
    out = 1
    for n in counts:
        out *= n
    return out


def _tasks(m: Mapping[str, Any], lang: str) -> str:
    total = m["tasks_total"]
    if m.get("tasks_run") in (None, total):
        return str(total)
    return labels.text("info.tasks_value", lang, total=total, run=m["tasks_run"])


def _budget(m: Mapping[str, Any], lang: str) -> str:
    yuan = float(m["annual_budget_yuan"])
    million = yuan / 1e6
    if yuan >= YUAN_PER_YI:
        return labels.text("report.big", lang, yi=yuan / YUAN_PER_YI, million=million)
    return labels.text("report.small", lang, wan=yuan / YUAN_PER_WAN, million=million)


def _seeding(m: Mapping[str, Any], lang: str) -> str:
    said = str(m["seeding"])  # drgsim's own words are translated; another version's kept
    known = said == labels.text("info.seeding_value", "en")
    return labels.text("info.seeding_value", lang) if known else said


def _flat_versions(m: Mapping[str, Any]) -> dict[str, Any]:
    """A run manifest's `<name>_version` keys as {name: version}."""
    return {str(k)[: -len(VERSION)]: v for k, v in m.items() if str(k).endswith(VERSION)}


def _versions(m: Mapping[str, Any], lang: str) -> str:
    versions = m.get("versions") or _flat_versions(m)
    if not isinstance(versions, Mapping):
        return as_text(versions)
    return ", ".join(f"{name} {version}" for name, version in versions.items())


def _started(m: Mapping[str, Any], lang: str) -> str:
    text = str(m["started"])
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return text
    return f"{when:%Y-%m-%d %H:%M:%S} {when.tzname() or ''}".strip()


def _status(m: Mapping[str, Any], lang: str) -> str:
    status = str(m["status"])
    known = status in ("complete", "running")
    return labels.text(f"info.status.{status}", lang) if known else status


def _replications(m: Mapping[str, Any], lang: str) -> str:
    if "grid" not in m:  # a run's: each variant's
        return str(m["replications"])
    return labels.text("info.replications_value", lang, reps=m["replications"])


def _known(key: str, said: Any, lang: str) -> str:
    """drgsim's own word for a value in `lang` (label `info.<key>.<said>`), or the value as it is."""
    label = f"info.{key}.{said}"
    return labels.text(label, lang) if labels.has(label) else as_text(said)


def _overrides(m: Mapping[str, Any], lang: str) -> str:
    overrides = m["overrides"]
    if not isinstance(overrides, Mapping):
        return as_text(overrides)
    return ", ".join(f"{key} = {value}" for key, value in overrides.items())


def _hash(key: str) -> Callable[[Mapping[str, Any], str], str]:
    return lambda m, lang: f"{str(m[key])[:SHA_SHOWN]}…"


def _workers(m: Mapping[str, Any], lang: str) -> str:
    return labels.text("info.workers_here", lang) if m["workers"] == 0 else str(m["workers"])


def _plain(key: str) -> Callable[[Mapping[str, Any], str], str]:
    return lambda m, lang: as_text(m[key])


#: How each key drgsim writes into manifest.json or sweep.json reads on the page.
_FORMAT: dict[str, Callable[[Mapping[str, Any], str], str]] = {
    "scenario": _plain("scenario"),
    "scenario_file": _scenario_file,
    "resolved_scenario_sha256": _hash("resolved_scenario_sha256"),
    "overrides": _overrides,
    "variant": lambda m, lang: labels.variant(str(m["variant"]), lang),
    "variants": lambda m, lang: ", ".join(labels.variant(str(v), lang) for v in m["variants"]),
    "grid": _grid,
    "replications": _replications,
    "tasks_total": _tasks,
    "seed": _plain("seed"),
    "years": _plain("years"),
    "start_year": _plain("start_year"),
    "regions": lambda m, lang: ", ".join(str(r) for r in m["regions"]),
    "annual_budget_yuan": _budget,
    "budget_source": lambda m, lang: _known("budget_source", m["budget_source"], lang),
    "catalogue": lambda m, lang: _known("catalogue", m["catalogue"], lang),
    "cases_source": _plain("cases_source"),
    "rejected": _plain("rejected"),
    "status": _status,
    "started": _started,
    "wall_seconds": lambda m, lang: labels.text(
        "info.seconds", lang, seconds=float(m["wall_seconds"])
    ),
    "workers": _workers,
    "cpu_count": _plain("cpu_count"),
    "scheduler": _plain("scheduler"),
    "versions": _versions,
    "seeding": _seeding,
    "tables": lambda m, lang: ", ".join(str(t) for t in m["tables"]),
    "layout": _plain("layout"),
    "identity": lambda m, lang: labels.text(
        "info.identity_value", lang, sha=str(m["identity"])[:SHA_SHOWN]
    ),
}
