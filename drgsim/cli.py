"""The `drgsim` command: thin wrappers that parse flags, call the library and report errors."""

from __future__ import annotations

import argparse
import atexit
import contextlib
import dataclasses
import functools
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NoReturn

from drgsim import cpus
from drgsim.errors import DrgsimError, Interrupted
from drgsim.records import interrupts, outdir
from drgsim.records.outdir import check_out, require_dir, staged


def main(argv: list[str] | None = None) -> int:
    """The `drgsim` command's work (its console script runs it through `entry`); returns the
    exit status.

    Without `argv` (the process's own command line) the signal handlers it installs stay, let
    pass, until the process ends, and what a run leaves stays frozen out of Python's collections
    (runner.run's `keep_frozen`); with `argv` (a call from Python) the caller's handlers are put
    back and nothing is left frozen.
    """
    parser = _parser()
    args = parser.parse_args(argv)
    args.own_process = argv is None  # the process ends with the command
    placed_before, point = len(outdir.PLACED), interrupts.mark()
    with _interrupts(restore=argv is not None) as finished:
        try:
            try:
                code = int(args.func(args))
            except Exception:
                if not (stopped := interrupts.since(point)):
                    raise
                # the stop, raised inside a library, left it half-done and it failed on that
                # (matplotlib: "Invalid affine transformation matrix"): the run was stopped
                raise Interrupted(stopped) from None
            if stopped := interrupts.since(point):  # asked while Python could not raise it
                raise Interrupted(stopped)
        except DrgsimError as exc:
            for line in str(exc).splitlines():
                print(f"drgsim: error: {line}", file=sys.stderr)
            code = 2
        except KeyboardInterrupt as exc:
            placed = outdir.PLACED[placed_before:]  # put in place before the signal came
            done = (
                f"{placed[-1]} was written in full"
                if placed
                else "rerun the same command to resume"
                if args.command == "sweep"
                else "nothing was written"
            )
            print(f"drgsim: interrupted; {done}", file=sys.stderr)
            code = 128 + (getattr(exc, "signal", 0) or signal.SIGINT)
        except OSError as exc:  # a path the checks did not foresee: still one line
            where = exc.filename if exc.filename is not None else args.command
            print(
                f"drgsim: error: {where}: {exc.strerror or exc}; "
                "expected a path drgsim can read and write",
                file=sys.stderr,
            )
            code = 2
        except ValueError as exc:  # a kernel front refused its arrays: a bug, still one line
            checks = sys.modules.get("drgsim.kernels.checks")
            if checks is None or not isinstance(exc, checks.KernelInputError):
                raise
            print(
                f"drgsim: error: {args.command}: {exc}; a drgsim bug, please report it "
                "with the scenario",
                file=sys.stderr,
            )
            code = 2
        finished()
    return code


@contextlib.contextmanager
def _interrupts(restore: bool = True) -> Iterator[Callable[[], None]]:
    """While the command runs, SIGTERM and SIGHUP interrupt it as Ctrl-C does; once it calls
    the `finished` it is given (its output and messages are out), the three are let pass: the
    process is ending, and a signal then must not turn into a traceback or a false message."""
    if threading.current_thread() is not threading.main_thread():
        yield lambda: None
        return
    done = False

    def interrupt(signum: int, frame: Any) -> None:
        if done:
            return
        interrupts.note(signum)
        raise Interrupted(signum)

    def finished() -> None:
        nonlocal done
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(OSError, ValueError):
                stream.flush()
        done = True

    kinds = [signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])]
    before = {}
    for kind in kinds:
        if signal.getsignal(kind) not in (signal.SIG_IGN, None):  # an ignored one stays so
            before[kind] = signal.signal(kind, interrupt)
    hook, sys.unraisablehook = sys.unraisablehook, interrupts.quiet_dropped(sys.unraisablehook)
    try:
        yield finished
    finally:
        done = True  # a command that raised has finished too
        if restore:
            for kind, handler in before.items():
                signal.signal(kind, handler)
            sys.unraisablehook = hook


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line, like every other drgsim error."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("drgsim").strip()  # "run" of "drgsim run", else ""
        where = f"{command}: " if command else ""
        self.exit(2, f"drgsim: error: {where}{message} (see {self.prog} --help)\n")


