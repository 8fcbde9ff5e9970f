"""Run a scenario: every variant × replication, collected into tidy pandas tables."""

from __future__ import annotations

import functools
import hashlib
import multiprocessing
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from drgsim import cpus
from drgsim.acts import ACTS, RECODED_BITS
from drgsim.engine.calendar import CaseSource, Simulation
from drgsim.engine.memory import frozen, keep_freed_memory, no_collection
from drgsim.engine.rows import ClaimPick, Tables
from drgsim.errors import DrgsimError
from drgsim.population.behaviour import ActParams, Behaviours, resolve
from drgsim.population.generator import SyntheticSource
from drgsim.population.hospitals import HospitalTable, hospital_table
from drgsim.records.catalogue_file import load_catalogue as read_catalogue
from drgsim.records.provenance import versions
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.funds import fund_budgets, needs_expected_cost
from drgsim.scale import handover, shared_months
from drgsim.scale.cluster import dask_client, in_groups, map_in_order, slots_of
from drgsim.scale.expected_once import ExpectedOnce
from drgsim.scale.job_board import JobBoard, attach, run_next
from drgsim.scale.preload import preload_in_background, preload_kernels
from drgsim.scale.regions import is_multi_region, region_scenarios
from drgsim.scale.shared_months import SharedMonths
from drgsim.scale.warm_up import compile_ahead
from drgsim.scenario.loader import load_scenario, variant_names, variant_scenario
from drgsim.scenario.schema import Scenario

if TYPE_CHECKING:  # imported where a scenario replays a case table (pyarrow's readers, slow)
    import pandas as pd

    from drgsim.records.replay import TableSource
    from drgsim.records.results import KeptClaims, Result

KEYS = ["variant", "replication", "year"]
_PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies (Linux)
Progress = Callable[[int, int, str], None]


def load_catalogue(scn: Scenario) -> Catalogue:
    """The scenario's catalogue: the built-in one or the file it names."""
    return read_catalogue(scn.catalogue.source)


def case_source(
    scn: Scenario, cat: Catalogue, hospitals: HospitalTable, table: TableSource | None = None
) -> CaseSource:
    """Synthetic patients, or the case table the scenario names (`table`: already imported)."""
    if scn.cases.source is None:
        return SyntheticSource(scn, cat, hospitals)
    from drgsim.records.replay import TableSource

    return table if table is not None else TableSource.from_scenario(scn, cat, hospitals)


#: What is worked out for a synthetic scenario once per process: (kind, the scenario's repr, …,
#: the catalogue's id) → (the catalogue, the value). A scenario is frozen and its repr shows every
#: key, so an entry can't go stale; holding the catalogue keeps its id from being reused.
_SETUP: dict[tuple[Any, ...], tuple[Any, Any]] = {}
_SETUP_ENTRIES = 64
#: Held while an entry is looked up or built (re-entered where a build asks for another).
_SETUP_LOCK = threading.RLock()


_REPRS: dict[tuple[Any, ...], tuple[Any, Any]] = {}


def _remembered(
    store: dict[tuple[Any, ...], tuple[Any, Any]],
    key: tuple[Any, ...],
    anchor: Any,
    build: Callable[[], Any],
) -> Any:
    """`build()` kept in `store` under `key` and `anchor`'s id, at most _SETUP_ENTRIES entries;
    holding `anchor` keeps its id from being reused while the entry stands."""
    full = (*key, id(anchor))
    with _SETUP_LOCK:  # a Dask worker may run tasks on several threads
        hit = store.get(full)
        if hit is None or hit[0] is not anchor:
            if len(store) >= _SETUP_ENTRIES:
                del store[next(iter(store))]
            hit = store[full] = (anchor, build())
        return hit[1]


def _repr_of(scn: Scenario) -> str:
    """`repr(scn)` of a frozen scenario, worked out once per object (a Shanwei scenario's takes
    half a millisecond, and a run asks for it several times)."""
    return str(_remembered(_REPRS, (), scn, lambda: repr(scn)))


def _once_per_process(key: tuple[Any, ...], cat: Catalogue, build: Callable[[], Any]) -> Any:
    """`build()` for the synthetic scenario named in `key` with `cat`, built once per process."""
    return _remembered(_SETUP, key, cat, build)


