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
from drgsim.kernels.aggregate import risk_counts
from drgsim.kernels.checks import same_length as check_length
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
        # per held month, what the regulator's counts take of it that later months cannot change
        self.held_counts: list[tuple[np.ndarray, ...]] = []
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
            self.year, self.held, self.held_counts = year, [], []
            self.rw, self.grouped = np.zeros(self.n_hosp), np.zeros(self.n_hosp)
        self.held.append(claims)
        n = self.n_hosp
        screened = np.asarray(claims.review.screened, dtype=bool)
        # the month's claims passed the insurer's check (engine.month_check), its DRGs index rw
        check_length(
            "risk_counts", claims.cases.n, drg=claims.drg, klass=claims.klass, screened=screened
        )
        counts = risk_counts.compiled(  # type: ignore[attr-defined]
            claims.cases.hospital, claims.drg, claims.klass, screened, rw, LOW_COST, n
        )
        self.rw += counts[1]
        self.grouped += counts[2]
        self.held_counts.append(tuple(counts))
        adjust = np.zeros((self.n_fund, n))
        if month % QUARTER_MONTHS != 0:
            return adjust
        held, self.held = self.held, []
        held_counts, self.held_counts = self.held_counts, []
        if self.cfg.targeted.count <= 0 or self.cfg.targeted.rate <= 0:
            return adjust
        chosen = self._choose(held, held_counts)
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
            rows = np.flatnonzero(part)
            if not rows.size:
                continue
            before = replace(batch)
            self._review(batch, rows)
            if batch is not claims:  # only the claims reviewed now change
                final_before = before.final_points(self.factor, rows)
                final = batch.final_points(self.factor, rows)
                totals.amend(before, batch, rows, final_before, final)
                row = batch.cases.fund[rows].astype(np.int64) * n + batch.cases.hospital[rows]
                adjust += np.bincount(
                    row, weights=final - final_before, minlength=self.n_fund * n
                ).reshape(self.n_fund, n)
        return adjust

    def _choose(
        self, held: list[PricedBatch], held_counts: list[tuple[np.ndarray, ...]]
    ) -> np.ndarray:
        """The quarter's riskiest hospitals by what the regulator sees of their claims.

        `held_counts` are each held month's claims, Σ RW, grouped claims, low-cost claims and
        screening hits per hospital; its readmitted stays are counted now (later months flag them).
        """
        n = self.n_hosp
        counts = np.zeros((6, n))
        for b, (claims, rw_sum, grouped, low, screened) in zip(held, held_counts, strict=True):
            counts[0] += claims
            counts[1] += rw_sum
            counts[2] += grouped
            # the readmitted stays' hospitals counted (weights of 0 and 1 add up to the same)
            counts[3] += np.bincount(b.cases.hospital[np.asarray(b.readmit, bool)], minlength=n)
            counts[4] += low
            counts[5] += screened
        claims, rw_sum, grouped, readmitted, low, screened = counts
        values = risk.risk_indicators(
            claims, rw_sum, grouped, readmitted, low, screened, self.last_cmi
        )
        return risk.targets(risk.risk_score(values), counts[0] > 0, self.cfg.targeted.count)

    @staticmethod
    def _join(held: list[PricedBatch]) -> dict[str, np.ndarray]:
        return {
            k: np.concatenate([getattr(b.cases, k) for b in held]) for k in ("hospital", "case_id")
        }

    def _review(self, batch: PricedBatch, taken: np.ndarray) -> None:
        """Review the claims `taken` (indices) of a held month as well: its audit's findings
        replaced there."""
        c = batch.cases
        done = audit.inspect(batch.review, c.acts, c.case_id, batch.true_points, taken, self.cfg)
        batch.review = done
        batch.points = done.found.points
        batch.audited = batch.audited.copy()
        batch.audited[taken] = True
        deducted = batch.deducted.copy()
        deducted[taken] = done.found.deducted_at(taken)
        batch.caught = done.found.caught
        batch.deducted = deducted
