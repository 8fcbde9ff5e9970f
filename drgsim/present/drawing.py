"""Draw every figure of a run's report, in worker processes forked from this one where the
system forks; each figure is drawn by the same code either way, so the files are the same."""

from __future__ import annotations

import gc
import multiprocessing
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from drgsim import cpus
from drgsim.engine.memory import no_collection
from drgsim.present import drg_losses, fonts, labels, plots, waterfall
from drgsim.present.figures import glyph_cache

#: The report's figures in the order it shows them: the table figures, the DRGs that lose most,
#: then the waterfall of explain.json (drawn last: it may be written while the others are drawn).
SLUGS = (*(slug for slug, _ in plots.FIGURES), drg_losses.SLUG, "waterfall")
#: The figures but the waterfall in the order they are taken to be drawn: forked workers take
#: them from the front, the slowest first, and this process from the back once it has written
#: the rest of the report, those that read the hospital groups' sums it works out first.
QUEUE = (
    "point_value",
    drg_losses.SLUG,
    "audit",
    "years",
    "regions",
    "case_classes",
    "payment",
    "coefficients",
    "who_pays",
)
assert sorted(QUEUE) == sorted(s for s in SLUGS if s != "waterfall")

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
    with no_collection():
        glyph_cache.load()  # the glyphs rasterised before, for the workers forked too
        if count < 2:
            for slug in first:
                drawn[slug] = draw_one(job, slug)
            if meanwhile is not None:
                meanwhile()
            drawn["waterfall"] = draw_one(job, "waterfall")
        else:
            drawn |= _draw_shared(job, count - 1, meanwhile, fonts.figure_lang(lang))
        glyph_cache.save()
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


def _draw_shared(
    job: dict[str, Any], children: int, meanwhile: Callable[[], Any] | None, lang: str
) -> dict[str, list[Path]]:
    """Draw every figure, `children` forked workers and this process taking them from one
    queue: the workers from its front as soon as they start, this process from its back once it
    has worked out the hospital groups' sums (_warm), run `meanwhile` and drawn the waterfall."""
    context = multiprocessing.get_context("fork")
    ends = context.Array("i", [0, len(QUEUE)])  # the next figure from the front; the back's end
    drawn: dict[str, list[Path]] = {}
    workers, done = [], []
    _JOB.update(job, ends=ends)
    try:
        for _ in range(children):
            receive, send = context.Pipe(duplex=False)
            worker = context.Process(target=_worker, args=(send, os.getpid()), daemon=True)
            worker.start()
            send.close()
            workers.append((worker, receive))
        _warm(job["tables"], lang)
        if meanwhile is not None:
            meanwhile()
        drawn["waterfall"] = draw_one(job, "waterfall")
        while (slug := _take(ends, front=False)) is not None:
            drawn[slug] = draw_one(job, slug)
        if not all(receive.poll() for _, receive in workers):
            gc.collect(0)  # the figures drawn here collected while the workers finish theirs
        for worker, receive in workers:
            try:
                kind, value, kept = receive.recv()
            except EOFError:
                kind, value, kept = "error", RuntimeError("a figure-drawing worker died"), None
            if kind == "error":
                raise value
            drawn |= value
            glyph_cache.absorb(kept)
            done.append(worker)  # it ends by itself, not waited for (multiprocessing reaps it)
    finally:
        _JOB.clear()
        for worker, _ in workers:
            if worker not in done and worker.is_alive():
                # killed, not asked to stop: it runs the handler this process had when it was
                # forked, whose stop a library may swallow (numpy comparing dtypes, for pandas);
                # it would then draw on and wait for ever to send this process more than a pipe
                # holds (its figures and glyphs), while this process waited for ever in join
                worker.kill()
                worker.join()
    return drawn


def _take(ends: Any, *, front: bool) -> str | None:
    """The next figure of QUEUE from its front (a worker) or back (this process); None when
    every figure is taken."""
    with ends.get_lock():
        if ends[0] >= ends[1]:
            return None
        if front:
            ends[0] += 1
            return QUEUE[ends[0] - 1]
        ends[1] -= 1
        return QUEUE[ends[1]]


def _worker(send: Any, parent: int) -> None:
    """A forked worker: draw figures from the front of the queue its parent set before forking
    it, then send back the files written and the glyphs it rasterised, or what went wrong."""
    _die_with(parent)
    before = glyph_cache.mark()
    try:
        drawn = {}
        with no_collection():
            while (slug := _take(_JOB["ends"], front=True)) is not None:
                drawn[slug] = draw_one(_JOB, slug)
        message: tuple[str, Any, Any] = ("drawn", drawn, glyph_cache.since(before))
    except BaseException as exc:  # any failure is the parent's to raise
        message = ("error", exc, None)
    try:
        send.send(message)
    except Exception as exc:  # an exception that does not pickle
        send.send(("error", RuntimeError(f"drawing a figure failed: {exc!r}"), None))
    send.close()


def _die_with(parent: int) -> None:
    """Make this drawing worker end when its parent does, even by SIGKILL (Linux's
    PR_SET_PDEATHSIG; workers are forked only on Linux), rather than draw on for no one."""
    import ctypes
    import signal

    ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)


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


def _workers(asked: int | None, figures: int) -> int:
    """How many processes to draw in: 1 where forking is not safe or not possible."""
    if not sys.platform.startswith("linux"):  # macOS forks, but its system libraries may not
        return 1
    if multiprocessing.current_process().daemon:  # a pool's worker may not have children
        return 1
    if asked is None:
        asked = cpus.usable()
    return max(1, min(asked, figures))