def _hospitals_and_source(
    scn: Scenario, cat: Catalogue, table: TableSource | None
) -> tuple[HospitalTable, CaseSource]:
    """The scenario's hospital table and case source; a synthetic one built once per process
    (a source keeps no state of a run)."""
    if scn.cases.source is not None:
        hospitals = hospital_table(scn)
        return hospitals, case_source(scn, cat, hospitals, table)

    def build() -> tuple[HospitalTable, SyntheticSource]:
        hospitals = hospital_table(scn)
        return hospitals, SyntheticSource(scn, cat, hospitals)

    hospitals, source = _once_per_process(("source", _repr_of(scn)), cat, build)
    return hospitals, source


def expected_fund_cost(
    scn: Scenario, cat: Catalogue, table: TableSource | None = None
) -> np.ndarray:
    """Each fund's part of year one's expected cost at baseline (spec §3's neutral budget)."""
    source = _hospitals_and_source(scn, cat, table)[1]
    if isinstance(source, SyntheticSource):
        key = ("fund_cost", _repr_of(scn))
        return np.array(_once_per_process(key, cat, source.expected_fund_cost))  # a copy
    from drgsim.records.replay import TableSource

    assert isinstance(source, TableSource)
    if len(source.imported.cases) == 0:
        reasons = ", ".join(f"{k} {v}" for k, v in source.counts.items() if v)
        raise DrgsimError(
            f"{scn.cases.source}: no usable case rows"
            + (f" (rejected: {reasons})" if reasons else "")
            + "; expected at least one row that can be settled"
        )
    return source.fund_cost(0, len(scn.funds))


def annual_budgets(
    scn: Scenario,
    cat: Catalogue,
    table: TableSource | None = None,
    neutral: np.ndarray | None = None,
) -> tuple[float, ...]:
    """Year one's budget of each fund: as written, else budget-neutral (spec §3).

    `neutral` is the funds' expected cost when known (a variant is budgeted as its baseline).
    """
    if needs_expected_cost(scn) and neutral is None:
        neutral = expected_fund_cost(scn, cat, table)
    return fund_budgets(scn, neutral)


def baseline_charges(
    scn: Scenario, cat: Catalogue, table: TableSource | None = None, years: int | None = None
) -> np.ndarray:
    """Each year's expected charges per hospital [year, hospital] at the baseline's behaviour.

    They set the hospitals' fixed costs (spec §8) in every variant, as the baseline's budget
    sets the variants' budget: a variant that adds volume adds variable cost only.
    """
    n_years = years or scn.years
    source = _hospitals_and_source(scn, cat, table)[1]

    def work() -> np.ndarray:
        return np.array([source.expected_charges(y) for y in range(n_years)])

    if isinstance(source, SyntheticSource):
        return np.array(_once_per_process(("charges", _repr_of(scn), n_years), cat, work))  # a copy
    return work()


@dataclass(frozen=True)
class Job:
    """One simulation to run: a variant's scenario and one replication."""

    variant: str
    scenario: Scenario
    catalogue: Catalogue
    annual_budget: tuple[float, ...]  # per fund
    replication: int
    keep_cases: bool
    region: str = ""
    case_file: str | None = None  # stream the case rows to this Parquet file
    table: TableSource | None = None  # the imported case table the scenario replays
    # the baseline's expected charges [year, hospital] (fixed costs); None: the job's own
    charges: np.ndarray | None = field(default=None, compare=False)
    share_months: bool = False  # draw each month once per process for all variants (CRN)
    keep_claims: ClaimPick | None = None  # claims kept for the report's waterfall (KeptClaims)
    # which of the optional tables to build (engine.rows.OPTIONAL_TABLES); None: all
    tables: frozenset[str] | None = None


def simulate(job: Job) -> Tables:
    """Run one variant × replication; a pure function of the job, so any worker may run it."""
    with CaseWriter(job.case_file) as sink:
        return simulation(job, sink.write if job.case_file else None).run()


def simulation(job: Job, case_sink: Callable[[dict[str, Any]], None] | None = None) -> Simulation:
    """The simulation of one job, ready to run (its case rows to `case_sink` if given)."""
    scn, cat = job.scenario, job.catalogue
    hospitals, source = _hospitals_and_source(scn, cat, job.table)
    prior = None
    ahead = False
    if isinstance(source, SyntheticSource):
        ahead = spare_core()
        synthetic = source
        source = _once_per_process(
            ("expected", _repr_of(scn)), cat, lambda: ExpectedOnce(synthetic)
        )
        prior = source.expected_case_charges(-1)
        if job.share_months:
            source = SharedMonths(source)
    return Simulation(
        scn,
        cat,
        hospitals,
        source,
        annual_budget=job.annual_budget,
        replication=job.replication,
        behaviours=Behaviours(
            scn, cat, hospitals, _act_params(scn, cat, hospitals), prior_charges=prior
        ),
        keep_cases=job.keep_cases,
        case_sink=case_sink,
        baseline_charges=job.charges,
        keep_claims=job.keep_claims,
        months_ahead=ahead,
        tables=job.tables,
    )


