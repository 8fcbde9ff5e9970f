"""A year's running totals per hospital, added to month by month so no year of cases is kept."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drgsim.acts import ACT, ACTS, AUDITED, UNBORNE_BITS
from drgsim.cases import CaseBatch
from drgsim.kernels.act_totals import KINDS as GAIN_KINDS
from drgsim.kernels.act_totals import act_totals, split_firsts
from drgsim.kernels.aggregate import CELL_COLUMNS, SUM_COLUMNS, cell_totals_of, month_totals
from drgsim.kernels.checks import index as check_index
from drgsim.kernels.checks import same_length as check_length
from drgsim.kernels.price import CLASS_NAMES
from drgsim.kernels.tally import audit_tally as tally_kernel
from drgsim.population.behaviour import ActRecord
from drgsim.rules.audit import Review
from drgsim.rules.tariff import Reference

#: Acts whose gain is counted from their claims (the others' from what they saved, or not at all).
CLAIM_GAINS = tuple(a for a in ACTS if a.gain not in (None, "saved_cost"))
N_CLASSES = len(CLASS_NAMES)
_GAIN_BITS = np.array([a.bit for a in CLAIM_GAINS], dtype=np.uint8)
_GAIN_KINDS = np.array([GAIN_KINDS.index(str(a.gain)) for a in CLAIM_GAINS], dtype=np.int64)
#: The bit of the act whose gain counts split stays (the registry has one such act).
(_SPLIT_BIT,) = (np.uint8(a.bit) for a in CLAIM_GAINS if a.gain == "split_stays")
#: The rows of the audit's tally per hospital: the claims carrying each act, then those carrying
#: none (a claim with several acts counts in each of their rows).
TALLY_ROWS = (*(a.name for a in ACTS), "none")
#: The values a claim's `acts` byte can take.
ACT_PATTERNS = 256
#: Whether claims of each `acts` byte (columns) count in each tally row (rows): those carrying
#: the row's act, or for "none" those carrying no act.
TALLY_CARRIES = np.array(
    [
        [(p & ACT[name].bit) != 0 if name in ACT else p == 0 for p in range(ACT_PATTERNS)]
        for name in TALLY_ROWS
    ],
    dtype=np.float64,
)
#: Each audited act's bit and its row of the tally.
AUDITED_BITS = np.array([a.bit for a in AUDITED], dtype=np.int64)
AUDITED_ROWS = np.array([TALLY_ROWS.index(a.name) for a in AUDITED], dtype=np.int64)
#: The columns of the audit's tally: claims, why they were reviewed, acts confirmed, points deducted.
TALLY_COLUMNS = (
    "claims",
    "screened",
    "sampled",
    "inspected",
    "reviewed",
    "confirmed",
    "deducted_points",
)


@dataclass
class PricedBatch:
    """A month's claims as the insurer priced and audited them."""

    cases: CaseBatch
    drg: np.ndarray
    klass: np.ndarray
    points: np.ndarray  # after audit repricing, before the readmission factor
    true_points: np.ndarray  # what the case would earn at its true DRG
    readmit: np.ndarray  # bool: earlier stay of a readmission, points × factor
    audited: np.ndarray
    caught: np.ndarray
    deducted: np.ndarray
    special: np.ndarray  # int8: standing in special review (rules.pricing.SPECIAL_STATUS)
    review: Review  # how the audit reviewed these claims (points, audited, caught, deducted)

    def final_points(self, factor: float, rows: np.ndarray | None = None) -> np.ndarray:
        """Points after the readmission rule (of the claims `rows`, indices, if given)."""
        if rows is None:
            return np.where(self.readmit, self.points * factor, self.points)
        points = self.points[rows]
        return np.where(self.readmit[rows], points * factor, points)


