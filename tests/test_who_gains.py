"""Who gains and who pays (spec §8, issue 11 item 5): the change in margin beside the change in
payment, with 95% intervals, in comparison.parquet, the terminal, the figure and the report.

The pinned case is a hospital A that cuts 30% of its service, written out by hand below; the
intervals are mean ± t × sd / √n with Student's t for 2 degrees of freedom in closed form,
t = (2p − 1) / √(2p(1 − p)) at p = 0.975 (4.30265…; the code's table says 4.303).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from matplotlib.container import ErrorbarContainer

import drgsim
from drgsim.present import labels, plots, report, summary
from drgsim.present.comparison import compare
from drgsim.records.results import write

P = 0.975
T2 = (2 * P - 1) / math.sqrt(2 * P * (1 - P))  # Student's t(0.975, 2 degrees of freedom)
HALF = T2 * 1.0 / math.sqrt(3)  # sd 1 over three replications
SLACK = 1e-3  # the code's t table rounds t(0.975, 2) to 4.303
WAN = 1e4  # yuan in 1万元


def pinned_settlement() -> pd.DataFrame:
    """Hospital A cuts 30% of its service; B does nothing. Three replications r = 0, 1, 2.

    Baseline A: charges 1 000万, fixed cost 0.4 × 1 000万 = 400万, variable cost 0.6 × 1 000万 =
    600万, patients pay 100万 and the fund 900万: margin 900 + 100 − 400 − 600 = 0.
    Under-service A: charges 700万, variable cost 0.6 × 700 = 420万, patients pay 70万, the fund
    (20 + r)万 less (more of its cases fall below the low-cost cut): 880 − r; margin
    (880 − r) + 70 − 400 − 420 = 130 − r. Payment change −20 − r (mean −21, sd 1), margin
    change +130 − r (mean +129, sd 1).
    B: the pool gives it what A lost, (20 + r)万, its costs unchanged: both change by +(20 + r)
    (mean +21, sd 1). B's baseline: fund 500万, patients 50万, fixed 220万, variable 330万.
    """
    rows = []
    for r in range(3):
        a_cut_fund = 880 - r
        b_fund = 500 + 20 + r
        cells = {
            ("baseline", "A"): (900, 100, 400, 600),
            ("baseline", "B"): (500, 50, 220, 330),
            ("underservice", "A"): (a_cut_fund, 70, 400, 420),
            ("underservice", "B"): (b_fund, 50, 220, 330),
        }
        for (variant, hospital), (fund, oop, fixed, variable) in cells.items():
            rows.append(
                {
                    "variant": variant,
                    "replication": r,
                    "year": 2021,
                    "hospital": hospital,
                    "name": f"Hospital {hospital}",
                    "tier": 3 if hospital == "A" else 2,
                    "cases": 1000,
                    "points": fund * 10.0,  # ten points per 万元 paid (PV 1 000 yuan)
                    "final_fen": int(fund * WAN * 100),
                    "oop_yuan": oop * WAN,
                    "margin_yuan": (fund + oop - fixed - variable) * WAN,
                }
            )
    return pd.DataFrame(rows)


def pinned_tables() -> dict[str, Any]:
    st = pinned_settlement()
    ry = st.drop_duplicates(["variant", "replication", "year"])[["variant", "replication", "year"]]
    return {
        "settlement": st,
        "region_year": ry.reset_index(drop=True),
        "comparison": compare(st),
        "manifest": {"scenario": "pinned", "seed": 1, "variants": ["baseline", "underservice"]},
    }


#: hospital → (payment change mean, margin change mean), 万元, from the arithmetic above
WANT = {"A": (-21.0, 129.0), "B": (21.0, 21.0)}


def test_the_pinned_settlement_is_written_as_its_docstring_says() -> None:
    st = pinned_settlement()
    base = st[(st["variant"] == "baseline") & (st["hospital"] == "A")]
    assert (base["margin_yuan"] == 0).all()
    cut = st[(st["variant"] == "underservice") & (st["hospital"] == "A")]
    assert cut["margin_yuan"].tolist() == [130 * WAN, 129 * WAN, 128 * WAN]


def test_comparison_carries_margin_change_beside_payment_change_with_t_intervals() -> None:
    comp = compare(pinned_settlement()).set_index("hospital")
    for hospital, (pay, margin) in WANT.items():
        row = comp.loc[hospital]
        assert row["final_fen_change_mean"] == pytest.approx(pay * WAN * 100)
        assert row["margin_yuan_change_mean"] == pytest.approx(margin * WAN)
        for column, mean, unit in (("final_fen", pay, WAN * 100), ("margin_yuan", margin, WAN)):
            half = (row[f"{column}_change_hi"] - row[f"{column}_change_lo"]) / 2 / unit
            assert half == pytest.approx(HALF, rel=SLACK)
            assert (row[f"{column}_change_lo"] + row[f"{column}_change_hi"]) / 2 / unit == (
                pytest.approx(mean)
            )
    assert comp.loc["A", "final_fen_change_mean"] < 0 < comp.loc["A", "margin_yuan_change_mean"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_who_pays_gives_payment_and_margin_change_per_group(lang: str) -> None:
    change = plots.who_pays(pinned_tables(), lang).set_index("group")
    for hospital, (pay, margin) in WANT.items():
        row = change.loc[hospital]
        assert row["replications"] == 3
        assert row["mean"] == pytest.approx(pay) and row["margin_mean"] == pytest.approx(margin)
        assert row["hi"] - row["mean"] == pytest.approx(HALF, rel=SLACK)
        assert row["margin_mean"] - row["margin_lo"] == pytest.approx(HALF, rel=SLACK)


def interval_text(mean: float) -> str:
    """How the report writes a mean and its interval."""
    return f"{mean:+,.1f} [{mean - HALF:+,.1f}, {mean + HALF:+,.1f}]"


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_shows_margin_change_beside_payment_change(lang: str) -> None:
    html = report.comparison_tables(pinned_tables(), lang)
    pay, margin = (
        labels.text("report.payment_short", lang),
        labels.text("report.margin_short", lang),
    )
    for hospital_pay, hospital_margin in WANT.values():
        cell = f"{pay} {interval_text(hospital_pay)}<br>{margin} {interval_text(hospital_margin)}"
        assert html.count(cell) == 2  # the table by group and the one by hospital (its fold)


def test_the_terminal_shows_margin_change_beside_payment_change() -> None:
    text = summary._variant_lines(pinned_settlement(), 2021, ["underservice"], {"A", "B"})
    lines = text.splitlines()
    payment = next(line for line in lines if "payment" in line and "underservice" in line)
    margin = lines[lines.index(payment) + 1]
    assert margin.split()[0] == "margin"
    assert payment.split()[2:] == ["-21.0", f"±{HALF:.1f}", "+21.0", f"±{HALF:.1f}"]
    assert margin.split()[1:] == ["+129.0", f"±{HALF:.1f}", "+21.0", f"±{HALF:.1f}"]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_figure_draws_and_writes_margin_change_beside_payment_change(lang: str) -> None:
    fig = plots.who_pays_figure(pinned_tables(), lang)
    assert fig is not None
    (ax,) = [a for a in fig.axes if a.get_visible()]
    widths = sorted(round(p.get_width(), 6) for p in ax.patches)
    assert widths == sorted([-21.0, 21.0, 129.0, 21.0])
    written = {t.get_text() for t in ax.texts}
    assert {"-21", "+129", "+21"} <= written
    legend = [t.get_text() for t in fig.legends[0].get_texts()]
    assert legend == [
        labels.text("legend.payment_change", lang),
        labels.text("legend.margin_change", lang),
    ]
    bars = [c for c in ax.containers if isinstance(c, ErrorbarContainer)]
    assert len(bars) == 2  # payment and margin, each with its 95% intervals
    for container in bars:
        (segments,) = container.lines[2]
        for (x0, _), (x1, _) in segments.get_segments():
            assert (x1 - x0) / 2 == pytest.approx(HALF, rel=SLACK)


# --- a whole run --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> tuple[drgsim.Result, Path]:
    """A small city in which SW04 cuts 30% of its service, three replications, written out."""
    result = drgsim.run(
        {
            "extends": "shanwei",
            "name": "who_gains",
            "seed": 3,
            "replications": 3,
            "region": {"admissions": 20000},
            "variants": {"underservice": {"hospitals.SW04.underservice.cut": 0.3}},
        }
    )
    out = tmp_path_factory.mktemp("who_gains") / "out"
    write(result, out)
    return result, out


def paired(result: drgsim.Result, hospital: str, column: str, unit: float) -> np.ndarray:
    st = result.settlement
    st = st[st["hospital"] == hospital].set_index(["variant", "replication"])[column]
    return (st.loc["underservice"] - st.loc["baseline"]).to_numpy(float) / unit


def test_a_run_shows_the_under_servers_payment_fall_and_margin_rise_everywhere(
    run_dir: tuple[drgsim.Result, Path],
) -> None:
    result, out = run_dir
    pay = paired(result, "SW04", "final_fen", WAN * 100)
    margin = paired(result, "SW04", "margin_yuan", WAN)
    assert pay.mean() < 0 < margin.mean()
    half = {k: T2 * v.std(ddof=1) / math.sqrt(3) for k, v in (("pay", pay), ("margin", margin))}
    comp = result.comparison.set_index("hospital").loc["SW04"]
    assert comp["margin_yuan_change_mean"] / WAN == pytest.approx(margin.mean(), rel=1e-9)
    hi = comp["margin_yuan_change_hi"] / WAN
    assert hi - margin.mean() == pytest.approx(half["margin"], rel=SLACK)
    text = drgsim.present.summary.summary_text(result)
    row = next(line for line in text.splitlines() if line.split()[:1] == ["margin"])
    assert f"{margin.mean():+.1f}" in row
    page = (report.build_report(out, "en")).read_text("utf-8")
    assert f"margin {margin.mean():+,.1f} [" in page
    assert f"payment {pay.mean():+,.1f} [" in page