def _parser() -> argparse.ArgumentParser:
    from drgsim.version import __version__

    parser = _Parser(
        prog="drgsim",
        description="Simulate hospital payment under global budget + DRG + point method.",
        epilog="The payment rules, their scenario keys and defaults: docs/rules.md.",
    )
    parser.add_argument("--version", action="version", version=f"drgsim {__version__}")
    sub = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", parser_class=_Parser
    )

    run = sub.add_parser(
        "run",
        help="run a scenario and write its tables",
        description="Run a scenario: every variant × replication × year.",
    )
    run.add_argument("scenario", type=Path, help="scenario YAML file")
    run.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: out/<scenario file name>)",
    )
    run.add_argument("--force", action="store_true", help="replace an existing output directory")
    run.add_argument("--cases", action="store_true", help="also write cases.parquet")
    run.add_argument(
        "--replications",
        type=_whole(1, _schema_max("replications")),
        default=None,
        metavar="N",
        help="override the scenario's replications",
    )
    run.add_argument("--seed", type=_non_negative_int, default=None, help="override the seed")
    run.add_argument(
        "--variant",
        action="append",
        default=None,
        metavar="NAME",
        help="run only this variant (repeatable; the baseline is always run)",
    )
    run.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override a scenario key, e.g. --set settlement.prepay_share=0.95",
    )
    run.add_argument(
        "--workers",
        type=_whole(1, MAX_WORKERS),
        default=None,
        metavar="N",
        help="processes to run simulations in (default: one per CPU)",
    )
    run.add_argument(
        "--lang",
        choices=("zh", "en", "both"),
        default=None,
        help="language of plots and report: zh writes report.html, en report.en.html, both "
        "writes the two (default: zh for a Chinese region name)",
    )
    run.add_argument(
        "--scheduler",
        default=None,
        metavar="ADDRESS",
        help="run on an existing Dask cluster, e.g. tcp://HOST:8786",
    )
    run.add_argument("--no-report", action="store_true", help="write the tables only")
    run.add_argument("--svg", action="store_true", help=SVG_HELP)
    run.add_argument(
        "--strict",
        action="store_true",
        help="replay: fail on the first unusable case row instead of rejecting it",
    )
    run.add_argument("--quiet", action="store_true", help="print no summary or progress")
    run.add_argument("--progress", action="store_true", help=PROGRESS_HELP)
    run.set_defaults(func=_cmd_run)

    report = sub.add_parser(
        "report",
        help="rebuild plots and the report from a run's tables",
        description="Rebuild OUTDIR/report.html and OUTDIR/plots/ (--lang zh), or "
        "OUTDIR/report.en.html and OUTDIR/plots/en/ (--lang en), or both (--lang both); "
        "the other language's are kept.",
    )
    report.add_argument(
        "outdir", type=Path, help="an output directory of drgsim run or drgsim sweep"
    )
    report.add_argument(
        "--lang",
        choices=("zh", "en", "both"),
        default="zh",
        help="language: zh writes report.html, en report.en.html, both the two (default: zh)",
    )
    report.add_argument("--svg", action="store_true", help=SVG_HELP + " (a run's, not a sweep's)")
    report.set_defaults(func=_cmd_report)

    sweep = sub.add_parser(
        "sweep",
        help="sweep scenario keys over a grid × replications on Dask",
        description="Run a grid of dotted overrides × replications; "
        "re-running resumes what is missing.",
    )
    sweep.add_argument("scenario", type=Path, help="scenario YAML file")
    sweep.add_argument(
        "--grid",
        action="append",
        default=[],
        metavar="KEY=VALUES",
        help="a swept key: KEY=a,b,c (YAML values) or KEY=start:stop:n (n points inclusive); "
        "repeatable; replaces the scenario's sweep.grid",
    )
    sweep.add_argument(
        "--replications", type=_whole(1, _schema_max("replications")), default=None, metavar="N"
    )
    sweep.add_argument("--out", type=Path, default=None, help="default: out/<scenario>-sweep")
    sweep.add_argument(
        "--workers",
        type=_whole(0, MAX_WORKERS),
        default=None,
        metavar="N",
        help="local Dask workers (0: here)",
    )
    sweep.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT")
    sweep.add_argument("--variant", default="baseline", help="sweep this variant's scenario")
    sweep.add_argument("--force", action="store_true", help="replace another sweep in --out")
    sweep.add_argument(
        "--no-plots", action="store_true", help="write no response figures or report page"
    )
    sweep.add_argument("--quiet", action="store_true", help="no progress bar")
    sweep.add_argument("--progress", action="store_true", help=PROGRESS_HELP)
    sweep.set_defaults(func=_cmd_sweep)

    calib = sub.add_parser(
        "calibrate",
        help="weights, coefficients and generator parameters from a city's own case history",
        description="Calibrate weights and coefficients (docs/rules.md §1–§2) from historical case tables.",
    )
    calib.add_argument("history", type=Path, nargs="+", help="case tables (CSV or Parquet)")
    calib.add_argument("--out", type=Path, required=True, help="output directory")
    calib.add_argument("--catalogue", default="builtin", help="'builtin' or a code list path")
    calib.add_argument(
        "--column-map",
        action="append",
        default=[],
        metavar="SOURCE=COLUMN",
        help="map a header of the file to a drgsim column (repeatable)",
    )
    calib.add_argument("--encoding", default=None, help="CSV encoding (default: detect)")
    calib.add_argument("--strict", action="store_true", help="fail on the first bad row")
    calib.add_argument(
        "--min-cases",
        type=_positive_int,
        default=5,
        metavar="N",
        help="groups with fewer reference cases are unstable (default 5)",
    )
    calib.add_argument(
        "--tiers",
        action="append",
        default=[],
        metavar="H=T,…|infer",
        help="each hospital's tier 1–3 (repeatable), when the tables have no tier column; "
        "'infer': the others from beds (tier 3 from 500, tier 2 from 100), with a note",
    )
    calib.add_argument(
        "--beds",
        action="append",
        default=[],
        metavar="H=N,…",
        help="each hospital's beds (repeatable); else assumed yearly cases / 30, with a note",
    )
    calib.add_argument("--force", action="store_true", help="replace a non-empty --out")
    calib.set_defaults(func=_cmd_calibrate)

    explain = sub.add_parser(
        "explain",
        help="why a claim got its points and money, or why a hospital's payment changed",
        description="Trace one claim through the rules (--case), or decompose a hospital's "
        "change in payment and margin against the baseline (--hospital); docs/explain.md.",
    )
    explain.add_argument("outdir", type=Path, help="an output directory of drgsim run")
    what = explain.add_mutually_exclusive_group(required=True)
    what.add_argument("--case", type=_non_negative_int, metavar="ID", help="a case_id of the run")
    what.add_argument("--hospital", metavar="ID", help="a hospital id, e.g. SW01")
    explain.add_argument(
        "--variant",
        action="append",
        default=None,
        metavar="NAME",
        help="the variant (--case: default baseline; --hospital: default every variant)",
    )
    explain.add_argument("--replication", type=_non_negative_int, default=0, metavar="R")
    explain.add_argument("--year", type=_non_negative_int, default=None, metavar="YEAR")
    explain.add_argument(
        "--scenario", type=Path, default=None, help="the run's scenario file, if moved"
    )
    explain.add_argument("--json", action="store_true", help="answer as JSON")
    explain.set_defaults(func=_cmd_explain)

    validate = sub.add_parser(
        "validate",
        help="check scenario files without running them",
        description="Check scenario files, their variants and the files they name, without "
        "running them; one line per problem.",
    )
    validate.add_argument("scenarios", type=Path, nargs="+", help="scenario YAML files")
    validate.set_defaults(func=_cmd_validate)

    keys = sub.add_parser(
        "keys",
        help="list the scenario keys: default, allowed values, meaning, source",
        description="List every scenario key (or those under PREFIX) from the schema; "
        "--markdown prints docs/keys.md.",
    )
    keys.add_argument("prefix", nargs="?", default="", help="e.g. budget or hospitals.SW01")
    keys.add_argument("--markdown", action="store_true", help="print Markdown tables")
    keys.set_defaults(func=_cmd_keys)
    return parser


