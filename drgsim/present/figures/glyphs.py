"""The canvas of drgsim's figures: Agg, with text laid out from each glyph's advance and drawn
from glyph bitmaps rasterised once per process, instead of shaped (libraqm) and rasterised
afresh for every label, which costs about a millisecond a label.

Text is laid out as matplotlib laid it out before it shaped text: glyph after glyph, each from
the first font of the family list that has it, at the font's (unhinted) advance, with no
kerning. Glyph bitmaps are kept per quarter-pixel position; a glyph no font has is drawn as
the first font's missing-glyph box, with matplotlib's warning.

What is kept is plain data, keyed by font file and face; the open fonts are not kept across a
fork (as matplotlib's own are not): a forked process reading the parent's font files through
their shared file offsets would read them broken.
"""

from __future__ import annotations

import math
import os
import warnings
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import FontProperties, fontManager, get_font
from matplotlib.ft2font import FT2Font, RenderMode

#: Positions of a glyph's bitmap kept apart, per pixel (26.6 fixed point: 64 units a pixel).
STEPS = 4
_UNIT = 64 // STEPS
#: A font file and the index of a face in it.
Face = tuple[str, int]
#: A line of text laid out: (face, glyph index, x offset in pixels) per glyph; its width,
#: height and descent (pixels); the warnings of the characters no font has.
Run = tuple[list[tuple[Face, int, float]], float, float, float, list[str]]
#: A font's ascent, descent and line gap at a size (pixels), or None where it has no table.
Heights = tuple[float, float, float] | tuple[None, None, None]

_fonts: dict[tuple[Any, ...], list[FT2Font]] = {}  # open fonts: this process's own
_heights: dict[tuple[Any, ...], Heights] = {}
_runs: dict[tuple[Any, ...], Run] = {}
_glyphs: dict[tuple[Any, ...], tuple[float, float, float]] = {}
_bitmaps: dict[tuple[Any, ...], tuple[np.ndarray, int, int]] = {}


class Canvas(FigureCanvasAgg):
    """An Agg canvas whose renderer draws text from cached glyphs."""

    def get_renderer(self) -> RendererAgg:
        """The renderer for the figure's present size and resolution (made anew when they
        change), as FigureCanvasAgg's, of the cached-glyph kind."""
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if self._lastKey != key:  # type: ignore[has-type]
            self.renderer = Renderer(w, h, self.figure.dpi)
            self._lastKey = key  # type: ignore[assignment]
        return self.renderer


