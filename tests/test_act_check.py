"""The acts' one check of a month's cases: the act kernels run without their fronts only on what
those fronts would have passed, and what they would refuse is refused in one line."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest
import yaml
from test_behaviour import FEBRUARY_1, POINT_VALUE, Acts, base, cases, cat, catalogue_path

import drgsim
from drgsim.kernels.acts import added_rows, drawn_rows
from drgsim.kernels.checks import KernelInputError
from drgsim.kernels.rng import CASES
from drgsim.kernels.shift import shift_cases
from drgsim.kernels.split import split_cases
from drgsim.kernels.underserve import underserve_cases
from drgsim.kernels.upcode import upcode_month
from drgsim.population import act_check, behaviour
from drgsim.population.behaviour import View
from drgsim.records.results import TABLES
from drgsim.scenario.loader import load_scenario

__all__ = ["base", "cat", "catalogue_path"]  # the fixtures test_behaviour's tests use

#: behaviour's name of each act kernel it calls without its front → the checked front
FRONTS = {
    "_drawn_rows": drawn_rows,
    "_shift_cases": shift_cases,
    "_underserve_cases": underserve_cases,
    "_split_cases": split_cases,
    "_added_rows": added_rows,
    "_upcode_month": upcode_month,
}

#: Every act at a high rate: splits that evade, two levels up, shifting from every tier.
EVERY_ACT = {
    "upcoding": {"rate": 0.3, "levels": 2, "procedure_share": 0.5},
    "shifting": {"rate": 0.5, "loss_threshold": 0.0},
    "splitting": {"rate": 0.2, "evade": 0.5},
    "underservice": {"rate": 0.3, "cut": 0.2, "readmit_uplift": 0.3},
    "induced": {"rate": 0.1},
    "phantom": {"rate": 0.05},
    "referral_down": {"rate": 0.3},
}


SHANWEI = Path(drgsim.__file__).parents[1] / "scenarios" / "shanwei.yaml"
CITY = {"extends": "shanwei", "name": "acts", "seed": 11, "years": 2, "replications": 1}
SCENARIOS = {
    "every-act-high": {**CITY, "region": {"admissions": 12000}, "behaviour": EVERY_ACT},
    "all_gaming": {
        **CITY,
        "region": {"admissions": 12000},
        "variants": {
            "gaming": yaml.safe_load(SHANWEI.read_text(encoding="utf-8"))["variants"]["all_gaming"]
        },
    },
}


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_act_kernel_gets_only_what_its_front_would_pass(name, monkeypatch) -> None:
    """With the fronts put back, each act kernel call is checked as before the one month check,
    and the run's tables are the same as without them."""
    scn = load_scenario(SCENARIOS[name])
    variant = "gaming" if "variants" in SCENARIOS[name] else "baseline"
    fast = drgsim.run(scn, variants=[variant])
    calls: dict[str, int] = dict.fromkeys(FRONTS, 0)

    def counted(name, front):
        def call(*args):
            calls[name] += 1
            return front(*args)

        return call

    for kernel, front in FRONTS.items():
        monkeypatch.setattr(behaviour, kernel, counted(kernel, front))
    checked = drgsim.run(scn, variants=[variant])
    unused = {"_drawn_rows"} if name == "all_gaming" else set()  # it refers no one down
    assert {k for k, n in calls.items() if n > 0} == set(FRONTS) - unused, calls
    for table in TABLES:
        assert getattr(fast, table).equals(getattr(checked, table)), table


def test_the_month_check_refuses_what_the_act_kernels_would_read_out_of_bounds(base, cat) -> None:
    acts = Acts(base, cat, {"behaviour.upcoding.rate": 0.5})
    good = cases(cat, {"drg": "ES15"}, {"drg": "ET15"})
    acts.apply(good)  # in range: no error
    bad = {
        "hospital": ("hospital", [0, 4], "value 4; allowed 0 … 3"),
        "case_id": ("case_id", [1, CASES], f"value {CASES}"),
        "adrg": ("adrg", [0, 9], "value 9"),
        "drg_true": ("drg_true", [0, cat.n_drg], f"value {cat.n_drg}"),
    }
    for column, (name, values, says) in bad.items():
        batch = dataclasses.replace(good)
        setattr(batch, column, np.asarray(values, dtype=getattr(good, column).dtype))
        with pytest.raises(
            KernelInputError, match=f"the month's cases \\(acts\\): {name} has {says}"
        ):
            acts.apply(batch)
    short = dataclasses.replace(good, cost=good.cost[:1])
    with pytest.raises(KernelInputError, match="cost has shape"):
        acts.apply(short)


def test_an_ungroupable_record_may_carry_codes_outside_the_group_table(base, cat) -> None:
    acts = Acts(base, cat, {"behaviour.upcoding.rate": 0.5})
    batch = cases(cat, {"drg": "ES15"}, {"drg": "ET15"})
    batch.adrg[1], batch.ungroupable[1] = 99, True
    acts.apply(batch)  # the kernels skip it; no error


def test_a_tariff_not_seen_before_is_checked_once(base, cat, monkeypatch) -> None:
    acts = Acts(base, cat, {"behaviour.upcoding.rate": 0.5})
    seen: list[object] = []
    check = act_check.check_tariff_tables
    monkeypatch.setattr(
        act_check, "check_tariff_tables", lambda t, *a: (seen.append(t), check(t, *a))
    )
    batch = cases(cat, {"drg": "ES15"})
    acts.apply(batch)
    acts.apply(batch)
    assert seen == [acts.tariff]
    short = dataclasses.replace(acts.tariff, coef=acts.tariff.coef[:1])
    with pytest.raises(KernelInputError, match="coef has shape"):
        acts.b.apply(batch, 0, np.random.SeedSequence(5), View(short, POINT_VALUE, FEBRUARY_1))


def test_the_act_tables_are_refused_when_they_name_rows_outside_the_catalogue(cat) -> None:
    table = cat.group_table
    other = np.full((table.shape[0], 2), -1, dtype=np.int64)
    cdf = np.ones(other.shape)
    options = np.full((2, *table.shape, 4), -1, dtype=np.int64)
    act_check.check_act_tables(table, cat.n_drg, other, cdf, options)
    bad_other = other.copy()
    bad_other[0, 0] = table.shape[0]
    with pytest.raises(KernelInputError, match="other_of has value"):
        act_check.check_act_tables(table, cat.n_drg, bad_other, cdf, options)
    bad_options = options.copy()
    bad_options[1, 0, 0, 3] = cat.n_drg
    with pytest.raises(KernelInputError, match="upcode options has value"):
        act_check.check_act_tables(table, cat.n_drg, other, cdf, bad_options)
    with pytest.raises(KernelInputError, match="expected at least 3"):
        act_check.check_act_tables(table, cat.n_drg, other, cdf, options[..., :2])
    members = np.full((3, 3, 3), -1, dtype=np.int64)
    act_check.check_destinations(3, np.zeros((3, 3)), members, np.ones(members.shape))
    members[2, 1, 0] = 3
    with pytest.raises(KernelInputError, match="members has value 3"):
        act_check.check_destinations(3, np.zeros((3, 3)), members, np.ones(members.shape))
