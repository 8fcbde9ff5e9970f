"""Information discipline (spec §8): an act's decisions use only what the hospital knows.

A hospital acts on the published tariff and point value, the case's group and severity and its
own cost history; never on a case's final charges (`cost`) or the audit's draws. Changing
either must leave every decision as it was: which cases move and where, which are split,
upcoded, cut, added, and how.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drgsim
import drgsim.engine.calendar
from drgsim.cases import CaseBatch
from drgsim.population.behaviour import Behaviours, View, resolve
from drgsim.population.hospitals import hospital_table
from drgsim.rules.tariff import first_tariff
from drgsim.scale.runner import case_source, load_catalogue
from drgsim.scenario.loader import load_scenario
from drgsim.scenario.schema import Scenario
from tests.test_gaming import EVERY_ACT, small

#: Every act on at every hospital, at rates that make each act happen in a month of cases.
ALL_ACTS = {
    "upcoding": {"rate": 0.3},
    "shifting": {"rate": 1.0, "loss_threshold": 0.0},
    "splitting": {"rate": 0.2},
    "induced": {"rate": 0.1},
    "phantom": {"rate": 0.05},
    "underservice": {"cut": 0.1, "readmit_uplift": 0.3},
    "referral_down": {"rate": 0.2},
}
#: What an act decides about a case (everything but its charges and patient payment).
DECIDED = [f.name for f in dataclasses.fields(CaseBatch) if f.name not in ("cost", "oop")]


@pytest.fixture(scope="module")
def setting() -> tuple[Scenario, Any, Any, CaseBatch]:
    scn = load_scenario({**small(), "behaviour": ALL_ACTS, "audit": {"sample_rate": 0.2}})
    cat = load_catalogue(scn)
    hosp = hospital_table(scn)
    source = case_source(scn, cat, hosp, None)
    batch = source.month(0, 3, np.random.SeedSequence(3))
    return scn, cat, hosp, batch


def decisions(setting: Any, batch: CaseBatch, history: CaseBatch | None) -> CaseBatch:
    scn, cat, hosp, _ = setting
    b = Behaviours(scn, cat, hosp, resolve(scn, hosp))
    year = 0
    if history is not None:  # last year's cases: what the hospitals know of their costs
        b.history.remember(history, 0)
        year = 1
    tariff = first_tariff(cat, scn, hosp)
    view = View(tariff, tariff.mean_cost / scn.base_points, 60)  # 1 March 2021
    return b.apply(batch, year, np.random.SeedSequence(11), view)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    factor=st.floats(0.05, 20.0),
    seed=st.integers(0, 2**32 - 1),
    with_history=st.booleans(),
)
def test_no_act_decides_on_a_cases_final_charges(setting, factor, seed, with_history) -> None:
    _, _, _, batch = setting
    history = batch if with_history else None
    rng = np.random.default_rng(seed)
    changed = batch.copy()
    changed.cost = batch.cost * factor * rng.lognormal(0.0, 1.0, batch.n)
    changed.oop = np.minimum(changed.oop, changed.cost)
    got, want = decisions(setting, changed, history), decisions(setting, batch, history)
    assert want.n > batch.n  # acts added cases
    assert np.count_nonzero(want.acts) > 0.2 * batch.n
    for name in DECIDED:
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name), name)


@settings(max_examples=3, deadline=None)
@given(stream=st.integers(3, 1000))
def test_no_act_decides_on_the_audits_draws(monkeypatch_stream, stream) -> None:
    """A year with every act, its audit drawn from another stream: every act the same."""
    with monkeypatch_stream(stream):
        other = run_every_act()
    base = every_act_cases()
    assert not other["audited"].equals(base["audited"])  # the audit did draw otherwise
    pd.testing.assert_frame_equal(acted(other), acted(base))


def acted(cases: pd.DataFrame) -> pd.DataFrame:
    """What the hospitals decided about each case of the run."""
    cols = ["case_id", "hospital", "drg_billed", "drg_true", "acts", "origin_id", "origin_kind"]
    cols += ["day", "admit_day", "patient_id"]
    return cases[cols].sort_values("case_id").reset_index(drop=True)


def run_every_act() -> pd.DataFrame:
    result = drgsim.run(small(audit={"sample_rate": 0.3}, variants={"acts": EVERY_ACT}), cases=True)
    return result.cases[result.cases["variant"] == "acts"]


_BASE: list[pd.DataFrame] = []


def every_act_cases() -> pd.DataFrame:
    if not _BASE:
        _BASE.append(run_every_act())
    return _BASE[0]


@pytest.fixture(scope="module")
def monkeypatch_stream():
    """Run with the audit's random stream number changed (the acts' stream stays)."""
    import contextlib

    @contextlib.contextmanager
    def use(stream: int):
        every_act_cases()  # the base run first, on the usual stream
        mp = pytest.MonkeyPatch()
        mp.setattr(drgsim.engine.calendar, "STREAM_AUDIT", stream)
        try:
            yield
        finally:
            mp.undo()

    return use
