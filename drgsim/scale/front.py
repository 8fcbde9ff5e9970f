"""`drgsim.run`: a scenario's runs from Python, with the choices `drgsim run` offers as flags."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from drgsim.errors import DrgsimError
from drgsim.scenario.schema import Scenario

if TYPE_CHECKING:  # imported when called, so that `import drgsim` stays light
    from drgsim.present.outputs import Result
    from drgsim.records.results import Result as Tables

Progress = Callable[[int, int, str], None]


def run(
    scenario: str | Path | Mapping[str, Any] | Scenario,
    *,
    variants: list[str] | None = None,
    replications: int | None = None,
    seed: int | None = None,
    years: int | None = None,
    overrides: Mapping[str, Any] | None = None,
    cases: bool = False,
    workers: int = 1,
    scheduler: str | None = None,
    progress: bool | Progress = False,
    out: str | Path | None = None,
    force: bool = False,
    lang: str | None = None,
    report: bool = True,
    svg: bool = False,
) -> Result:
    """Run a scenario's baseline and variants, every replication, and return the tables.

    Parameters
    ----------
    scenario : str, Path, mapping or Scenario
        A scenario YAML file, YAML text, a mapping of scenario keys (``{"extends": "shanwei",
        "years": 3}``) or a loaded :class:`~drgsim.scenario.schema.Scenario`.
    variants : list of str, optional
        Run only these variants (the baseline is always run); default: all of them.
    replications : int, optional
        Replications per variant; default: the scenario's ``replications``.
    seed : int, optional
        Overrides the scenario's ``seed``.
    years : int, optional
        Overrides the scenario's ``years``.
    overrides : mapping, optional
        Dotted scenario keys and their values, as ``drgsim run --set``:
        ``{"settlement.prepay_share": 0.95}``.
    cases : bool
        Keep every case's row (``result.cases``; ``cases.parquet`` with `out`).
    workers : int
        Processes to run the simulations in; the tables do not depend on it.
    scheduler : str, optional
        Run on the Dask cluster at this address (``tcp://HOST:8786``) instead.
    progress : bool or callable
        ``True`` prints ``drgsim run``'s progress line on stderr; a callable is called as
        ``progress(done, total, label)``.
    out : str or Path, optional
        Also write the output directory ``drgsim run --out`` writes (tables, figures, report),
        built whole beside itself and swapped in at once.
    force : bool
        With `out`: replace a non-empty directory.
    lang : {"zh", "en", "both"}, optional
        With `out`: the report's language, as ``drgsim run --lang`` (default: Chinese for a
        region with a Chinese name).
    report : bool
        With `out`: also draw the figures and write the report (``--no-report`` when False).
    svg : bool
        With `out` and `report`: also write each figure as SVG beside its PNG (``--svg``).

    Returns
    -------
    Result
        The tables as pandas DataFrames (``settlement``, ``hospital_month``, ``region_year``,
        ``fund_settlement``, ``audit``, ``catalogue``, ``comparison``…) and the manifest;
        ``result.report(path)`` and ``result.plots(path)`` write what the command writes.

    Raises
    ------
    drgsim.errors.DrgsimError
        A bad scenario, override, variant name or output path, in one line per problem.

    Examples
    --------
    >>> import drgsim
    >>> result = drgsim.run("scenarios/shanwei.yaml", variants=["upcoding"], replications=2)
    >>> result.settlement.groupby(["variant", "hospital"])["final_fen"].mean()  # doctest: +SKIP
    >>> result.report("out/shanwei", lang="en")  # doctest: +SKIP
    """
    from drgsim.present.outputs import as_result, write
    from drgsim.scale import runner
    from drgsim.scale.explain import write_waterfall
    from drgsim.scenario.loader import load_scenario, variant_names, with_overrides

    scn = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    changes = dict(overrides or {})
    if seed is not None:
        changes["seed"] = seed
    if years is not None:
        changes["years"] = years
    if changes:
        scn = with_overrides(scn, changes, label="overrides")
    names = None
    if variants is not None:
        known = variant_names(scn)
        for name in variants:
            if name not in known:
                raise DrgsimError(
                    f"variants: {name!r} is not a variant of {scn.name!r}; known: {', '.join(known)}"
                )
        names = ["baseline", *[n for n in variants if n != "baseline"]]
    show = _progress(progress)
    options: dict[str, Any] = {
        "cases": cases,
        "replications": replications,
        "variants": names,
        "workers": workers,
        "progress": show,
        "scheduler": scheduler,
    }
    try:
        if out is None:
            result = as_result(runner.run(scn, **options), write_waterfall)
            note_source(result, scenario, changes)
            return result
        from drgsim.records.outdir import check_out, staged

        out = Path(out)
        check_out(out, force, flag="out")
        with staged(out, force) as stage:
            ready = functools.partial(ready_to_write, report)
            result = as_result(
                runner.run(scn, case_dir=stage / ".parts", meanwhile=ready, **options),
                write_waterfall,
            )
            note_source(result, scenario, changes)
            write(result, stage, lang=lang, report=report, explain=write_waterfall, svg=svg)
        return result
    finally:
        close = getattr(show, "close", None)
        if close is not None and show is not progress:
            close()


def ready_to_write(report: bool) -> None:
    """Import what writing a run's outputs needs (pandas, the tables' and Parquet's writer, and
    with `report` the figures' and report's modules, matplotlib and the Chinese font): called
    while the worker processes simulate (forked without pandas), it is ready when they end,
    and the drawing workers forked then have it."""
    import importlib

    from drgsim.engine.memory import no_collection

    tables = ("drgsim.records.results", "drgsim.present.comparison", "drgsim.present.outputs")
    figures = ("drgsim.present.report", "drgsim.present.drawing", "drgsim.scale.explain")
    # modules live to the end: collections while they are imported would only walk them
    with no_collection():
        for name in ("pyarrow.parquet", *tables, *(figures if report else ())):
            importlib.import_module(name)
        if report:
            from drgsim.present import fonts

            fonts.rc()


def note_source(result: Tables, scenario: Any, overrides: Mapping[str, Any]) -> None:
    """Record in the manifest the scenario file a run came from and the overrides it was given."""
    from drgsim.scale.runner import scenario_hash

    if isinstance(scenario, str | Path) and Path(scenario).is_file():
        result.manifest["scenario_file"] = str(Path(scenario).resolve())
        result.manifest["scenario_sha256"] = scenario_hash(scenario)
    if overrides:
        result.manifest["overrides"] = {k: repr(v) for k, v in overrides.items()}


def _progress(progress: bool | Progress) -> Progress | None:
    """The progress callback: drgsim's progress line for True, none for False."""
    if progress is True:
        from drgsim.present.progress import Progress as Line

        return Line("simulation")
    return progress or None
