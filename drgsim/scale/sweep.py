"""Parameter sweeps: grid points × replications on Dask, each task writing its own Parquet parts.

Layout of a sweep directory `OUT`::

    sweep.json                                  the manifest (scenario, seed, grid, versions)
    points.parquet                              one row per grid point: point, each key's value
    <table>/point=<i>/rep=<r>.parquet           one part per task, for table in TABLES
    summary.parquet                             means and 95% intervals per point (long format)
    plots/<key>.<metric>.png, plots/en/…        response figures per swept key, zh and en
    report.html, report.en.html                 the sweep's report page, zh and en

Seeding: a task is `simulate(Job)` for the grid point's scenario and replication `r`. drgsim draws
every random stream from `SeedSequence(seed, spawn_key=(r, year, month, stream))`, which does not
depend on the grid point, so all points of one replication see the same patients (common random
numbers: smoother response curves, tighter differences between points). The tasks go out in
groups of one replication's points (`by_replication`), so a worker process draws a replication's
months once for the group (drgsim.scale.shared_months). Results depend only on (grid point,
replication), never on the worker count, the grouping, the order of tasks or retries.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drgsim import cpus
from drgsim.errors import DrgsimError, ScenarioError
from drgsim.records.provenance import versions
from drgsim.scale.cluster import GROUP_ITEMS, dask_client, in_groups, map_in_order, slots_of
from drgsim.scenario import grid as grid_mod

if TYPE_CHECKING:
    import pandas as pd

    from drgsim.records.replay import TableSource
    from drgsim.rules.catalogue import Catalogue
    from drgsim.scenario.schema import Scenario

TABLES = ("hospital_month", "settlement", "region_year")
MANIFEST = "sweep.json"
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Task:
    """One grid point × replication: the scenario to run and where its parts go."""

    out: str
    point: int
    replication: int
    variant: str
    scenario: Scenario
    annual_budget: tuple[float, ...]  # per fund
    catalogue: Catalogue | None  # None: the sweep's shared catalogue
    table: TableSource | None = None  # the imported case table the point replays
    # the swept scenario's expected charges [year, hospital]: the fixed costs
    charges: Any = field(default=None, compare=False)


def part_path(out: str | Path, table: str, point: int, replication: int) -> Path:
    """Where one task's part of one table lives."""
    return Path(out) / table / f"point={point}" / f"rep={replication}.parquet"