def spare_core() -> bool:
    """Whether this process may run a second thread beside the calendar's: numba may use more
    than one here (a worker process of a pool or cluster runs on one, its siblings on the rest)."""
    from drgsim.kernels.jit import threads_here

    return threads_here() > 1


def _act_params(scn: Scenario, cat: Catalogue, hospitals: HospitalTable) -> ActParams:
    """The hospitals' act parameters, resolved once per process per scenario (6 ms on Shanwei);
    each run gets its own rates to adapt."""
    if scn.cases.source is not None:
        return resolve(scn, hospitals)
    params = _once_per_process(("acts", _repr_of(scn)), cat, lambda: resolve(scn, hospitals))
    rates = {act: rate.copy() for act, rate in params.rates.items()}
    return ActParams(rates, {act: dict(keys) for act, keys in params.settings.items()})


def run(
    scenario: str | Path | Scenario | dict[str, Any],
    *,
    cases: bool = False,
    replications: int | None = None,
    variants: list[str] | None = None,
    workers: int = 1,
    progress: Progress | None = None,
    case_dir: str | Path | None = None,
    scheduler: str | None = None,
    meanwhile: Callable[[], Any] | None = None,
    keep_frozen: bool = False,
) -> Result:
    """Run a scenario (a YAML path, a mapping or a Scenario) and return its tables.

    With `workers` > 1 the region × variant × replication simulations run in that many
    processes (or, with `scheduler`, on the Dask cluster at that address); the tables are
    identical whatever the number of workers. With `cases` and a
    `case_dir` (always for a many-region scenario) the case rows stream month by month into a
    Parquet dataset `case_dir/region=…/variant=…/replication=….parquet` instead of memory.
    `meanwhile` is called once in this process while worker processes simulate (else before
    the simulations): what writing the outputs will need, made ready. `keep_frozen` (a process
    that ends with the run, as the `drgsim` command's): where worker processes simulate, what
    this process holds after them stays frozen out of collections (engine.memory.frozen).
    """
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    keep_freed_memory()  # before the run's arrays: each table and month on pages reused or small
    # pandas (0.3 s to import) is not needed until the tables are assembled: the worker
    # processes are forked without it, and this process imports it while they simulate
    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    names = variants or variant_names(scn)
    reps = replications or scn.replications
    if scheduler is None and workers > 1 and len(names) * reps > 1 and _forks():
        preload_in_background()  # while the run is planned; the workers are forked after it
    text_hash = scenario_hash(scenario)
    cat = load_catalogue(scn)
    regions = region_scenarios(scn)
    multi = is_multi_region(scn)
    stream = cases and (multi or case_dir is not None)
    imported: dict[tuple[Any, ...], TableSource] = {}  # each case table read once per run
    jobs, budgets = plan_jobs(scn, cat, names, range(reps), cases, stream, case_dir, imported)
    tables = _run_jobs(jobs, workers, progress, scheduler, meanwhile, keep_frozen)
    from drgsim.present.comparison import compare
    from drgsim.records.results import TABLES, Result

    collected = [(job, t) for job, t in zip(jobs, tables, strict=True)]
    # the DRG margins (most of the rows) are assembled when they are first read
    frames = {key: _frame(collected, key, multi) for key in TABLES if key != "drg_margin"}
    case_frame = _frame(collected, "cases", multi) if cases and not stream else None
    comparison = compare(frames["settlement"]) if len(names) > 1 else None
    first_budget = budgets[regions[0][0]]
    manifest = _manifest(
        scn, text_hash, names, reps, started, time.perf_counter() - t0, first_budget
    )
    manifest["workers"] = workers
    if multi:
        manifest["regions"] = [name for name, _ in regions]
        manifest["annual_budget_yuan"] = float(sum(budgets.values()))
    parts = [(j.region, j.variant, j.replication, j.case_file) for j in jobs if j.case_file]
    rejected = None
    replayed = replay_table(scn, cat, imported)
    if replayed is not None:
        rejected = replayed.rejected
        manifest["cases_source"] = Path(replayed.imported.source).name
        manifest["rejected"] = dict(replayed.counts)
    result = Result(
        scn,
        manifest,
        frames["hospital_month"],
        frames["settlement"],
        frames["region_year"],
        frames["catalogue"],
        case_frame,
        comparison,
        [(r, v, i, str(f)) for r, v, i, f in parts],
        rejected,
        fund_settlement=_frame(collected, "fund_settlement", multi) if len(scn.funds) > 1 else None,
        audit=frames["audit"],
        kept=None if multi else _kept(collected),
    )
    # only what the table is made of: not the jobs (their catalogue, charges, imported cases)
    margins = [(_Key(j.region, j.variant, j.replication), t.drg_margin) for j, t in collected]
    result.defer("drg_margin", functools.partial(_table, margins, multi))
    return result


