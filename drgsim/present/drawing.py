"""Draw every figure of a run's report, in worker processes forked from this one where the
system forks; each figure is drawn by the same code either way, so the files are the same."""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
import sys
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from drgsim.present import drg_losses, fonts, labels, plots, waterfall

#: The report's figures in the order it shows them: the table figures, the DRGs that lose most,
#: then the waterfall of explain.json (drawn last: it may be written while the others are drawn).
SLUGS = (*(slug for slug, _ in plots.FIGURES), drg_losses.SLUG, "waterfall")
#: The order workers take them in: the slowest first, so that two processes finish together.
SLOWEST_FIRST = ("who_pays", "point_value", drg_losses.SLUG, "audit", "coefficients", "regions")

_PR_SET_PDEATHSIG = 1  # prctl option: the signal a process gets when its parent dies (Linux)
#: What a forked worker draws from: set in this process just before the workers are forked.
_JOB: dict[str, Any] = {}


def draw(
    tables: dict[str, Any],
    out_dir: Path,
    lang: str,
    folder: str,
    *,
    svg: bool = False,
    meanwhile: Callable[[], Any] | None = None,
    workers: int | None = None,
) -> list[Path]:
    """Draw the report's figures into `out_dir/folder/` as PNG (and with `svg` SVG); return the
    files written, in the report's order.

    `meanwhile` (writing explain.json) runs in this process while the workers draw; the
    waterfall is drawn after it. `workers` (default: the CPUs this process may use) forked
    processes draw the figures; with one, or where the system does not fork, they are drawn
    here, one after another.
    """
    labels.check_lang(lang)
    target = Path(out_dir) / folder
    target.mkdir(parents=True, exist_ok=True)
    fonts.rc()  # find and register the Chinese font once, before any worker is forked
    fonts.figure_lang(lang)  # and warn here, once, if there is none
    job = {"tables": tables, "out_dir": Path(out_dir), "lang": lang, "folder": folder, "svg": svg}
    first = [s for s in SLUGS if s != "waterfall"]
    count = _workers(workers, len(first))
    drawn: dict[str, list[Path]] = {}
    if count < 2:
        with _no_collection():
            for slug in first:
                drawn[slug] = draw_one(job, slug)
        if meanwhile is not None:
            meanwhile()
        with _no_collection():
            drawn["waterfall"] = draw_one(job, "waterfall")
    else:
        _warm(tables, fonts.figure_lang(lang))
        _JOB.update(job)
        try:
            context = multiprocessing.get_context("fork")
            with ProcessPoolExecutor(
                count, mp_context=context, initializer=_die_with, initargs=(os.getpid(),)
            ) as pool:
                order = sorted(first, key=_slowest_first)
                futures: dict[str, Future[list[Path]]] = {
                    slug: pool.submit(_draw_forked, slug) for slug in order
                }
                if meanwhile is not None:
                    meanwhile()
                with _no_collection():
                    drawn["waterfall"] = draw_one(job, "waterfall")  # while the workers draw
                drawn |= {slug: future.result() for slug, future in futures.items()}
        finally:
            _JOB.clear()
    return [path for slug in SLUGS for path in drawn[slug]]


def draw_one(job: dict[str, Any], slug: str) -> list[Path]:
    """Draw figure `slug` of the report as the job says; return the files written (none when
    the tables cannot draw it)."""
    tables, out_dir, lang, folder = job["tables"], job["out_dir"], job["lang"], job["folder"]
    svg = bool(job["svg"])
    if slug == drg_losses.SLUG:
        return drg_losses.write(tables, out_dir / folder, lang, svg=svg)
    if slug == "waterfall":
        return waterfall.make_figure(tables, out_dir, lang, folder, svg=svg)
    build = dict(plots.FIGURES)[slug]
    fig = build(tables, lang)
    return [] if fig is None else plots.save(fig, out_dir / folder / slug, svg=svg)


def _draw_forked(slug: str) -> list[Path]:
    """draw_one in a forked worker, from the job its parent set before forking it."""
    with _no_collection():
        return draw_one(_JOB, slug)


def _die_with(parent: int) -> None:
    """Make this drawing worker end when its parent does, even by SIGKILL (Linux's
    PR_SET_PDEATHSIG; workers are forked only on Linux), rather than draw on for no one."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No cyclic garbage collection while figures are drawn: each pass would walk every object
    of the run's tables for the many short-lived ones a figure makes (a tenth of the time); the
    figures' cycles are collected after."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _warm(tables: dict[str, Any], lang: str) -> None:
    """Work out here, once, the hospital groups' sums and changes that several figures and the
    report read (plots.grouped, plots.who_pays): the forked workers inherit them."""
    st = tables.get("settlement")
    if st is None or st.empty:
        return
    if len(plots.variants(tables)) > 1:
        plots.who_pays(tables, lang)
    else:
        plots.grouped(st, lang)


def _slowest_first(slug: str) -> int:
    return SLOWEST_FIRST.index(slug) if slug in SLOWEST_FIRST else len(SLOWEST_FIRST)


def _workers(asked: int | None, figures: int) -> int:
    """How many processes to draw in: 1 where forking is not safe or not possible."""
    if not sys.platform.startswith("linux"):  # macOS forks, but its system libraries may not
        return 1
    if multiprocessing.current_process().daemon:  # a pool's worker may not have children
        return 1
    if asked is None:
        asked = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1
    return max(1, min(asked, figures))
