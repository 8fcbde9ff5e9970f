"""The terminal summary says where every fen of the budget went, and its parts add up to it."""

from __future__ import annotations

import re

import drgsim
from drgsim.present.summary import summary_text

CITY = {
    "name": "budget-line",
    "seed": 4,
    "replications": 2,
    "hospitals": {"A": {"tier": 3, "beds": 300}, "B": {"tier": 2, "beds": 150}},
    "budget": {"reserve": 0.05, "reserve_use": "keep"},
    "point_value": {"ceiling": 0.97},
}


def test_the_budget_line_adds_up_and_matches_region_year() -> None:
    result = drgsim.run(CITY)
    line = next(s for s in summary_text(result).splitlines() if s.startswith("budget "))
    numbers = {
        name: float(value)
        for name, value in re.findall(r"([a-z][a-z -]*?) (-?\d+\.\d)", line.replace("万元", ""))
    }
    parts = ["paid", "reserve kept", "ceiling surplus", "unpaid withholding", "other retained"]
    assert abs(sum(numbers[p] for p in parts) - numbers["budget"]) <= 0.05 * len(parts) + 1e-9
    ry = result.region_year
    ry = ry[ry["variant"] == "baseline"]
    assert numbers["reserve kept"] == round(ry["reserve_kept_fen"].mean() / 1e6, 1) > 0
    assert numbers["ceiling surplus"] == round(ry["ceiling_surplus_fen"].mean() / 1e6, 1) > 0
    assert numbers["paid"] == round(ry["paid_fen"].mean() / 1e6, 1)