def _kept(collected: list[tuple[Job, Tables]]) -> KeptClaims | None:
    """The claims the jobs kept (ClaimPick) and their tariffs, None where none kept any."""
    from drgsim.records.results import KeptClaims

    picked = [(job, t) for job, t in collected if job.keep_claims is not None]
    if not picked:
        return None
    cases = _frame(picked, "kept", False)
    tariffs = {
        (job.variant, job.replication, year): tariff
        for job, t in picked
        for year, tariff in t.kept_tariffs.items()
    }
    watched = {
        job.variant: frozenset(
            str(h)
            for h, on in zip(
                hospital_table(job.scenario).ids, job.keep_claims.hospitals, strict=True
            )
            if on
        )
        for job, _ in picked
        if job.keep_claims is not None
    }
    return KeptClaims(cases, tariffs, watched)


def plan_jobs(
    scn: Scenario,
    cat: Catalogue,
    names: list[str],
    replications: range,
    cases: bool,
    stream: bool,
    case_dir: str | Path | None,
    imported: dict[tuple[Any, ...], TableSource],
) -> tuple[list[Job], dict[str, float]]:
    """The jobs of a run (region × variant × replication) and each region's year-one budget."""
    jobs, budgets = [], {}
    for region, rscn in region_scenarios(scn):
        rtable = replay_table(rscn, cat, imported)
        neutral = expected_fund_cost(rscn, cat, rtable) if needs_expected_cost(rscn) else None
        budget = annual_budgets(rscn, cat, rtable, neutral)
        budgets[region] = sum(budget)
        vscns = {name: variant_scenario(rscn, name) for name in names}  # each worked out once
        picks = _claim_picks(rscn, vscns, is_multi_region(scn))
        for name in names:
            vscn = vscns[name]
            vcat = cat if vscn.catalogue == scn.catalogue else load_catalogue(vscn)
            vtable = replay_table(vscn, vcat, imported)
            vneutral = _same_funds(vscn, rscn, neutral)
            vbudget = annual_budgets(vscn, vcat, vtable, vneutral)
            charges = baseline_charges(rscn, cat, rtable, vscn.years)
            for r in replications:
                part = None
                if stream:
                    part = str(
                        Path(case_dir or "cases")
                        / f"region={region}"
                        / f"variant={name}"
                        / f"replication={r}.parquet"
                    )
                keep = cases and not stream
                share = len(names) > 1
                pick = picks.get(name) if r == 0 else None
                jobs.append(
                    Job(
                        name,
                        vscn,
                        vcat,
                        vbudget,
                        r,
                        keep,
                        region,
                        part,
                        vtable,
                        charges,
                        share,
                        pick,
                    )
                )
    return jobs, budgets


def _claim_picks(scn: Scenario, variants: dict[str, Scenario], multi: bool) -> dict[str, ClaimPick]:
    """What replication 0 of each variant (name → its scenario) keeps for the report's
    waterfall, which explains a hospital's change in the last year
    (drgsim.scale.explain.write_waterfall): the claims an act recoded and, at baseline, every
    claim of the hospitals a variant may recode, whose true points are those claims' at
    baseline. Nothing for one variant alone or many regions."""
    if multi or len(variants) < 2 or "baseline" not in variants:
        return {}
    last = frozenset({scn.years - 1})
    recoding = [a.name for a in ACTS if a.bit & RECODED_BITS]
    ids = {name: hospital_table(vscn).ids for name, vscn in variants.items()}
    watched: set[str] = set()
    for name, vscn in variants.items():
        if name != "baseline":
            rates = resolve(vscn, hospital_table(vscn)).rates
            watched |= {
                str(h)
                for act in recoding
                for h, r in zip(ids[name], rates[act], strict=True)
                if r > 0
            }
    picks = {}
    for name in variants:
        mask = np.array([name == "baseline" and str(h) in watched for h in ids[name]], dtype=bool)
        picks[name] = ClaimPick(last, mask)
    return picks


