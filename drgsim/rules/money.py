"""Money in integer fen: largest-remainder splits, transfers, and a ledger that books them."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

FEN_PER_YUAN = 100

#: The ledger's named accounts: the fund's budget, the adjustment reserve and the incentive pool.
FUND, RESERVE, POOL = "fund", "reserve", "pool"
#: Stands for every hospital's own account: a transfer to or from it has one amount per hospital.
HOSPITALS = "hospitals"


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


@dataclass(frozen=True)
class Transfer:
    """Whole fen moved from `src` to `dst`; where either is HOSPITALS, one amount per hospital."""

    src: str
    dst: str
    amount_fen: np.ndarray
    memo: str

    @staticmethod
    def of(src: str, dst: str, amount_fen: int | np.ndarray, memo: str) -> Transfer:
        """A transfer with its amount as int64 (a scalar between named accounts)."""
        amount = np.asarray(amount_fen, dtype=np.int64)
        if (HOSPITALS in (src, dst)) != (amount.ndim == 1) or src == dst:
            raise ValueError(f"transfer {memo!r} {src} → {dst}: amount of shape {amount.shape}")
        return Transfer(src, dst, amount, memo)

    def moved_fen(self) -> int:
        """The total moved (a negative amount moves money back)."""
        return int(self.amount_fen.sum())


class Ledger:
    """Accounts in integer fen: named accounts and one per hospital; only transfers change them."""

    def __init__(self, opening: dict[str, int], n_hospitals: int) -> None:
        self.balance = {name: int(v) for name, v in opening.items()}
        self.hospitals = np.zeros(n_hospitals, dtype=np.int64)
        self.total = sum(self.balance.values())
        self.entries: list[Transfer] = []

    def book(self, transfers: Iterable[Transfer]) -> None:
        """Book each transfer as given: debit its source, credit its destination."""
        for t in transfers:
            for account, sign in ((t.src, -1), (t.dst, 1)):
                if account == HOSPITALS:
                    self.hospitals += sign * t.amount_fen
                else:
                    self.balance[account] = self.balance.get(account, 0) + sign * t.moved_fen()
            self.entries.append(t)

    def held(self, account: str) -> int:
        """The balance of a named account (0 if nothing was ever booked to it)."""
        return self.balance.get(account, 0)

    def check(self) -> None:
        """Raise if the accounts no longer add up to the opening total."""
        now = sum(self.balance.values()) + int(self.hospitals.sum())
        if now != self.total:
            raise AssertionError(f"ledger out of balance by {now - self.total} fen")
