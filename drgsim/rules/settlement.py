"""Monthly and year-end settlement of the fund's budget among hospitals, in integer fen (spec §3–§6)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drgsim.rules.money import FEN_PER_YUAN, apportion, split_by_weights, to_fen


def point_value(money_fen: int, oop_yuan: float, points: float) -> float:
    """Yuan per point: (money + patient-paid) / points (spec §3); NaN without points."""
    if points <= 0:
        return float("nan")
    return (money_fen / FEN_PER_YUAN + oop_yuan) / points


@dataclass(frozen=True)
class MonthResult:
    """One month's settlement: point value and each hospital's allocation, pre-payment, withholding."""

    point_value: float
    allocation_fen: np.ndarray
    prepaid_fen: np.ndarray
    withheld_fen: np.ndarray
    unallocated_fen: int


def settle_month(
    budget_fen: int, points: np.ndarray, oop_yuan: np.ndarray, prepay_share: float
) -> MonthResult:
    """Share the month's budget by points (spec §4): Σ allocation = budget, to the fen."""
    points = np.asarray(points, dtype=np.float64)
    oop = np.asarray(oop_yuan, dtype=np.float64)
    n = points.shape[0]
    pv = point_value(budget_fen, float(oop.sum()), float(points.sum()))
    if not np.isfinite(pv):
        zero = np.zeros(n, dtype=np.int64)
        return MonthResult(pv, zero, zero.copy(), zero.copy(), int(budget_fen))
    allocation = apportion(budget_fen, (pv * points - oop) * FEN_PER_YUAN)
    prepaid_total = int(np.rint(prepay_share * budget_fen))
    prepaid = apportion(prepaid_total, prepay_share * allocation.astype(np.float64))
    return MonthResult(pv, allocation, prepaid, allocation - prepaid, 0)


@dataclass(frozen=True)
class YearResult:
    """The year-end settlement of every hospital and what the fund keeps."""

    point_value: float
    deduction_fen: np.ndarray
    incentive_fen: np.ndarray
    final_fen: np.ndarray
    retained_fen: int


def settle_year_pool(
    available_fen: int,
    points: np.ndarray,
    deducted: np.ndarray,
    oop_yuan: np.ndarray,
    prepaid_fen: np.ndarray,
    withheld_fen: np.ndarray,
    coefficient: np.ndarray,
) -> YearResult:
    """Pool mode (spec §6): withheld money plus deductions shared by withheld × coefficient."""
    pv = point_value(available_fen, float(np.sum(oop_yuan)), float(np.sum(points)))
    deducted = np.asarray(deducted, dtype=np.float64)
    deduction = to_fen(pv * deducted) if np.isfinite(pv) else np.zeros_like(prepaid_fen)
    pool = int(withheld_fen.sum() + deduction.sum())
    # a hospital that owes a claw-back (negative withholding) has no share of the pool
    weights = np.maximum(withheld_fen, 0).astype(np.float64) * coefficient
    incentive = split_by_weights(pool, weights)
    final = prepaid_fen + incentive - deduction
    return YearResult(pv, deduction, incentive, final, int(available_fen - final.sum()))


def settle_year_repricing(
    available_fen: int,
    points: np.ndarray,
    deducted: np.ndarray,
    oop_yuan: np.ndarray,
    prepaid_fen: np.ndarray,
    prepay_share: float,
    coefficient: np.ndarray,
) -> YearResult:
    """Repricing mode (spec §6): entitlement at the year's point value, withheld part by λ/max λ."""
    points = np.asarray(points, dtype=np.float64)
    deducted = np.asarray(deducted, dtype=np.float64)
    oop = np.asarray(oop_yuan, dtype=np.float64)
    net = points - deducted
    pv = point_value(available_fen, float(oop.sum()), float(net.sum()))
    if not np.isfinite(pv):
        zero = np.zeros_like(prepaid_fen)
        return YearResult(pv, zero, -prepaid_fen, zero.copy(), int(available_fen))
    entitlement = apportion(available_fen, (pv * net - oop) * FEN_PER_YUAN)
    top = float(np.max(coefficient)) if coefficient.size else 1.0
    scale = prepay_share + (1.0 - prepay_share) * (coefficient / top if top > 0 else 0.0)
    # a claw-back (negative entitlement) is recovered in full; only payments are scaled
    final = np.where(entitlement > 0, to_fen(entitlement * scale / FEN_PER_YUAN), entitlement)
    deduction = to_fen(pv * deducted)
    return YearResult(pv, deduction, final - prepaid_fen, final, int(available_fen - final.sum()))
