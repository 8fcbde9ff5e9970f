"""Parameter sweeps: grid points × replications on Dask, each task writing its own Parquet parts.

Layout of a sweep directory `OUT`::

    sweep.json                                  the manifest (scenario, seed, grid, versions)
    points.parquet                              one row per grid point: point, each key's value
    <table>/point=<i>/rep=<r>.parquet           one part per task, for table in TABLES
    summary.parquet                             means and 95% intervals per point (long format)
    plots/<key>.png                             one response plot per swept key

Seeding: a task is `simulate(Job)` for the grid point's scenario and replication `r`. drgsim draws
every random stream from `SeedSequence(seed, spawn_key=(r, year, month, stream))`, which does not
depend on the grid point, so all points of one replication see the same patients (common random
numbers: smoother response curves, tighter differences between points). Results depend only on
(grid point, replication), never on the worker count, the order of tasks or retries.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import os
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, is_dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drgsim.errors import DrgsimError, ScenarioError
from drgsim.records.provenance import versions
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
    annual_budget: float
    catalogue: Catalogue | None  # None: the sweep's shared catalogue
    table: TableSource | None = None  # the imported case table the point replays


def part_path(out: str | Path, table: str, point: int, replication: int) -> Path:
    """Where one task's part of one table lives."""
    return Path(out) / table / f"point={point}" / f"rep={replication}.parquet"


def run_task(task: Task, catalogue: Catalogue) -> dict[str, Any]:
    """Simulate one task and write its Parquet parts atomically; a pure function of the task."""
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
    )
    tables = simulate(job)
    for name in TABLES:
        frame = _table(getattr(tables, name), task.replication)
        path = part_path(task.out, name, task.point, task.replication)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        frame.to_parquet(tmp, index=False, compression="zstd")
        os.replace(tmp, path)
    return {"point": task.point, "replication": task.replication, "s": time.perf_counter() - t0}


def _table(rows: list[dict[str, Any]], replication: int) -> pd.DataFrame:
    """One task's rows of a table (blocks of column arrays) as a DataFrame."""
    from drgsim.engine.rows import frame

    out = frame(rows)
    out.insert(0, "replication", replication)
    return out


def _done(out: Path, point: int, replication: int) -> bool:
    return all(part_path(out, t, point, replication).is_file() for t in TABLES)


# --- loading and validation ------------------------------------------------------------------
def load(source: str | Path | Scenario | Mapping[str, Any]) -> tuple[Scenario, dict[str, Any]]:
    """The scenario and its raw `sweep:` section ({} when it has none)."""
    from drgsim.scenario.loader import load_scenario
    from drgsim.scenario.schema import Scenario
    from drgsim.scenario.yamlio import read_yaml

    if isinstance(source, Scenario):
        return source, _section(getattr(source, "sweep", None))
    has_field = "sweep" in {f.name for f in fields(Scenario)}
    if isinstance(source, Mapping):
        raw = dict(source)
        section = raw.get("sweep") if has_field else raw.pop("sweep", None)
        return load_scenario(raw), _section(section)
    path = Path(source)
    raw, _ = read_yaml(path)
    if has_field or not isinstance(raw, dict) or "sweep" not in raw:
        scn = load_scenario(path)
        return scn, _section(getattr(scn, "sweep", None))
    section = raw.pop("sweep")  # until the schema has the key, read it from the raw YAML
    return load_scenario(raw, base_dir=path.parent), _section(section)


