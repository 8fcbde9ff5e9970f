"""The rows of a simulation's output tables, as blocks of column arrays."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drgsim.acts import RECODED_BITS
from drgsim.cases import DISCHARGE_TYPES, act_names
from drgsim.engine.coded import Coded
from drgsim.engine.drg_totals import DrgTotals
from drgsim.engine.year_totals import TALLY_COLUMNS, TALLY_ROWS, PricedBatch
from drgsim.kernels.drg_split import cells_over_funds
from drgsim.kernels.price import CLASS_NAMES
from drgsim.population.hospitals import HospitalTable
from drgsim.rules import costs
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.money import apportion
from drgsim.rules.pricing import SPECIAL_STATUS
from drgsim.rules.settlement import MonthResult, YearResult
from drgsim.rules.tariff import Tariff

#: Rows of a table: each item is one block of rows as a mapping of column name → array.
Rows = list[dict[str, Any]]


@dataclass
class Tables:
    """The output tables of one simulation, each a list of blocks of column arrays."""

    hospital_month: Rows = field(default_factory=list)
    settlement: Rows = field(default_factory=list)
    region_year: Rows = field(default_factory=list)
    fund_settlement: Rows = field(default_factory=list)  # only with several funds
    catalogue: Rows = field(default_factory=list)
    cases: Rows = field(default_factory=list)
    audit: Rows = field(default_factory=list)
    drg_margin: Rows = field(default_factory=list)
    kept: Rows = field(default_factory=list)  # case rows of the claims a ClaimPick keeps
    kept_tariffs: dict[int, Tariff] = field(default_factory=dict)  # calendar year → its tariff


def joined(blocks: Rows) -> Rows:
    """The blocks as one block of the same rows in the same order where every block has the
    same columns and each column is made of numpy arrays of one dtype, or of text codes over
    one array of labels; else the blocks as they are. A table is the same built from either:
    one block a year instead of one a month and fund is handed to a run's parent faster."""
    if len(blocks) < 2:
        return blocks
    names = list(blocks[0])
    if any(list(block) != names for block in blocks[1:]):
        return blocks
    out: dict[str, Any] = {}
    for name in names:
        parts = [block[name] for block in blocks]
        first = parts[0]
        if isinstance(first, np.ndarray) and all(
            isinstance(p, np.ndarray) and p.dtype == first.dtype for p in parts
        ):
            out[name] = np.concatenate(parts)
        elif isinstance(first, Coded) and all(
            isinstance(p, Coded) and p.labels is first.labels for p in parts
        ):
            out[name] = Coded(np.concatenate([p.codes for p in parts]), first.labels)
        else:
            return blocks
    return [out]


#: The tables a simulation may be asked to build (Simulation's `tables`); the settlement's
#: own (hospital_month, settlement, region_year) are always built, the year's money depends on
#: their sums.
OPTIONAL_TABLES = ("fund_settlement", "catalogue", "audit", "drg_margin")


@dataclass(frozen=True)
class ClaimPick:
    """The claims a simulation keeps beside its tables, so that a hospital's change can be
    explained without simulating again: in `years` (0-based), every claim an act recoded and
    every claim of the hospitals marked in `hospitals`."""

    years: frozenset[int]
    hospitals: np.ndarray  # bool per hospital

    def rows(self, year_index: int, claims: PricedBatch) -> np.ndarray | None:
        """The rows of a month's claims to keep, or None in a year it keeps nothing of."""
        if year_index not in self.years:
            return None
        c = claims.cases
        return np.flatnonzero(self.hospitals[c.hospital] | ((c.acts & RECODED_BITS) != 0))


@dataclass(frozen=True)
class Paid:
    """What each hospital was paid in a year, over every fund (a hospital's payment is their sum)."""

    prepaid_fen: np.ndarray
    withheld_fen: np.ndarray
    deduction_fen: np.ndarray
    incentive_fen: np.ndarray
    final_fen: np.ndarray

    @classmethod
    def over(
        cls, results: list[YearResult], prepaid: list[np.ndarray], withheld: list[np.ndarray]
    ) -> Paid:
        """The sums over the funds' year-end settlements and months' payments, in whole fen."""

        def total(arrays: list[np.ndarray]) -> np.ndarray:
            return arrays[0].copy() if len(arrays) == 1 else np.sum(arrays, axis=0)

        return cls(
            total(prepaid),
            total(withheld),
            total([r.deduction_fen for r in results]),
            total([r.incentive_fen for r in results]),
            total([r.final_fen for r in results]),
        )


