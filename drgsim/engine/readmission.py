"""The readmission window: each month's stays matched against the last months' claims (spec §2)."""

from __future__ import annotations

from collections import deque

import numpy as np

from drgsim.engine.year_totals import PricedBatch
from drgsim.kernels import checks
from drgsim.kernels.readmit import bitmap_bits, window_readmissions

#: Months of claims kept for the readmission rule: a later stay is matched with earlier stays
#: discharged in its own or the three months before.
READMISSION_MONTHS = 3


#: The stays' columns the readmission rule reads from each earlier month.
_COLUMNS = ("patient", "hospital", "adrg", "admit_day", "day")


def _padded(columns: list[np.ndarray], dtype: np.dtype) -> tuple[np.ndarray, ...]:
    """An earlier months' column, then empty ones up to READMISSION_MONTHS (the kernel is
    compiled once, for that many)."""
    pad = np.empty(0, dtype)
    return (*columns, *[pad] * (READMISSION_MONTHS - len(columns)))


class ReadmissionWindow:
    """The claims of the last READMISSION_MONTHS months of a year, open to the readmission rule."""

    def __init__(
        self, window_days: int, factor: float, n_hosp: int, exempt: np.ndarray, n_fund: int = 1
    ) -> None:
        """`exempt` marks the ADRGs whose stays the rule never cuts (readmission.exempt_adrgs)."""
        self.window_days, self.factor, self.n_hosp = window_days, factor, n_hosp
        self.n_fund = n_fund
        self.exempt = exempt
        # each month kept with its stays' keys (stay_keys); the month last matched, with its
        # keys, until add() keeps it
        self.recent: deque[tuple[PricedBatch, np.ndarray]] = deque()
        self.matched: tuple[PricedBatch, np.ndarray] | None = None

    def match(self, claims: PricedBatch) -> np.ndarray:
        """Flag stays readmitted within the window; the points this moves from earlier months.

        Earlier stays in this batch are flagged in `claims.readmit`; those of earlier months are
        flagged in their own batch, and the change of their points (× (factor − 1)) is returned
        per fund and hospital (fund × hospital), to be booked in this month.
        """
        c = claims.cases
        recent = [prior for prior, _ in self.recent]
        # each month's stays are checked once, when they come (their ADRGs index `exempt`);
        # the earlier months' were then, so the kernel runs without its front's scans of them
        name = "window_readmissions"
        checks.same_length(name, c.n, drg=claims.drg)
        checks.index(name, "adrg", c.adrg, 0, self.exempt.shape[0], "the ADRGs")
        flags, month, rows, keys = window_readmissions.compiled(  # type: ignore[attr-defined]
            c.patient,
            c.hospital,
            c.adrg,
            c.admit_day,
            c.day,
            claims.drg,
            self.exempt,
            self.window_days,
            bitmap_bits(c.n),
            _padded([keys for _, keys in self.recent], np.dtype(np.uint64)),
            *(
                _padded([getattr(p.cases, k) for p in recent], getattr(c, k).dtype)
                for k in _COLUMNS
            ),
            _padded([p.drg for p in recent], claims.drg.dtype),
        )
        n_h = self.n_hosp
        n_rows = self.n_fund * n_h
        adjust = np.zeros(n_rows)
        for b, prior in enumerate(recent):
            hit = rows[month == b] if rows.size else rows
            hit = hit[~prior.readmit[hit]]
            if hit.size:
                delta = prior.points[hit] * (self.factor - 1.0)
                row = prior.cases.fund[hit].astype(np.int64) * n_h + prior.cases.hospital[hit]
                adjust += np.bincount(row, weights=delta, minlength=n_rows)
                prior.readmit[hit] = True
        claims.readmit = flags
        self.matched = (claims, keys)
        return adjust.reshape(self.n_fund, n_h)

    def add(self, claims: PricedBatch) -> list[PricedBatch]:
        """Keep the month's claims `match` has just taken; return the months that leave the
        window (their rows are final)."""
        if self.matched is None or self.matched[0] is not claims:
            raise ValueError("ReadmissionWindow.add takes the month match() has just taken")
        self.recent.append(self.matched)
        self.matched = None
        out = []
        while len(self.recent) > READMISSION_MONTHS:
            out.append(self.recent.popleft()[0])
        return out

    def close(self) -> list[PricedBatch]:
        """Empty the window at year end; return the months still in it."""
        out = [prior for prior, _ in self.recent]
        self.recent.clear()
        return out
