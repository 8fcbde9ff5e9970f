"""Blend coefficients: a tier without reference cases borrows from its neighbour by schema keys."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from drgsim.population.hospitals import hospital_table
from drgsim.rules.tariff import coefficients
from drgsim.scenario.loader import load_scenario

REF_COST = np.array([100.0, 200.0])


def _k(history_hospital: int, costs: list[float], **factors: float) -> np.ndarray:
    """K[h, g] for hospitals A (tier 3), B (tier 2), C (tier 1) when one hospital has history."""
    scn = load_scenario(
        {
            "hospitals": {
                "A": {"tier": 3, "beds": 100},
                "B": {"tier": 2, "beds": 100},
                "C": {"tier": 1, "beds": 100},
            },
            "coefficient": {"mode": "blend", "w_hospital": 0.5, "w_tier": 0.5, **factors},
        }
    )
    history = (
        np.full(2, history_hospital, dtype=np.int64),
        np.array([0, 1], dtype=np.int64),
        np.array(costs, dtype=np.float64),
    )
    cat: Any = SimpleNamespace(n_drg=2)
    return coefficients(cat, scn, hospital_table(scn), REF_COST, history)


def test_the_defaults_are_the_spec_s_0_9_and_1_1() -> None:
    coefficient = load_scenario({"hospitals": {"A": {"tier": 3, "beds": 1}}}).coefficient
    assert (coefficient.missing_tier_factor, coefficient.missing_top_tier_factor) == (0.9, 1.1)


@pytest.mark.parametrize("below", [0.9, 0.7])
def test_missing_lower_tiers_take_the_factor_times_the_tier_above(below: float) -> None:
    # only A (tier 3) has cases: cost ratios 120/100 and 200/200
    k = _k(0, [120.0, 200.0], missing_tier_factor=below)
    ratio = np.array([1.2, 1.0])
    np.testing.assert_allclose(k[0], ratio)  # own and tier part are both A's
    np.testing.assert_allclose(k[1], below * ratio)  # B: no own cases, tier 2 = below × tier 3
    np.testing.assert_allclose(k[2], below * below * ratio)  # C: tier 1 = below × tier 2


@pytest.mark.parametrize("above", [1.1, 1.3])
def test_missing_upper_tiers_take_the_top_factor_times_the_tier_below(above: float) -> None:
    # only C (tier 1) has cases: cost ratios 80/100 and 100/200
    k = _k(2, [80.0, 100.0], missing_top_tier_factor=above)
    ratio = np.array([0.8, 0.5])
    np.testing.assert_allclose(k[2], ratio)
    np.testing.assert_allclose(k[1], above * ratio)
    np.testing.assert_allclose(k[0], above * above * ratio)
