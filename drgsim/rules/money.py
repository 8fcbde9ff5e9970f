"""Money in integer fen: largest-remainder splits and a ledger whose transfers conserve the total."""

from __future__ import annotations

import numpy as np

FEN_PER_YUAN = 100


def to_fen(yuan: float | np.ndarray) -> np.ndarray:
    """Yuan rounded to whole fen (half to even) as int64."""
    return np.rint(np.asarray(yuan, dtype=np.float64) * FEN_PER_YUAN).astype(np.int64)


def apportion(total_fen: int, exact_fen: np.ndarray) -> np.ndarray:
    """Whole-fen parts close to `exact_fen` that sum to `total_fen` exactly (largest remainder).

    Each part is the floor of its exact share; the fen still missing (or in excess, when the
    exact shares do not quite add up) go one each to the largest (or smallest) remainders,
    ties (remainders equal to a millionth of a fen) to the lower index.
    """
    exact = np.asarray(exact_fen, dtype=np.float64)
    parts = np.floor(exact).astype(np.int64)
    n = parts.shape[0]
    if n == 0:
        return parts
    missing = int(total_fen) - int(parts.sum())
    # remainders equal up to float noise are ties, which go to the lower index
    remainder = np.round(exact - parts, 6)
    order = np.argsort(-remainder if missing >= 0 else remainder, kind="stable")
    step = 1 if missing >= 0 else -1
    whole, rest = divmod(abs(missing), n)
    parts += step * whole
    parts[order[:rest]] += step
    return parts


def split_by_weights(total_fen: int, weights: np.ndarray) -> np.ndarray:
    """Split `total_fen` in proportion to non-negative weights; all to none if weights are 0."""
    w = np.asarray(weights, dtype=np.float64)
    s = w.sum()
    if s <= 0:
        return np.zeros(w.shape[0], dtype=np.int64)
    return apportion(total_fen, total_fen * (w / s))


class Ledger:
    """Accounts in integer fen; money only moves between accounts, so the total never changes."""

    def __init__(self, opening: dict[str, int]) -> None:
        self.balance = {name: int(v) for name, v in opening.items()}
        self.total = sum(self.balance.values())
        self.entries: list[tuple[str, str, str, int]] = []

    def transfer(self, src: str, dst: str, amount_fen: int, memo: str = "") -> None:
        """Move whole fen from `src` to `dst` (a negative amount moves it back)."""
        amount = int(amount_fen)
        self.balance[src] = self.balance.get(src, 0) - amount
        self.balance[dst] = self.balance.get(dst, 0) + amount
        self.entries.append((memo, src, dst, amount))

    def check(self) -> None:
        """Raise if the accounts no longer add up to the opening total."""
        now = sum(self.balance.values())
        if now != self.total:
            raise AssertionError(f"ledger out of balance by {now - self.total} fen")