def _section(section: Any) -> dict[str, Any]:
    """A `sweep:` section as a plain mapping (from the schema's dataclass or the raw YAML)."""
    if section is None:
        return {}
    if is_dataclass(section) and not isinstance(section, type):
        return {f.name: getattr(section, f.name) for f in fields(section)}
    if not isinstance(section, Mapping):
        raise DrgsimError(f"sweep: got {section!r}; expected a mapping with grid and replications")
    unknown = set(section) - {"grid", "replications"}
    if unknown:
        raise DrgsimError(f"sweep.{sorted(unknown)[0]}: unknown key; allowed: grid, replications")
    return dict(section)


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
    from drgsim.scale.runner import default_budget, load_catalogue, replay_table, scenario_hash
    from drgsim.scenario.loader import variant_scenario

    started = datetime.now(UTC)
    t0 = time.perf_counter()
    base, section = load(scenario)
    if grid is None:
        grid = grid_mod.parse_section(section.get("grid"), "sweep.grid")
    grid = {str(k): list(v) for k, v in grid.items()}
    reps = replications or section.get("replications") or base.replications
    scn = variant_scenario(base, variant)
    pts = validate(scn, grid)
    out = Path(out)
    cat = load_catalogue(scn)
    imported: dict[tuple[Any, ...], TableSource] = {}  # each case table read once per sweep
    replayed = replay_table(scn, cat, imported)
    budget = (
        scn.budget.annual if scn.budget.annual is not None else default_budget(scn, cat, replayed)
    )
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
        "annual_budget_yuan": budget,
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
        pbudget = pscn.budget.annual if pscn.budget.annual is not None else budget
        ptable = replay_table(pscn, pcat or cat, imported)
        tasks += [
            Task(str(out), i, r, variant, pscn, pbudget, pcat, ptable)
            for r in range(reps)
            if not _done(out, i, r)
        ]
    n_workers = (os.cpu_count() or 1) if workers is None else workers
    if tasks:
        if n_workers == 0 and scheduler is None:
            _run_here(tasks, cat, progress)
        else:
            _run_dask(tasks, cat, n_workers, scheduler, progress)
    tables = read_sweep(out)
    table = summary(tables, scn)
    table.to_parquet(out / "summary.parquet", index=False)
    if plots:
        plot(table, grid, out / "plots")
    manifest |= {
        "status": "complete",
        "tasks_total": len(pts) * reps,
        "tasks_run": len(tasks),
        "workers": n_workers if scheduler is None else None,
        "scheduler": scheduler,
        "wall_seconds": round(time.perf_counter() - t0, 3),
    }
    _write_json(out / MANIFEST, manifest)
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
    """Run the tasks one after another in this process."""
    if progress is not None:
        progress(0, len(tasks), "in this process")
    for done, task in enumerate(tasks, 1):
        run_task(task, cat)
        if progress is not None:
            progress(done, len(tasks), f"point {task.point} rep {task.replication}")


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
    import logging

    try:
        from distributed import Client, LocalCluster, as_completed
    except ImportError:
        raise DrgsimError(
            "sweeps run on Dask: pip install 'drgsim[cluster]' (or pass --workers 0 to run here)"
        ) from None
    cluster = None
    try:
        if scheduler is not None:
            client = Client(scheduler, timeout="20s")
        else:
            cluster = LocalCluster(
                n_workers=max(1, min(workers, len(tasks))),
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                env={"NUMBA_NUM_THREADS": "1"},
                silence_logs=logging.ERROR,
            )
            client = Client(cluster)
    except (OSError, TimeoutError) as exc:
        raise DrgsimError(f"--scheduler {scheduler}: cannot connect ({exc})") from None
    try:
        client.run(_warm)
        if progress is not None:
            progress(0, len(tasks), f"{len(client.scheduler_info()['workers'])} Dask worker(s)")
        shared = client.scatter(cat, broadcast=True)
        futures = client.map(run_task, tasks, catalogue=shared, pure=False, retries=2)
        for done, future in enumerate(as_completed(futures), 1):
            info = future.result()
            if progress is not None:
                progress(done, len(tasks), f"point {info['point']} rep {info['replication']}")
    finally:
        client.close()
        if cluster is not None:
            cluster.close()


