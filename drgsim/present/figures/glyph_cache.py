"""The glyphs figures/glyphs.py keeps, shared: what a forked worker measured and rasterised is
sent back to its parent, and glyph metrics and bitmaps are kept on disk beside drgsim's other
caches, so that a new process draws its figures without rasterising them again.

A glyph on disk is keyed by its font file and face, and is used only while that file has the
size and modification time it had when the glyph was rasterised; the file's name holds
matplotlib's and FreeType's versions, the hinting and the code that rasterises.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib import ft2font
from matplotlib.backends.backend_agg import get_hinting_flag

from drgsim.kernels import jit
from drgsim.present.figures import glyphs

#: What glyphs.py keeps, in the order they are sent: per font and size its heights, per line
#: of text its layout, per glyph its metrics and its bitmaps.
TABLES: tuple[dict[Any, Any], ...] = (
    glyphs._heights,
    glyphs._runs,
    glyphs._glyphs,
    glyphs._bitmaps,
)
#: Where the kept glyphs stand: how many entries each table holds.
Mark = tuple[int, ...]

_on_disk: dict[str, Any] = {}  # this process's view of the file: its name and what it held


def mark() -> Mark:
    """How many entries each table holds now."""
    return tuple(len(table) for table in TABLES)


def since(before: Mark) -> tuple[Any, ...]:
    """The entries each table gained after `before` (tables only grow), bitmaps packed into one
    buffer (numpy arrays one by one unpickle slowly)."""
    added = [list(table.items())[n:] for table, n in zip(TABLES, before, strict=True)]
    return (*added[:3], _pack(added[3]))


def absorb(entries: tuple[Any, ...]) -> None:
    """Keep entries `since` gave (in another process), each where this process has none."""
    *plain, packed = entries
    for table, items in zip(TABLES, [*plain, _unpack(packed)], strict=True):
        for key, value in items:
            table.setdefault(key, value)


def load() -> None:
    """Read the glyph metrics and bitmaps kept on disk into glyphs.py's tables, once per
    process; a missing, unreadable or stale file is no error (glyphs are rasterised again)."""
    if _on_disk:
        return
    path = cache_file()
    _on_disk.update(path=path, glyphs=0, bitmaps=0)
    try:
        with open(path, "rb") as f:
            stored = pickle.load(f)
        if any(_stat(face) != stat for face, stat in stored["faces"].items()):
            return
        metrics, bitmaps = stored["glyphs"], _unpack(stored["bitmaps"])
    except Exception:  # a cache never stops a report: anything unreadable is rasterised again
        return
    kept: tuple[tuple[dict[Any, Any], list[Any]], ...] = (
        (glyphs._glyphs, metrics),
        (glyphs._bitmaps, bitmaps),
    )
    for table, items in kept:
        for key, value in items:
            table.setdefault(key, value)
    _on_disk.update(glyphs=len(metrics), bitmaps=len(bitmaps))


def save() -> None:
    """Write the glyph metrics and bitmaps this process holds to disk when it holds more than
    the file did (atomically; a read-only cache only costs time)."""
    if not _on_disk:
        load()
    if (len(glyphs._glyphs), len(glyphs._bitmaps)) <= (_on_disk["glyphs"], _on_disk["bitmaps"]):
        return
    metrics, bitmaps = list(glyphs._glyphs.items()), list(glyphs._bitmaps.items())
    faces = {key[0] for key, _ in metrics} | {key[0] for key, _ in bitmaps}
    stored = {
        "faces": {face: _stat(face) for face in faces},
        "glyphs": metrics,
        "bitmaps": _pack(bitmaps),
    }
    if jit.keep(_on_disk["path"], pickle.dumps(stored, protocol=pickle.HIGHEST_PROTOCOL)):
        _on_disk.update(glyphs=len(metrics), bitmaps=len(bitmaps))


def cache_file() -> Path:
    """The file of kept glyphs: in DRGSIM_CACHE_DIR (default ~/.cache/drgsim) under glyphs/,
    named for what rasterises them (matplotlib, FreeType, the hinting, this code)."""
    digest = hashlib.sha256()
    for part in (
        matplotlib.__version__,
        ft2font.__freetype_version__,
        str(get_hinting_flag()),
        str(matplotlib.rcParams["text.hinting_factor"]),
        str(glyphs.STEPS),
    ):
        digest.update(part.encode() + b"\0")
    digest.update(Path(glyphs.__file__).read_bytes())
    return jit.cache_home() / "glyphs" / f"{digest.hexdigest()[:16]}.pickle"


def _stat(face: glyphs.Face) -> tuple[int, int] | None:
    """A font file's size and modification time (None where it is gone)."""
    try:
        st = os.stat(face[0])
    except OSError:
        return None
    return st.st_size, st.st_mtime_ns


def _pack(items: list[tuple[Any, tuple[np.ndarray, int, int]]]) -> tuple[Any, ...]:
    """Bitmap entries as their keys, one buffer of their pixels and an array of where each
    lies in it (offset, rows, columns) with its left and top."""
    keys = [key for key, _ in items]
    where = np.zeros((len(items), 5), dtype=np.int64)
    offset = 0
    for row, (_, (buffer, left, top)) in zip(where, items, strict=True):
        rows, cols = buffer.shape
        row[:] = offset, rows, cols, left, top
        offset += buffer.size
    pixels = b"".join(
        np.ascontiguousarray(buffer, np.uint8).tobytes() for _, (buffer, _, _) in items
    )
    return keys, pixels, where.tobytes()


def _unpack(packed: tuple[Any, ...]) -> list[tuple[Any, tuple[np.ndarray, int, int]]]:
    """The bitmap entries `_pack` packed, each bitmap a view of one writeable copy of the
    buffer (Agg's draw_text_image takes only writeable arrays)."""
    keys, pixels, where_bytes = packed
    where = np.frombuffer(where_bytes, dtype=np.int64).reshape(-1, 5).tolist()
    flat = np.frombuffer(bytearray(pixels), dtype=np.uint8)
    out = []
    for key, (offset, rows, cols, left, top) in zip(keys, where, strict=True):
        bitmap = flat[offset : offset + rows * cols].reshape(rows, cols)
        out.append((key, (bitmap, left, top)))
    return out