MAX_WORKERS = 1024  # processes on one machine; more than any machine has cores
PROGRESS_HELP = "show the progress bar even when stderr is not a terminal (a log)"
SVG_HELP = "also write each figure as SVG beside its PNG"


def _compile_notice(quiet: bool) -> None:
    """Say that a first run compiles the kernels, and for about how long; later runs say nothing."""
    from drgsim.kernels import jit

    if quiet or jit.compiled_before():
        return
    later = (
        f"once: later runs load them from {jit.cache_dir()}"
        if jit.CACHE
        else "every run, as DRGSIM_NUMBA_CACHE=0 keeps no cache"
    )
    print(
        f"drgsim: compiling the simulation kernels first, about {jit.COMPILE_SECONDS} s ({later})",
        file=sys.stderr,
        flush=True,
    )


def _noticed(
    progress: Callable[[int, int, str], None], quiet: bool
) -> Callable[[int, int, str], None]:
    """`progress` that first says the kernels compile (`_compile_notice`) when the work starts,
    so a scenario, catalogue or case table refused before then is still one line."""
    said = False

    def call(done: int, total: int, label: str) -> None:
        nonlocal said
        if not said:
            said = True
            _compile_notice(quiet)
        progress(done, total, label)

    return call


def _show_progress(args: argparse.Namespace) -> bool | None:
    """--quiet: never; --progress: always; else on a terminal only."""
    return False if args.quiet else (True if args.progress else None)


