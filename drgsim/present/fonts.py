"""The CJK font the figures use: Noto Sans CJK SC, shipped by the noto-cjk-sans-otc package."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

from matplotlib import font_manager

FAMILY = "Noto Sans CJK SC"
FALLBACK = "DejaVu Sans"


def font_path() -> Path:
    """The path of the bundled Noto Sans CJK collection (one file, all CJK faces)."""
    import noto_cjk_sans_otc

    return Path(str(noto_cjk_sans_otc.FONT_PATH))


def register() -> str:
    """Add the bundled CJK font to matplotlib's font manager once, and return its family name."""
    manager = font_manager.fontManager
    if not any(entry.name == FAMILY for entry in manager.ttflist):
        manager.addfont(str(font_path()))
    return FAMILY


def rc() -> dict[Any, Any]:
    """matplotlib settings for drgsim's figures: the CJK font first, fixed SVG ids, no dates."""
    return {
        "font.family": [register(), FALLBACK],
        "font.sans-serif": [FAMILY, FALLBACK],
        "axes.unicode_minus": True,
        "svg.hashsalt": "drgsim",
        "svg.fonttype": "path",
        "figure.dpi": 100,
    }


def missing_glyphs(strings: list[str]) -> str:
    """The characters of `strings` that the bundled CJK face has no glyph for."""
    from matplotlib.ft2font import FT2Font

    face = _sc_face_index()
    font = FT2Font(str(font_path()), face_index=face)
    chars = sorted({c for s in strings for c in s if not c.isspace()})
    return "".join(c for c in chars if font.get_char_index(ord(c)) == 0)


def _sc_face_index() -> int:
    """The index of the Simplified-Chinese face inside the collection."""
    register()
    for entry in font_manager.fontManager.ttflist:
        if entry.name == FAMILY:
            return int(getattr(entry, "index", 0))
    return 0


def subset_otf(text: str) -> bytes:
    """The CJK face cut down to the characters of `text`, as OpenType bytes for embedding."""
    return _subset("".join(sorted({c for c in text if c.isprintable()})))


@functools.lru_cache(maxsize=8)
def _subset(chars: str) -> bytes:
    """The subset font of a sorted string of characters; cached on disk, as it takes seconds."""
    import hashlib
    import os

    digest = hashlib.sha256((str(font_path()) + "\0" + chars).encode()).hexdigest()[:24]
    base = os.environ.get("DRGSIM_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "drgsim"
    )
    cached = Path(base) / "fonts" / f"{digest}.otf"
    if cached.is_file():
        return cached.read_bytes()
    data = _make_subset(chars)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        tmp.replace(cached)
    except OSError:
        pass  # a read-only cache only costs time
    return data


def _make_subset(chars: str) -> bytes:
    """Cut the CJK face down to `chars` with fontTools."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(font_path()), fontNumber=_sc_face_index(), recalcTimestamp=False)
    options = subset.Options()
    options.name_IDs = ["*"]
    options.recalc_timestamp = False
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in chars])
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()
