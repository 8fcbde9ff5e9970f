"""The runner works out a synthetic scenario's figures, hospitals and case source once per process.

The cache is keyed by the whole scenario, so a changed key gets its own figures, and each caller
gets its own copy.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

import drgsim
from drgsim.population.behaviour import resolve
from drgsim.population.generator import SyntheticSource
from drgsim.population.hospitals import hospital_table
from drgsim.scale import runner
from drgsim.scenario.loader import load_scenario


def _direct_charges(scn, cat, years):
    source = SyntheticSource(scn, cat, hospital_table(scn))
    return np.array([source.expected_charges(y) for y in range(years)])


def test_cached_figures_follow_the_scenario_and_are_copies() -> None:
    scn = load_scenario("scenarios/shanwei.yaml")
    cat = runner.load_catalogue(scn)
    bigger = dataclasses.replace(
        scn, region=dataclasses.replace(scn.region, admissions=scn.region.admissions * 2)
    )
    first = runner.baseline_charges(scn, cat, years=2)
    np.testing.assert_array_equal(first, _direct_charges(scn, cat, 2))
    first[:] = -1.0  # a caller's copy: changing it changes nothing kept
    np.testing.assert_array_equal(
        runner.baseline_charges(scn, cat, years=2), _direct_charges(scn, cat, 2)
    )
    # another scenario (twice the admissions) is not served the first one's figures
    np.testing.assert_array_equal(
        runner.baseline_charges(bigger, cat, years=2), _direct_charges(bigger, cat, 2)
    )
    assert (
        runner.baseline_charges(bigger, cat, years=2).sum()
        > 1.5 * _direct_charges(scn, cat, 2).sum()
    )
    assert runner.baseline_charges(scn, cat, years=1).shape[0] == 1
    for s in (scn, bigger):
        np.testing.assert_array_equal(
            runner.expected_fund_cost(s, cat),
            SyntheticSource(s, cat, hospital_table(s)).expected_fund_cost(),
        )


def test_a_process_builds_a_scenarios_source_once_and_runs_alike_with_it() -> None:
    scn = load_scenario("scenarios/shanwei.yaml")
    cat = runner.load_catalogue(scn)
    hospitals, source = runner._hospitals_and_source(scn, cat, None)
    again = runner._hospitals_and_source(load_scenario("scenarios/shanwei.yaml"), cat, None)
    assert again[1] is source and again[0] is hospitals  # an equal scenario: the same source
    other = dataclasses.replace(scn, seed=scn.seed + 1)
    assert runner._hospitals_and_source(other, cat, None)[1] is not source
    small = {"extends": "shanwei", "region": {"admissions": 3000}, "years": 2}
    first = drgsim.run(small, replications=1, variants=["baseline"]).settlement
    second = drgsim.run(small, replications=1, variants=["baseline"]).settlement
    pd.testing.assert_frame_equal(first, second)  # the kept source changes nothing


def test_each_run_adapts_its_own_act_rates() -> None:
    # the act parameters are resolved once per process; a run's adaptation moves its own copy
    scn = load_scenario(
        {
            "extends": "shanwei",
            "region": {"admissions": 4000},
            "years": 2,
            "adaptation": {"enabled": True, "step": 0.05},
            "hospitals": {"SW01": {"upcoding": {"rate": 0.1}}},
        }
    )
    cat = runner.load_catalogue(scn)
    hospitals = hospital_table(scn)
    first = runner._act_params(scn, cat, hospitals)
    first.rates["upcoding"][:] = 0.9  # what adaptation would move
    again = runner._act_params(scn, cat, hospitals)
    np.testing.assert_array_equal(
        again.rates["upcoding"], resolve(scn, hospitals).rates["upcoding"]
    )
    one = drgsim.run(scn, replications=1).settlement
    two = drgsim.run(scn, replications=1).settlement
    pd.testing.assert_frame_equal(one, two)


def test_a_sources_expected_figures_are_worked_out_once_and_handed_out_as_copies() -> None:
    from drgsim.scale.expected_once import ExpectedOnce

    scn = load_scenario({"extends": "shanwei", "region": {"admissions": 3000}, "years": 2})
    cat = runner.load_catalogue(scn)
    fresh = SyntheticSource(scn, cat, hospital_table(scn))  # the figures worked out anew
    source = SyntheticSource(scn, cat, hospital_table(scn))
    calls: list[str] = []
    for name in ("month_shares", "expected_charges", "expected_drg_cases"):
        method = getattr(source, name)
        setattr(source, name, lambda *a, _m=method, _n=name: calls.append(_n) or _m(*a))
    once = ExpectedOnce(source)
    for _ in range(3):
        shares = once.month_shares()
        np.testing.assert_array_equal(shares, fresh.month_shares())
        shares[:] = -1.0  # a simulation's own copy: changing it changes nothing kept
        for y in (0, 1):
            got = [once.expected_charges(y), once.expected_drg_cases(y)]
            np.testing.assert_array_equal(got[0], fresh.expected_charges(y))
            np.testing.assert_array_equal(got[1], fresh.expected_drg_cases(y))
            np.testing.assert_array_equal(
                once.expected_patient_paid(y), fresh.expected_patient_paid(y)
            )
            got[0][:], got[1][:] = -1.0, -1.0
        np.testing.assert_array_equal(
            once.expected_case_charges(-1), fresh.expected_case_charges(-1)
        )
    # each figure of each year worked out once (patient payments ask for the charges too)
    assert sorted(calls) == sorted(
        ["month_shares"] + ["expected_charges", "expected_drg_cases"] * 2 + ["expected_charges"] * 2
    )


def test_a_runs_simulations_share_their_expected_figures(monkeypatch) -> None:
    """Replications of a scenario in one process forecast their point value from one working
    out of the expected patient payments, not one per simulation."""
    monkeypatch.setattr(runner, "_SETUP", {})
    calls: list[int] = []
    method = SyntheticSource.expected_patient_paid

    def counted(self, year_index=0):  # type: ignore[no-untyped-def]
        calls.append(year_index)
        return method(self, year_index)

    monkeypatch.setattr(SyntheticSource, "expected_patient_paid", counted)
    small = {"extends": "shanwei", "region": {"admissions": 3000}, "years": 1}
    drgsim.run(small, replications=3, variants=["baseline"])
    assert calls == [0]
