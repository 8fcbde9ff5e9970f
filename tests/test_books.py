"""The year's books in whole runs: every value the schema allows settles, and the ledger closes.

Regression for issue 9, defect 2: with no weight in the pool (nothing withheld with prepay_share 1,
or every coefficient 0) audit deductions had no weight in the pool, stayed
there, and the engine's re-enactment of the transfers died with an AssertionError.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import drgsim

#: Two hospitals, A upcoding three in ten of its cases, every claim reviewed (A expects no audit:
#: one that knew would not upcode).
CITY: dict[str, Any] = {
    "seed": 3,
    "years": 1,
    "region": {"admissions": 2000},
    "hospitals": {
        "A": {"tier": 3, "beds": 800, "upcoding": {"rate": 0.3, "perceived_risk": 0.0}},
        "B": {"tier": 2, "beds": 300},
    },
    "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
    "audit": {"sample_rate": 1.0},
    "budget": {"reserve_use": "keep"},  # v1's reserve: these tests follow the withheld money
}


def _with(**sections: dict[str, Any]) -> dict[str, Any]:
    return {**CITY, **sections}


NOTHING_WITHHELD = {
    "prepay_share 1": _with(settlement={"prepay_share": 1.0}),
    "every coefficient 0": _with(incentive={"min": 0.0, "max": 0.0}),
}


@pytest.mark.parametrize("scn", NOTHING_WITHHELD.values(), ids=NOTHING_WITHHELD.keys())
def test_deductions_without_pool_weights_go_to_the_hospitals_by_net_points(scn: dict) -> None:
    result = drgsim.run(scn)
    st = result.settlement.set_index("hospital")
    deduction = st["deduction_fen"]
    assert deduction["A"] > 0 and deduction["B"] == 0  # A's upcoding was caught
    weights = np.maximum(st["withheld_fen"], 0) * st["coefficient"]
    assert not weights.any()  # the pool has no weight of its own
    # the pool is shared by points net of deductions (spec §6): the withheld money among both,
    # A's deduction among the others only — all to B (spec v2 §5: never back to the offender)
    pool = int(st["withheld_fen"].sum() + deduction.sum())
    net = st["points"] - st["deducted_points"]
    exact = int(st["withheld_fen"].sum()) * net / net.sum()
    exact["B"] += deduction["A"]
    assert int(st["incentive_fen"].sum()) == pool
    assert np.all(np.abs(st["incentive_fen"] - exact) <= 1.0)
    final = st["prepaid_fen"] + st["incentive_fen"] - deduction
    assert (st["final_fen"] == final).all()
    ry = result.region_year.iloc[0]
    assert int(ry["retained_fen"]) == 0  # every month had points: all the money went out
    assert int(st["final_fen"].sum()) + int(ry["reserve_fen"]) == int(ry["budget_fen"])


def test_with_prepay_share_1_repricing_pays_every_entitlement_in_full() -> None:
    result = drgsim.run(_with(settlement={"prepay_share": 1.0, "mode": "repricing"}))
    st = result.settlement.set_index("hospital")
    ry = result.region_year.iloc[0]
    assert st["deduction_fen"]["A"] > 0
    # E_h = PV_y × (points − deducted) − oop, plus A's deduction for B (spec v2 §5: never back
    # to the offender), whole fen summing to the available budget
    exact = (ry["point_value"] * (st["points"] - st["deducted_points"]) - st["oop_yuan"]) * 100
    exact["B"] += st["deduction_fen"]["A"]
    assert np.all(np.abs(st["final_fen"] - exact) <= 1.0)
    assert int(st["final_fen"].sum()) == int(ry["available_fen"])
    assert int(ry["retained_fen"]) == 0
