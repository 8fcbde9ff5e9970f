"""Case points of spec §2 (v2): special review within its quota, common groups, exemptions."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st

import drgsim
from drgsim.errors import DrgsimError
from drgsim.rules.pricing import nominations, quota_counts

#: A small Shanwei year: 3000 admissions in the five named and two other hospitals.
SMALL = {
    "extends": "shanwei",
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "budget": {"annual": 20_000_000},
    "years": 1,
    "seed": 7,
}


@pytest.fixture(scope="module")
def baseline() -> pd.DataFrame:
    """The small year's case table with the default rules."""
    res = drgsim.run(SMALL, cases=True)
    assert res.cases is not None
    return res.cases


# --- nominations ---------------------------------------------------------------------------------


def nominate_special(
    hospital: np.ndarray,
    candidate: np.ndarray,
    points: np.ndarray,
    special: np.ndarray,
    quota: float,
    n_hosp: int,
) -> np.ndarray:
    """The engine's nominations (rules.pricing: quota_counts, nominations) of the candidates
    whose special-review points exceed their formula points, as a mask."""
    allowed = quota_counts(np.bincount(hospital, minlength=n_hosp), quota)
    gain = special - points
    eligible = np.flatnonzero(candidate & (gain > 0))
    chosen = np.zeros(hospital.shape[0], dtype=bool)
    chosen[nominations(hospital[eligible], eligible, gain[eligible], allowed)] = True
    return chosen


def nominate_reference(
    hospital: list[int], candidate: list[bool], gain: list[float], quota: float
) -> set[int]:
    """The rule written plainly: per hospital, its candidates with a positive gain, largest
    gain first (earlier case on ties), at most floor(quota × its cases)."""
    chosen: set[int] = set()
    for h in set(hospital):
        mine = [j for j, hj in enumerate(hospital) if hj == h]
        allowed = math.floor(quota * len(mine) + 1e-9)
        ranked = sorted((j for j in mine if candidate[j] and gain[j] > 0), key=lambda j: -gain[j])
        chosen.update(ranked[:allowed])
    return chosen


@settings(max_examples=100, deadline=None)
@given(
    cases=st.lists(
        st.tuples(
            st.integers(0, 3), st.booleans(), st.sampled_from([-5.0, 0.0, 1.0, 2.5, 7.0, 40.0])
        ),
        max_size=120,
    ),
    quota=st.sampled_from([0.0, 0.05, 0.1, 0.25, 1.0]),
)
def test_a_hospital_nominates_its_largest_gains_and_never_more_than_its_quota(
    cases: list[tuple[int, bool, float]], quota: float
) -> None:
    hospital = [c[0] for c in cases]
    candidate = [c[1] for c in cases]
    gain = [c[2] for c in cases]
    formula = np.full(len(cases), 100.0)
    chosen = nominate_special(
        np.array(hospital, dtype=np.int32),
        np.array(candidate, dtype=bool),
        formula,
        formula + np.array(gain),
        quota,
        4,
    )
    assert set(np.flatnonzero(chosen).tolist()) == nominate_reference(
        hospital, candidate, gain, quota
    )
    for h in range(4):  # the quota bound itself
        n_h = hospital.count(h)
        assert chosen[np.array(hospital, dtype=int) == h].sum() <= math.floor(quota * n_h + 1e-9)


def test_every_hospital_month_nominates_within_its_quota_and_only_its_candidates(
    baseline: pd.DataFrame,
) -> None:
    """spec §2: at most floor(5% × the hospital's cases in the month), ratio ≥ 3 only."""
    cases = baseline
    nominated = cases["special"].isin(["approved", "rejected"])
    per = cases.assign(nominated=nominated).groupby(["hospital", "month"])
    counts = per.agg(n=("nominated", "size"), nominated=("nominated", "sum"))
    assert (counts["nominated"] <= np.floor(0.05 * counts["n"] + 1e-9)).all()
    assert counts["nominated"].sum() > 0  # the rule is exercised
    assert set(cases.loc[nominated, "case_class"]) <= {"special", "high", "normal", "low"}
    approved = cases["special"] == "approved"
    assert (cases.loc[approved, "case_class"] == "special").all()
    assert (cases.loc[cases["special"] == "rejected", "case_class"] != "special").all()
    automatic = cases["special"] == "automatic"
    assert (cases.loc[automatic, "case_class"] == "special").all()
    assert set(cases.loc[cases["case_class"] == "special", "special"]) <= {"approved", "automatic"}


def test_candidates_need_a_ratio_of_min_ratio(baseline: pd.DataFrame) -> None:
    """A claim below special_review.min_ratio × ā_g is never nominated."""
    res = drgsim.run({**SMALL, "special_review": {"min_ratio": 50.0}}, cases=True)
    assert res.cases is not None
    assert not res.cases["special"].isin(["approved", "rejected"]).any()
    assert baseline["special"].isin(["approved", "rejected"]).any()


