"""Monthly and year-end settlement of the fund's budget among hospitals, in integer fen (spec §3–§7).

Each settlement returns, with its amounts, the transfers that move them between the ledger's
accounts (spec §7): the engine books exactly these, so the money a table reports is the money
the ledger moved.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from drgsim.kernels.pool import pool_exact
from drgsim.kernels.remainder import rows_parts
from drgsim.rules.money import (
    FEN_PER_YUAN,
    FUND,
    HOSPITALS,
    POOL,
    RESERVE,
    Transfer,
    apportion,
    round_fen,
    scale_fen,
    share_fen,
    to_fen,
    unpayable,
    written,
)
from drgsim.rules.reserve import YearMoney, year_money
from drgsim.scenario.schema import Clearing, Settlement

NET_POINTS_RESIDUE = 1e-9  # net points below this share of the points are rounding, not points


def point_value(money_fen: int, oop_yuan: float, points: float) -> float:
    """Yuan per point: (money + patient-paid) / points (spec §3); NaN without points."""
    if points <= 0:
        return float("nan")
    return (money_fen / FEN_PER_YUAN + oop_yuan) / points


@dataclass(frozen=True)
class MonthResult:
    """One month's settlement: point value, each hospital's allocation, pre-payment, withholding."""

    point_value: float
    allocation_fen: np.ndarray
    prepaid_fen: np.ndarray
    withheld_fen: np.ndarray
    unallocated_fen: int
    transfers: tuple[Transfer, ...]


def settle_month(
    budget_fen: int, points: np.ndarray, oop_yuan: np.ndarray, prepay_share: float, month: int = 0
) -> MonthResult:
    """Share the month's budget by points (spec §4): Σ allocation = budget, to the fen.

    The fund pre-pays each hospital its share and moves the withheld rest to the pool; a month
    without points allocates nothing and its budget stays with the fund.
    """
    points = np.asarray(points, dtype=np.float64)
    oop = np.asarray(oop_yuan, dtype=np.float64)
    return settle_months([budget_fen], points[None, :], oop[None, :], prepay_share).row(0, month)


@dataclass(frozen=True)
class MonthRows:
    """Several settlements of `settle_month` made at once (a year's months, a month's funds):
    row i of each array is the settlement of budget i."""

    point_value: list[float]
    allocation_fen: np.ndarray  # [rows, hospitals]
    prepaid_fen: np.ndarray
    withheld_fen: np.ndarray
    budget_fen: list[int]

    def row(self, i: int, month: int = 0) -> MonthResult:
        """Row i as one month's settlement, with the transfers that move its money."""
        pv, prepaid, withheld = self.point_value[i], self.prepaid_fen[i], self.withheld_fen[i]
        if not math.isfinite(pv):  # no points: nothing allocated, the budget stays with the fund
            return MonthResult(
                pv, self.allocation_fen[i], prepaid, withheld, self.budget_fen[i], ()
            )
        # the amounts are int64 already, one per hospital and one in all: no Transfer.of to check them
        transfers = (
            Transfer(FUND, HOSPITALS, prepaid, f"prepay {month}"),
            Transfer(FUND, POOL, np.array(np.add.reduce(withheld)), f"withhold {month}"),
        )
        return MonthResult(pv, self.allocation_fen[i], prepaid, withheld, 0, transfers)


def settle_months(
    budget_fen: Sequence[int] | np.ndarray,
    points: np.ndarray,
    oop_yuan: np.ndarray,
    prepay_share: float,
) -> MonthRows:
    """`settle_month` of each budget with its row of `points` and `oop_yuan` [rows, hospitals],
    in one kernel call (kernels.remainder.rows_parts)."""
    points = np.ascontiguousarray(points, dtype=np.float64)
    oop = np.ascontiguousarray(oop_yuan, dtype=np.float64)
    budgets = np.asarray(budget_fen, dtype=np.int64)
    if points.ndim != 2 or oop.shape != points.shape or budgets.shape != points.shape[:1]:
        raise ValueError(
            f"settle_months: budgets of shape {budgets.shape}, points of shape {points.shape} "
            f"and patient payments of shape {oop.shape}; expected one row of each per budget"
        )
    # each row's sums as np.add.reduce adds the row alone (ndarray.sum, without its Python layer)
    pv = [
        point_value(b, o, p)
        for b, o, p in zip(
            budgets.tolist(),
            np.add.reduce(oop, axis=1).tolist(),
            np.add.reduce(points, axis=1).tolist(),
            strict=True,
        )
    ]
    # allocation: the budget by (pv × points − oop) × FEN_PER_YUAN fen, by largest remainder;
    # pre-paid: the budget's share, by prepay_share × allocation (one kernel call for every row)
    allocation, prepaid, bad, amount = rows_parts(
        budgets,
        np.array(pv, dtype=np.float64),
        points,
        oop,
        np.array([share_fen(b, prepay_share) for b in budgets.tolist()], dtype=np.int64),
        prepay_share,
    )
    if bad >= 0:
        raise unpayable(amount)
    return MonthRows(pv, allocation, prepaid, allocation - prepaid, budgets.tolist())


