"""The readmission window: each month's stays matched against the last months' claims (spec §2)."""

from __future__ import annotations

from collections import deque

import numpy as np

from drgsim.engine.year_totals import PricedBatch
from drgsim.kernels.readmit import bitmap_bits, patient_bits, rows_maybe_seen
from drgsim.rules.pricing import readmission_earlier

#: Months of claims kept for the readmission rule: a later stay is matched with earlier stays
#: discharged in its own or the two months before.
READMISSION_MONTHS = 3


class ReadmissionWindow:
    """The claims of the last READMISSION_MONTHS months of a year, open to the readmission rule."""

    def __init__(
        self, window_days: int, factor: float, n_hosp: int, exempt: np.ndarray, n_fund: int = 1
    ) -> None:
        """`exempt` marks the ADRGs whose stays the rule never cuts (readmission.exempt_adrgs)."""
        self.window_days, self.factor, self.n_hosp = window_days, factor, n_hosp
        self.n_fund = n_fund
        self.exempt = exempt
        self.any_exempt = bool(exempt.any())
        self.recent: deque[PricedBatch] = deque()

    def match(self, claims: PricedBatch) -> np.ndarray:
        """Flag stays readmitted within the window; the points this moves from earlier months.

        Earlier stays in this batch are flagged in `claims.readmit`; those of earlier months are
        flagged in their own batch, and the change of their points (× (factor − 1)) is returned
        per fund and hospital (fund × hospital), to be booked in this month.
        """
        window, n_h = self.window_days, self.n_hosp
        start = int(claims.cases.admit_day.min()) - window if claims.cases.n else 0
        # a pair's later stay is in this batch, so only earlier stays discharged late enough
        # whose patient has a stay in this batch can be its earlier stay
        size_bits = bitmap_bits(claims.cases.n)
        seen = patient_bits(claims.cases.patient, size_bits)
        recent = [
            (c, rows_maybe_seen(c.cases.patient, c.cases.day, start, seen, size_bits))
            for c in self.recent
        ]
        recent = [(c, rows) for c, rows in recent if rows.size]
        cols = ("patient", "hospital", "adrg", "admit_day", "day")
        pool = {
            k: np.concatenate(
                [*(getattr(c.cases, k)[rows] for c, rows in recent), getattr(claims.cases, k)]
            )
            for k in cols
        }
        grouped = np.concatenate([*(c.drg[rows] for c, rows in recent), claims.drg]) >= 0
        if self.any_exempt:
            grouped &= ~self.exempt[pool["adrg"]]
        flags = readmission_earlier(
            pool["patient"],
            pool["hospital"],
            pool["adrg"],
            pool["admit_day"],
            pool["day"],
            grouped,
            window,
        )
        n_rows = self.n_fund * n_h
        adjust = np.zeros(n_rows)
        offset = 0
        for prior, rows in recent:
            hit = rows[flags[offset : offset + rows.size] & ~prior.readmit[rows]]
            if hit.size:
                delta = prior.points[hit] * (self.factor - 1.0)
                row = prior.cases.fund[hit].astype(np.int64) * n_h + prior.cases.hospital[hit]
                adjust += np.bincount(row, weights=delta, minlength=n_rows)
                prior.readmit[hit] = True
            offset += rows.size
        claims.readmit = flags[offset:]
        return adjust.reshape(self.n_fund, n_h)

    def add(self, claims: PricedBatch) -> list[PricedBatch]:
        """Keep a month's claims; return the months that leave the window (their rows are final)."""
        self.recent.append(claims)
        out = []
        while len(self.recent) > READMISSION_MONTHS:
            out.append(self.recent.popleft())
        return out

    def close(self) -> list[PricedBatch]:
        """Empty the window at year end; return the months still in it."""
        out = list(self.recent)
        self.recent.clear()
        return out