def _whole(low: int, high: int | None = None) -> Any:
    """An argparse type: a whole number from `low` to `high`, or one line saying what is allowed."""

    def parse(text: str) -> int:
        allowed = f"at least {low}" + (f" and at most {high:,}" if high is not None else "")
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                f"got {text!r}; expected a whole number {allowed}"
            ) from None
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"got {text!r}; allowed: {allowed}")
        return value

    return parse


def _schema_max(name: str) -> int:
    """The largest value the scenario schema allows for a top-level key."""
    from drgsim.scenario.schema import Scenario

    field = next(f for f in dataclasses.fields(Scenario) if f.name == name)
    return int(field.metadata["le"])


_positive_int = _whole(1)
_non_negative_int = _whole(0)


def _overrides(pairs: list[str]) -> dict[str, Any]:
    """Parse --set KEY=VALUE pairs, reading each value as YAML (numbers, lists, null)."""
    from drgsim.scenario.yamlio import parse_value

    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        if not sep or not key.strip():
            raise DrgsimError(f"--set {pair}: expected KEY=VALUE, e.g. settlement.mode=clearing")
        out[key.strip()] = parse_value(text, f"--set {pair}")
    return out


def _with_flags(scn: Any, overrides: dict[str, Any], flags: dict[str, str]) -> Any:
    """The scenario with the flags' overrides; a problem names the flag as typed (`--set K=V`)."""
    from drgsim.errors import ScenarioError
    from drgsim.scenario.loader import with_overrides

    try:
        return with_overrides(scn, overrides, label="--set")
    except ScenarioError as exc:
        raise ScenarioError([_name_flag(line, flags) for line in exc.problems]) from None


def _name_flag(problem: str, flags: dict[str, str]) -> str:
    """`--set: budget.annual: got -5; …` → `--set budget.annual=-5: got -5; …`."""
    rest = problem.removeprefix("--set: ")
    path, _, tail = rest.partition(": ")
    for key in sorted(flags, key=len, reverse=True):  # the most specific flag first
        if path == key:
            return f"{flags[key]}: {tail}"
        if path.startswith(f"{key}.") or key.startswith(f"{path}."):
            return f"{flags[key]}: {rest}"
    return problem