@dataclass(frozen=True)
class MonthTotals:
    """A month's claims summed in one pass (kernels.aggregate.month_totals)."""

    final: np.ndarray  # each claim's points after the readmission rule
    month: np.ndarray  # [fund × hospital, 2]: Σ final points and Σ patient payments
    sums: np.ndarray  # [fund × hospital, SUM_COLUMNS]
    cell_keys: np.ndarray  # the (hospital, DRG) cells with claims: hospital × n_drg + DRG
    cell_sums: np.ndarray  # [cell_keys, CELL_COLUMNS] over the funds
    classes: np.ndarray  # [hospital, CLASS_NAMES]: claims of each case class

    @property
    def cases(self) -> np.ndarray:
        """Claims per fund × hospital."""
        return self.sums[:, 0].astype(np.int64)

    @staticmethod
    def of(
        claims: PricedBatch,
        factor: float,
        rw: np.ndarray,
        high_rw: float,
        n_fund: int,
        n_hosp: int,
    ) -> MonthTotals:
        """Sum a month's claims, once the readmission rule and inspections have set their
        points (`factor`: the readmission rule's; `rw`: the year's relative weights).

        The claims passed the insurer's month check (engine.month_check), so the kernel runs
        without its front's index checks; the arrays the month's kernels made are checked
        for length here.
        """
        c = claims.cases
        check_lengths(claims)
        return MonthTotals.summed(
            c.fund, c.hospital, claims.drg, claims.klass, claims.points, claims.readmit,
            factor, c.oop, c.cost, c.los, claims.deducted, claims.audited, claims.caught,
            c.acts, rw, high_rw, n_fund, n_hosp,
        )  # fmt: skip

    @staticmethod
    def summed(
        fund: np.ndarray, hospital: np.ndarray, drg: np.ndarray, klass: np.ndarray,
        points: np.ndarray, readmit: np.ndarray, factor: float, oop: np.ndarray,
        cost: np.ndarray, los: np.ndarray, deducted: np.ndarray, audited: np.ndarray,
        caught: np.ndarray, acts: np.ndarray, rw: np.ndarray, high_rw: float, n_fund: int,
        n_hosp: int,
    ) -> MonthTotals:  # fmt: skip
        """The month kernel's sums of claims given column by column, checked already (`of`;
        the settlement benchmark's claims): the one place the engine's acts and case classes
        are passed to it."""
        kernel = month_totals.compiled  # type: ignore[attr-defined]
        return MonthTotals(
            *kernel(
                fund, hospital, drg, klass, points, readmit, float(factor), oop, cost, los,
                deducted, audited, caught, acts, UNBORNE_BITS, rw, float(high_rw), n_fund,
                n_hosp, N_CLASSES,
            )
        )  # fmt: skip


