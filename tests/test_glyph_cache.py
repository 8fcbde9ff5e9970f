"""Glyphs kept on disk and sent back by the drawing worker draw the pixels of glyphs rasterised
afresh; a font file that changed, or a worker that fails, is not taken for good."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
import pytest
from matplotlib.figure import Figure

from drgsim.present import drawing, fonts
from drgsim.present.figures import glyph_cache
from drgsim.present.figures.glyphs import Canvas

#: A figure of Chinese and Latin text at three sizes, one rotated, drawn in a fresh process:
#: prints how many bitmaps it found kept and how many it holds after drawing, then the pixels.
DRAW = """
import sys
import matplotlib
from matplotlib.figure import Figure
from drgsim.present import fonts
from drgsim.present.figures import glyph_cache, glyphs
from drgsim.present.figures.glyphs import Canvas

glyph_cache.load()
kept = len(glyphs._bitmaps)
with matplotlib.rc_context(fonts.rc()):
    fig = Figure(figsize=(3, 2), dpi=110)
    Canvas(fig)
    fig.text(0.1, 0.7, "汕尾市人民医院 −1,234.5 万元", fontsize=9)
    fig.text(0.1, 0.4, "Point value 2021年", fontsize=12)
    fig.text(0.8, 0.1, "每RW单位", fontsize=7, rotation=90)
    fig.canvas.draw()
glyph_cache.save()
print(kept, len(glyphs._bitmaps), flush=True)
sys.stdout.buffer.write(bytes(fig.canvas.buffer_rgba()))
"""


def draw_fresh(cache: Path) -> tuple[int, int, bytes]:
    """Run DRAW in a new process with its glyph cache in `cache`."""
    env = {**os.environ, "DRGSIM_CACHE_DIR": str(cache)}
    out = subprocess.run([sys.executable, "-c", DRAW], env=env, capture_output=True, check=True)
    head, _, pixels = out.stdout.partition(b"\n")
    kept, held = map(int, head.split())
    return kept, held, pixels


def test_glyphs_kept_on_disk_draw_the_pixels_of_glyphs_rasterised_afresh(tmp_path: Path) -> None:
    kept, held, fresh = draw_fresh(tmp_path)
    assert kept == 0 and held > 40  # nothing on disk yet; then its glyphs are written
    assert len(list((tmp_path / "glyphs").glob("*.pickle"))) == 1
    kept, again, cached = draw_fresh(tmp_path)
    assert kept == held == again  # every glyph came from the disk, none was rasterised
    assert cached == fresh


def test_glyphs_of_a_font_file_that_changed_are_not_used(tmp_path: Path) -> None:
    draw_fresh(tmp_path)
    (stored,) = (tmp_path / "glyphs").glob("*.pickle")
    data = pickle.loads(stored.read_bytes())
    face = next(iter(data["faces"]))
    data["faces"][face] = (1, 1)  # as if the file had another size and time
    stored.write_bytes(pickle.dumps(data))
    kept, _, _ = draw_fresh(tmp_path)
    assert kept == 0


def test_packed_bitmaps_come_back_equal_and_writeable() -> None:
    rng = np.random.default_rng(3)
    items = [
        (("face", 0, i), (rng.integers(0, 256, (rows, cols), dtype=np.uint8), i - 2, 7 - i))
        for i, (rows, cols) in enumerate([(3, 4), (0, 0), (5, 1), (2, 9)])
    ]
    back = glyph_cache._unpack(glyph_cache._pack(items))
    assert [key for key, _ in back] == [key for key, _ in items]
    for (_, (theirs, left, top)), (_, (ours, l2, t2)) in zip(items, back, strict=True):
        assert (l2, t2) == (left, top) and ours.dtype == np.uint8 and ours.flags.writeable
        np.testing.assert_array_equal(ours, theirs)


def test_the_glyphs_a_worker_rasterised_come_back_to_its_parent(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DRGSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(glyph_cache, "_on_disk", {})
    saved = [dict(table) for table in glyph_cache.TABLES]
    try:
        for table in glyph_cache.TABLES:
            table.clear()
        before = glyph_cache.mark()
        sent = _in_a_fork(lambda: _draw_text("汕尾 worker 1,234"))
        glyph_cache.absorb(sent)
        assert glyph_cache.mark() > before
        held = glyph_cache.mark()
        _draw_text("汕尾 worker 1,234")  # here: nothing new to rasterise or lay out
        assert glyph_cache.mark() == held
    finally:
        for table, old in zip(glyph_cache.TABLES, saved, strict=True):
            table.clear()
            table.update(old)


def test_a_figure_that_fails_in_the_worker_fails_the_drawing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()

    def draw_one(job: dict[str, Any], slug: str) -> list[Path]:
        if os.getpid() != parent:
            raise ValueError(f"{slug} failed on purpose")
        time.sleep(0.5)  # the worker takes the first figures meanwhile
        return []

    monkeypatch.setenv("DRGSIM_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(drawing, "draw_one", draw_one)
    monkeypatch.setattr(drawing, "_warm", lambda tables, lang: None)
    with pytest.raises(ValueError, match=f"{drawing.QUEUE[0]} failed on purpose"):
        drawing.draw({}, tmp_path, "zh", "plots", workers=2)


def _draw_text(text: str) -> None:
    """Draw `text` on drgsim's canvas."""
    with matplotlib.rc_context(fonts.rc()):
        fig = Figure(figsize=(3, 1), dpi=110)
        Canvas(fig)
        fig.text(0.1, 0.4, text, fontsize=10)
        fig.canvas.draw()


def _in_a_fork(work: Any) -> Any:
    """Run `work` in a forked process and return the glyph entries it added."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receive, send = context.Pipe(duplex=False)

    def child() -> None:
        before = glyph_cache.mark()
        work()
        send.send(glyph_cache.since(before))

    process = context.Process(target=child)
    process.start()
    sent = receive.recv()
    process.join()
    assert process.exitcode == 0
    return sent


def test_a_kept_file_that_does_not_read_is_drawn_past(tmp_path: Path) -> None:
    draw_fresh(tmp_path)
    (stored,) = (tmp_path / "glyphs").glob("*.pickle")
    for broken in (b"not a pickle", pickle.dumps({"faces": [], "glyphs": [], "bitmaps": (1,)})):
        stored.write_bytes(broken)
        kept, held, _ = draw_fresh(tmp_path)
        assert kept == 0 and held > 40