def _cmd_validate(args: argparse.Namespace) -> int:
    from drgsim.scenario.loader import load_scenario, variant_names

    status = 0
    for path in args.scenarios:
        try:
            scn = load_scenario(path)
            _open_inputs(path, scn)
        except DrgsimError as exc:
            for line in str(exc).splitlines():
                print(f"drgsim: error: {line}", file=sys.stderr)
            status = 2
            continue
        print(
            f"{path}: ok — {scn.name!r}, variants: {', '.join(variant_names(scn))}, "
            f"{scn.replications} replication(s), {scn.years} year(s)"
        )
    return status


def _open_inputs(path: Path, scn: Any) -> None:
    """Read what the baseline, every variant and every region would read, as `run` would.

    Only scenarios that name files, negotiated weights or regions are read this way, so that
    validating a plain scenario stays quick (it imports neither numpy nor pandas).
    """
    from drgsim.scenario.loader import variant_names, variant_scenario

    opened: set[tuple[object, ...]] = set()
    for name in variant_names(scn):
        where = str(path) if name == "baseline" else f"{path}: variants.{name}"
        one = variant_scenario(scn, name)
        reads = (
            one.catalogue.source != "builtin"
            or one.cases.source
            or one.weights.overrides
            or one.coefficient.common_groups
            or one.readmission.exempt_adrgs
        )
        if not (reads or one.regions.count or one.regions.listed):
            continue
        try:
            from drgsim.scale.regions import region_scenarios

            for _, region in region_scenarios(one):
                _open_region_inputs(region, opened)
        except DrgsimError as exc:
            raise DrgsimError(f"{where}: {str(exc).splitlines()[0]}") from None


def _open_region_inputs(region: Any, opened: set[tuple[object, ...]]) -> None:
    """Read one region's catalogue and case table, and check its negotiated weights."""
    from drgsim.population.hospitals import hospital_table
    from drgsim.records.replay import TableSource
    from drgsim.rules.catalogue import adrg_mask, drg_mask
    from drgsim.scale.runner import load_catalogue

    cat = load_catalogue(region)
    missing = sorted(set(region.weights.overrides) - set(cat.drg))
    if missing:
        raise DrgsimError(
            f"weights.overrides.{missing[0]}: got {missing[0]!r}; "
            f"allowed: a DRG of the catalogue ({region.catalogue.source})"
        )
    drg_mask(cat, region.coefficient.common_groups, "coefficient.common_groups")
    adrg_mask(cat, region.readmission.exempt_adrgs, "readmission.exempt_adrgs")
    key = (region.catalogue.source, str(region.cases), region.start_year, region.years)
    if region.cases.source is not None and key not in opened:
        opened.add(key)
        TableSource.from_scenario(region, cat, hospital_table(region))


