"""`drgsim explain --hospital`: the parts of a hospital's change add up to the change, to the fen.

A property over tiny random cities (a few hundred admissions, the golden five-DRG catalogue):
a baseline with random settlement rules and a variant with random acts, settled in either mode.
For every hospital the payment parts add up to the change of `final_fen` in settlement.parquet
and the margin parts to the change of `margin_yuan` in fen; the additive parts equal what the
tables say (the deductions part is minus the change of `deduction_fen`), and the parts of a
cost or of a factor that did not move are 0.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import drgsim
from drgsim.cli import main
from drgsim.errors import DrgsimError
from drgsim.records.results import write
from drgsim.scale import explain

CATALOGUE = str(Path(__file__).resolve().parent / "golden" / "catalogue.csv")
#: The golden deck's weights: ES25 half of ES23, so coding an ES25 case as ES23 pays.
WEIGHTS = {"overrides": {"ES25": 0.5, "FM19": 2.0, "IB19": 4.0}}
RATE = st.one_of(st.just(0.0), st.floats(0.0, 0.6), st.just(1.0))
ACTS = ("upcoding", "splitting", "induced", "phantom", "shifting")


@st.composite
def cities(draw: st.DrawFn) -> dict[str, Any]:
    """A tiny city and one variant in which its hospitals act."""
    hospitals = {
        f"H{k}": {"tier": draw(st.integers(1, 3)), "beds": draw(st.integers(20, 400))}
        for k in range(draw(st.integers(2, 3)))
    }
    variant: dict[str, Any] = {}
    for h in hospitals:
        for act in draw(st.lists(st.sampled_from(ACTS), max_size=3, unique=True)):
            variant[f"hospitals.{h}.{act}.rate"] = draw(RATE)
        if draw(st.booleans()):
            variant[f"hospitals.{h}.underservice.rate"] = draw(RATE)
            variant[f"hospitals.{h}.underservice.cut"] = draw(st.floats(0.0, 0.4))
    return {
        "name": "explain-property",
        "seed": draw(st.integers(0, 2**31 - 1)),
        "years": 1,
        "replications": 1,
        "catalogue": {"source": CATALOGUE},
        "weights": WEIGHTS,
        "region": {"admissions": draw(st.integers(100, 250))},
        "hospitals": hospitals,
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "funds": draw(
            st.sampled_from(
                [
                    {"all": {"share": 1.0}},
                    {"a": {"share": 0.6, "patient_share_mean": 0.2}, "b": {"share": 0.4}},
                ]
            )
        ),
        "audit": {
            "sample_rate": draw(st.floats(0.0, 1.0)),
            "detection": {a: draw(RATE) for a in ("upcoding", "split", "phantom")},
            "penalty": {a: draw(st.floats(0.0, 3.0)) for a in ("upcoding", "split", "phantom")},
            "deductions_to": draw(st.sampled_from(["others", "fund"])),
        },
        "budget": {
            "reserve": draw(st.floats(0.0, 0.3)),
            "reserve_use": draw(st.sampled_from(["release", "keep", "cover"])),
        },
        "point_value": {"floor": draw(st.one_of(st.none(), st.floats(0.8, 1.1)))},
        "settlement": {
            "mode": draw(st.sampled_from(["pool", "clearing"])),
            "prepay_share": draw(st.floats(0.5, 1.0)),
            "true_up": draw(st.booleans()),
        },
        "clearing": {"overrun_share": draw(st.sampled_from([0.0, 0.5]))},
        "variants": {"acts": variant or {"hospitals.H0.upcoding.rate": 0.5}},
    }


def _run(city: dict[str, Any], tmp: Path) -> Path:
    """The city run with its case table and written as `drgsim run` writes it."""
    scenario = tmp / "city.yaml"
    scenario.write_text(yaml.safe_dump(city, allow_unicode=True), encoding="utf-8")
    result = drgsim.run(scenario, cases=True)
    result.manifest["scenario_file"] = str(scenario)
    out = tmp / "out"
    write(result, out, force=True)
    return out


@settings(
    max_examples=8,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(city=cities())
def test_the_parts_of_every_hospitals_change_add_up_to_the_change_to_the_fen(
    city: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    out = _run(city, tmp_path_factory.mktemp("explain"))
    table = pd.read_parquet(out / "settlement.parquet").set_index(["variant", "hospital"])
    for h in city["hospitals"]:
        (answer,) = explain.hospital(out, h)
        base, var = table.loc[("baseline", h)], table.loc[("acts", h)]
        parts = {p["part"]: p for p in answer["parts"]}
        payment = int(var["final_fen"]) - int(base["final_fen"])
        margin = round((float(var["margin_yuan"]) - float(base["margin_yuan"])) * 100)
        assert answer["payment_change_fen"] == payment
        assert sum(p["payment_fen"] for p in parts.values()) == payment
        assert abs(answer["margin_change_fen"] - margin) <= 1  # margins are stored in yuan
        assert sum(p["margin_fen"] for p in parts.values()) == answer["margin_change_fen"]
        deduction = int(var["deduction_fen"]) - int(base["deduction_fen"])
        assert parts["deductions"]["payment_fen"] == -deduction
        assert parts["deductions"]["margin_fen"] == -deduction
        for cost in ("cost_per_case", "fixed_cost"):  # costs do not enter the payment
            assert parts[cost]["payment_fen"] == 0
        assert parts["fixed_cost"]["margin_fen"] == 0  # fixed cost is the baseline's
        if int(var["cases"]) == int(base["cases"]):
            assert parts["volume"]["payment_fen"] == 0


def test_a_variant_that_changes_nothing_has_every_part_zero(tmp_path: Path) -> None:
    fixed = {
        "name": "explain-zero",
        "seed": 3,
        "years": 1,
        "catalogue": {"source": CATALOGUE},
        "weights": WEIGHTS,
        "region": {"admissions": 150},
        "hospitals": {"H0": {"tier": 3, "beds": 300}, "H1": {"tier": 1, "beds": 50}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "variants": {"same": {"hospitals.H0.upcoding.rate": 0.0}},
    }
    out = _run(fixed, tmp_path)
    for h in ("H0", "H1"):
        (answer,) = explain.hospital(out, h)
        assert answer["payment_change_fen"] == 0
        assert all(p["payment_fen"] == 0 and p["margin_fen"] == 0 for p in answer["parts"])


def test_upcoding_shows_as_coding_and_its_caught_claims_as_deductions(tmp_path: Path) -> None:
    city = {
        "name": "explain-upcoding",
        "seed": 11,
        "years": 1,
        "catalogue": {"source": CATALOGUE},
        "weights": WEIGHTS,
        "region": {"admissions": 300},
        "hospitals": {"H0": {"tier": 3, "beds": 300}, "H1": {"tier": 2, "beds": 200}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "audit": {"sample_rate": 0.5, "detection": {"upcoding": 0.5}},
        "variants": {"up": {"hospitals.H0.upcoding.rate": 1.0}},
    }
    out = _run(city, tmp_path)
    (h0,) = explain.hospital(out, "H0")
    parts = {p["part"]: p["payment_fen"] for p in h0["parts"]}
    assert parts["coding"] > 0  # claims billed above their true groups and not caught
    assert parts["deductions"] < 0  # those caught were penalised
    assert parts["volume"] == 0  # the same patients (common random numbers)
    (h1,) = explain.hospital(out, "H1")  # the honest hospital codes nothing
    assert {p["part"]: p["payment_fen"] for p in h1["parts"]}["coding"] == 0


def test_special_review_approvals_lost_to_recoding_count_as_coding_not_case_mix(
    tmp_path: Path,
) -> None:
    """Issue 12: a recoded claim's true points are what the same claim earned at baseline.

    Special review approves many claims at baseline; recoding lowers their charges' ratio to the
    billed group's mean, so they lose approval. The variant's patients are the baseline's (same
    ids, true DRGs, charges), so the case mix part is only the change of patient payments, and
    all the points recoding moved are coding, paid at the baseline's point value.
    """
    city = {
        "name": "explain-special-review",
        "seed": 11,
        "years": 1,
        "catalogue": {"source": CATALOGUE},
        "weights": WEIGHTS,
        "region": {"admissions": 300},
        "hospitals": {"H0": {"tier": 3, "beds": 300}, "H1": {"tier": 2, "beds": 200}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "special_review": {"quota": 0.5, "min_ratio": 1.2, "approval": 1.0},
        "audit": {"sample_rate": 0.0},
        "variants": {"up": {"hospitals.H0.upcoding.rate": 1.0}},
    }
    out = _run(city, tmp_path)
    cases = pd.read_parquet(out / "cases.parquet").set_index(["variant", "case_id"])
    base, up = cases.loc["baseline"], cases.loc["up"]
    assert sorted(base.index) == sorted(up.index)  # the same patients ...
    same = ["hospital", "drg_true", "cost_yuan", "los", "discharge", "readmission"]
    assert base[same].equals(up.loc[base.index, same])  # ... only their billed codes differ
    lost = (base["special"] == "approved") & (up.loc[base.index, "special"] != "approved")
    assert lost.sum() >= 5  # approvals the recoding cost

    table = pd.read_parquet(out / "settlement.parquet").set_index(["variant", "hospital"])
    b, v = table.loc[("baseline", "H0")], table.loc[("up", "H0")]
    (answer,) = explain.hospital(out, "H0")
    parts = {p["part"]: p for p in answer["parts"]}
    oop_change_fen = (float(v["oop_yuan"]) - float(b["oop_yuan"])) * 100
    assert abs(parts["case_mix"]["payment_fen"] + oop_change_fen) <= 1
    assert abs(parts["case_mix"]["margin_fen"]) <= 1
    # the baseline's point value: (F(λ ≡ 1, no reserve) + O + D) / P
    before = answer["before"]
    core = before["final_fen"] - before["incentive_part_fen"] - before["reserve_part_fen"]
    pv = (core + float(b["oop_yuan"]) * 100 + int(b["deduction_fen"])) / float(b["points"])
    coding = pv * (float(v["points"]) - float(b["points"]))
    assert abs(parts["coding"]["payment_fen"] - coding) <= 1
    assert abs(parts["coding"]["margin_fen"] - coding) <= 1


def test_bad_input_is_one_line_with_exit_status_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    city = {
        "name": "explain-bad",
        "seed": 5,
        "years": 1,
        "catalogue": {"source": CATALOGUE},
        "weights": WEIGHTS,
        "region": {"admissions": 100},
        "hospitals": {"H0": {"tier": 3, "beds": 300}, "H1": {"tier": 1, "beds": 50}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "variants": {"v": {"hospitals.H0.induced.rate": 0.2}},
    }
    out = _run(city, tmp_path)
    cases = [
        ([str(out), "--hospital", "NOPE"], "--hospital NOPE: not a hospital"),
        ([str(out), "--hospital", "H0", "--variant", "nope"], "--variant nope: not a variant"),
        ([str(out), "--hospital", "H0", "--year", "1999"], "--year 1999: not a year"),
        ([str(out), "--case", "12345"], "--case 12345: no such claim"),
        ([str(tmp_path), "--case", "1"], "no manifest.json"),
        ([str(tmp_path / "nowhere"), "--case", "1"], "not a directory"),
        ([str(out), "--case", "1", "--replication", "3"], "--replication 3"),
    ]
    # issue 12: a near miss gets a "did you mean", still on the one line
    ids = pd.read_parquet(out / "cases.parquet", columns=["case_id"])["case_id"]
    near = int(str(int(ids.iloc[len(ids) // 2])) + "7")
    near = near if near not in set(ids) else near * 10 + 7  # not a case id itself
    cases += [
        ([str(out), "--hospital", "H00"], "--hospital H00: not a hospital"),
        ([str(out), "--hospital", "H00"], "did you mean 'H0'?"),
        ([str(out), "--hospital", "H0", "--variant", "vv"], "did you mean 'v'?"),
        ([str(out), "--case", str(near)], "did you mean '"),
    ]
    for args, message in cases:
        assert main(["explain", *args]) == 2, args
        err = capsys.readouterr().err
        lines = err.strip().splitlines()
        assert len(lines) == 1 and message in lines[0], (args, err)
        if "NOPE" in args or "nope" in args:
            assert "did you mean" not in lines[0]  # nothing close: no guess
    meant = re.search(r"did you mean '(\d+)'", lines[0])  # the --case near miss, last
    assert meant is not None and int(meant.group(1)) in set(ids)
    # a scenario file changed since the run: one line saying what explain needs
    scenario = tmp_path / "city.yaml"
    scenario.write_text(scenario.read_text().replace("seed: 5", "seed: 6"), encoding="utf-8")
    with pytest.raises(DrgsimError, match="explain needs the scenario this run was made from"):
        explain.hospital(out, "H0")


def test_a_missing_run_directory_is_refused_before_the_heavy_imports() -> None:
    # issue 12: explain and report on a mistyped path took ~8 s of pandas, matplotlib and numba
    code = (
        "import sys; from drgsim.cli import main; "
        "rcs = [main(['explain', 'no/such/run', '--case', '1']), main(['report', 'no/such/run'])]; "
        "print(rcs, sorted(m for m in ('pandas', 'matplotlib', 'numba') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == "[2, 2] []"
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 2 and all("no/such/run: not a directory" in line for line in lines)


def test_the_hospital_answer_as_json_has_the_parts(tmp_path: Path) -> None:
    city = {
        "name": "explain-json",
        "seed": 9,
        "years": 1,
        "catalogue": {"source": CATALOGUE},
        "weights": WEIGHTS,
        "region": {"admissions": 100},
        "hospitals": {"H0": {"tier": 3, "beds": 300}, "H1": {"tier": 1, "beds": 50}},
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "variants": {"v": {"hospitals.H0.induced.rate": 0.3}},
    }
    out = _run(city, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "drgsim.cli", "explain", str(out), "--hospital", "H0", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    (answer,) = json.loads(done.stdout)
    assert [p["part"] for p in answer["parts"]][:2] == ["volume", "case_mix"]
    assert sum(p["payment_fen"] for p in answer["parts"]) == answer["payment_change_fen"]
