"""The quarterly targeted inspection (spec §5): a quarter's claims held until its last month, then reviewed.

The engine settles month by month as claims are reported; a quarter's inspection runs when the
quarter's last month is settled, so its claims are all in. Reviewing an earlier month's claim
changes its points after that month was settled: the change is booked in the inspection's month
(as the readmission rule books its cuts), and deductions are taken at year end in any case.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from drgsim.engine.year_totals import PricedBatch, YearTotals
from drgsim.kernels.price import CLASS_NAMES
from drgsim.rules import audit, risk
from drgsim.scenario.schema import Audit

#: Months in a quarter; the readmission window keeps at least as many, so no earlier month's case
#: rows are written before its quarter's inspection.
QUARTER_MONTHS = 3
LOW_COST = CLASS_NAMES.index("low")


class Inspections:
    """The targeted inspections of a run: each quarter's claims and the CMI each year ends with."""

    def __init__(self, cfg: Audit, n_hosp: int, n_fund: int, factor: float) -> None:
        """`factor` is the readmission rule's (an inspected earlier stay keeps its cut)."""
        self.cfg, self.n_hosp, self.n_fund, self.factor = cfg, n_hosp, n_fund, factor
        self.year = -1
        self.held: list[PricedBatch] = []
        self.rw = np.zeros(n_hosp)  # this year's Σ RW of billed grouped claims, per hospital
        self.grouped = np.zeros(n_hosp)
        self.last_cmi: np.ndarray | None = None
        self.chosen: list[tuple[int, int, np.ndarray]] = []  # (year, month, hospitals inspected)

    def month(
        self, year: int, month: int, claims: PricedBatch, rw: np.ndarray, totals: YearTotals
    ) -> np.ndarray:
        """Hold a month's claims; at a quarter's last month inspect the quarter's riskiest hospitals.

        `rw` is the year's relative weight of each DRG. Earlier months' claims are amended in
        place and in `totals`; the change of their points is returned per hospital, to be booked
        in this month (fund × hospital). This month's claims are amended in place before they
        are totalled.
        """
        if year != self.year:
            if self.year >= 0:
                with np.errstate(invalid="ignore", divide="ignore"):
                    self.last_cmi = np.where(self.grouped > 0, self.rw / self.grouped, np.nan)
            self.year, self.held = year, []
            self.rw, self.grouped = np.zeros(self.n_hosp), np.zeros(self.n_hosp)
        self.held.append(claims)
        h, n = claims.cases.hospital, self.n_hosp
        billed = claims.drg >= 0
        self.rw += np.bincount(h[billed], weights=rw[claims.drg[billed]], minlength=n)
        self.grouped += np.bincount(h[billed], minlength=n)
        adjust = np.zeros((self.n_fund, n))
        if month % QUARTER_MONTHS != 0:
            return adjust
        held, self.held = self.held, []
        if self.cfg.targeted.count <= 0 or self.cfg.targeted.rate <= 0:
            return adjust
        chosen = self._choose(held, rw)
        self.chosen.append((year, month, chosen))
        quarter = self._join(held)
        taken = risk.take(
            quarter["hospital"],
            quarter["case_id"],
            chosen,
            self.cfg.targeted.rate,
            claims.review.key,
        )
        start = 0
        for batch in held:
            part = taken[start : start + batch.cases.n]
            start += batch.cases.n
            if not part.any():
                continue
            before = replace(batch)
            final_before = batch.final_points(self.factor)
            self._review(batch, part)
            if batch is not claims:
                final = batch.final_points(self.factor)
                totals.amend(before, batch, final_before, final, part)
                row = batch.cases.fund.astype(np.int64) * n + batch.cases.hospital
                adjust += np.bincount(
                    row, weights=final - final_before, minlength=self.n_fund * n
                ).reshape(self.n_fund, n)
        return adjust

    def _choose(self, held: list[PricedBatch], rw: np.ndarray) -> np.ndarray:
        """The quarter's riskiest hospitals by what the regulator sees of their claims."""
        n = self.n_hosp
        counts = np.zeros((5, n))
        for b in held:
            h = b.cases.hospital
            billed = b.drg >= 0
            counts[0] += np.bincount(h, minlength=n)
            counts[1] += np.bincount(h[billed], weights=rw[b.drg[billed]], minlength=n)
            counts[2] += np.bincount(h[billed], minlength=n)
            counts[3] += np.bincount(h, weights=b.readmit, minlength=n)
            counts[4] += np.bincount(h, weights=b.klass == LOW_COST, minlength=n)
        screened = sum(
            np.bincount(b.cases.hospital, weights=b.review.screened, minlength=n) for b in held
        )
        claims, rw_sum, grouped, readmitted, low = counts
        values = risk.risk_indicators(
            claims, rw_sum, grouped, readmitted, low, np.asarray(screened, float), self.last_cmi
        )
        return risk.targets(risk.risk_score(values), counts[0] > 0, self.cfg.targeted.count)

    @staticmethod
    def _join(held: list[PricedBatch]) -> dict[str, np.ndarray]:
        return {
            k: np.concatenate([getattr(b.cases, k) for b in held]) for k in ("hospital", "case_id")
        }

    def _review(self, batch: PricedBatch, taken: np.ndarray) -> None:
        """Review `taken` claims of a held month as well: its audit's findings replaced."""
        c = batch.cases
        done = audit.inspect(batch.review, c.acts, c.case_id, batch.true_points, taken, self.cfg)
        batch.review = done
        batch.points = done.found.points
        batch.audited = done.reviewed
        batch.caught = done.found.caught
        batch.deducted = done.found.deducted