def _cmd_run(args: argparse.Namespace) -> int:
    from drgsim.scenario.loader import load_scenario, variant_names

    scn = load_scenario(args.scenario)
    overrides = _overrides(args.set)
    flags = {pair.partition("=")[0].strip(): f"--set {pair}" for pair in args.set}
    if args.seed is not None:
        overrides["seed"], flags["seed"] = args.seed, f"--seed {args.seed}"
    if args.strict:
        overrides["cases.strict"], flags["cases.strict"] = True, "--strict"
    if overrides:
        scn = _with_flags(scn, overrides, flags)
    names = None
    if args.variant:
        known = variant_names(scn)
        for name in args.variant:
            if name not in known:
                raise DrgsimError(
                    f"--variant {name}: not a variant of {args.scenario}; known: {', '.join(known)}"
                )
        names = ["baseline", *[n for n in args.variant if n != "baseline"]]
    out = args.out or Path("out") / args.scenario.stem
    check_out(out, args.force)

    from drgsim.kernels.jit import mark_compiled
    from drgsim.present.progress import Progress
    from drgsim.scale.front import note_source, ready_to_write
    from drgsim.scale.runner import run

    progress = Progress("simulation", show=_show_progress(args))
    workers = args.workers or cpus.for_processes()
    report = not args.no_report
    with progress, staged(out, args.force) as stage:  # built here, then swapped in at once
        result = run(
            scn,
            cases=args.cases,
            replications=args.replications,
            variants=names,
            workers=workers,
            progress=_noticed(progress, args.quiet),
            case_dir=stage / ".parts",
            scheduler=args.scheduler,
            meanwhile=functools.partial(ready_to_write, report),
            keep_frozen=args.own_process,  # this process ends with the run
        )
        progress.close()
        mark_compiled()
        note_source(result, args.scenario, overrides)  # as drgsim.run(..., out=) does
        from drgsim.present.outputs import write  # pandas: imported while the workers ran

        explain: Callable[..., Any] | None = None
        if report:  # the waterfall's modules import matplotlib (1.3 s): with the report only
            from drgsim.scale.explain import write_waterfall

            explain = write_waterfall
        write(result, stage, lang=args.lang, report=report, explain=explain, svg=args.svg)
    if "rejected" in result.manifest:
        counts = result.manifest["rejected"]
        reasons = ", ".join(f"{k} {v}" for k, v in counts.items() if v)
        print(
            f"drgsim: {result.manifest['cases_source']}: {sum(counts.values())} rows rejected"
            + (f" ({reasons}); see {out / 'rejected.parquet'}" if reasons else ""),
            file=sys.stderr,
        )
    if not args.quiet:
        from drgsim.present.summary import summary_text

        print(summary_text(result))
        print(f"wrote {out}/ ({', '.join(sorted(p.name for p in out.iterdir()))})")
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from drgsim.kernels.jit import mark_compiled
    from drgsim.present.progress import Progress
    from drgsim.scale.sweep import sweep, validate
    from drgsim.scenario import grid as grid_mod
    from drgsim.scenario.loader import load_scenario, variant_names, variant_scenario

    scn = load_scenario(args.scenario)
    where = None
    if args.grid:
        grid = grid_mod.parse_flags(args.grid)
        where = {flag.partition("=")[0].strip(): f"--grid {flag}" for flag in args.grid}
    else:
        grid = grid_mod.parse_section(scn.sweep.grid, f"{args.scenario}: sweep.grid")
    if args.variant not in variant_names(scn):
        known = ", ".join(variant_names(scn))
        raise DrgsimError(
            f"--variant {args.variant}: not a variant of {args.scenario}; known: {known}"
        )
    validate(variant_scenario(scn, args.variant), grid, where)
    out = args.out or Path("out") / f"{args.scenario.stem}-sweep"
    progress = Progress("task", show=_show_progress(args))
    try:
        table = sweep(
            args.scenario,
            grid,
            replications=args.replications,
            out=out,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=_noticed(progress, args.quiet),
            variant=args.variant,
            force=args.force,
            plots=not args.no_plots,
        )
    finally:
        progress.close()
    mark_compiled()
    if not args.quiet:
        from drgsim.present.response_table import response_text

        print(response_text(table, list(grid)))
        print(f"wrote {out}/ ({table.attrs['tasks_run']} task(s) run)")
    return 0


def _id_values(items: list[str], flag: str, low: int, high: int | None) -> dict[str, int]:
    """`H1=3,H2=2` (repeatable) as {hospital: whole number from low to high}."""
    out: dict[str, int] = {}
    for item in items:
        for pair in item.split(","):
            hid, sep, text = pair.partition("=")
            if not sep or not hid.strip():
                raise DrgsimError(f"{flag} {item}: expected HOSPITAL=NUMBER, e.g. SW01=3")
            try:
                out[hid.strip()] = _whole(low, high)(text.strip())
            except argparse.ArgumentTypeError as exc:
                raise DrgsimError(f"{flag} {item}: {hid.strip()}: {exc}") from None
    return out