# --- reading, summarising, plotting -------------------------------------------------------------
def read_sweep(out: str | Path) -> dict[str, Any]:
    """The manifest and the tables of a sweep directory as DataFrames keyed by point, replication."""
    import pandas as pd
    import pyarrow as pa
    import pyarrow.parquet as pq

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
        parts = []
        for point in range(len(manifest["points"])):
            for rep in range(manifest["replications"]):
                path = part_path(out, name, point, rep)
                if path.is_file():
                    table = pq.read_table(path)
                    column = pa.array([point] * table.num_rows, pa.int64())
                    parts.append(table.add_column(0, "point", column))
        if parts:
            result[name] = pa.concat_tables(parts, promote_options="default").to_pandas()
        else:
            result[name] = pd.DataFrame(columns=["point", "replication"])
    if (out / "summary.parquet").is_file():
        result["summary"] = pd.read_parquet(out / "summary.parquet")
    return result


def summary(tables: Mapping[str, Any], scn: Scenario) -> pd.DataFrame:
    """Per point × year: mean and 95% interval of the point value, the region's payments and each
    listed (pilot) hospital's final payment and margin, over the replications."""
    import pandas as pd

    from drgsim.present.comparison import t975

    region = tables["region_year"].assign(entity="region")
    pilots = tables["settlement"][tables["settlement"]["hospital"].isin(list(scn.hospitals))]
    pilots = pilots.rename(columns={"hospital": "entity"})
    parts = []
    for frame, metrics in (
        (region, ("point_value", "paid_fen", "retained_fen")),
        (pilots, ("final_fen", "margin_yuan")),
    ):
        if frame.empty:
            continue
        for metric in metrics:
            g = frame.groupby(["point", "year", "entity"], sort=True)[metric]
            stats = g.agg(["count", "mean", "std"]).reset_index()
            half = [
                t975(int(n) - 1) * s / math.sqrt(n) if n > 1 else math.nan
                for n, s in zip(stats["count"], stats["std"], strict=True)
            ]
            stats["lo"] = stats["mean"] - half
            stats["hi"] = stats["mean"] + half
            stats.insert(3, "metric", metric)
            parts.append(stats.drop(columns="std").rename(columns={"count": "replications"}))
    out = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    points = tables["points"]
    return points.merge(out, on="point", how="right") if not out.empty else out