def _same_funds(
    variant: Scenario, baseline: Scenario, neutral: np.ndarray | None
) -> np.ndarray | None:
    """The baseline's expected fund cost, where the variant has the same funds and shares."""
    shares = [
        (k, f.share, f.patient_share_mean, f.patient_share_tiers) for k, f in variant.funds.items()
    ]
    base = [
        (k, f.share, f.patient_share_mean, f.patient_share_tiers) for k, f in baseline.funds.items()
    ]
    return neutral if shares == base else None


def replay_table(
    scn: Scenario, cat: Catalogue, imported: dict[tuple[Any, ...], TableSource]
) -> TableSource | None:
    """The case table `scn` replays (None for synthetic patients), imported once into `imported`."""
    if scn.cases.source is None:
        return None
    from drgsim.records.replay import TableSource, import_key

    hospitals = hospital_table(scn)
    key = import_key(scn, cat, hospitals)
    if key not in imported:
        imported[key] = TableSource.from_scenario(scn, cat, hospitals)
    return imported[key]


def _run_jobs(
    jobs: list[Job],
    workers: int,
    progress: Progress | None,
    scheduler: str | None = None,
    meanwhile: Callable[[], Any] | None = None,
    keep_frozen: bool = False,
) -> list[Tables]:
    """Run the jobs, in this process, a pool of worker processes or a Dask cluster; call
    `meanwhile` here while worker processes run them (before, where they run here or on Dask).
    `keep_frozen`: see `run`."""
    done = 0
    if progress is not None:  # the clock starts here, not at the first finished job
        progress(0, len(jobs), "on Dask" if scheduler else f"{min(workers, len(jobs))} process(es)")

    def report(job: Job) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, len(jobs), f"{job.variant} #{job.replication}")

    pooled = scheduler is None and workers > 1 and len(jobs) > 1
    if scheduler is None:  # an empty cache: the kernels compiled on every CPU at once, first
        compile_ahead(cpus.for_processes())
    if meanwhile is not None and not pooled:
        meanwhile()
    if scheduler is not None:
        return _run_on_dask(jobs, scheduler, report)
    # a replication's variants one after another: each process draws its months once
    order = sorted(range(len(jobs)), key=lambda i: _months_of(jobs[i]))
    results: dict[int, Tables] = {}
    if not pooled:
        with shared_months.kept_while():  # a notebook keeps no months after its run
            for i in order:
                results[i] = simulate(jobs[i])
                report(jobs[i])
        return [results[i] for i in range(len(jobs))]
    context = multiprocessing.get_context("fork" if _forks() else "spawn")
    if _forks():
        preload_kernels()  # once here: the forked workers inherit the kernels, loaded
        keep_freed_memory()  # and the allocator's thresholds (no ldconfig run in each worker)
    # each worker keeps to a replication until its jobs are taken: its months drawn once
    board = JobBoard([_months_of(job) for job in jobs], context)
    with (
        frozen(keep_frozen),  # what the workers inherit is not collected during the run
        handover.folder() as where,  # the workers leave their tables there
        ProcessPoolExecutor(
            min(workers, len(jobs)),
            mp_context=context,
            initializer=start_worker,
            initargs=(os.getpid(), board, jobs, where),
        ) as pool,
    ):
        try:
            futures = [pool.submit(run_next) for _ in jobs]
            # what `meanwhile` imports and the results taken are kept to the end: collections
            # while they pile up would walk them all, and all this process holds, many times over
            with no_collection():
                if meanwhile is not None:
                    meanwhile()
                for future in as_completed(futures):
                    i, left = future.result()
                    results[i] = handover.take(left)
                    report(jobs[i])
        except BaseException:
            _stop(pool)  # interrupted or failed: don't wait for the other simulations
            raise
    return [results[i] for i in range(len(jobs))]


def _forks() -> bool:
    """Whether worker processes are forked from this one (else spawned)."""
    return "fork" in multiprocessing.get_all_start_methods()


