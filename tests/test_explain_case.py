"""`drgsim explain --case`: a golden trace of the golden deck's claims of every class, by hand.

The scenario is tests/golden/explain.yaml: the fifteen hand-written cases of golden.yaml (see
tests/test_golden.py for the deck) with two variants, `review` (every candidate nominated, the
panel approves with probability 0.3) and `upcoding` (H2 and H3 bill ES25 cases as ES23, every
claim sampled, upcoding confirmed with probability 0.4 and 1 × the points gained deducted).
Every expected number is worked out below from docs/rules.md's formulas:

    DRG   RW   BP    ā_g    H     ā = 10000 yuan, base_points 100, L = 0.4
    ES23  1    100   10000  3.0   K: H1 tier 3 → 1.0, H2 tier 2 → 0.9, H3 tier 1 → 0.8
    ES25  0.5  50    5000   3.0
    FM19  2    200   20000  2.0
    IB19  4    400   40000  1.5
    XJ19  1    100   10000  —     unstable → special review

Budget 200000 yuan, reserve 5% kept: available 190000 yuan; month shares March 0.6, April 0.4
→ B_3 = 114000, B_4 = 76000 yuan. Patient payments: March 46500, April 22750 yuan.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from drgsim.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"
REL = 1e-9

# The month's and the year's point values, (money + patient payments) / points (spec §3–§4).
# Baseline points: March 200+600+60+200 (H1) + 15+22.5+90+120 (H2) + 40+80 (H3) = 1427.5;
# April 200 (H1) + 70+180 (H2) + 160+40 (H3) = 650.
PV_MARCH = (114000 + 46500) / 1427.5
PV_APRIL = (76000 + 22750) / 650
PV_YEAR = (190000 + 46500 + 22750) / (1427.5 + 650)
# Upcoding: H3's case 9 is billed ES23 and not caught (40 → 80 points); H2's case 6 and H3's
# case 14 are caught and repriced at ES25; H2's case 5 stays low at 15 → March 1467.5 points.
PV_MARCH_UP = (114000 + 46500) / 1467.5
PV_YEAR_UP = (190000 + 46500 + 22750) / (1467.5 + 650)


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deck run with `drgsim run --cases`."""
    path = tmp_path_factory.mktemp("explain") / "out"
    argv = ["run", str(GOLDEN / "explain.yaml"), "--out", str(path), "--cases"]
    assert main([*argv, "--no-report", "--quiet", "--workers", "1"]) == 0
    return path