def run_tasks(
    tasks: list[Task],
    catalogue: Catalogue,
    each: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """`run_task` of each task in turn (`each` told of every one done), the months they share
    drawn once (`by_replication`); the process keeps none of them after."""
    from drgsim.scale import shared_months

    done = []
    with shared_months.kept_while():
        for task in tasks:
            done.append(run_task(task, catalogue, share=len(tasks) > 1))
            if each is not None:
                each(done[-1])
    return done


def by_replication(
    tasks: list[Task], slots: int, most: int | None = GROUP_ITEMS
) -> list[list[Task]]:
    """The tasks in groups of one replication's grid points (cluster.in_groups): a group's
    points see the same patients, so its process draws their months once."""
    return in_groups(tasks, lambda task: task.replication, slots, most)


def run_task(task: Task, catalogue: Catalogue, share: bool = False) -> dict[str, Any]:
    """Simulate one task and write its Parquet parts atomically; a pure function of the task
    (with `share`, its months kept in the process's store of shared months: drawn alike)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from drgsim.scale.runner import Job, simulate

    t0 = time.perf_counter()
    job = Job(
        task.variant,
        task.scenario,
        task.catalogue or catalogue,
        task.annual_budget,
        task.replication,
        False,
        table=task.table,
        charges=task.charges,
        share_months=share,
        tables=frozenset(),  # none of the optional tables: a sweep writes TABLES only
    )
    tables = simulate(job)
    for name in TABLES:
        frame = _table(getattr(tables, name), task.replication)
        path = part_path(task.out, name, task.point, task.replication)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        # what DataFrame.to_parquet writes, byte for byte, without its file handling (2 ms)
        pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp, compression="zstd")
        os.replace(tmp, path)
    return {"point": task.point, "replication": task.replication, "s": time.perf_counter() - t0}


def _table(rows: list[dict[str, Any]], replication: int) -> pd.DataFrame:
    """One task's rows of a table (blocks of column arrays) as a DataFrame."""
    from drgsim.records.results import frame

    out = frame(rows)
    out.insert(0, "replication", replication)
    return out


def _done(out: Path, point: int, replication: int) -> bool:
    return all(part_path(out, t, point, replication).is_file() for t in TABLES)


# --- validation -----------------------------------------------------------------------------
def validate(
    scn: Scenario, grid: Mapping[str, list[Any]], where: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Apply every grid value and every grid point to the scenario; raise one line on the first bad one."""
    where = where or {}
    if not grid:
        raise DrgsimError("no grid: give --grid KEY=VALUES or a sweep.grid section")
    for key, values in grid.items():
        label = where.get(key, f"grid {key}")
        if not values:
            raise DrgsimError(f"{label}: expected at least one value")
        for value in values:
            _apply(scn, {key: value}, label)
    pts = grid_mod.points(dict(grid))
    for i, point in enumerate(pts):
        _apply(scn, point, f"grid point {i} ({_label(point)})")
    return pts


def _apply(scn: Scenario, overrides: Mapping[str, Any], label: str) -> Scenario:
    from drgsim.scenario.loader import with_overrides

    try:
        return with_overrides(scn, overrides, label="sweep")
    except ScenarioError as exc:
        first = exc.problems[0].removeprefix("<scenario>: ").removeprefix("sweep: ")
        raise DrgsimError(f"{label}: {first}") from None


def _label(point: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in point.items())


# --- the sweep -----------------------------------------------------------------------------------
def sweep(
    scenario: str | Path | Scenario | Mapping[str, Any],
    grid: Mapping[str, list[Any]] | None = None,
    *,
    replications: int | None = None,
    out: str | Path,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    variant: str = "baseline",
    force: bool = False,
    plots: bool = True,
) -> pd.DataFrame:
    """Run every grid point × replication (only parts still missing) and return the summary table.

    `grid` maps dotted scenario keys to value lists (default: the scenario's `sweep.grid`);
    `replications` defaults to `sweep.replications`, then the scenario's. Only `variant`
    (the baseline unless named) is swept; its budget is the one `drgsim run` gives it.
    `workers=0` runs the tasks in this process without Dask.
    """
    from drgsim.rules.funds import needs_expected_cost
    from drgsim.scale.runner import (
        annual_budgets,
        baseline_charges,
        expected_fund_cost,
        load_catalogue,
        replay_table,
        scenario_hash,
    )
    from drgsim.scenario.loader import load_scenario, variant_scenario
    from drgsim.scenario.schema import Scenario

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    base = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if grid is None:
        grid = grid_mod.parse_section(base.sweep.grid, "sweep.grid")
    grid = {str(k): list(v) for k, v in grid.items()}
    reps = replications or base.sweep.replications or base.replications
    scn = variant_scenario(base, variant)
    pts = validate(scn, grid)
    out = Path(out)
    cat = load_catalogue(scn)
    imported: dict[tuple[Any, ...], TableSource] = {}  # each case table read once per sweep
    replayed = replay_table(scn, cat, imported)
    neutral = expected_fund_cost(scn, cat, replayed) if needs_expected_cost(scn) else None
    budget = annual_budgets(scn, cat, replayed, neutral)
    manifest = {
        "scenario": scn.name,
        "scenario_file": str(scenario) if isinstance(scenario, str | Path) else None,
        "scenario_sha256": scenario_hash(scenario),
        "identity": _identity(scn, grid, variant),
        "seed": scn.seed,
        "variant": variant,
        "grid": grid,
        "points": [{"point": i, **p} for i, p in enumerate(pts)],
        "replications": reps,
        "years": scn.years,
        "annual_budget_yuan": float(sum(budget)),
        "tables": list(TABLES),
        "layout": "<table>/point=<i>/rep=<r>.parquet",
        "seeding": "SeedSequence(seed, spawn_key=(replication, year, month, stream)): "
        "grid points share each replication's patients (common random numbers)",
        "versions": versions(),
        "started": started.isoformat(timespec="seconds"),
        "status": "running",
    }
    _prepare(out, manifest, force)
    tasks = []
    for i, point in enumerate(pts):
        pscn = _apply(scn, point, f"grid point {i}")
        pcat = None if pscn.catalogue == scn.catalogue else load_catalogue(pscn)
        ptable = replay_table(pscn, pcat or cat, imported)
        pneutral = neutral if pscn.funds == scn.funds else None
        pbudget = annual_budgets(pscn, pcat or cat, ptable, pneutral)
        charges = baseline_charges(scn, cat, replayed, pscn.years)  # as the budget: the swept one's
        tasks += [
            Task(str(out), i, r, variant, pscn, pbudget, pcat, ptable, charges)
            for r in range(reps)
            if not _done(out, i, r)
        ]
    n_workers = cpus.for_processes() if workers is None else workers
    if tasks:
        if n_workers == 0 and scheduler is None:
            _run_here(tasks, cat, progress)
        else:
            _run_dask(tasks, cat, n_workers, scheduler, progress)
    tables = read_sweep(out)
    table = summary(tables)
    table.to_parquet(out / "summary.parquet", index=False)
    manifest |= {
        "status": "complete",
        "tasks_total": len(pts) * reps,
        "tasks_run": len(tasks),
        "workers": n_workers if scheduler is None else None,
        "scheduler": scheduler,
        "wall_seconds": round(time.perf_counter() - t0, 3),
    }
    _write_json(out / MANIFEST, manifest)
    if plots:  # the response figures and the report page, in Chinese and in English
        from drgsim.present.sweep_report import build_sweep_report

        for lang in ("zh", "en"):
            build_sweep_report(out, lang)
    table.attrs["tasks_run"] = len(tasks)
    return table


def _identity(scn: Scenario, grid: Mapping[str, list[Any]], variant: str) -> str:
    """A hash of what the parts depend on: the resolved scenario, the grid and the variant."""
    from drgsim.scenario.loader import to_dict

    raw = to_dict(scn)
    raw.pop("sweep", None)
    raw.pop("variants", None)
    return hashlib.sha256(repr((raw, dict(grid), variant)).encode()).hexdigest()


def _prepare(out: Path, manifest: dict[str, Any], force: bool) -> None:
    """Start or resume a sweep directory; refuse one that holds something else."""
    import shutil

    import pandas as pd

    if out.exists() and not out.is_dir():
        raise DrgsimError(f"--out {out}: exists and is not a directory; choose another path")
    path = out / MANIFEST
    if out.is_dir() and any(out.iterdir()) and not force:
        if not path.is_file():
            raise DrgsimError(
                f"--out {out}: directory exists and holds no sweep; choose another --out "
                "or pass --force to replace it"
            )
        old = json.loads(path.read_text(encoding="utf-8"))
        if old.get("identity") != manifest["identity"]:
            raise DrgsimError(
                f"--out {out}: holds a sweep of another scenario or grid; choose another --out "
                "or pass --force to replace it"
            )
    elif force and out.is_dir():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*/point=*/.*.tmp"):  # left by tasks that were killed mid-write
        stale.unlink(missing_ok=True)
    _write_json(path, manifest)
    points = pd.DataFrame(manifest["points"])
    for col in points.columns[1:]:
        if points[col].map(type).nunique() > 1:
            points[col] = points[col].map(str)
    points.to_parquet(out / "points.parquet", index=False)


def _write_json(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n", "utf-8")
    os.replace(tmp, path)


# --- running the tasks -----------------------------------------------------------------------
def _run_here(tasks: list[Task], cat: Catalogue, progress: Progress | None) -> None:
    """Run the tasks one after another in this process, a replication's points together."""
    if progress is not None:
        progress(0, len(tasks), "in this process")
    done = 0

    def finished(info: dict[str, Any]) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(tasks), f"point {info['point']} rep {info['replication']}")

    for group in by_replication(tasks, 1, most=None):  # a replication's points, all together
        run_tasks(group, cat, finished)


def _warm() -> None:
    """Compile (or load from the cache) every kernel by simulating a tiny city."""
    from drgsim.scale.runner import run

    run({"region": {"admissions": 300}, "other_hospitals": {"count": {2: 1}}})


def _run_dask(
    tasks: list[Task],
    cat: Catalogue,
    workers: int,
    scheduler: str | None,
    progress: Progress | None,
) -> None:
    """Run the tasks on a Dask cluster: a local one, or the one at `scheduler`."""

    done = 0

    def finished(_: int, infos: list[dict[str, Any]]) -> None:
        nonlocal done
        done += len(infos)
        if progress is not None:
            last = infos[-1]
            progress(done, len(tasks), f"point {last['point']} rep {last['replication']}")

    hint = " (or pass --workers 0 to run here)"
    with dask_client(
        scheduler, min(workers, len(tasks)), needed_by="drgsim sweep", hint=hint
    ) as client:
        if progress is not None:  # first: on an empty cache the command says it compiles
            progress(0, len(tasks), f"{len(client.nthreads())} Dask worker(s)")
        client.run(_warm)  # (one worker compiles ahead, in shares, while the others wait)
        shared = client.scatter(cat, broadcast=True)
        groups = by_replication(tasks, slots_of(client))
        map_in_order(client, run_tasks, groups, finished, catalogue=shared)


# --- reading, summarising, plotting -------------------------------------------------------------
def read_sweep(out: str | Path) -> dict[str, Any]:
    """The manifest and the tables of a sweep directory as DataFrames keyed by point, replication."""
    import pandas as pd
    import pyarrow as pa

    out = Path(out)
    path = out / MANIFEST
    if not path.is_file():
        raise DrgsimError(f"{out}: no {MANIFEST}; expected the output directory of drgsim sweep")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    result: dict[str, Any] = {
        "manifest": manifest,
        "points": pd.read_parquet(out / "points.parquet"),
    }
    for name in TABLES:
        found = [
            (point, part)
            for point in range(len(manifest["points"]))
            for rep in range(manifest["replications"])
            if (part := part_path(out, name, point, rep)).is_file()
        ]
        # the small parts read on threads, each whole on its own (half the time of read_table's)
        with ThreadPoolExecutor(max(1, min(cpus.usable(), len(found)))) as pool:
            tables = pool.map(_read_part, (p for _, p in found))
            parts = [
                table.add_column(0, "point", pa.array([point] * table.num_rows, pa.int64()))
                for (point, _), table in zip(found, tables, strict=True)
            ]
        if parts:
            result[name] = pa.concat_tables(parts, promote_options="default").to_pandas()
        else:
            result[name] = pd.DataFrame(columns=["point", "replication"])
    if (out / "summary.parquet").is_file():
        result["summary"] = pd.read_parquet(out / "summary.parquet")
    return result


def _read_part(path: Path) -> Any:
    """One part, read whole on this thread (ParquetFile: half the time of read_table's dataset)."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path) as part:
        return part.read(use_threads=False)


def summary(tables: Mapping[str, Any]) -> pd.DataFrame:
    """Per point × year: mean and 95% interval over replications of the point value and the
    region's payments (each fund's, with several), and of each hospital group's final payment
    and margin: every listed hospital on its own, the generated ones summed per tier."""
    import pandas as pd

    from drgsim.present.comparison import t975
    from drgsim.present.labels import is_generated

    ry = tables["region_year"]
    # the region's books, or each fund's where there are several (their point values differ)
    region = ry.assign(entity="region" if "fund" not in ry.columns else "region " + ry["fund"])
    st = tables["settlement"]
    groups = pd.DataFrame()
    if not st.empty:
        key = [
            f"T{t}" if is_generated(str(h)) else str(h)
            for h, t in zip(st["hospital"], st["tier"], strict=True)
        ]
        groups = (
            st.assign(entity=key)
            .groupby(["point", "replication", "year", "entity"], sort=False)
            .agg(
                final_fen=("final_fen", "sum"),
                margin_yuan=("margin_yuan", "sum"),
                name=("name", "first"),
                tier=("tier", "first"),
                hospitals=("hospital", "nunique"),
            )
            .reset_index()
        )
    parts = []
    for frame, metrics in (
        (region, ("point_value", "paid_fen", "retained_fen")),
        (groups, ("final_fen", "margin_yuan")),
    ):
        if frame.empty:
            continue
        for metric in metrics:
            g = frame.groupby(["point", "year", "entity"], sort=False)
            stats = g[metric].agg(["count", "mean", "std"]).reset_index()
            half = [
                t975(int(n) - 1) * s / math.sqrt(n) if n > 1 else math.nan
                for n, s in zip(stats["count"], stats["std"], strict=True)
            ]
            stats["lo"] = stats["mean"] - half
            stats["hi"] = stats["mean"] + half
            stats.insert(3, "metric", metric)
            if frame is groups:  # what the labels need: a hospital's name, a group's tier and size
                about = g[["name", "tier", "hospitals"]].first().reset_index()
                stats = stats.merge(about, on=["point", "year", "entity"])
            parts.append(stats.drop(columns="std").rename(columns={"count": "replications"}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    points = tables["points"]
    return points.merge(out, on="point", how="right") if not out.empty else out