def start_worker(
    parent: int,
    board: JobBoard | None = None,
    jobs: list[Job] | None = None,
    where: str | None = None,
) -> None:
    """Set up a worker process: it dies with `parent`, runs kernels on one thread (the
    processes share the cores) and, given a `board`, takes its jobs from it (job_board.run_next),
    leaving each job's tables in folder `where` when given (drgsim.scale.handover)."""
    import numba

    die_with_parent(parent)
    numba.set_num_threads(1)
    if board is not None and jobs is not None:
        attach(board, jobs, functools.partial(_simulate_and_leave, where))


def _simulate_and_leave(where: str | None, job: Job) -> Any:
    """`simulate(job)`, its tables left in folder `where` for the parent (handover.leave)."""
    return handover.leave(simulate(job), where)


def die_with_parent(parent: int) -> None:
    """Make this worker process end when process `parent` ends, even by SIGKILL.

    On Linux the kernel sends SIGKILL on the parent's death (prctl PR_SET_PDEATHSIG); elsewhere
    a thread watches the parent's pid. A worker whose parent is already gone exits at once.
    """
    import signal
    import sys
    import threading

    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    else:  # pragma: no cover - not Linux

        def watch() -> None:
            while os.getppid() == parent:
                time.sleep(1.0)
            os._exit(1)

        threading.Thread(target=watch, daemon=True).start()
    if os.getppid() != parent:
        os._exit(1)


def _stop(pool: ProcessPoolExecutor) -> None:
    """Cancel the simulations not started and kill the running ones' worker processes."""
    kill = getattr(pool, "kill_workers", None)  # Python 3.14
    if kill is not None:
        kill()
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()


def _run_on_dask(jobs: list[Job], scheduler: str, report: Callable[[Job], None]) -> list[Tables]:
    """Run the jobs on the Dask cluster at `scheduler` (regions, variants, replications), a
    replication's variants together so that a worker draws its months once."""
    with dask_client(scheduler) as client:
        groups = in_groups(range(len(jobs)), lambda i: _months_of(jobs[i]), slots_of(client))

        def finished(g: int, _: list[Tables]) -> None:
            for i in groups[g]:
                report(jobs[i])

        done = map_in_order(
            client, simulate_together, [[jobs[i] for i in g] for g in groups], finished
        )
    results = {
        i: tables
        for g, group in zip(groups, done, strict=True)
        for i, tables in zip(g, group, strict=True)
    }
    return [results[i] for i in range(len(jobs))]


def _months_of(job: Job) -> tuple[str, int]:
    """What a job's months are drawn for: its region and replication (every variant alike)."""
    return job.region, job.replication


def simulate_together(jobs: list[Job]) -> list[Tables]:
    """`simulate` each job in turn, the months they share drawn once; none kept after."""
    with shared_months.kept_while():
        return [simulate(job) for job in jobs]


#: Bytes a row of a text column takes, about (its offset and a few characters).
TEXT_BYTES = 12


@dataclass(frozen=True)
class _Key:
    """What a table's rows are keyed by of the job they come from."""

    region: str
    variant: str
    replication: int


def _frame(collected: list[tuple[Job, Tables]], key: str, with_region: bool) -> pd.DataFrame:
    """One tidy table of the table `key` of every simulation (`_table`)."""
    return _table([(job, getattr(tables, key)) for job, tables in collected], with_region)