@dataclass(frozen=True)
class YearClaims:
    """What the year-end settlement works from: the year's money, claims and monthly payments."""

    available_fen: int
    points: np.ndarray  # per hospital, after the readmission rule
    deducted: np.ndarray  # penalty points per hospital
    oop_yuan: np.ndarray
    prepaid_fen: np.ndarray  # Σ of the months' pre-payments
    withheld_fen: np.ndarray  # Σ of the months' withholdings (the pool holds their total)
    coefficient: np.ndarray  # incentive coefficient λ
    charges_yuan: np.ndarray | None = None  # Σ c_i per hospital (clearing's fund-eligible charges)
    reserve_fen: int = 0  # the adjustment reserve set aside at opening
    reserve_use: str = "keep"  # budget.reserve_use
    reference_pv: float = float("nan")  # PV_ref, the year's planned point value
    floor: float | None = None  # point_value.floor, a ratio of PV_ref
    ceiling: float | None = None  # point_value.ceiling, a ratio of PV_ref

    def money(self, points: float, surplus_limit_fen: int) -> YearMoney:
        """The year-end money for these claims' `points` (spec §3: reserve, floor, ceiling)."""
        return year_money(
            self.available_fen,
            self.reserve_fen,
            self.reserve_use,
            points,
            float(np.sum(self.oop_yuan)),
            self.reference_pv,
            self.floor,
            self.ceiling,
            surplus_limit_fen,
        )


@dataclass(frozen=True)
class YearResult:
    """The year-end settlement of every hospital, what the fund keeps, and the transfers made."""

    point_value: float
    deduction_fen: np.ndarray
    incentive_fen: np.ndarray
    final_fen: np.ndarray
    retained_fen: int  # what the fund keeps besides the reserve kept
    transfers: tuple[Transfer, ...]
    money: YearMoney  # the year's money: reserve released or kept, floor top-up, surplus
    unpaid_fen: int  # money of the year the year end did not pay out (withholding, clearing)
    other_fen: int  # budget of months without points, and deductions kept by the fund
    overrun_fen: int = 0  # paid as clearing's overrun sharing (part of the final payments)


def settle_year(
    year: YearClaims,
    cfg: Settlement,
    clearing: Clearing | None = None,
    deductions_to: str = "others",
) -> YearResult:
    """The year-end settlement in the scenario's mode (spec §6)."""
    if cfg.mode == "pool":
        return settle_year_pool(year, cfg.true_up, deductions_to)
    return settle_year_clearing(year, cfg.prepay_share, clearing or Clearing(), deductions_to)


