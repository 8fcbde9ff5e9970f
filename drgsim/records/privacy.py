"""Patient identifiers never leave drgsim as given: salted sha256 pseudonyms replace them.

Each distinct patient id becomes the first 63 bits of sha256(salt + id) as an int64, so the
same patient keeps the same pseudonym within a table (readmissions are still found) while the
outputs cannot be joined back to the bureau's ids without the salt.

The salt is `privacy.salt` (scenario key) when given: then pseudonyms are the same in every run
and can be linked across files. Otherwise it is derived from the case table's own bytes
(sha256 of the file), recorded nowhere: the same file gets the same pseudonyms in every run,
variant and worker, and anyone without the source file can neither reverse nor test a
pseudonym. A DataFrame given in memory gets a fresh random salt. With
`privacy.hash_patient_ids: false` whole-number ids are kept as given (other ids become their
order of first appearance, since drgsim's tables hold patient ids as integers).
"""

from __future__ import annotations

import hashlib
import secrets
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

MASK_63 = (1 << 63) - 1


def file_salt(path: str | Path) -> bytes:
    """The default salt of a case table file: sha256 of its bytes (kept in memory only)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 22), b""):
            digest.update(block)
    return digest.digest()


def pseudonyms(ids: list[bytes], salt: bytes) -> np.ndarray:
    """int64 pseudonym of each id (UTF-8 bytes): the first 63 bits of sha256(salt + id)."""
    sha = hashlib.sha256
    blob = b"".join([sha(salt + value).digest()[:8] for value in ids])
    return np.frombuffer(blob, dtype=">u8").astype(np.int64) & MASK_63


def patient_codes(
    values: pa.Array | None,
    rows: np.ndarray,
    *,
    salt: bytes | str | None,
    hash_ids: bool,
    path: object,
) -> np.ndarray:
    """Each row's patient as an int64: a salted pseudonym, or the id as given when allowed.

    Rows without an id (or a table without the column) get a distinct negative code each
    (minus the row number), so they never pair as readmissions.
    """
    if values is None:
        return -rows.astype(np.int64)
    if pa.types.is_dictionary(values.type):
        values = values.cast(pa.string())
    if not hash_ids:
        return _as_given(values, rows)
    raw = pc.dictionary_encode(values.cast(pa.string()))
    trimmed = pc.dictionary_encode(pc.utf8_trim_whitespace(raw.dictionary))  # ' P1' is 'P1'
    labels = trimmed.dictionary.cast(pa.binary()).to_pylist()
    codes = np.append(pseudonyms(labels, _salt(salt, path)), 0)
    first = raw.indices.fill_null(len(raw.dictionary)).to_numpy(zero_copy_only=False)
    to_trimmed = np.append(trimmed.indices.to_numpy(zero_copy_only=False), len(labels))
    idx = to_trimmed[first].astype(np.int64)
    blank = np.array([not x for x in labels] + [True])[idx]
    return np.where(blank, -rows.astype(np.int64), codes[idx])


def _salt(salt: bytes | str | None, path: object) -> bytes:
    """The salt to use: the given one, the file's digest, or fresh random bytes."""
    if isinstance(salt, bytes):
        return salt
    if isinstance(salt, str):
        return salt.encode("utf-8")
    if isinstance(path, str | Path) and Path(path).is_file():
        return file_salt(path)
    return secrets.token_bytes(32)


def _as_given(values: pa.Array, rows: np.ndarray) -> np.ndarray:
    """Whole-number ids as they are; anything else numbered by first appearance."""
    missing = ~np.asarray(values.is_valid().to_numpy(zero_copy_only=False), dtype=bool)
    try:
        out = pc.cast(values, pa.int64()).fill_null(0).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        enc = pc.dictionary_encode(pc.utf8_trim_whitespace(values.cast(pa.string())))
        out = enc.indices.fill_null(0).to_numpy(zero_copy_only=False)
    return np.where(missing, -rows.astype(np.int64), out.astype(np.int64))
