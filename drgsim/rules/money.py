"""Money in integer fen: exact conversions, largest-remainder splits, transfers and their ledger."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from drgsim.kernels.remainder import largest_remainder

FEN_PER_YUAN = 100

#: The ledger's named accounts: the fund's budget, the adjustment reserve and the incentive pool.
FUND, RESERVE, POOL = "fund", "reserve", "pool"
#: Stands for every hospital's own account: a transfer to or from it has one amount per hospital.
HOSPITALS = "hospitals"


def written(value: float | int | Fraction) -> Fraction:
    """The exact number a scenario value stands for: a float is read as the decimal it is written as.

    0.1 is 1/10 and 67108865.742 is 67108865742/1000 (a float's shortest repr is the decimal
    written in the file), so shares and amounts of money lose nothing to binary floats.
    """
    if isinstance(value, Fraction):
        return value
    if isinstance(value, int | np.integer):
        return Fraction(int(value))
    return _written_float(float(value))


@functools.lru_cache(maxsize=1024)
def _written_float(number: float) -> Fraction:
    """`written` of a float, remembered: the same shares and rates are read every month."""
    if not math.isfinite(number):
        raise ValueError(f"not a finite amount: {number!r}")
    return Fraction(repr(number))


def round_fen(exact_fen: Fraction) -> int:
    """An exact amount of fen rounded to a whole fen, half to even (spec §7)."""
    return round(exact_fen)


def grown_fen(yuan: float | int | Fraction, growth: float | Fraction, years: int) -> int:
    """`yuan × (1 + growth)^years` in whole fen, computed exactly and rounded once (spec §3)."""
    return round_fen(written(yuan) * (1 + written(growth)) ** years * FEN_PER_YUAN)


def share_fen(total_fen: int, share: float | Fraction) -> int:
    """The whole fen of `share` of `total_fen` (a reserve, a pre-paid part): exact, half to even."""
    # remembered per float: shares recur every month (a float straight to the cache)
    exact = _written_float(share) if type(share) is float else written(share)
    num, den = exact.numerator, exact.denominator
    whole, rest = divmod(int(total_fen) * num, den)
    if 2 * rest > den or (2 * rest == den and whole % 2):
        whole += 1
    return whole


def scale_fen(amount_fen: np.ndarray, factors: Iterable[Fraction]) -> np.ndarray:
    """Each amount times its exact factor, in whole fen (half to even) as int64."""
    amounts = np.asarray(amount_fen, dtype=np.int64)
    scaled = [round_fen(int(a) * f) for a, f in zip(amounts, factors, strict=True)]
    return np.array(scaled, dtype=np.int64)


def to_fen(yuan: float | np.ndarray) -> np.ndarray:
    """Computed amounts in yuan (floats, e.g. a point value × points) in whole fen, half to even.

    Numbers written in a scenario go through `grown_fen` and `share_fen`, which read them as the
    decimals they are written as.
    """
    return np.rint(np.asarray(yuan, dtype=np.float64) * FEN_PER_YUAN).astype(np.int64)


def apportion(total_fen: int, exact_fen: np.ndarray) -> np.ndarray:
    """Whole-fen parts close to `exact_fen` that sum to `total_fen` exactly (largest remainder).

    Each part is the floor of its exact share; the fen still missing (or in excess, when the
    exact shares do not quite add up) go one each to the largest (or smallest) remainders,
    ties (remainders equal to a millionth of a fen) to the lower index. An amount that is not
    finite, or whose fen do not fit in int64, is refused: it would otherwise wrap silently.
    """
    exact = np.ascontiguousarray(exact_fen, dtype=np.float64)
    if exact.ndim != 1:
        raise ValueError(f"apportion: exact amounts have shape {exact.shape}; expected one axis")
    if exact.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    parts, bad = largest_remainder(int(total_fen), exact)
    if bad >= 0:
        raise unpayable(float(exact[bad]))
    return parts


def unpayable(exact_fen: float) -> ValueError:
    """The error of an exact amount that has no whole fen (not finite, or beyond int64)."""
    return ValueError(
        f"apportion: an exact amount of {exact_fen!r} fen; expected finite fen within ±2**62"
    )


def split_by_weights(total_fen: int, weights: np.ndarray) -> np.ndarray:
    """Split `total_fen` in proportion to non-negative weights; all to none if weights are 0."""
    w = np.asarray(weights, dtype=np.float64)
    s = w.sum()
    if s <= 0:
        return np.zeros(w.shape[0], dtype=np.int64)
    return apportion(total_fen, total_fen * (w / s))


def split_exact(total_fen: int, weights: Iterable[float | int | Fraction]) -> np.ndarray:
    """Split `total_fen` by weights read as written decimals: exact largest remainder, ties first.

    Used where the weights are written (or forecast) shares, so a month budget follows them to the
    fen: each part is the floor of `total × w / Σw`, computed exactly, and the fen still missing
    go one each to the largest remainders (the lower index first on ties).
    """
    w = [written(x) for x in weights]
    # the weights as whole numbers over one common denominator: total × w_i / Σw is then
    # total × n_i / Σn, its floor and remainder one integer division (no Fraction arithmetic)
    common = math.lcm(*(x.denominator for x in w)) if w else 1
    nums = [x.numerator * (common // x.denominator) for x in w]
    s = sum(nums)
    if s <= 0:
        return np.zeros(len(w), dtype=np.int64)
    total = int(total_fen)
    split = [divmod(total * n, s) for n in nums]  # (floor, remainder × Σn) of each exact part
    parts = [q for q, _ in split]
    order = sorted(range(len(w)), key=lambda i: (-split[i][1], i))
    for i in order[: total - sum(parts)]:
        parts[i] += 1
    return np.array(parts, dtype=np.int64)


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