def plot(table: pd.DataFrame, grid: Mapping[str, list[Any]], folder: Path) -> list[Path]:
    """One PNG per swept key: point value and pilot hospitals' final payment against the key.

    Other swept keys are held at their middle value; bands are 95% intervals of the mean.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    folder.mkdir(parents=True, exist_ok=True)
    if table.empty:
        return []
    last = table[table["year"] == table["year"].max()]
    written = []
    for key, values in grid.items():
        held = {k: v[len(v) // 2] for k, v in grid.items() if k != key}
        part = last
        for k, v in held.items():
            part = part[part[k] == v]
        numeric = all(grid_mod._is_number(v) for v in values)
        fig, axes = plt.subplots(1, 2, figsize=(11, 4.2))
        panels = (
            (axes[0], "point_value", 1.0, "year-end point value (yuan)"),
            (axes[1], "final_fen", 1e-8, "final payment (million yuan)"),
        )
        for ax, metric, scale, ylabel in panels:
            rows = part[part["metric"] == metric]
            for entity, line in rows.groupby("entity", sort=True):
                line = line.sort_values(key) if numeric else line
                x = line[key] if numeric else [values.index(v) for v in line[key]]
                ax.plot(x, line["mean"] * scale, marker="o", label=str(entity))
                ax.fill_between(x, line["lo"] * scale, line["hi"] * scale, alpha=0.2)
            if not numeric:
                ax.set_xticks(range(len(values)), [str(v) for v in values])
            ax.set_xlabel(key)
            ax.set_ylabel(ylabel)
        axes[1].legend(fontsize=7)
        note = f" ({_label(held)})" if held else ""
        fig.suptitle(f"response to {key}{note}; mean and 95% interval", fontsize=10)
        fig.tight_layout()
        path = folder / f"{key}.png"
        fig.savefig(path, dpi=100)
        plt.close(fig)
        written.append(path)
    return written


# --- progress and the command line -------------------------------------------------------------
class Bar:
    """A progress bar with an ETA on stderr; plain lines every tenth when stderr is not a terminal."""

    def __init__(self) -> None:
        self.start = time.perf_counter()
        self.tty = sys.stderr.isatty()

    def __call__(self, done: int, total: int, label: str) -> None:
        if done == 0:  # the tasks start now: time the ETA from here
            self.start = time.perf_counter()
            print(f"{total} tasks to run ({label})", file=sys.stderr, flush=True)
            return
        elapsed = time.perf_counter() - self.start
        eta = elapsed / done * (total - done)
        text = f"{done}/{total} tasks  {elapsed:.0f}s elapsed, ETA {eta:.0f}s  ({label})"
        if self.tty:
            filled = int(30 * done / total)
            end = "\n" if done == total else ""
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {text}", end=end, file=sys.stderr)
            sys.stderr.flush()
        elif done == total or done % max(1, total // 10) == 0:
            print(text, file=sys.stderr, flush=True)


def configure_parser(parser: argparse.ArgumentParser) -> None:
    """Add the `sweep` command's arguments to a parser (cheap: imports nothing heavy)."""
    parser.add_argument("scenario", type=Path, help="scenario YAML file")
    parser.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="a swept key: KEY=a,b,c (YAML values) or KEY=start:stop:n (n points inclusive); "
        "repeatable; replaces the scenario's sweep.grid",
    )
    parser.add_argument("--replications", type=_positive, default=None, metavar="N")
    parser.add_argument("--out", type=Path, default=None, help="default: out/<scenario>-sweep")
    parser.add_argument(
        "--workers", type=_count, default=None, metavar="N", help="local Dask workers (0: here)"
    )
    parser.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT")
    parser.add_argument("--variant", default="baseline", help="sweep this variant's scenario")
    parser.add_argument("--force", action="store_true", help="replace another sweep in --out")
    parser.add_argument("--no-plots", action="store_true", help="write no response plots")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=command)


def _count(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a whole number >= 0")
    return int(text)


def _positive(text: str) -> int:
    value = _count(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"got {text!r}; expected a whole number >= 1")
    return value


def command(args: argparse.Namespace) -> int:
    """Run `drgsim sweep` from parsed arguments."""
    scn, section = load(args.scenario)
    where = None
    if args.grid:
        grid = grid_mod.parse_flags(args.grid)
        where = {flag.partition("=")[0].strip(): f"--grid {flag}" for flag in args.grid}
    else:
        grid = grid_mod.parse_section(section.get("grid"), f"{args.scenario}: sweep.grid")
    from drgsim.scenario.loader import variant_names, variant_scenario

    if args.variant not in variant_names(scn):
        known = ", ".join(variant_names(scn))
        raise DrgsimError(
            f"--variant {args.variant}: not a variant of {args.scenario}; known: {known}"
        )
    validate(variant_scenario(scn, args.variant), grid, where)
    out = args.out or Path("out") / f"{args.scenario.stem}-sweep"
    table = sweep(
        args.scenario,
        grid,
        replications=args.replications,
        out=out,
        workers=args.workers,
        scheduler=args.scheduler,
        progress=None if args.quiet else Bar(),
        variant=args.variant,
        force=args.force,
        plots=not args.no_plots,
    )
    if not args.quiet:
        print(f"wrote {out}/ ({table.attrs['tasks_run']} task(s) run)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """`python -m drgsim.scale.sweep SCENARIO --grid ...`, the same as `drgsim sweep`."""
    from drgsim.cli import main as cli_main

    return cli_main(["sweep", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