def hospital_month_rows(
    year: int,
    month: int,
    hospitals: HospitalTable,
    cases: np.ndarray,
    points: np.ndarray,
    oop_yuan: np.ndarray,
    res: MonthResult,
) -> dict[str, Any]:
    """Each hospital's cases, points and money in one month."""
    n_h = hospitals.n
    return {
        "year": np.full(n_h, year),
        "month": np.full(n_h, month),
        "hospital": np.asarray(hospitals.ids, dtype=object),
        "cases": cases,
        "points": points,
        "oop_yuan": oop_yuan,
        "point_value": np.full(n_h, res.point_value),
        "allocation_fen": res.allocation_fen,
        "prepaid_fen": res.prepaid_fen,
        "withheld_fen": res.withheld_fen,
    }


def settlement_rows(
    year: int,
    hospitals: HospitalTable,
    sums: dict[str, np.ndarray],
    classes: np.ndarray,
    values: dict[str, np.ndarray],
    scores: np.ndarray,
    coefficient: np.ndarray,
    prepaid_fen: np.ndarray,
    withheld_fen: np.ndarray,
    res: Paid,
    rates: dict[str, np.ndarray],
    fixed_cost: np.ndarray,
    variable_share: float,
) -> dict[str, Any]:
    """Each hospital's year over every fund: claims, indicators, coefficient, money, cost and
    margin (spec §8)."""
    n_h = hospitals.n
    oop, true_cost = sums["oop"], sums["true_cost"]  # true cost: charges of the cases treated
    variable_cost = costs.variable_cost_yuan(true_cost, variable_share)
    return {
        "year": np.full(n_h, year),
        "hospital": np.asarray(hospitals.ids, dtype=object),
        "name": np.asarray(hospitals.names, dtype=object),
        "tier": np.asarray(hospitals.tier, dtype=np.int64),
        "cases": sums["cases"].astype(np.int64),
        "points": sums["points"].astype(np.float64),
        "deducted_points": sums["deducted"].astype(np.float64),
        "cmi": values["cmi"],
        "cei": values["cost_efficiency"],
        "tei": values["time_efficiency"],
        "violation_rate": values["violation_rate"],
        "referral_out_high": values["referral_out_high"],
        "score": scores,
        "coefficient": coefficient,
        "prepaid_fen": prepaid_fen,
        "withheld_fen": withheld_fen,
        "deduction_fen": res.deduction_fen,
        "incentive_fen": res.incentive_fen,
        "final_fen": res.final_fen,
        "true_cost_yuan": true_cost,
        "charges_yuan": sums["charges"],  # billed, every claim's (clearing's C_h adds − oop)
        "oop_yuan": oop,
        "fixed_cost_yuan": np.asarray(fixed_cost, dtype=np.float64),
        "variable_cost_yuan": variable_cost,
        "margin_yuan": costs.margin_yuan(res.final_fen, oop, fixed_cost, variable_cost),
        "settlement_ratio": costs.settlement_ratio(res.final_fen, sums["charges"], oop),
        **{f"cases_{name}": classes[:, k] for k, name in enumerate(CLASS_NAMES)},
        **{f"rate_{act}": r for act, r in rates.items()},
    }


def fund_settlement_rows(
    year: int,
    hospitals: HospitalTable,
    sums: dict[str, np.ndarray],
    prepaid_fen: np.ndarray,
    withheld_fen: np.ndarray,
    res: YearResult,
) -> dict[str, Any]:
    """Each hospital's year in one fund: its claims there and the fund's money (spec §3)."""
    n_h = hospitals.n
    return {
        "year": np.full(n_h, year),
        "hospital": np.asarray(hospitals.ids, dtype=object),
        "cases": sums["cases"].astype(np.int64),
        "points": sums["points"].astype(np.float64),
        "deducted_points": sums["deducted"].astype(np.float64),
        "charges_yuan": sums["charges"],
        "oop_yuan": sums["oop"],
        "point_value": np.full(n_h, res.point_value),
        "prepaid_fen": prepaid_fen,
        "withheld_fen": withheld_fen,
        "deduction_fen": res.deduction_fen,
        "incentive_fen": res.incentive_fen,
        "final_fen": res.final_fen,
    }