def settle_year_pool(
    year: YearClaims, true_up: bool = False, deductions_to: str = "others"
) -> YearResult:
    """Pool mode (spec §6): withheld money plus deductions shared by weight × coefficient.

    As in clearing, the year's point value prices the points before deductions: the monthly
    payments paid every point, and a deduction takes its points' money from the offender once,
    at that value. The weight is the hospital's withholding, or with `true_up` its outstanding
    entitlement before its deduction, max(PV_y × points_h − o_h − prepaid_h, 0): those add up
    to the pool's withheld money, and the deduction is taken from the final payment, so an
    offender ends at PV_y × (points_h − deducted_h) − o_h, its deduction taken once. A
    hospital's own deduction is shared among the other hospitals only (spec §5), or with
    `deductions_to: fund` kept by the fund. Where no hospital has a
    weight (nothing withheld, as with prepay_share 1 or a budget too small to withhold a fen, or
    every coefficient 0), money is shared by points net of deductions, as spec §6 says; only
    when no hospital has net points either does it go back to the fund, which keeps it.
    """
    prepaid, withheld = year.prepaid_fen, year.withheld_fen
    points = np.asarray(year.points, dtype=np.float64)
    deducted = np.asarray(year.deducted, dtype=np.float64)
    oop = np.asarray(year.oop_yuan, dtype=np.float64)
    withheld_total = int(withheld.sum())  # the pool's withheld money (each total summed once)
    unallocated = year.available_fen - int(prepaid.sum()) - withheld_total
    planned = year.reserve_fen if year.reserve_use == "release" else 0
    points_sum = float(np.add.reduce(points))
    money = year.money(points_sum, planned + max(withheld_total, 0))
    from_reserve = money.released_fen + money.topup_fen
    to_fund = money.surplus_from_budget_fen()
    pv = point_value(money.money_fen, float(np.add.reduce(oop)), points_sum)
    finite = math.isfinite(pv)
    deduction = to_fen(pv * deducted) if finite else np.zeros_like(prepaid)
    net = np.maximum(net_points(points, deducted), 0.0)
    if true_up and finite:
        # owed before the deduction, which the final payment takes: taken once, not twice
        outstanding = (pv * points - oop) * FEN_PER_YUAN - prepaid
        weights = np.maximum(outstanding, 0.0) * year.coefficient
    else:
        # a hospital that owes a claw-back (negative withholding) has no share of the pool
        weights = np.maximum(withheld, 0).astype(np.float64) * year.coefficient
    shared = deduction if deductions_to == "others" else np.zeros_like(deduction)
    shared_total = int(shared.sum())
    money_in = withheld_total + from_reserve - to_fund  # the year's money in the pool
    pool = money_in + shared_total
    placed, exact, from_deductions = pool_shares(money_in, shared, weights, net)
    incentive = _split(placed, exact)
    left = pool - int(incentive.sum())
    final = prepaid + incentive - deduction
    # a deduction no other hospital could take is kept by the fund, as with `deductions_to:
    # fund`; the rest of what is left is withholding the year end did not pay
    unplaced = shared_total - from_deductions
    left -= unplaced
    # months without points left their budget with the fund; the unshared pool joins it
    kept = int(deduction.sum()) - shared_total + unplaced
    transfers = (
        Transfer.of(RESERVE, POOL, from_reserve, "reserve released and floor top-up"),
        Transfer.of(POOL, FUND, to_fund, "ceiling surplus"),
        Transfer.of(HOSPITALS, POOL, shared, "deduction"),
        Transfer.of(HOSPITALS, FUND, deduction - shared, "deduction kept by the fund"),
        Transfer.of(POOL, HOSPITALS, incentive, "incentive"),
        Transfer.of(POOL, FUND, left, "pool left to the fund"),
        Transfer.of(POOL, FUND, unplaced, "deduction without another hospital to take it"),
    )
    other = unallocated + kept
    retained = money.surplus_fen + left + other
    return YearResult(pv, deduction, incentive, final, retained, transfers, money, left, other)


def net_points(points: np.ndarray, deducted: np.ndarray) -> np.ndarray:
    """Points net of deductions, a fully deducted hospital's rounding residue read as 0.

    Deducted points are summed in another order than the points they take, so a hospital that
    lost every point can keep 1e-83 of one; read as a weight, that residue would take another
    hospital's whole deduction.
    """
    points = np.asarray(points, dtype=np.float64)
    net = points - np.asarray(deducted, dtype=np.float64)
    return np.where(np.abs(net) <= NET_POINTS_RESIDUE * np.abs(points), 0.0, net)


def pool_shares(
    withheld_fen: int, deduction_fen: np.ndarray, weights: np.ndarray, fallback: np.ndarray
) -> tuple[int, np.ndarray, int]:
    """The pool's money that has takers, each hospital's exact share of it (fen, float), and
    how much of it is deductions.

    The withheld money goes by `weights`, or by `fallback` (net points) where every weight is 0;
    hospital h's deduction goes to the other hospitals by the same rule with h's own weight
    taken out. Money no hospital can take (no weight, no points) is not placed: it stays in the
    pool and goes back to the fund.
    """
    n = np.shape(weights)[0]
    if np.shape(deduction_fen) != (n,) or np.shape(fallback) != (n,):
        raise ValueError(
            f"pool_shares: deductions of shape {np.shape(deduction_fen)} and fallback of shape "
            f"{np.shape(fallback)}; expected ({n},), one per hospital"
        )
    placed, exact, from_deductions = pool_exact(
        int(withheld_fen),
        np.ascontiguousarray(deduction_fen, dtype=np.int64),
        np.ascontiguousarray(weights, dtype=np.float64),
        np.ascontiguousarray(fallback, dtype=np.float64),
    )
    return int(placed), exact, int(from_deductions)


def _split(total_fen: int, exact: np.ndarray) -> np.ndarray:
    """Whole-fen parts of `total_fen` by exact shares; nothing when no hospital has a share."""
    if total_fen == 0 or not exact.sum() > 0:
        return np.zeros(exact.shape[0], dtype=np.int64)
    return apportion(total_fen, exact)