class Renderer(RendererAgg):
    """RendererAgg measuring and drawing plain text from cached glyph metrics and bitmaps;
    mathtext and text with font features or a language go to RendererAgg."""

    def _get_font_height_metrics(self, prop: FontProperties) -> Heights:
        """The font's ascent, descent and line gap at the text's size (pixels), which
        matplotlib's Text reads for every label: worked out once per font and size."""
        key = (*_font_key(prop), prop.get_size_in_points(), self.dpi)
        found = _heights.get(key)
        if found is None:
            found = _heights[key] = _height_metrics(prop, self.dpi)
        return found

    def get_text_width_height_descent(
        self, s: str, prop: FontProperties, ismath: Any
    ) -> tuple[float, float, float]:
        """Width, height and descent of a line of text (pixels)."""
        if ismath:
            return super().get_text_width_height_descent(s, prop, ismath)  # type: ignore[no-any-return]
        _, width, height, descent, missing = _run(s, prop, self.dpi)
        _warn(missing)
        return width, height, descent

    def draw_text(
        self,
        gc: Any,
        x: float,
        y: float,
        s: str,
        prop: FontProperties,
        angle: float,
        ismath: Any = False,
        mtext: Any = None,
    ) -> None:
        """Draw a line of text with its baseline's left end at (x, y) (y downwards)."""
        if ismath or (mtext is not None and (mtext.get_fontfeatures() or mtext.get_language())):
            super().draw_text(gc, x, y, s, prop, angle, ismath=ismath, mtext=mtext)
            return
        glyphs, _, _, _, missing = _run(s, prop, self.dpi)
        _warn(missing)
        if not glyphs:
            return
        size = prop.get_size_in_points()
        cos, sin = math.cos(math.radians(angle)), math.sin(math.radians(angle))
        antialiased = bool(gc.get_antialiased())
        flags = get_hinting_flag()
        matrix = None
        top = int(self.height)
        draw = self._renderer.draw_text_image
        for face, index, dx in glyphs:
            ix, fx = divmod(round(64 * (x + dx * cos)), 64)
            iy, fy = divmod(round(64 * (self.height - y + dx * sin)), 64)
            fx, fy = (fx + _UNIT // 2) // _UNIT * _UNIT, (fy + _UNIT // 2) // _UNIT * _UNIT
            key = (face, size, self.dpi, index, angle, antialiased, fx, fy)
            bitmap: tuple[np.ndarray, int, int] | None = _bitmaps.get(key)
            if bitmap is None:
                if matrix is None:
                    matrix = (0x10000 * np.array([[cos, -sin], [sin, cos]])).round().astype(int)
                font = next(f for f in _chain(prop) if _face(f) == face)
                font.set_size(size, self.dpi)
                font._set_transform(matrix, [fx, fy])  # type: ignore[attr-defined]
                made = font._render_glyph(  # type: ignore[attr-defined]
                    index, flags, RenderMode.NORMAL if antialiased else RenderMode.MONO
                )
                buffer = made.buffer if antialiased else made.buffer * 0xFF
                bitmap = _bitmaps[key] = (buffer, int(made.left), int(made.top))
            buffer, left, up = bitmap
            if buffer.size:
                draw(buffer, left + ix, top - (up + iy) + buffer.shape[0], 0, gc)


def _font_key(prop: FontProperties) -> tuple[Any, ...]:
    """What picks a text's fonts: its properties but size, and the rc families they name."""
    rc = matplotlib.rcParams
    return (
        tuple(prop.get_family()),
        prop.get_style(),
        prop.get_variant(),
        prop.get_weight(),
        prop.get_stretch(),
        prop.get_file(),
        tuple(rc["font.family"]),
        tuple(rc["font.sans-serif"]),
    )


def _chain(prop: FontProperties) -> list[FT2Font]:
    """The fonts a text's properties name, in the order a glyph is looked for in them."""
    key = _font_key(prop)
    found = _fonts.get(key)
    if found is None:
        found = _fonts[key] = [get_font(p) for p in fontManager._find_fonts_by_props(prop)]
    return found


def _height_metrics(prop: FontProperties, dpi: float) -> Heights:
    """Ascent, descent and line gap of the text's first font, as matplotlib's Text works them
    out (from the OS/2 table, else hhea)."""
    font = _chain(prop)[0]
    size = prop.get_size_in_points()
    for name, gap, up, down in (
        ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
        ("hhea", "lineGap", "ascent", "descent"),
    ):
        table: Any = font.get_sfnt_table(name)  # type: ignore[call-overload]
        head = font.get_sfnt_table("head")
        if table is None or head is None:
            continue
        scale = size * dpi / 72 / head["unitsPerEm"]
        return table[up] * scale, -table[down] * scale, table[gap] * scale
    return None, None, None  # Text then measures "lp" instead


def _run(s: str, prop: FontProperties, dpi: float) -> Run:
    """The glyphs of a line of text and their x offsets; its width (the sum of advances),
    height and descent (of the glyphs' boxes), in pixels."""
    size = prop.get_size_in_points()
    key = (*_font_key(prop), size, dpi, s)
    found = _runs.get(key)
    if found is not None:
        return found
    chain = _chain(prop)
    flags = get_hinting_flag()
    glyphs: list[tuple[Face, int, float]] = []
    missing: list[str] = []
    pen, low, high = 0.0, math.inf, -math.inf
    for char in s:
        code = ord(char)
        font, index = next(((f, i) for f in chain if (i := f.get_char_index(code))), (chain[0], 0))
        if index == 0 and not char.isspace():
            names = ", ".join(str(f.family_name) for f in chain)
            shown = char.encode("ascii", "namereplace").decode("ascii")
            missing.append(f"Glyph {code} ({shown}) missing from font(s) {names}.")
        face = _face(font)
        glyph_key = (face, size, dpi, index)
        metrics = _glyphs.get(glyph_key)
        if metrics is None:
            font.set_size(size, dpi)
            glyph = font.load_glyph(index, flags)  # type: ignore[arg-type]
            _, bottom, _, top = glyph.bbox
            metrics = _glyphs[glyph_key] = (glyph.linearHoriAdvance / 65536, bottom / 64, top / 64)
        advance, y0, y1 = metrics
        glyphs.append((face, index, pen))
        pen += advance
        if y1 > y0:
            low, high = min(low, y0), max(high, y1)
    if high < low:
        low = high = 0.0
    found = _runs[key] = (glyphs, pen, high - low, -low, missing)
    return found


def _face(font: FT2Font) -> Face:
    """The file and face index of an open font."""
    return (str(font.fname), int(font.face_index))


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_fonts.clear)


def _warn(missing: list[str]) -> None:
    """Warn, as matplotlib does, of each character of a text that no font has a glyph for."""
    for message in missing:
        warnings.warn(message, UserWarning, stacklevel=3)