def region_year_row(
    year: int,
    budget_fen: int,
    reserve_fen: int,
    available_fen: int,
    res: YearResult,
    sums: dict[str, np.ndarray],
    retained_fen: int,
    base_points: float,
) -> dict[str, Any]:
    """The region's year: budget, point value, claims, money paid and kept.

    paid + reserve kept + retained = budget; retained is the ceiling surplus, the unpaid
    withholding and the budget of months without points.

    Money per case (fund payment plus patient-paid, per case) and per RW unit (point value ×
    base points) do not move when the weights are re-based, where the point value does (§1).
    """
    cases = int(sums["cases"].sum())
    money = int(res.final_fen.sum()) / 100.0 + float(sums["oop"].sum())
    return {
        "year": np.array([year]),
        "budget_fen": np.array([budget_fen], dtype=np.int64),
        "reserve_fen": np.array([reserve_fen], dtype=np.int64),
        "available_fen": np.array([available_fen], dtype=np.int64),
        "point_value": np.array([res.point_value]),
        "reference_point_value": np.array([res.money.reference_pv]),
        "points": np.array([float(sums["points"].sum())]),
        "cases": np.array([cases], dtype=np.int64),
        "paid_fen": np.array([int(res.final_fen.sum())], dtype=np.int64),
        "retained_fen": np.array([retained_fen], dtype=np.int64),
        "reserve_released_fen": np.array([res.money.released_fen], dtype=np.int64),
        "reserve_kept_fen": np.array([res.money.kept_fen], dtype=np.int64),
        "floor_topup_fen": np.array([res.money.topup_fen], dtype=np.int64),
        "ceiling_surplus_fen": np.array([res.money.surplus_fen], dtype=np.int64),
        "unpaid_withholding_fen": np.array([res.unpaid_fen], dtype=np.int64),
        "overrun_shared_fen": np.array([res.overrun_fen], dtype=np.int64),
        "reserve_overrun_fen": np.array([res.money.overrun_reserve_fen], dtype=np.int64),
        "money_per_case_yuan": np.array([money / cases if cases else np.nan]),
        "money_per_rw_yuan": np.array([res.point_value * base_points]),
    }


def audit_rows(
    year: int, hospitals: HospitalTable, tally: np.ndarray, deduction_fen: np.ndarray
) -> dict[str, Any]:
    """Each hospital's year of audit by act (spec §10): claims, reviews, confirmations, deductions.

    A hospital's deduction in money is split among its acts by their deducted points, in whole
    fen by largest remainder, so its acts' `recovered_fen` add up to its `deduction_fen`.
    """
    n_h, n_rows = tally.shape[0], len(TALLY_ROWS)
    points = tally[:, :, TALLY_COLUMNS.index("deducted_points")]
    recovered = np.zeros((n_h, n_rows), dtype=np.int64)
    for h in range(n_h):
        total = float(points[h].sum())
        if total > 0:
            recovered[h] = apportion(int(deduction_fen[h]), points[h] / total * deduction_fen[h])
    counts = {
        name: tally[:, :, k].reshape(-1).astype(np.int64)
        for k, name in enumerate(TALLY_COLUMNS)
        if name != "deducted_points"
    }
    return {
        "year": np.full(n_h * n_rows, year),
        "hospital": np.repeat(np.asarray(hospitals.ids, dtype=object), n_rows),
        "act": np.tile(np.asarray(TALLY_ROWS, dtype=object), n_h),
        **counts,
        "deducted_points": points.reshape(-1),
        "recovered_fen": recovered.reshape(-1),
    }


def catalogue_rows(year: int, cat: Catalogue, tariff: Tariff) -> dict[str, Any]:
    """The year's catalogue: weights, base points and stability of each DRG."""
    return {
        "year": np.full(cat.n_drg, year),
        "drg": cat.drg,
        "adrg": cat.adrg[cat.drg_adrg],
        "mdc": cat.mdc,
        "severity": cat.suffix,
        "rw": tariff.rw,
        "base_points": tariff.base_pts,
        "ref_mean_cost_yuan": tariff.ref_cost,
        "stable": tariff.stable,
        "reference_cases": tariff.ref_cases,
    }