@pytest.fixture(scope="module")
def out_without_cases(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The deck run without its case table: explain simulates the claims again."""
    path = tmp_path_factory.mktemp("explain") / "bare"
    argv = ["run", str(GOLDEN / "explain.yaml"), "--out", str(path)]
    assert main([*argv, "--no-report", "--quiet", "--workers", "1"]) == 0
    return path


def _case_id(out: Path, variant: str, record: int) -> int:
    """The run's case id of the deck's case `record` (its row of cases.csv)."""
    cases = pd.read_parquet(out / "cases.parquet")
    row = cases[(cases["variant"] == variant) & (cases["record_id"] == str(record))]
    return int(row["case_id"].iloc[0])


def _trace(
    out: Path, variant: str, case_id: int, capsys: pytest.CaptureFixture[str]
) -> dict[str, dict[str, Any]]:
    """The claim's steps as `drgsim explain --json` answers them, by step name."""
    argv = ["explain", str(out), "--case", str(case_id), "--variant", variant, "--json"]
    assert main(argv) == 0, capsys.readouterr().err
    answer = json.loads(capsys.readouterr().out)
    steps = {s["step"]: s for s in answer["steps"]}
    for s in steps.values():
        assert s["rule"].startswith("§") and s["keys"], s  # each step names its rule and keys
    return steps


def _values(steps: dict[str, dict[str, Any]], step: str) -> dict[str, Any]:
    return steps[step]["values"]


def _money(
    steps: dict[str, dict[str, Any]],
    pv_month: float,
    pv_year: float,
    p: float,
    d: float,
    oop: float,
) -> None:
    """The month's allocation PV_m × P − o, 0.9 of it pre-paid, and PV_y × (P − D) − o."""
    month, year = _values(steps, "month"), _values(steps, "year end")
    assert month["point_value"] == pytest.approx(pv_month, rel=REL)
    assert month["allocation_yuan"] == pytest.approx(pv_month * p - oop, rel=REL)
    assert month["prepaid_yuan"] == pytest.approx(0.9 * (pv_month * p - oop), rel=REL)
    assert year["point_value"] == pytest.approx(pv_year, rel=REL)
    assert year["entitlement_yuan"] == pytest.approx(pv_year * (p - d) - oop, rel=REL, abs=1e-9)


def test_a_normal_claim_earns_base_points_times_its_coefficient(out, capsys) -> None:
    steps = _trace(out, "baseline", _case_id(out, "baseline", 1), capsys)
    # H1 FM19 20000 yuan: r = 20000 / 20000 = 1, 0.4 ≤ 1 ≤ H 2.0 → normal, 200 × 1.0
    ratio = _values(steps, "ratio")
    assert ratio["ratio"] == pytest.approx(1.0, rel=REL)
    assert (ratio["low"], ratio["high"], ratio["class"]) == (0.4, 2.0, "normal")
    assert _values(steps, "points")["coefficient"] == 1.0
    assert _values(steps, "points")["points"] == pytest.approx(200.0, rel=REL)
    assert _values(steps, "special review")["candidate"] is False  # r 1 < min_ratio 3
    assert _values(steps, "audit")["routes"] == []  # sample rate 0
    assert _values(steps, "readmission") == {"cut": False, "points": pytest.approx(200.0)}
    _money(steps, PV_MARCH, PV_YEAR, 200.0, 0.0, 6000.0)


def test_a_high_cost_claim_earns_the_excess_over_its_threshold(out, capsys) -> None:
    steps = _trace(out, "baseline", _case_id(out, "baseline", 2), capsys)
    # H1 IB19 80000 yuan: RW 4 > 3 → H = 1.5; r = 2 → 400 × 1.0 + 400 × (2 − 1.5) × 1 = 600
    assert _values(steps, "ratio")["high"] == 1.5
    assert _values(steps, "ratio")["class"] == "high"
    assert _values(steps, "points")["points"] == pytest.approx(400 + 400 * (2 - 1.5), rel=REL)
    _money(steps, PV_MARCH, PV_YEAR, 600.0, 0.0, 20000.0)


def test_a_low_cost_claim_earns_its_ratio_of_base_points(out, capsys) -> None:
    steps = _trace(out, "baseline", _case_id(out, "baseline", 5), capsys)
    # H2 ES25 1500 yuan: r = 1500 / 5000 = 0.3 < 0.4 → min(50 × 0.3 × 1, 50 × 0.9) = 15
    assert _values(steps, "ratio")["ratio"] == pytest.approx(0.3, rel=REL)
    assert _values(steps, "ratio")["class"] == "low"
    assert _values(steps, "points")["points"] == pytest.approx(min(50 * 0.3, 50 * 0.9), rel=REL)


def test_an_incomplete_stay_is_low_cost_whatever_its_ratio(out, capsys) -> None:
    steps = _trace(out, "baseline", _case_id(out, "baseline", 3), capsys)
    # H1 ES23 6000 yuan, transferred out after 1 day: r = 0.6 ≥ 0.4, low by the stay → 100 × 0.6
    assert _values(steps, "ratio")["class"] == "low"
    assert "incomplete stay" in steps["ratio"]["text"]
    assert _values(steps, "points")["points"] == pytest.approx(100 * 0.6, rel=REL)


def test_an_unstable_group_and_an_ungroupable_record_go_to_special_review(out, capsys) -> None:
    steps = _trace(out, "baseline", _case_id(out, "baseline", 8), capsys)
    # H2 XJ19 (unstable) 12000 yuan → 100 × 12000 / 10000 × 1.0 = 120
    assert _values(steps, "class")["points"] == pytest.approx(100 * 12000 / 10000, rel=REL)
    assert _values(steps, "special review")["status"] == "automatic"
    steps = _trace(out, "baseline", _case_id(out, "baseline", 12), capsys)
    # H2 ungroupable 7000 yuan → billed 0000, 100 × 7000 / 10000 = 70
    assert _values(steps, "grouping")["drg_billed"] == "0000"
    assert _values(steps, "class")["points"] == pytest.approx(70.0, rel=REL)
    _money(steps, PV_APRIL, PV_YEAR, 70.0, 0.0, 2100.0)


def test_an_earlier_stay_of_a_readmission_loses_half_its_points(out, capsys) -> None:
    later = _case_id(out, "baseline", 7)
    steps = _trace(out, "baseline", _case_id(out, "baseline", 6), capsys)
    # H2 P06: ES25 5000 yuan (r 1 → 50 × 0.9 = 45) discharged day 68, readmitted ES23 (same
    # ADRG ES2) admitted day 76, 8 days later ≤ 15 → 45 × 0.5 = 22.5
    assert _values(steps, "points")["points"] == pytest.approx(45.0, rel=REL)
    assert _values(steps, "readmission") == {
        "cut": True,
        "factor": 0.5,
        "points": pytest.approx(22.5),
    }
    assert f"readmitted as case {later} 8 day(s) later in ADRG ES2" in steps["readmission"]["text"]
    _money(steps, PV_MARCH, PV_YEAR, 22.5, 0.0, 1500.0)


_MASK = (1 << 64) - 1


def _draw(kind: str, month: int, case_id: int) -> float:
    """A counter-based draw of the month's audit stream, by hand (SplitMix64, spec §2, §5)."""
    from numpy.random import SeedSequence

    from drgsim.kernels.rng import Draw

    key = int(SeedSequence(7, spawn_key=(0, 0, month, 2)).generate_state(1, "uint64")[0])
    counter = ((int(getattr(Draw, kind)) * 4) << 52) | case_id
    z = (key + counter * 0x9E3779B97F4A7C15 + 0x9E3779B97F4A7C15) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return ((z ^ (z >> 31)) >> 11) / 2.0**53


def test_a_nomination_the_panel_approves_is_priced_as_special_review(out, capsys) -> None:
    case = _case_id(out, "review", 2)
    steps = _trace(out, "review", case, capsys)
    # H1 IB19 80000: r = 2 ≥ 1.5, special 100 × 80000 / 10000 = 800 > formula 600; draw < 0.3
    review = _values(steps, "special review")
    assert review["draw"] == pytest.approx(_draw("SPECIAL_APPROVAL", 3, case), rel=REL)
    assert review["draw"] < 0.3
    assert (review["status"], review["special_points"]) == ("approved", pytest.approx(800.0))
    assert _values(steps, "readmission")["points"] == pytest.approx(800.0, rel=REL)
    # the review variant's March: 1427.5 + (800 − 600) points
    _money(steps, (114000 + 46500) / 1627.5, (190000 + 69250) / 2277.5, 800.0, 0.0, 20000.0)


def test_a_nomination_the_panel_rejects_keeps_its_formula_class(out, capsys) -> None:
    case = _case_id(out, "review", 11)
    steps = _trace(out, "review", case, capsys)
    # H1 ES23 40000 in April: r = 4 ≥ 1.5, special 400 > formula 100 + 100 × (4 − 3) = 200
    review = _values(steps, "special review")
    assert review["draw"] == pytest.approx(_draw("SPECIAL_APPROVAL", 4, case), rel=REL)
    assert review["draw"] >= 0.3 and review["status"] == "rejected"
    assert _values(steps, "ratio")["class"] == "high"
    assert _values(steps, "readmission")["points"] == pytest.approx(200.0, rel=REL)


def test_an_upcoded_claim_the_audit_misses_keeps_its_billed_points(out, capsys) -> None:
    case = _case_id(out, "upcoding", 9)
    steps = _trace(out, "upcoding", case, capsys)
    # H3 ES25 4000 yuan billed ES23: r = 4000 / 10000 = 0.4 (not < 0.4) → 100 × 0.8 = 80,
    # where its true ES25 (r 0.8) earns 50 × 0.8 = 40; sampled, the detection draw ≥ 0.4
    assert _values(steps, "grouping") == {
        "drg_true": "ES25",
        "drg_billed": "ES23",
        "acts": ["upcoding"],
    }
    assert _draw("DETECT_UPCODING", 3, case) >= 0.4
    audit = _values(steps, "audit")
    assert audit["not_caught"] == ["upcoding"] and audit["caught"] == []
    assert "sampled" in audit["routes"]
    assert _values(steps, "readmission")["points"] == pytest.approx(100 * 0.8, rel=REL)
    _money(steps, PV_MARCH_UP, PV_YEAR_UP, 80.0, 0.0, 1000.0)


def test_an_upcoded_claim_the_audit_catches_is_repriced_and_penalised(out, capsys) -> None:
    case = _case_id(out, "upcoding", 14)
    steps = _trace(out, "upcoding", case, capsys)
    # H3 ES25 5000 yuan billed ES23: r 0.5 → 100 × 0.8 = 80; caught (draw < 0.4): repriced at
    # ES25 (r 1) 50 × 0.8 = 40, and 1 × (80 − 40) = 40 points deducted
    assert _draw("DETECT_UPCODING", 4, case) < 0.4
    assert _values(steps, "points")["points"] == pytest.approx(80.0, rel=REL)
    audit = _values(steps, "audit")
    assert audit["caught"] == ["upcoding"]
    assert audit["points"] == pytest.approx(40.0, rel=REL)
    assert audit["deducted_points"] == pytest.approx(1.0 * (80 - 40), rel=REL)
    _money(steps, PV_APRIL, PV_YEAR_UP, 40.0, 40.0, 1250.0)


def test_without_a_case_table_explain_simulates_the_claim_again(
    out, out_without_cases, capsys
) -> None:
    for variant, record in (("upcoding", 6), ("review", 2), ("baseline", 12)):
        case = _case_id(out, variant, record)
        stored = _trace(out, variant, case, capsys)
        again = _trace(out_without_cases, variant, case, capsys)
        assert list(again) == list(stored)
        for name, step in again.items():
            assert step["text"] == stored[name]["text"], name
            for key, value in step["values"].items():
                want = stored[name]["values"][key]
                assert value == (pytest.approx(want, rel=REL) if isinstance(want, float) else want)


def test_a_stored_value_the_rules_do_not_give_is_an_error(out, tmp_path, capsys) -> None:
    import shutil

    bad = tmp_path / "bad"
    shutil.copytree(out, bad)
    cases = pd.read_parquet(bad / "cases.parquet")
    case = _case_id(out, "baseline", 1)
    cases.loc[(cases["variant"] == "baseline") & (cases["case_id"] == case), "points"] = 201.0
    cases.to_parquet(bad / "cases.parquet", index=False)
    assert main(["explain", str(bad), "--case", str(case)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert (
        len(err) == 1 and f"case {case}: points: recomputed 200.0, the run stored 201.0" in err[0]
    )


def test_the_text_trace_numbers_its_steps_and_names_their_rules(out, capsys) -> None:
    case = _case_id(out, "upcoding", 6)
    assert main(["explain", str(out), "--case", str(case), "--variant", "upcoding"]) == 0
    text = capsys.readouterr().out
    assert text.splitlines()[0].startswith(f"case {case} · variant upcoding")
    for step in (
        "claim",
        "grouping",
        "ratio",
        "points",
        "special review",
        "audit",
        "readmission",
        "month",
        "year end",
    ):
        assert step in text
    assert "caught upcoding" in text and "§5 audit" in text
    # H2 ES25 5000 billed ES23: r 0.5 → 100 × 0.9 = 90; true ES25 50 × 0.9 = 45; 1 × 45 deducted
    assert "points 90.0000 → 45.0000, 45.0000 points deducted" in text
    assert "45.0000 × 0.5 = 22.5000 points" in text  # then the readmission cut
