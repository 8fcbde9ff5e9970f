"""The report's "groups that lose most" figure, read from drg_margin.parquet."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

import drgsim
from drgsim.present import labels
from drgsim.present.drg_losses import drg_losses_figure, group_losses
from drgsim.present.report import build_report
from drgsim.records.results import read, write


def tables_of(rows: list[tuple[int, str, str, float]]) -> dict[str, pd.DataFrame]:
    """Tables with one listed hospital and two generated tier-2 ones; rows of drg_margin as
    (replication, hospital, drg, margin)."""
    st = pd.DataFrame(
        {
            "hospital": ["SW01", "T2-01", "T2-02"],
            "name": ["汕尾市人民医院", "", ""],
            "tier": [3, 2, 2],
        }
    )
    dm = pd.DataFrame(rows, columns=["replication", "hospital", "drg", "margin_yuan"])
    dm = dm.assign(variant="baseline", year=2021, cases=10)
    ry = pd.DataFrame({"variant": "baseline", "replication": [0, 1], "year": 2021})
    return {"settlement": st, "drg_margin": dm, "region_year": ry, "manifest": {}}


def test_losses_are_summed_over_a_tier_s_generated_hospitals_and_averaged_over_reps() -> None:
    tables = tables_of(
        [
            (0, "SW01", "AA11", -100.0),
            (1, "SW01", "AA11", -300.0),
            (0, "SW01", "BB13", 50.0),  # gains: not shown
            (1, "SW01", "BB13", -10.0),  # mean +20: not shown
            (0, "T2-01", "AA11", -40.0),
            (0, "T2-02", "AA11", -60.0),  # tier 2 in replication 0: −100
            (1, "T2-01", "AA11", -20.0),  # replication 1: −20
            (1, "T2-02", "CC15", -5.0),  # only in replication 1: the other counts as 0
        ]
    )
    out = group_losses(tables, "en")
    assert out["group"].tolist() == ["SW01", "T2", "T2"]
    assert out["drg"].tolist() == ["AA11", "AA11", "CC15"]
    assert out["margin"].tolist() == pytest.approx([-200.0, -60.0, -2.5])
    # two replications: half-width t(1) × sd / √2, t(1) = 12.706; SW01's sd of (−100, −300)
    half = 12.706 * math.sqrt(((-100 + 200) ** 2 + (-300 + 200) ** 2) / 1) / math.sqrt(2)
    assert out["lo"].iloc[0] == pytest.approx(-200 - half, rel=1e-3)
    assert out["label"].tolist()[:2] == [
        labels.hospital("SW01", "汕尾市人民医院", "en"),
        labels.other_tier(2, 2, "en"),  # two generated tier-2 hospitals together
    ]


def test_only_the_most_losing_drgs_are_kept_per_group() -> None:
    rows = [(r, "SW01", f"D{k:03d}", -float(k)) for r in (0, 1) for k in range(1, 21)]
    out = group_losses(tables_of(rows), "zh", top=5)
    assert out["drg"].tolist() == ["D020", "D019", "D018", "D017", "D016"]


def test_no_losing_drg_draws_no_figure() -> None:
    tables = tables_of([(0, "SW01", "AA11", 10.0), (1, "SW01", "AA11", 5.0)])
    assert group_losses(tables, "zh").empty
    assert drg_losses_figure(tables, "zh") is None
    del tables["drg_margin"]  # the output of a run from before the table existed
    assert drg_losses_figure(tables, "zh") is None


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    scn = {
        "extends": "shanwei",
        "name": "small",
        "seed": 5,
        "replications": 2,
        "region": {"admissions": 6000},
        "other_hospitals": {"count": {2: 2, 1: 2}},
    }
    return write(drgsim.run(scn), tmp_path_factory.mktemp("drg_losses") / "out")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_a_panel_per_hospital_group_none_empty(run_dir: Path, lang: str) -> None:
    tables = read(run_dir)
    fig = drg_losses_figure(tables, lang)
    assert fig is not None
    groups = group_losses(tables, lang)["group"].unique()
    axes = [ax for ax in fig.axes if ax.get_title()]
    assert len(axes) == len(groups) and len(groups) >= 3
    assert all(len(ax.patches) > 0 for ax in axes)


def test_the_report_embeds_the_figure(run_dir: Path) -> None:
    page = build_report(run_dir, "zh").read_text(encoding="utf-8")
    assert "id='fig-drg_losses'" in page
    assert (run_dir / "plots" / "drg_losses.png").is_file()


def test_many_regions_count_each_region_s_generated_hospitals_in_their_tier_s_label() -> None:
    st = pd.DataFrame(
        {"region": ["A", "B", "B"], "hospital": ["T2-01", "T2-01", "T2-02"], "tier": [2, 2, 2]}
    )
    dm = pd.DataFrame(
        {
            "region": ["A", "B"],
            "variant": "baseline",
            "replication": 0,
            "year": 2021,
            "hospital": ["T2-01", "T2-02"],
            "drg": "AA11",
            "cases": 3,
            "margin_yuan": [-4.0, -6.0],
        }
    )
    ry = pd.DataFrame({"variant": ["baseline"], "replication": [0], "year": [2021]})
    out = group_losses({"settlement": st, "drg_margin": dm, "region_year": ry}, "en")
    assert out["label"].tolist() == [labels.other_tier(2, 3, "en")]
    assert out["margin"].tolist() == [-10.0]
