"""The report's findings state numbers that arithmetic on the run's tables gives back."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import drgsim
from drgsim.present import findings, labels
from drgsim.present.findings import Finding, Who
from drgsim.present.findings_text import sentence
from drgsim.present.report import build_report
from drgsim.records.results import read, write

#: Two variants that move money differently: under-service cuts cost (margin ≠ payment), the
#: upcoder under a strict audit is caught and pays the fund; "quiet" changes nothing of the money.
SCENARIO = {
    "extends": "shanwei",
    "name": "findings",
    "seed": 11,
    "replications": 2,
    "region": {"admissions": 10000},
    "variants": {
        "underservice": {"hospitals.SW04.underservice.cut": 0.15},
        "caught": {
            "hospitals.SW01.upcoding.rate": 0.3,
            "audit.sample_rate": 0.3,
            "audit.deductions_to": "fund",
        },
        "quiet": {"audit.sample_rate": 0.0},
    },
}


@pytest.fixture(scope="module")
def out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(drgsim.run(SCENARIO), tmp_path_factory.mktemp("findings") / "out")


@pytest.fixture(scope="module")
def tables(out: Path) -> dict[str, Any]:
    return read(out)


@pytest.fixture(scope="module")
def found(tables: dict[str, Any]) -> list[Finding]:
    return findings.findings(tables)


def _of(found: list[Finding], topic: str, key: str) -> list[Finding]:
    return [f for f in found if f.topic == topic and f.key == key]


def test_groups_losing_money_at_baseline_are_named_with_their_margin(
    tables: dict[str, Any], found: list[Finding]
) -> None:
    st = tables["settlement"]
    st = st[st["variant"] == "baseline"]
    group = np.where(
        st["hospital"].str.match(r"^T\d-"), "T" + st["tier"].astype(str), st["hospital"]
    )
    st = st.assign(group=group, cost=st["fixed_cost_yuan"] + st["variable_cost_yuan"])
    mean = (
        st.groupby(["group", "replication"])[["margin_yuan", "cost"]].sum().groupby("group").mean()
    )
    losing = mean[mean["margin_yuan"] < 0]
    stated = _of(found, "baseline", "finding.baseline_loss")
    assert len(stated) == len(losing) > 0  # this small city's primary hospitals lose at baseline
    for f in stated:
        w = f.values["who"]
        g = f"T{w.tier}" if w.count else w.hospital
        assert f.values["margin_yuan"] == pytest.approx(losing.loc[g, "margin_yuan"])
        assert f.values["margin_share"] == pytest.approx(
            losing.loc[g, "margin_yuan"] / losing.loc[g, "cost"]
        )
        if w.count:
            assert w.count == st[(st["group"] == g) & (st["replication"] == 0)].shape[0]


def _changes(tables: dict[str, Any], variant: str, column: str, unit: float) -> pd.Series:
    """Each hospital's mean change against the baseline over the paired replications (yuan)."""
    st = tables["settlement"].set_index(["replication", "hospital"])
    diff = st.loc[st["variant"] == variant, column] - st.loc[st["variant"] == "baseline", column]
    return diff.groupby(level="hospital").mean() * unit


@pytest.mark.parametrize("variant", ["underservice", "caught"])
def test_who_gains_and_loses_most_by_margin_and_by_payment(
    tables: dict[str, Any], found: list[Finding], variant: str
) -> None:
    margin = _changes(tables, variant, "margin_yuan", 1.0)
    payment = _changes(tables, variant, "final_fen", 0.01)
    stated = [f for f in found if f.topic == variant and f.key in ("finding.gain", "finding.loss")]
    measures = {f.values["measure"] for f in stated}
    if variant == "underservice":  # its margin rises with the cut cost: two sets of sentences
        assert measures == {"margin", "payment"}
    for f in stated:
        for measure, change in (("margin", margin), ("payment", payment)):
            if f.values["measure"] not in (measure, "both"):
                continue
            best = change.max() if f.key == "finding.gain" else change.min()
            assert f.values["change_yuan"] == pytest.approx(best, abs=0.01)
            assert change[f.values["who"].hospital] == pytest.approx(best, abs=0.01)
            lo, hi = f.values["lo_yuan"], f.values["hi_yuan"]
            assert lo <= f.values["change_yuan"] <= hi
            assert f.values["sure"] == ((lo > 0) if f.key == "finding.gain" else (hi < 0))
    cut = margin["SW04"] - payment["SW04"]  # what under-service saves it beyond its payment
    if variant == "underservice":
        assert cut > 0


def test_a_variant_that_moves_no_money_says_so(found: list[Finding]) -> None:
    stated = [f for f in found if f.topic == "quiet" and f.key.startswith("finding.")]
    keys = [f.key for f in stated]
    assert "finding.gain" not in keys and "finding.loss" not in keys
    assert ("finding.same", "both") in [(f.key, f.values.get("measure")) for f in stated]


