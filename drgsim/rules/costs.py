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