def settle_year_clearing(
    year: YearClaims,
    prepay_share: float,
    clearing: Clearing | None = None,
    deductions_to: str = "others",
) -> YearResult:
    """Clearing mode (spec §6): entitlement at the year's point value, withheld part by λ/max λ.

    Here the year's point value pays the points, so it counts them before deductions: a point
    value over the points net of deductions would spend every deducted point's money on all the
    hospitals' points, the offender's too. Each hospital's deduction at that value goes to the
    other hospitals by their net points, or with `deductions_to: fund` stays with the fund:
    never back to the offender (spec §5).

    Then each hospital's payment F' is set against its fund-eligible charges C (charges less
    patient payments): above them it keeps `surplus_keep` of the surplus; between
    `overrun_floor` and 1 the fund pays `overrun_share` of the overrun from what it would keep
    this year — the unpaid withholding and surplus, then the ceiling surplus, then the reserve
    kept under `cover` — pro rata when that is short. The withheld money (and the reserve it
    spends) goes back to the fund, which then tops each hospital up (or claws back) to its final
    payment; what it does not pay it keeps.
    """
    rules = clearing or Clearing()
    prepaid, coefficient = year.prepaid_fen, year.coefficient
    points = np.asarray(year.points, dtype=np.float64)
    deducted = np.asarray(year.deducted, dtype=np.float64)
    oop = np.asarray(year.oop_yuan, dtype=np.float64)
    net = net_points(points, deducted)
    money = year.money(float(points.sum()), year.available_fen + year.reserve_fen)  # no limit
    available = money.money_fen
    pv = point_value(available, float(oop.sum()), float(points.sum()))
    need = np.zeros_like(prepaid)
    kept = 0
    if not np.isfinite(pv):
        final = np.zeros_like(prepaid)
        deduction = np.zeros_like(prepaid)
    else:
        deduction = to_fen(pv * deducted)
        shared = deduction if deductions_to == "others" else np.zeros_like(deduction)
        takers = np.maximum(net, 0.0)
        placed, shares, _ = pool_shares(0, shared, takers, takers)
        kept = int(deduction.sum()) - placed
        exact = (pv * net - oop) * FEN_PER_YUAN + shares
        entitlement = apportion(available - kept, exact)
        top = Fraction(float(np.max(coefficient))) if coefficient.size else Fraction(1)
        alpha = written(prepay_share)
        scale = [
            alpha + (1 - alpha) * (Fraction(float(c)) / top if top > 0 else 0) for c in coefficient
        ]
        # a claw-back (negative entitlement) is recovered in full; only payments are scaled
        final = np.where(entitlement > 0, scale_fen(entitlement, scale), entitlement)
        final, need = against_charges(final, year, rules)
    # overrun sharing: from the year's unpaid money, then the ceiling surplus and the reserve
    unpaid = max(available - kept - int(final.sum()), 0)
    overrun = share_overrun(need, unpaid + money.spare_fen(year.reserve_use))
    spent = int(overrun.sum())
    money = money.spend_on_overrun(max(spent - unpaid, 0), year.reserve_use)
    final = final + overrun
    unpaid -= min(spent, unpaid)
    top_up = final - prepaid
    from_reserve = money.released_fen + money.topup_fen + money.overrun_reserve_fen
    transfers = (
        Transfer.of(RESERVE, FUND, from_reserve, "reserve to the fund"),
        Transfer.of(POOL, FUND, int(year.withheld_fen.sum()), "pool back to the fund"),
        Transfer.of(FUND, HOSPITALS, top_up, "top-up"),
    )
    retained = money.surplus_fen + unpaid + kept
    return YearResult(pv, deduction, top_up, final, retained, transfers, money, unpaid, kept, spent)


def against_charges(
    paid_fen: np.ndarray, year: YearClaims, rules: Clearing
) -> tuple[np.ndarray, np.ndarray]:
    """Surplus retention and overrun sharing 结余留用、超支分担 of spec §6, in whole fen.

    With ρ = F' / C: ρ ≥ 1 pays C + surplus_keep × (F' − C); overrun_floor ≤ ρ < 1 asks for
    overrun_share × (C − F') on top; below the floor (or without charges) F'. Returns the
    payments after surplus retention and each hospital's overrun share asked for.
    """
    keep, floor = written(rules.surplus_keep), written(rules.overrun_floor)
    share = written(rules.overrun_share)
    out = np.asarray(paid_fen, dtype=np.int64).copy()
    need = np.zeros_like(out)
    if keep == 1 and share == 0:
        return out, need
    if year.charges_yuan is None:
        raise ValueError("clearing against charges needs each hospital's charges")
    eligible = to_fen(np.asarray(year.charges_yuan, dtype=np.float64) - year.oop_yuan)
    for h, (f, c) in enumerate(zip(out.tolist(), eligible.tolist(), strict=True)):
        if c <= 0:
            continue
        if f >= c:
            out[h] = c + round_fen(keep * (f - c))
        elif f >= floor * c:
            need[h] = round_fen(share * (c - f))
    return out, need


def share_overrun(need_fen: np.ndarray, spare_fen: int) -> np.ndarray:
    """Each hospital's overrun share paid from `spare_fen`: in full, or pro rata when short."""
    wanted = int(need_fen.sum())
    if wanted <= spare_fen:
        return np.asarray(need_fen, dtype=np.int64).copy()
    return apportion(spare_fen, need_fen * (spare_fen / wanted))
