"""PNG files of drawn pixels, written in under half of PIL's time: every row filtered by its
difference to the row above (PNG's "Up" filter, in numpy) and deflated at zlib level 3, where
PIL tries five filters on every row; files about 5 % larger, the same pixels."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

import numpy as np

SIGNATURE = b"\x89PNG\r\n\x1a\n"
INCHES_PER_METRE = 1 / 0.0254
#: An RGBA pixel seen as its first three bytes: numpy copies such items whole, faster than a
#: slice of three channels byte by byte.
_RGB_OF_RGBA = np.dtype({"names": ["rgb"], "formats": ["V3"], "offsets": [0], "itemsize": 4})
_COLOUR_TYPE = {3: 2, 4: 6}  # PNG's colour type of RGB and RGBA pixels
_UP = 2  # PNG's filter type: each byte less the byte above it
LEVEL = 3  # zlib level: level 6 (its default) takes 2.5 times as long for files 8 % smaller


def write(pixels: np.ndarray, path: Path, dpi: float) -> None:
    """Write `pixels` (height × width × 3 RGB or × 4 RGBA, uint8) as a PNG file at `dpi`, with
    no text or time chunks, so that the same pixels give the same bytes."""
    height, width, channels = pixels.shape
    if pixels.dtype != np.uint8 or channels not in _COLOUR_TYPE:
        raise ValueError(f"PNG pixels must be uint8 RGB or RGBA, not {pixels.dtype} × {channels}")
    rows = pixels.reshape(height, width * channels)
    filtered = np.empty((height, width * channels + 1), dtype=np.uint8)
    filtered[:, 0] = _UP
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:])  # modulo 256, as PNG's filter is
    per_metre = int(dpi * INCHES_PER_METRE + 0.5)  # as PIL writes (and reads back) a resolution
    header = struct.pack(">IIBBBBB", width, height, 8, _COLOUR_TYPE[channels], 0, 0, 0)
    data = b"".join(
        (
            SIGNATURE,
            _chunk(b"IHDR", header),
            _chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1)),
            _chunk(b"IDAT", zlib.compress(filtered.data, LEVEL)),
            _chunk(b"IEND", b""),
        )
    )
    Path(path).write_bytes(data)


def rgb(rgba: np.ndarray) -> np.ndarray:
    """The red, green and blue channels of RGBA pixels (height × width × 4, uint8), as one
    contiguous height × width × 3 array."""
    height, width, _ = rgba.shape
    items = np.ascontiguousarray(rgba).reshape(height, width * 4).view(_RGB_OF_RGBA)["rgb"]
    return np.ascontiguousarray(items).view(np.uint8).reshape(height, width, 3)


def _chunk(kind: bytes, body: bytes) -> bytes:
    """A PNG chunk: length, type, body and the CRC of type and body."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
