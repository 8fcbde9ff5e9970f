"""Monthly and year-end settlement of the fund's budget among hospitals, in integer fen (spec §3–§7).

Each settlement returns, with its amounts, the transfers that move them between the ledger's
accounts (spec §7): the engine books exactly these, so the money a table reports is the money
the ledger moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from drgsim.rules.money import (
    FEN_PER_YUAN,
    FUND,
    HOSPITALS,
    POOL,
    Transfer,
    apportion,
    scale_fen,
    share_fen,
    split_by_weights,
    to_fen,
    written,
)
from drgsim.scenario.schema import Settlement


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
    n = points.shape[0]
    pv = point_value(budget_fen, float(oop.sum()), float(points.sum()))
    if not np.isfinite(pv):
        zero = np.zeros(n, dtype=np.int64)
        return MonthResult(pv, zero, zero.copy(), zero.copy(), int(budget_fen), ())
    allocation = apportion(budget_fen, (pv * points - oop) * FEN_PER_YUAN)
    prepaid_total = share_fen(budget_fen, prepay_share)
    prepaid = apportion(prepaid_total, prepay_share * allocation.astype(np.float64))
    withheld = allocation - prepaid
    transfers = (
        Transfer.of(FUND, HOSPITALS, prepaid, f"prepay {month}"),
        Transfer.of(FUND, POOL, int(withheld.sum()), f"withhold {month}"),
    )
    return MonthResult(pv, allocation, prepaid, withheld, 0, transfers)


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


@dataclass(frozen=True)
class YearResult:
    """The year-end settlement of every hospital, what the fund keeps, and the transfers made."""

    point_value: float
    deduction_fen: np.ndarray
    incentive_fen: np.ndarray
    final_fen: np.ndarray
    retained_fen: int
    transfers: tuple[Transfer, ...]


def settle_year(year: YearClaims, cfg: Settlement) -> YearResult:
    """The year-end settlement in the scenario's mode (spec §6)."""
    if cfg.mode == "pool":
        return settle_year_pool(year)
    return settle_year_repricing(year, cfg.prepay_share)


def settle_year_pool(year: YearClaims) -> YearResult:
    """Pool mode (spec §6): withheld money plus deductions shared by withheld × coefficient.

    Where no hospital has a weight (nothing withheld, as with prepay_share 1 or a budget too
    small to withhold a fen, or every coefficient 0), the pool — then mostly deductions — is
    shared by points net of deductions, as spec §6 says, so deducted money still goes to the
    hospitals; only when no hospital has net points either does the pool go back to the fund,
    which keeps it (retained).
    """
    prepaid, withheld = year.prepaid_fen, year.withheld_fen
    pv = point_value(year.available_fen, float(np.sum(year.oop_yuan)), float(np.sum(year.points)))
    deducted = np.asarray(year.deducted, dtype=np.float64)
    deduction = to_fen(pv * deducted) if np.isfinite(pv) else np.zeros_like(prepaid)
    pool = int(withheld.sum() + deduction.sum())
    # a hospital that owes a claw-back (negative withholding) has no share of the pool
    weights = np.maximum(withheld, 0).astype(np.float64) * year.coefficient
    if not weights.sum() > 0:
        weights = np.maximum(np.asarray(year.points, dtype=np.float64) - deducted, 0.0)
    incentive = split_by_weights(pool, weights)
    left = pool - int(incentive.sum())
    final = prepaid + incentive - deduction
    # months without points left their budget with the fund; the unshared pool joins it
    retained = year.available_fen - int(prepaid.sum() + withheld.sum()) + left
    transfers = (
        Transfer.of(HOSPITALS, POOL, deduction, "deduction"),
        Transfer.of(POOL, HOSPITALS, incentive, "incentive"),
        Transfer.of(POOL, FUND, left, "pool left to the fund"),
    )
    return YearResult(pv, deduction, incentive, final, retained, transfers)


def settle_year_repricing(year: YearClaims, prepay_share: float) -> YearResult:
    """Repricing mode (spec §6): entitlement at the year's point value, withheld part by λ/max λ.

    The withheld money goes back from the pool to the fund, which then tops each hospital up
    (or claws back) to its final payment; what it does not pay it keeps.
    """
    prepaid, coefficient = year.prepaid_fen, year.coefficient
    points = np.asarray(year.points, dtype=np.float64)
    deducted = np.asarray(year.deducted, dtype=np.float64)
    oop = np.asarray(year.oop_yuan, dtype=np.float64)
    net = points - deducted
    available = year.available_fen
    pv = point_value(available, float(oop.sum()), float(net.sum()))
    if not np.isfinite(pv):
        final = np.zeros_like(prepaid)
        deduction = np.zeros_like(prepaid)
    else:
        entitlement = apportion(available, (pv * net - oop) * FEN_PER_YUAN)
        top = Fraction(float(np.max(coefficient))) if coefficient.size else Fraction(1)
        alpha = written(prepay_share)
        scale = [
            alpha + (1 - alpha) * (Fraction(float(c)) / top if top > 0 else 0) for c in coefficient
        ]
        # a claw-back (negative entitlement) is recovered in full; only payments are scaled
        final = np.where(entitlement > 0, scale_fen(entitlement, scale), entitlement)
        deduction = to_fen(pv * deducted)
    top_up = final - prepaid
    transfers = (
        Transfer.of(POOL, FUND, int(year.withheld_fen.sum()), "pool back to the fund"),
        Transfer.of(FUND, HOSPITALS, top_up, "top-up"),
    )
    return YearResult(pv, deduction, top_up, final, int(available - final.sum()), transfers)