@dataclass
class YearTotals:
    """Per-hospital sums of a year's claims: enough for indicators, settlement and adaptation.

    `fund_sums` hold the same sums per fund and hospital (fund-major: row f × n_hosp + h), for
    each fund's settlement; `sums` and `cells` are over all funds. Its months' claims passed
    the insurer's month check (engine.month_check): its kernels run without their fronts'.
    """

    n_hosp: int
    n_drg: int
    n_fund: int = 1
    # whether a later year reads this year's claims as reference cases (`history`)
    keep_reference: bool = True
    # whether the audit's tally per hospital is kept (`tally`, for the audit table)
    keep_tally: bool = True
    sums: dict[str, np.ndarray] = field(init=False)
    fund_sums: dict[str, np.ndarray] = field(init=False)
    # each month's cells with grouped claims and their sums (MonthTotals.cell_keys, cell_sums)
    cell_parts: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    act_points: dict[str, np.ndarray] = field(init=False)
    act_charges: dict[str, np.ndarray] = field(init=False)  # charges borne by the act's cases
    reference: list[Reference] = field(default_factory=list)
    tally: np.ndarray = field(init=False)  # [hospital, TALLY_ROWS, TALLY_COLUMNS]

    def __post_init__(self) -> None:
        self.sums = {k: np.zeros(self.n_hosp) for k in SUM_COLUMNS}
        self.fund_sums = {k: np.zeros(self.n_fund * self.n_hosp) for k in SUM_COLUMNS}
        self.classes = np.zeros((self.n_hosp, N_CLASSES), dtype=np.int64)
        self.act_points = {a.name: np.zeros(self.n_hosp) for a in CLAIM_GAINS}
        self.act_charges = {a.name: np.zeros(self.n_hosp) for a in CLAIM_GAINS}
        self.tally = np.zeros((self.n_hosp, len(TALLY_ROWS), len(TALLY_COLUMNS)))

    def add(self, claims: PricedBatch, month: MonthTotals, adjust: np.ndarray) -> None:
        """Add a month's claims (`month`: their sums); `adjust` (fund × hospital) moves earlier
        readmitted stays' points."""
        c = claims.cases
        sums = month.sums
        by_hospital = (
            sums if self.n_fund == 1 else sums.reshape(self.n_fund, self.n_hosp, -1).sum(0)
        )
        for k, name in enumerate(SUM_COLUMNS):
            self.fund_sums[name] += sums[:, k]
            self.sums[name] += by_hospital[:, k]
        adjust = np.asarray(adjust, dtype=np.float64).reshape(self.n_fund, self.n_hosp)
        self.fund_sums["points"] += adjust.ravel()
        self.sums["points"] += adjust.sum(axis=0)
        self.classes += month.classes
        self.cell_parts.append((month.cell_keys, month.cell_sums))
        self._add_acts(claims, month.final, self._act_cases(c))
        if self.keep_tally:
            self.tally += audit_tally(c.hospital, c.acts, claims.review, self.n_hosp, checked=True)
        if self.keep_reference:
            self.reference.append(Reference(c.hospital.copy(), claims.drg.copy(), c.cost.copy()))

    @property
    def cells(self) -> dict[str, np.ndarray]:
        """Each (hospital, DRG) cell's CELL_COLUMNS sums (hospital × n_drg + DRG) over the
        months so far, each added from 0 month by month (the months' cells added up at once)."""
        width = len(CELL_COLUMNS)
        table = np.zeros((width, self.n_hosp, self.n_drg))
        if self.cell_parts:
            hospital, drg, sums = cell_totals_of(self.cell_parts, self.n_hosp, self.n_drg, width)
            table[:, hospital, drg] = sums.T
        return dict(zip(CELL_COLUMNS, table.reshape(width, -1), strict=True))

    def fund(self, f: int) -> dict[str, np.ndarray]:
        """The sums of fund `f`'s claims per hospital."""
        rows = slice(f * self.n_hosp, (f + 1) * self.n_hosp)
        return {k: v[rows] for k, v in self.fund_sums.items()}

    def amend(
        self,
        before: PricedBatch,
        after: PricedBatch,
        rows: np.ndarray,
        final_before: np.ndarray,
        final: np.ndarray,
    ) -> None:
        """Replace an earlier month's audit by a later review of its claims `rows` (indices,
        increasing; `final_before` and `final` their points after the readmission rule).

        Only those claims change. The change of their points is booked as an adjustment of the
        month it happens in (like the readmission rule's), so only the audit's own sums change here.
        """
        h, n = after.cases.hospital, self.n_hosp
        row = after.cases.fund[rows].astype(np.int64) * n + h[rows]

        for name, new, old in (
            ("deducted", after.deducted[rows], before.deducted[rows]),
            ("audited", after.audited[rows], before.audited[rows]),
            ("caught", after.caught[rows] != 0, before.caught[rows] != 0),
        ):
            change = np.bincount(
                row, weights=new.astype(np.float64) - old, minlength=self.n_fund * n
            )
            self.fund_sums[name] += change
            self.sums[name] += change.reshape(self.n_fund, n).sum(axis=0)
        cases = self._act_cases(after.cases, rows)  # before's cases are after's
        self._add_acts(before, final_before, cases, sign=-1.0, rows=rows)
        self._add_acts(after, final, cases, rows=rows)
        c = after.cases
        if self.keep_tally:
            self.tally += audit_tally(h, c.acts, after.review, n, rows, checked=True) - audit_tally(
                h, c.acts, before.review, n, rows, checked=True
            )

    @staticmethod
    def _act_cases(
        c: CaseBatch, rows: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
        """What `_add_acts` reads of a month's cases (of the claims `rows`, indices, if given):
        hospital, acts, charges and whether each is a first stay of a split pair of the month;
        None when no case carries an act."""
        if not c.acts.any():
            return None
        firsts = split_firsts.compiled(  # type: ignore[attr-defined]
            c.case_id, c.acts, c.origin_id, c.origin_act, _SPLIT_BIT
        )  # a checked month's columns (engine.month_check) have one length
        if rows is None:
            return c.hospital, c.acts, c.cost, firsts
        return c.hospital[rows], c.acts[rows], c.cost[rows], firsts[rows]

    def _add_acts(
        self,
        claims: PricedBatch,
        final: np.ndarray,
        cases: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None,
        sign: float = 1.0,
        rows: np.ndarray | None = None,
    ) -> None:
        """Points and money each act brought its hospital this month (for adaptation).

        `cases` are `_act_cases` of the claims' cases. With `rows` (indices), only those
        claims' points and money are counted, `final` being theirs (split pairs are still
        matched over the whole month).
        """
        if cases is None:
            return

        def pick(values: np.ndarray) -> np.ndarray:
            return values if rows is None else values[rows]

        hospital, acts, cost, firsts = cases
        deducted, true_points = pick(claims.deducted), pick(claims.true_points)
        points = pick(claims.points)
        # a checked month's claims (engine.month_check): their hospitals index the sums
        check_length(
            "act_totals",
            hospital.shape[0],
            acts=acts,
            final=final,
            deducted=deducted,
            true_points=true_points,
            points=points,
            cost=cost,
            firsts=firsts,
        )
        gain, charges, lost = act_totals.compiled(  # type: ignore[attr-defined]
            hospital,
            acts,
            _GAIN_BITS,
            _GAIN_KINDS,
            final,
            deducted,
            true_points,
            points,
            cost,
            firsts,
            self.n_hosp,
        )
        for a, act in enumerate(CLAIM_GAINS):
            if act.gain == "split_stays":  # less what the first stays lose to readmission
                self.act_points[act.name] += sign * gain[a] - sign * lost[a]
            else:
                self.act_points[act.name] += sign * gain[a]
            if act.gain == "net_points_less_cost":
                self.act_charges[act.name] += sign * charges[a]

    def indicators(
        self, refused_high: np.ndarray, peers: np.ndarray | None = None
    ) -> dict[str, np.ndarray]:
        """Indicators of spec §6 from what the regulator sees: billed codes, costs, audits.

        `peers` numbers each hospital's peer group (its tier, or 0 for all): CEI and TEI divide
        by the group's mean in each DRG; without it the whole city is one group.
        """
        s = self.sums
        group = np.zeros(self.n_hosp, np.int64) if peers is None else np.asarray(peers, np.int64)
        cells = self.cells
        with np.errstate(invalid="ignore", divide="ignore"):
            return {
                "cost_efficiency": self._efficiency(cells, "cost", group),
                "time_efficiency": self._efficiency(cells, "los", group),
                "violation_rate": np.where(s["audited"] > 0, s["caught"] / s["audited"], 0.0),
                "referral_out_high": np.where(
                    s["high"] + refused_high > 0, refused_high / (s["high"] + refused_high), 0.0
                ),
                "cmi": np.where(s["grouped"] > 0, s["rw"] / s["grouped"], np.nan),
            }

    def _efficiency(self, cells: dict[str, np.ndarray], what: str, group: np.ndarray) -> np.ndarray:
        """Σ_g n_hg (v̄_hg / v̄_peers,g) / n_h over grouped cases: CEI for cost, TEI for stay.

        v̄_peers,g is the mean of the hospital's peer group in DRG g; NaN without cases.
        """
        n = cells["n"].reshape(self.n_hosp, self.n_drg)
        v = cells[what].reshape(self.n_hosp, self.n_drg)
        n_g, v_g = np.empty_like(n), np.empty_like(v)  # each hospital's peers' totals per DRG
        for peer in np.unique(group):
            mine = group == peer
            n_g[mine], v_g[mine] = n[mine].sum(axis=0), v[mine].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean_g = np.where(n_g > 0, v_g / np.maximum(n_g, 1), 0.0)
            ratio = np.where((n > 0) & (mean_g > 0), (v / np.maximum(n, 1)) / mean_g, 1.0)
            n_h = n.sum(axis=1)
            return np.where(n_h > 0, (n * ratio).sum(axis=1) / n_h, np.nan)

    def gains(
        self, point_value: float, record: ActRecord, variable_share: float
    ) -> dict[str, np.ndarray]:
        """Each hospital's margin gained in yuan from each act that adapts (spec §8).

        Points (gained less penalties, or given up) at the year's point value, less the
        variable cost (`variable_share` × charges) the act's cases bore, or plus what it saved;
        fixed cost is paid whatever the hospital does (drgsim.acts.Gain says what each counts).
        """
        pv = point_value if np.isfinite(point_value) else 0.0
        out = {
            k: pv * self.act_points[k] - variable_share * self.act_charges[k]
            for k in self.act_points
        }
        for k, saved in record.saved_charges.items():
            out[k] = variable_share * saved - pv * record.lost_points[k]
        return out

    def history(self) -> Reference:
        """The year's billed claims as reference cases for next year's weights."""
        return Reference(
            *(
                np.concatenate([getattr(r, k) for r in self.reference])
                if self.reference
                else np.empty(0)
                for k in ("hospital", "drg", "cost")
            )
        )


def check_lengths(claims: PricedBatch) -> None:
    """A priced month's arrays have one entry per claim (the kernels that made them keep it)."""
    r = claims.review
    check_length(
        "the month's priced claims",
        claims.cases.n,
        drg=claims.drg,
        klass=claims.klass,
        points=claims.points,
        true_points=claims.true_points,
        readmit=claims.readmit,
        audited=claims.audited,
        caught=claims.caught,
        deducted=claims.deducted,
        special=claims.special,
        screened=r.screened,
        sampled=r.sampled,
        inspected=r.inspected,
    )


def audit_tally(
    hospital: np.ndarray,
    acts: np.ndarray,
    review: Review,
    n_hosp: int,
    rows: np.ndarray | None = None,
    *,
    checked: bool = False,
) -> np.ndarray:
    """Per hospital, for the claims carrying each act (TALLY_ROWS): the TALLY_COLUMNS counts.

    With `rows` (indices or bool), only those claims are counted. `checked`: the claims
    passed the insurer's month check (engine.month_check) and `rows` are its claims, so the
    kernel runs without its front's.
    """
    found = review.found
    if rows is None:
        take, every = np.empty(0, np.int64), True
    else:  # those claims alone, in that order: the same sums, over fewer claims
        take = np.flatnonzero(rows) if rows.dtype == bool else np.asarray(rows, dtype=np.int64)
        check_index("audit_tally", "rows", take, 0, hospital.shape[0], "the claims")
        every = False
    kernel = tally_kernel.compiled if checked else tally_kernel  # type: ignore[attr-defined]
    return kernel(
        hospital,
        acts,
        np.asarray(review.screened, dtype=bool),
        np.asarray(review.sampled, dtype=bool),
        np.asarray(review.inspected, dtype=bool),
        np.asarray(found.caught),
        np.asarray(found.deducted_by_act, dtype=np.float64),
        take,
        every,
        TALLY_CARRIES,
        AUDITED_BITS,
        AUDITED_ROWS,
        n_hosp,
    )