def _table(
    rows_of: Sequence[tuple[Job | _Key, list[dict[str, Any]]]], with_region: bool
) -> pd.DataFrame:
    """One tidy table from each simulation's blocks of rows, keyed by (region,) variant,
    replication, year (of its job).

    Built in one go (each column concatenated over every simulation's blocks) where all
    blocks have the same columns; else frame by frame (`_frame_by_parts`), the same table.
    """
    import pandas as pd

    from drgsim.records.results import column, from_columns, on_cpus, text_column

    keys = (["region"] if with_region else []) + KEYS
    parts = [(job, rows) for job, rows in rows_of if rows]
    if not parts:
        return pd.DataFrame(columns=keys)
    names = list(parts[0][1][0])
    if any(list(block) != names for _, rows in parts for block in rows):
        return _frame_by_parts(parts, keys, with_region)
    lengths = np.array([sum(len(block[names[0]]) for block in rows) for _, rows in parts])
    part = np.repeat(np.arange(len(parts)), lengths)  # each row's simulation
    columns: dict[str, Any] = {
        "replication": [np.array([job.replication for job, _ in parts], dtype=np.int64)[part]],
    }
    texts: dict[str, Callable[[], Any]] = {  # made together, on threads for a large table
        "variant": functools.partial(
            text_column, np.array([job.variant for job, _ in parts], dtype=object), part
        )
    }
    if with_region:
        regions = np.array([job.region for job, _ in parts], dtype=object)
        texts["region"] = functools.partial(text_column, regions, part)
    for name in names:
        blocks = [block[name] for _, rows in parts for block in rows]
        if all(isinstance(b, np.ndarray) and b.dtype.kind in "biuf" for b in blocks):
            columns[name] = blocks  # numbers: concatenated into their block by from_columns
        else:
            texts[name] = functools.partial(column, blocks)
    made = on_cpus(list(texts.values()), TEXT_BYTES * len(part) * len(texts))
    columns |= dict(zip(texts, made, strict=True))
    return from_columns({k: columns[k] for k in keys + [n for n in names if n not in keys]})


def _frame_by_parts(
    parts: list[tuple[Job | _Key, list[dict[str, Any]]]], keys: list[str], with_region: bool
) -> pd.DataFrame:
    """`_frame` one simulation at a time, for blocks whose columns differ (missing ones NaN)."""
    import pandas as pd

    from drgsim.records.results import frame

    frames = []
    for job, rows in parts:
        df = frame(rows)
        df.insert(0, "replication", job.replication)
        df.insert(0, "variant", job.variant)
        if with_region:
            df.insert(0, "region", job.region)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    return out[keys + [c for c in out.columns if c not in keys]]


class CaseWriter:
    """Writes case rows month by month to one Parquet file (atomically), or does nothing."""

    def __init__(self, path: str | None) -> None:
        self.path = Path(path) if path else None
        self.writer: Any = None

    def __enter__(self) -> CaseWriter:
        return self

    def write(self, columns: dict[str, Any]) -> None:
        """Append one month's case rows."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from drgsim.records.results import frame

        assert self.path is not None
        table = pa.Table.from_pandas(frame([columns]), preserve_index=False)
        # text columns are one type in every month (a month without cases has them untyped)
        textual = (pa.types.is_null, pa.types.is_large_string)
        schema = [
            f.with_type(pa.string()) if any(t(f.type) for t in textual) else f for f in table.schema
        ]
        table = table.cast(pa.schema(schema, table.schema.metadata))
        if self.writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.tmp = self.path.with_name(f".{self.path.name}.partial")
            self.writer = pq.ParquetWriter(self.tmp, table.schema, compression="zstd")
        self.writer.write_table(table)

    def __exit__(self, kind: Any, value: Any, trace: Any) -> None:
        if self.writer is None:
            return
        self.writer.close()
        if kind is None and self.path is not None:
            self.tmp.replace(self.path)
        else:
            self.tmp.unlink(missing_ok=True)


def scenario_hash(scenario: Any) -> str:
    """sha256 of the scenario file's bytes (or of its repr when given as an object)."""
    if isinstance(scenario, str | Path) and Path(scenario).is_file():
        return hashlib.sha256(Path(scenario).read_bytes()).hexdigest()
    text = _repr_of(scenario) if isinstance(scenario, Scenario) else repr(scenario)
    return hashlib.sha256(text.encode()).hexdigest()


def _manifest(
    scn: Scenario,
    sha: str,
    names: list[str],
    reps: int,
    started: datetime,
    wall: float,
    budget: float,
) -> dict[str, Any]:
    """What a run was: scenario, seed, versions, sizes, when, how long."""
    return {
        "scenario": scn.name,
        "scenario_sha256": sha,
        # the file's bytes do not show what a preset it extends says: hash what was run too
        "resolved_scenario_sha256": hashlib.sha256(_repr_of(scn).encode()).hexdigest(),
        "seed": scn.seed,
        **{f"{name}_version": v for name, v in versions().items()},
        "variants": names,
        "replications": reps,
        "years": scn.years,
        "start_year": scn.start_year,
        "annual_budget_yuan": budget,
        "budget_source": "scenario" if scn.budget.annual is not None else "budget-neutral default",
        "catalogue": scn.catalogue.source,
        "started": started.isoformat(timespec="seconds"),
        "wall_seconds": round(wall, 3),
        "cpu_count": os.cpu_count(),
    }