def _cmd_calibrate(args: argparse.Namespace) -> int:
    from drgsim.records.calibrate import calibrate
    from drgsim.records.catalogue_file import load_catalogue

    for path in args.history:
        if not path.is_file():
            raise DrgsimError(f"{path}: file not found; expected a CSV or Parquet case table")
    check_out(args.out, args.force)
    column_map = {}
    for pair in args.column_map:
        source, sep, column = pair.partition("=")
        if not sep or not source or not column:
            raise DrgsimError(f"--column-map {pair}: expected SOURCE=COLUMN, e.g. 出院日期=date")
        column_map[source] = column
    tiers = _id_values([t for t in args.tiers if t != "infer"], "--tiers", 1, 3)
    beds = _id_values(args.beds, "--beds", 1, None)
    cat = load_catalogue(args.catalogue)
    with staged(args.out, args.force) as stage:  # written whole, then swapped in
        summary = calibrate(
            [str(p) for p in args.history],
            cat,
            out_dir=stage,
            column_map=column_map or None,
            encoding=args.encoding,
            strict=args.strict,
            min_cases=args.min_cases,
            tiers=tiers,
            infer_tiers="infer" in args.tiers,
            beds=beds,
        )
    for note in summary["notes"]:
        print(f"drgsim: note: {note}", file=sys.stderr)
    print(f"wrote {args.out}/ ({', '.join(sorted(p.name for p in args.out.iterdir()))})")
    for key in ("rows", "cases", "rejected", "hospitals", "groups_with_cases", "stable_groups"):
        if key in summary:
            print(f"  {key}: {summary[key]}")
    return 0


def _cmd_keys(args: argparse.Namespace) -> int:
    from drgsim.scenario.keys import listing

    sys.stdout.write(listing(args.prefix, markdown=args.markdown))
    return 0


def _cmd_explain(args: argparse.Namespace) -> int:
    require_dir(args.outdir)  # before the imports below, which take seconds
    import json

    from drgsim.present import explain_case, explain_hospital
    from drgsim.scale import explain

    where = {"scenario": args.scenario, "replication": args.replication, "year": args.year}
    if args.case is not None:
        if args.variant and len(args.variant) > 1:
            raise DrgsimError("--variant: explain --case takes one variant")
        variant = args.variant[0] if args.variant else "baseline"
        steps, header = explain.case(args.outdir, args.case, variant=variant, **where)
        answer: Any = explain_case.as_json(steps, header)
        text = explain_case.as_text(steps, header)
    else:
        answer = explain.hospital(args.outdir, args.hospital, variants=args.variant, **where)
        text = "\n\n".join(explain_hospital.as_text(r) for r in answer)
    print(json.dumps(answer, ensure_ascii=False, indent=2) if args.json else text)
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    require_dir(args.outdir, "drgsim run or drgsim sweep")  # before the imports, which take seconds
    from drgsim.present.report import PAGES, build_report
    from drgsim.present.sweep_report import build_sweep_report, is_sweep
    from drgsim.scale.explain import write_waterfall

    sweep = is_sweep(args.outdir)
    if sweep and args.svg:
        raise DrgsimError(f"--svg: {args.outdir} is a sweep, whose figures are PNG only")
    build = build_sweep_report if sweep else functools.partial(build_report, svg=args.svg)
    written = []
    try:
        have = (args.outdir / "manifest.json").is_file() and not sweep
        if have and not (args.outdir / "explain.json").is_file():  # a run without the waterfall
            write_waterfall(args.outdir)
        for lang in ("zh", "en") if args.lang == "both" else (args.lang,):
            written.append((build(args.outdir, lang), args.outdir / PAGES[lang][1]))
    except OSError as exc:
        raise DrgsimError(
            f"{args.outdir}: {exc.filename or 'writing'}: {exc.strerror or exc}; "
            f"expected an output directory of drgsim {'sweep' if sweep else 'run'} that you can "
            "write"
        ) from None
    for page, folder in written:
        print(f"wrote {page} and {folder}/")
    return 0


def entry() -> NoReturn:
    """The `drgsim` command: `main` on this process's command line, then the process ends with
    its status at once, its files written and closed, its exit handlers run and its output
    flushed: what is skipped is the interpreter freeing every object one by one (0.7 s of CPU
    after `drgsim run scenarios/shanwei.yaml`: the tables, the figures, the kernels). With
    another thread still running, or output that cannot be flushed, it ends as Python does."""
    code = main()
    if threading.active_count() > 1:
        sys.exit(code)
    atexit._run_exitfuncs()  # what the interpreter runs at exit (they run once)
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # Python's own exit reports output it cannot write, as without this
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    entry()