def test_the_point_value_move_of_each_fund(tables: dict[str, Any], found: list[Finding]) -> None:
    ry = tables["region_year"]
    for f in _of(found, "caught", "finding.point_value"):
        rows = ry[ry["fund"] == f.values["fund"]]
        base = rows.loc[rows["variant"] == "baseline", "point_value"].mean()
        pv = rows.loc[rows["variant"] == "caught", "point_value"].mean()
        assert (f.values["base_pv"], f.values["variant_pv"]) == pytest.approx((base, pv))
        assert f.values["change_share"] == pytest.approx(pv / base - 1)
    assert {f.values["fund"] for f in _of(found, "caught", "finding.point_value")} == set(
        ry["fund"]
    )


def test_what_the_audit_caught_and_recovered(tables: dict[str, Any], found: list[Finding]) -> None:
    a = tables["audit"]
    (f,) = [f for f in found if f.topic == "caught" and f.key.startswith("finding.audit")]
    mine = a[(a["variant"] == "caught") & (a["act"] != "none")]
    assert f.key == "finding.audit"
    assert f.values["done"] == pytest.approx(mine["claims"].sum() / 2)
    assert f.values["caught"] == pytest.approx(mine["confirmed"].sum() / 2)
    assert f.values["caught_share"] == pytest.approx(mine["confirmed"].sum() / mine["claims"].sum())
    recovered = a.loc[a["variant"] == "caught", "recovered_fen"].sum() / 2 / 100
    assert f.values["recovered_yuan"] == pytest.approx(recovered) and recovered > 0
    st = tables["settlement"]
    assert recovered == pytest.approx(
        st.loc[st["variant"] == "caught", "deduction_fen"].sum() / 200
    )
    (quiet,) = [f for f in found if f.topic == "quiet" and f.key.startswith("finding.audit")]
    assert quiet.key == "finding.audit_no_acts"
    assert a.loc[a["variant"] == "quiet", "recovered_fen"].sum() == 0


def test_every_fen_of_the_budget_is_accounted_for(
    tables: dict[str, Any], found: list[Finding]
) -> None:
    ry = tables["region_year"]
    for f in [f for f in found if f.key.startswith("finding.budget")]:
        rows = ry[ry["variant"] == f.topic].groupby("replication").sum(numeric_only=True)
        assert f.values["budget_yuan"] == pytest.approx(rows["budget_fen"].mean() / 100)
        assert f.values["paid_yuan"] == pytest.approx(rows["paid_fen"].mean() / 100)
        kept = sum(yuan for _, yuan in f.values["kept"])
        assert f.values["paid_yuan"] + kept == pytest.approx(f.values["budget_yuan"])
        assert (f.key == "finding.budget_all_paid") == (not f.values["kept"])
    # the deductions the fund keeps are where the caught upcoder's money went
    (caught,) = _of(found, "caught", "finding.budget")
    (audit,) = _of(found, "caught", "finding.audit")
    assert dict(caught.values["kept"])["other_retained"] == pytest.approx(
        audit.values["recovered_yuan"]
    )


def test_findings_read_as_sentences_at_the_top_of_both_reports(
    out: Path, found: list[Finding]
) -> None:
    for lang in ("zh", "en"):
        page = build_report(out, lang).read_text(encoding="utf-8")
        section = page.split("id='findings'", 1)[1].split("<h2", 1)[0]
        assert page.index("id='findings'") < page.index("<figure")
        for f in found:
            assert html.escape(sentence(f, lang)) in section
        if lang == "zh":
            assert "入不敷出" in section and "追回" in section


def test_a_single_replication_states_no_interval() -> None:
    f = Finding(
        "x",
        "finding.gain",
        {
            "measure": "margin",
            "who": Who("SW01", "汕尾市人民医院", 3),
            "change_yuan": 12_000.0,
            "lo_yuan": float("nan"),
            "hi_yuan": float("nan"),
            "sure": False,
        },
    )
    assert sentence(f, "en") == (
        "Largest rise in margin: Shanwei People's Hospital, +12,000 yuan"
        + labels.text("finding.no_interval", "en")
        + "."
    )
    assert "+1.2 万元" in sentence(f, "zh")
    small = Finding("x", f.key, {**f.values, "change_yuan": 345.0})
    assert "+345 元" in sentence(small, "zh") and "+345 yuan" in sentence(small, "en")
    big = Finding("x", f.key, {**f.values, "change_yuan": -2_345_678.0})
    assert "-234.6 万元" in sentence(big, "zh") and "-2.35 million yuan" in sentence(big, "en")


def test_findings_from_tables_split_by_variant_are_those_of_each_table_whole(
    tables: dict[str, Any], found: list[Finding]
) -> None:
    whole = findings.baseline_margins(tables) + findings.audit(tables, findings.BASELINE)
    whole += findings.budget(tables, findings.BASELINE)
    for v in findings.variants(tables)[1:]:
        whole += findings.changes(tables, v) + findings.point_values(tables, v)
        whole += findings.audit(tables, v) + findings.budget(tables, v)
    assert found == whole  # the same numbers to the last bit, in the same order
