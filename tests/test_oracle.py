"""drgsim's settlement against an independent one: the pandas oracle of benchmarks/baselines.py.

The oracle settles a year of priced claims (the case table drgsim writes) with pandas group-bys
and its own largest remainder; drgsim's final payments must equal its answer to the fen. The
benchmark suite times the same two; here it is a correctness test on small cities with every
act and the audit on (readmission factor 1 and no targeted inspection, so the case table's points
are exactly what the engine settled month by month).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import drgsim

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from baselines import SettlementInput, drgsim_settle, drgsim_year_claims, pandas_settle

#: Five hospitals of three tiers, every act of the registry at some hospital, all claims audited
#: at a tenth; two years, so the second year's weights, budget and month shares differ.
CITY: dict[str, Any] = {
    "seed": 11,
    "years": 2,
    "region": {"admissions": 4000},
    "hospitals": {
        "A": {"tier": 3, "beds": 900, "upcoding": {"rate": 0.2}},
        "B": {"tier": 3, "beds": 600, "splitting": {"rate": 0.1}, "shifting": {"rate": 0.3}},
        "C": {"tier": 2, "beds": 300, "phantom": {"rate": 0.05}},
        "D": {"tier": 2, "beds": 200, "induced": {"rate": 0.1}},
        "E": {"tier": 1, "beds": 80, "underservice": {"rate": 0.3, "cut": 0.15}},
    },
    "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
    "readmission": {"factor": 1.0},
    # no targeted inspection: it reprices earlier months' claims in its quarter's last month
    "audit": {"sample_rate": 0.1, "targeted": {"count": 0}},
    "budget": {"reserve_use": "keep"},  # the oracle settles the available budget (v1 reserve)
}

SETTINGS = {
    "pool, prepay 0.9": {},
    "pool, prepay 1": {"settlement": {"prepay_share": 1.0}},
    "pool, prepay 0": {"settlement": {"prepay_share": 0.0}},
    "pool, every coefficient 0": {"incentive": {"min": 0.0, "max": 0.0}},
    "pool, true-up": {"settlement": {"true_up": True}},
    "pool, true-up, prepay 0": {"settlement": {"true_up": True, "prepay_share": 0.0}},
    "pool, deductions to the fund": {
        "audit": {"sample_rate": 0.1, "targeted": {"count": 0}, "deductions_to": "fund"}
    },
    "clearing, deductions to the fund": {
        "settlement": {"mode": "clearing"},
        "audit": {"sample_rate": 0.1, "targeted": {"count": 0}, "deductions_to": "fund"},
    },
    "repricing (clearing's old name), prepay 0.85": {
        "settlement": {"mode": "repricing", "prepay_share": 0.85}
    },
    "clearing, prepay 1": {"settlement": {"mode": "clearing", "prepay_share": 1.0}},
    "clearing, half the surplus kept, overrun shared": {
        "settlement": {"mode": "clearing"},
        "clearing": {"surplus_keep": 0.5, "overrun_floor": 0.5, "overrun_share": 0.6},
    },
    "clearing, overrun shared, the fund short": {  # pro rata: the fund keeps nothing this year
        "settlement": {"mode": "clearing", "prepay_share": 0.85},
        "clearing": {"surplus_keep": 1.0, "overrun_floor": 0.0, "overrun_share": 1.0},
    },
}

#: The fields of the year's claims (rules.settlement.YearClaims) and the settlement table's columns.
YEAR_COLUMNS = {
    "points": "points",
    "deducted": "deducted_points",
    "oop_yuan": "oop_yuan",
    "charges_yuan": "charges_yuan",
    "prepaid_fen": "prepaid_fen",
    "withheld_fen": "withheld_fen",
}


@pytest.mark.parametrize("change", SETTINGS.values(), ids=SETTINGS.keys())
def test_the_engine_pays_what_the_pandas_oracle_pays_to_the_fen(change: dict) -> None:
    result = drgsim.run({**CITY, **change}, cases=True)
    assert result.cases is not None
    assert result.settlement["deduction_fen"].sum() > 0  # the audit found acts to deduct
    for year in sorted(result.region_year["year"]):
        work = SettlementInput.from_run(result, year)
        paid = result.settlement.loc[result.settlement["year"] == year, "final_fen"].to_numpy()
        np.testing.assert_array_equal(pandas_settle(work), paid)
        np.testing.assert_array_equal(drgsim_settle(work), paid)
        # drgsim_settle's year sums are the engine's own, to the bit: it sums as the engine does
        claims = drgsim_year_claims(work)
        table = result.settlement[result.settlement["year"] == year]
        for field, column in YEAR_COLUMNS.items():
            np.testing.assert_array_equal(getattr(claims, field), table[column].to_numpy(), column)
