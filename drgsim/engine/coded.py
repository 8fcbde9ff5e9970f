"""A text column kept as codes into its few labels until its table is built (no string per row)."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Coded:
    """The text column `labels[codes]` of a block of rows: the tables make it text at once."""

    codes: np.ndarray  # int64, one per row
    labels: np.ndarray  # object array of str

    @classmethod
    def of(cls, labels: Any, codes: np.ndarray) -> Coded:
        """The column `labels[codes]` (labels: a sequence of str), a negative code counted from
        the end as numpy counts it."""
        labels = _label_array(labels) if isinstance(labels, tuple) else np.asarray(labels, object)
        codes = np.asarray(codes, dtype=np.int64)
        if codes.size and codes.min() < 0:
            codes = np.where(codes < 0, codes + labels.shape[0], codes)
        return cls(codes, labels)

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        """The column's text, one string per row (an object array)."""
        texts = self.labels[self.codes]
        return texts if dtype is None else texts.astype(dtype)


@functools.lru_cache(maxsize=64)
def _label_array(labels: tuple[str, ...]) -> np.ndarray:
    """A tuple of labels as one object array, the same for every block (tables join blocks'
    codes over each distinct array of labels once)."""
    return np.asarray(labels, dtype=object)