def case_rows(
    year: int,
    claims: PricedBatch,
    final: np.ndarray,
    cat: Catalogue,
    hospitals: HospitalTable,
    record_ids: np.ndarray,
    keep: np.ndarray | None = None,
) -> dict[str, Any]:
    """Each claim of a month as the insurer settled it (a replayed case with its table's id);
    with `keep`, only the claims at those rows."""

    def at(values: np.ndarray) -> np.ndarray:
        return values if keep is None else values[keep]

    c = claims.cases if keep is None else claims.cases.take(keep)
    recorded = c.record_row >= 0
    record_id = np.full(c.n, "", dtype=object)
    record_id[recorded] = record_ids[c.record_row[recorded]]
    codes = np.append(cat.drg, "0000").astype(object)  # −1, ungroupable, is the last
    return {
        "year": np.full(c.n, year),
        "case_id": c.case_id,
        "patient_id": c.patient,
        "hospital": Coded.of(hospitals.ids, c.hospital),
        "month": c.month,
        "admit_day": c.admit_day,
        "day": c.day,
        "drg_true": Coded.of(codes, c.drg_true),
        "drg_billed": Coded.of(codes, at(claims.drg)),
        "cost_yuan": c.cost,
        "oop_yuan": c.oop,
        "los": c.los,
        "discharge": Coded.of(DISCHARGE_TYPES, c.discharge),
        "case_class": Coded.of(CLASS_NAMES, at(claims.klass)),
        "special": Coded.of(SPECIAL_STATUS, at(claims.special)),
        "points": at(final),
        "readmission": at(claims.readmit),
        "acts": c.acts,
        "origin_id": c.origin_id,
        "origin_kind": act_names(c.origin_act),
        "record_row": c.record_row,
        "record_id": record_id,
        "audited": at(claims.audited),
        "screened": at(claims.review.screened),
        "sampled": at(claims.review.sampled),
        "inspected": at(claims.review.inspected),
        "caught": at(claims.caught),
        "deducted_points": at(claims.deducted),
    }


#: The DRG column of a hospital's row without claims in a year (its fixed cost, any payment).
NO_CLAIMS = "-"


def drg_margin_rows(
    year: int,
    hospitals: HospitalTable,
    cat: Catalogue,
    totals: DrgTotals,
    final_fen: list[np.ndarray],
    fixed_cost: np.ndarray,
    variable_share: float,
) -> dict[str, Any]:
    """Profit and loss by DRG 病组盈亏: each hospital's year by billed DRG, over every fund.

    Cases, charges and patient payments are the DRG's claims'. Its fund payment is, in each
    fund, its share of the hospital's final payment there by points (costs.payment_by_points_fen),
    summed over the funds, so the rows add up to settlement.parquet's `final_fen` to the fen.
    Its cost is the variable cost of the cases it treated plus its share of the hospital's fixed
    cost by their charges (costs.fixed_by_charges_yuan). A hospital without claims in a fund
    that pays it anything, or without claims at all, has a row with DRG `-` that carries that
    payment or its fixed cost. `final_fen` holds each fund's payments per hospital.
    """
    n_h, n_g = hospitals.n, cat.n_drg
    fund, hosp, drg, sums = totals.cells()
    paid = np.asarray(final_fen, dtype=np.int64).reshape(-1, n_h)
    has = np.zeros(paid.shape, dtype=bool)
    has[fund, hosp] = True
    first = (np.arange(paid.shape[0]) == 0)[:, None]
    extra_f, extra_h = np.nonzero((~has & (paid != 0)) | (~has.any(axis=0) & first))
    if extra_f.size:  # (most years have none: no copy of every cell's row then)
        fund, hosp = np.append(fund, extra_f), np.append(hosp, extra_h)
        drg = np.append(drg, np.full(extra_f.size, n_g + 1))
        sums = np.vstack([sums, np.zeros((extra_f.size, sums.shape[1]))])
    charges, oop, points, deducted = sums[:, 1], sums[:, 3], sums[:, 4], sums[:, 5]
    # each fund's payment to a hospital, by points
    final = costs.payments_by_points_fen(
        fund * n_h + hosp, paid.reshape(-1), oop, points, deducted, charges
    )
    # the funds' rows of a hospital and DRG become one
    hosp, drg, merged, paid_fen = cells_over_funds(hosp, drg, sums, final, n_h, n_g + 2)
    cases, charges, borne, oop, points, deducted = (merged[:, k] for k in range(merged.shape[1]))
    fixed = costs.fixed_by_charges_each_yuan(hosp, fixed_cost, borne, cases)
    payment = paid_fen / 100.0 + oop
    cost = costs.variable_cost_yuan(borne, variable_share) + fixed
    codes = np.concatenate([cat.drg, ["0000", NO_CLAIMS]]).astype(object)
    return {
        "year": np.full(hosp.size, year),
        "hospital": Coded.of(hospitals.ids, hosp),
        "drg": Coded.of(codes, drg),
        "cases": np.rint(cases).astype(np.int64),
        "charges_yuan": charges,
        "oop_yuan": oop,
        "net_points": points - deducted,
        "final_fen": paid_fen,
        "payment_yuan": payment,
        "fixed_cost_yuan": fixed,
        "cost_yuan": cost,
        "margin_yuan": payment - cost,
    }
