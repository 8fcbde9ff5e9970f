"""The CJK font of the figures and the report: the system's Noto Sans CJK SC, or another Chinese
font it has, found through matplotlib's font manager (or named by DRGSIM_CJK_FONT).

No font ships with drgsim: the Python packages that repackage Noto CJK are young one-person
releases, while every desktop system has a Chinese font and Linux distributions package Noto
CJK (`apt install fonts-noto-cjk`). Without any, Chinese figures fall back to English labels.
"""

from __future__ import annotations

import functools
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib import font_manager

from drgsim.errors import DrgsimError
from drgsim.kernels import jit

ENV = "DRGSIM_CJK_FONT"
FAMILY = "Noto Sans CJK SC"  # the preferred face; the others in the order they are looked for
FAMILIES = (
    FAMILY,
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans SC",
    "Microsoft YaHei",
    "PingFang SC",
    "Hiragino Sans GB",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Heiti SC",
    "STHeiti",
)
#: Parts of the file names of those fonts, to look at files matplotlib's cache does not know yet.
FILE_HINTS = ("cjk", "sourcehan", "notosanssc", "msyh", "pingfang", "hiragino", "wqy", "simhei")
FALLBACK = "DejaVu Sans"
HOW = f"apt install fonts-noto-cjk (Debian, Ubuntu), or set {ENV} to a Noto Sans CJK file"


@dataclass(frozen=True)
class Face:
    """One face of a font file (a collection holds several): where it is and its family name."""

    path: Path
    index: int
    family: str


@functools.cache
def find() -> Face | None:
    """The Chinese face to draw with: DRGSIM_CJK_FONT's, else the first of FAMILIES installed."""
    named = os.environ.get(ENV)
    if named:
        faces = [f for f in _faces(Path(named)) if _has_chinese(f)]
        if not faces:
            raise DrgsimError(
                f"{ENV}={named}: not a font file with Chinese glyphs; expected an OpenType or "
                "TrueType file (.otf, .ttf, .ttc), e.g. NotoSansCJK-Regular.ttc"
            )
        return next((f for f in faces if f.family == FAMILY), faces[0])  # SC of a collection
    found = [  # (face, whether it is the regular weight)
        (
            Face(Path(entry.fname), int(getattr(entry, "index", 0)), entry.name),
            entry.style == "normal" and str(entry.weight).lower() in ("400", "normal", "regular"),
        )
        for entry in font_manager.fontManager.ttflist
        if entry.name in FAMILIES
    ]
    if not found:  # installed after matplotlib cached its font list: read the likely files
        for path in font_manager.findSystemFonts():
            if any(hint in Path(path).name.lower() for hint in FILE_HINTS):
                found += [
                    (f, regular) for f, regular in _styled(Path(path)) if f.family in FAMILIES
                ]
    if not found:
        return None
    best = min(found, key=lambda f: (FAMILIES.index(f[0].family), not f[1], str(f[0].path)))
    return best[0]


def _faces(path: Path) -> list[Face]:
    """Every face of a font file (none if it is not one)."""
    return [face for face, _ in _styled(path)]


def _styled(path: Path) -> list[tuple[Face, bool]]:
    """Every face of a font file and whether it is the regular weight."""
    from matplotlib.ft2font import FT2Font

    try:
        fonts = [FT2Font(str(path), face_index=i) for i in range(FT2Font(str(path)).num_faces)]
    except (OSError, RuntimeError, ValueError):
        return []
    return [
        (Face(path, i, str(f.family_name)), str(f.style_name) in ("Regular", "Normal", "Book"))
        for i, f in enumerate(fonts)
    ]


def _has_chinese(face: Face) -> bool:
    """Whether the face draws the characters of 医保点值."""
    return not _missing(face, "医保点值")


@functools.cache
def warn_once() -> None:
    """Say once per process that Chinese figures get English labels, and how to mend it."""
    print(
        f"drgsim: warning: no Chinese font found; figures get English labels ({HOW})",
        file=sys.stderr,
        flush=True,
    )


def figure_lang(lang: str) -> str:
    """The language figures can be drawn in: English for Chinese when no Chinese font is found."""
    if lang == "zh" and find() is None:
        warn_once()
        return "en"
    return lang


def font_path() -> Path:
    """The path of the Chinese font file."""
    face = find()
    if face is None:
        raise DrgsimError(f"no Chinese font found; {HOW}")
    return face.path


def register() -> str:
    """Add the Chinese font to matplotlib's font manager once, and return its family name."""
    face = find()
    if face is None:
        raise DrgsimError(f"no Chinese font found; {HOW}")
    manager = font_manager.fontManager
    if not any(entry.name == face.family for entry in manager.ttflist):
        manager.addfont(str(face.path))
    return face.family


def rc() -> dict[Any, Any]:
    """matplotlib settings for drgsim's figures: the CJK font first, fixed SVG ids, no dates."""
    families = [register(), FALLBACK] if find() is not None else [FALLBACK]
    return {
        "font.family": families,
        "font.sans-serif": families,
        "axes.unicode_minus": True,
        "svg.hashsalt": "drgsim",
        "svg.fonttype": "path",
        "figure.dpi": 100,
    }


def missing_glyphs(strings: list[str]) -> str:
    """The characters of `strings` that the Chinese face has no glyph for (all without one)."""
    chars = "".join(sorted({c for s in strings for c in s if not c.isspace()}))
    face = find()
    return chars if face is None else _missing(face, chars)


def _missing(face: Face, chars: str) -> str:
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(face.path), face_index=face.index)
    return "".join(c for c in chars if font.get_char_index(ord(c)) == 0)


def subset_otf(text: str) -> bytes:
    """The CJK face cut down to the characters of `text`, as OpenType bytes for embedding.

    Empty when there is no Chinese font, or its licence forbids embedding (OS/2 fsType
    "restricted"): the report then names the reader's own Chinese fonts instead.
    """
    face = find()
    if face is None or not _embeddable(face):
        return b""
    return _subset(face, "".join(sorted({c for c in text if c.isprintable()})))


def _embeddable(face: Face) -> bool:
    """Whether the font's licence bits allow embedding it in a document."""
    from fontTools.ttLib import TTFont

    font = TTFont(str(face.path), fontNumber=face.index, lazy=True)
    return "OS/2" not in font or not int(font["OS/2"].fsType) & 0x0002


@functools.lru_cache(maxsize=8)
def _subset(face: Face, chars: str) -> bytes:
    """The subset font of a sorted string of characters; cached on disk, as it takes seconds."""
    import hashlib

    key = f"{face.path}\0{face.index}\0{chars}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:24]
    cached = jit.cache_home() / "fonts" / f"{digest}.otf"
    if cached.is_file():
        return cached.read_bytes()
    data = _make_subset(face, chars)
    jit.keep(cached, data)
    return data


def _make_subset(face: Face, chars: str) -> bytes:
    """Cut the CJK face down to `chars` with fontTools."""
    import io

    from fontTools import subset
    from fontTools.ttLib import TTFont

    font = TTFont(str(face.path), fontNumber=face.index, recalcTimestamp=False)
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
