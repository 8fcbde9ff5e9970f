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

from drgsim.kernels.drg_split import split_by_points, split_by_weights
from drgsim.rules.settlement import NET_POINTS_RESIDUE


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
    rows = np.zeros(np.shape(points)[0], dtype=np.int64)
    paid = np.array([final_fen], dtype=np.int64)
    return payments_by_points_fen(rows, paid, oop_yuan, points, deducted, charges_yuan)


def payments_by_points_fen(
    hospital: np.ndarray,
    final_fen: np.ndarray,
    oop_yuan: np.ndarray,
    points: np.ndarray,
    deducted: np.ndarray,
    charges_yuan: np.ndarray,
) -> np.ndarray:
    """`payment_by_points_fen` of many hospitals at once: each row's part of its hospital's
    `final_fen[hospital]`, a hospital's rows split in their order (kernels.drg_split)."""
    parts, bad, amount = split_by_points(
        np.asarray(hospital, dtype=np.int64),
        np.asarray(final_fen, dtype=np.int64),
        *(_floats(a) for a in (oop_yuan, points, deducted, charges_yuan)),
        NET_POINTS_RESIDUE,
    )
    if bad >= 0:
        raise ValueError(
            f"apportion: an exact amount of {amount!r} fen; expected finite fen within ±2**62"
        )
    return parts


def fixed_by_charges_yuan(
    fixed_yuan: float, borne_yuan: np.ndarray, cases: np.ndarray
) -> np.ndarray:
    """A hospital's fixed cost split over its DRGs by the charges of the cases each treated.

    As a finance office allocates overheads by revenue: a DRG bears the fixed cost in
    proportion to its charges. Without treated charges the split follows cases, then is even.
    """
    rows = np.zeros(np.shape(cases)[0], dtype=np.int64)
    return fixed_by_charges_each_yuan(rows, np.array([fixed_yuan]), borne_yuan, cases)


def fixed_by_charges_each_yuan(
    hospital: np.ndarray, fixed_yuan: np.ndarray, borne_yuan: np.ndarray, cases: np.ndarray
) -> np.ndarray:
    """`fixed_by_charges_yuan` of many hospitals at once: each row's part of its hospital's
    `fixed_yuan[hospital]`, a hospital's rows in their order (kernels.drg_split)."""
    return split_by_weights(
        np.asarray(hospital, dtype=np.int64),
        _floats(fixed_yuan),
        _floats(borne_yuan),
        _floats(cases),
    )


def _floats(values: np.ndarray) -> np.ndarray:
    """`values` as one contiguous float64 array (one compiled version of each kernel)."""
    return np.ascontiguousarray(values, dtype=np.float64)
