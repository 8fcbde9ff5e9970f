"""A hospital's cost and margin (spec §8): a fixed part set by the baseline, a variable part by its cases.

Charges are what the rules price; what a hospital spends is `variable_share` × the charges of the
cases it treats (a phantom case is billed, not treated: it costs nothing; an under-served case
costs its cut charges) plus a fixed cost for the year of (1 − `variable_share`) × the charges the
baseline expects of it that year. A baseline hospital's cost is then its expected charges, and
its margin is near zero; a hospital that adds a case bears only its variable part, one that
refuses a case saves only that.
"""

from __future__ import annotations

import numpy as np

from drgsim.rules.money import apportion
from drgsim.rules.settlement import net_points


def fixed_cost_yuan(expected_charges_yuan: np.ndarray, variable_share: float) -> np.ndarray:
    """The year's fixed cost of each hospital: (1 − variable share) × its baseline's expected charges."""
    return (1.0 - variable_share) * np.asarray(expected_charges_yuan, dtype=np.float64)


def variable_cost_yuan(borne_charges_yuan: np.ndarray, variable_share: float) -> np.ndarray:
    """The variable cost of each hospital: variable share × the charges of the cases it treated."""
    return variable_share * np.asarray(borne_charges_yuan, dtype=np.float64)


def margin_yuan(
    final_fen: np.ndarray, oop_yuan: np.ndarray, fixed_yuan: np.ndarray, variable_yuan: np.ndarray
) -> np.ndarray:
    """Margin = fund payment + patient payments − fixed cost − variable cost, in yuan."""
    return np.asarray(final_fen) / 100.0 + oop_yuan - fixed_yuan - variable_yuan


def settlement_ratio(
    final_fen: np.ndarray, charges_yuan: np.ndarray, oop_yuan: np.ndarray
) -> np.ndarray:
    """Fund payment over fund-eligible charges (charges less patient payments); NaN without any."""
    eligible = np.asarray(charges_yuan, dtype=np.float64) - oop_yuan
    paid = np.asarray(final_fen) / 100.0
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(eligible > 0, paid / np.where(eligible > 0, eligible, 1.0), np.nan)


def payment_by_points_fen(
    final_fen: int,
    oop_yuan: np.ndarray,
    points: np.ndarray,
    deducted: np.ndarray,
    charges_yuan: np.ndarray,
) -> np.ndarray:
    """A hospital's final fund payment split over its DRGs in whole fen, summing to it exactly.

    Points price the whole charge (spec §3): each DRG's share of the hospital's money (final
    fund payment plus patient payments) follows its points net of deductions, and its fund part
    is that share less its own patient payments, so every point of the hospital is paid alike.
    A hospital without net points (settlement.net_points: a fully deducted one's rounding
    residue is none) splits its payment by charges, then evenly. The parts are whole fen by
    largest remainder (spec §7).
    """
    oop_fen = np.asarray(oop_yuan, dtype=np.float64) * 100.0
    net = np.asarray(points, dtype=np.float64) - np.asarray(deducted, dtype=np.float64)
    charges = np.asarray(charges_yuan, dtype=np.float64)
    total = float(net_points(np.array([np.sum(points)]), np.array([np.sum(deducted)]))[0])
    if total > 0:
        exact = (final_fen + float(oop_fen.sum())) * (net / total) - oop_fen
    elif float(charges.sum()) > 0:
        exact = final_fen * (charges / float(charges.sum()))
    else:
        exact = np.full(net.shape[0], final_fen / max(net.shape[0], 1))
    return apportion(int(final_fen), exact)


def fixed_by_charges_yuan(
    fixed_yuan: float, borne_yuan: np.ndarray, cases: np.ndarray
) -> np.ndarray:
    """A hospital's fixed cost split over its DRGs by the charges of the cases each treated.

    As a finance office allocates overheads by revenue: a DRG bears the fixed cost in
    proportion to its charges. Without treated charges the split follows cases, then is even.
    """
    for weights in (borne_yuan, cases, np.ones(np.shape(cases))):
        w = np.asarray(weights, dtype=np.float64)
        if float(w.sum()) > 0:
            return float(fixed_yuan) * (w / float(w.sum()))
    return np.zeros(0)
