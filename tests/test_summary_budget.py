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


def test_the_coefficients_print_to_three_places_with_trailing_zeros() -> None:
    """Coefficients of 1.080 print as 1.080, not as 1.08 (pandas drops the zeros that no value
    of a column needs)."""
    result = drgsim.run(CITY)
    lines = summary_text(result).splitlines()
    header = next(i for i, s in enumerate(lines) if s.rstrip().endswith("coefficient"))
    shown = [row.split()[-1] for row in lines[header + 1 : header + 3]]
    st = result.settlement
    base = st[(st["variant"] == "baseline") & (st["year"] == st["year"].max())]
    # the coefficient a hospital's row shows: its mean over replications, weighted by cases
    means = [
        (g["coefficient"] * g["cases"]).sum() / g["cases"].sum()
        for _, g in base.groupby("hospital", sort=True)
    ]
    want = [f"{m:.3f}" for m in means]
    assert shown == want
    assert any(w.endswith("0") for w in want)  # a trailing zero the old table dropped