def test_the_panel_approves_about_its_approval_share() -> None:
    """Over a year of nominations with quota 1 and min ratio 1.5, approvals ≈ 0.7 (±4 sd)."""
    rules = {"special_review": {"quota": 1.0, "min_ratio": 1.5}}
    res = drgsim.run({**SMALL, **rules}, cases=True)
    assert res.cases is not None
    status = res.cases["special"]
    n = int(status.isin(["approved", "rejected"]).sum())
    approved = int((status == "approved").sum())
    assert n > 100
    assert abs(approved / n - 0.7) <= 4 * math.sqrt(0.7 * 0.3 / n)


# --- common groups ---------------------------------------------------------------------------


def test_common_groups_are_paid_at_k_1_in_every_hospital(baseline: pd.DataFrame) -> None:
    """A normal case earns BP × K: BP in a common group whatever the tier, BP × K elsewhere."""
    normal = baseline[baseline["case_class"] == "normal"]
    adrg = normal["drg_billed"].str[:3].value_counts().index[0]  # the busiest ADRG
    res = drgsim.run({**SMALL, "coefficient": {"common_groups": [adrg]}}, cases=True)
    assert res.cases is not None
    cases, cat = res.cases, res.catalogue.set_index("drg")
    bp = cases["drg_billed"].map(cat["base_points"])
    tier = cases["hospital"].map(res.settlement.set_index("hospital")["tier"])
    k = tier.map({3: 1.0, 2: 0.9, 1: 0.8})
    normal = (cases["case_class"] == "normal") & ~cases["readmission"]
    common = cases["drg_billed"].str[:3] == adrg
    in_common = normal & common
    assert set(tier[in_common]) == {1, 2, 3}  # every tier has such cases
    np.testing.assert_allclose(cases.loc[in_common, "points"], bp[in_common], rtol=1e-12)
    other = normal & ~common
    np.testing.assert_allclose(cases.loc[other, "points"], (bp * k)[other], rtol=1e-12)


def test_a_drg_code_in_common_groups_covers_that_drg_only(baseline: pd.DataFrame) -> None:
    normal = baseline[(baseline["case_class"] == "normal") & ~baseline["readmission"]]
    tier2 = normal["hospital"].isin(["SW02", "SW05"])  # tier 2 named hospitals, K = 0.9
    drg = normal.loc[tier2, "drg_billed"].value_counts().index[0]
    res = drgsim.run({**SMALL, "coefficient": {"common_groups": [drg]}}, cases=True)
    assert res.cases is not None
    cases, cat = res.cases, res.catalogue.set_index("drg")
    at = (
        (cases["case_class"] == "normal")
        & ~cases["readmission"]
        & cases["hospital"].isin(["SW02", "SW05"])
    )
    bp = cases["drg_billed"].map(cat["base_points"])
    same = at & (cases["drg_billed"] == drg)
    sibling = at & (cases["drg_billed"].str[:3] == drg[:3]) & (cases["drg_billed"] != drg)
    assert same.any()
    np.testing.assert_allclose(cases.loc[same, "points"], bp[same], rtol=1e-12)
    np.testing.assert_allclose(cases.loc[sibling, "points"], 0.9 * bp[sibling], rtol=1e-12)


def test_an_unknown_common_group_is_refused_in_one_line() -> None:
    with pytest.raises(DrgsimError) as err:
        drgsim.run({**SMALL, "coefficient": {"common_groups": ["FA1", "ZZ9"]}})
    msg = str(err.value)
    assert len(msg.splitlines()) == 1
    assert "coefficient.common_groups.1" in msg and "'ZZ9'" in msg and "catalogue" in msg


def test_drgsim_validate_refuses_codes_its_catalogue_does_not_hold(tmp_path: Path) -> None:
    path = tmp_path / "s.yaml"
    path.write_text("extends: shanwei\nreadmission:\n  exempt_adrgs: [ZZ1]\n", encoding="utf-8")
    done = run_cli("validate", path, timeout=120)
    assert done.returncode == 2, done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in done.stderr
    assert "readmission.exempt_adrgs.0" in lines[0] and "'ZZ1'" in lines[0]


# --- readmission exemptions --------------------------------------------------------------------


def test_an_exempt_adrg_is_never_cut_and_the_other_adrgs_are_unchanged(
    baseline: pd.DataFrame,
) -> None:
    cut = baseline[baseline["readmission"]]
    assert len(cut) > 0
    adrg = cut["drg_billed"].str[:3].value_counts().index[0]  # the ADRG cut most often
    res = drgsim.run({**SMALL, "readmission": {"exempt_adrgs": [adrg]}}, cases=True)
    assert res.cases is not None
    one = baseline.set_index("case_id")
    two = res.cases.set_index("case_id").loc[one.index]
    exempt = one["drg_billed"].str[:3] == adrg
    assert not two.loc[exempt, "readmission"].any()
    np.testing.assert_array_equal(two.loc[~exempt, "readmission"], one.loc[~exempt, "readmission"])
    np.testing.assert_allclose(two.loc[~exempt, "points"], one.loc[~exempt, "points"])
    was_cut = exempt & one["readmission"]
    assert was_cut.any()
    # the exempt stays keep their full points: the baseline's halved points / 0.5
    np.testing.assert_allclose(
        two.loc[was_cut, "points"], one.loc[was_cut, "points"] / 0.5, rtol=1e-12
    )
