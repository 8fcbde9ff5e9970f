"""A many-region run's summary and report speak of all regions together, and of each region."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pandas as pd
import pytest

import drgsim
from drgsim.present import findings, labels
from drgsim.present.report import build_report
from drgsim.present.summary import summary_text
from drgsim.records.results import Result, read, write

#: Three regions (Shanwei listed, two generated), two funds, two replications and a variant.
SCENARIO = {
    "extends": "shanwei",
    "name": "three",
    "seed": 5,
    "replications": 2,
    "regions": {
        "count": 2,
        "admissions": 16_000,
        "listed": {"汕尾市": {"region.admissions": 8000}},
    },
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "variants": {"upcoding": {"behaviour.upcoding.rate": 0.1}},
}


@pytest.fixture(scope="module")
def result() -> Result:
    return drgsim.run(SCENARIO)


@pytest.fixture(scope="module")
def out(result: Result, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write(result, tmp_path_factory.mktemp("regions") / "out")


def _baseline_sums(ry: pd.DataFrame) -> pd.DataFrame:
    """Each region's baseline money summed over funds, then the mean over replications."""
    base = ry[ry["variant"] == "baseline"]
    return base.groupby(["region", "replication"]).sum(numeric_only=True).groupby("region").mean()


def test_the_terminal_prints_the_national_budget_not_one_region(result: Result) -> None:
    text = summary_text(result)
    each = _baseline_sums(result.region_year)
    assert len(each) == 3
    national = each["budget_fen"].sum()
    budget = float(re.search(r"; budget ([\d.]+) 亿元", text).group(1))
    assert budget == pytest.approx(national / 1e10, abs=0.005)
    assert all(abs(budget - b / 1e10) > 0.005 for b in each["budget_fen"])  # no region alone
    line = next(s for s in text.splitlines() if s.startswith("budget "))
    assert float(line.split()[1]) == pytest.approx(national / 1e6, abs=0.05)
    assert "3 regions" in text
    low, high = re.search(r"budget per region ([\d.]+) to ([\d.]+) 万元", text).groups()
    assert float(low) == pytest.approx(each["budget_fen"].min() / 1e6, abs=0.05)
    assert float(high) == pytest.approx(each["budget_fen"].max() / 1e6, abs=0.05)


def _rows(table: str) -> list[list[str]]:
    return [
        [html.unescape(c) for c in re.findall(r"<td(?: class='n')?>([^<]*)</td>", row)]
        for row in re.findall(r"<tr><td>.*?</tr>", table)
    ]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_shows_the_regions_together_and_each(out: Path, lang: str) -> None:
    page = build_report(out, lang).read_text(encoding="utf-8")
    section = page.split("id='regions'", 1)[1].split("<h2", 1)[0]
    national = _rows(section.split("class='national'", 1)[1].split("</table>", 1)[0])
    regions = _rows(section.split("class='regions'", 1)[1].split("</table>", 1)[0])
    assert national[0][0] == labels.text("report.national", lang)
    assert [r[0] for r in regions] == ["汕尾市", "R001", "R002"]

    def number(cell: str) -> float:
        return float(cell.replace(",", ""))

    each = _baseline_sums(read(out)["region_year"])
    for column, name in ((3, "budget_fen"), (4, "paid_fen"), (5, "retained_fen")):
        shown = [number(r[column]) for r in regions]
        assert shown == pytest.approx(
            list(each.loc[["汕尾市", "R001", "R002"], name] / 1e6), abs=0.05
        )
        # the total is the sum of the regions (each shown with one decimal)
        assert number(national[0][column]) == pytest.approx(sum(shown), abs=0.05 * 4)
    hospitals = [number(r[1]) for r in regions]
    st = read(out)["settlement"]
    one = st[(st["variant"] == "baseline") & (st["replication"] == 0)]
    assert hospitals == [(one["region"] == r).sum() for r in ("汕尾市", "R001", "R002")]
    assert number(national[0][1]) == sum(hospitals)


def test_findings_name_each_hospital_with_its_region(out: Path) -> None:
    tables = read(out)
    found = findings.findings(tables)
    gains = [f for f in found if f.key in ("finding.gain", "finding.loss")]
    assert gains
    c = tables["comparison"]
    for f in gains:
        who = f.values["who"]
        row = c[(c["region"] == who.region) & (c["hospital"] == who.hospital)]
        column = "margin_yuan" if f.values["measure"] != "payment" else "final_fen"
        unit = 1.0 if column == "margin_yuan" else 0.01
        assert row[f"{column}_change_mean"].iloc[0] * unit == pytest.approx(f.values["change_yuan"])
    assert any(f.key == "finding.point_value_regions" for f in found)


def _point_value_ranges(ry: pd.DataFrame) -> dict[str, tuple[float, float, float, float, float]]:
    """Each fund's baseline point value in the last year: the mean, the range over regions ×
    replications and the range over the regions' means (over replications)."""
    base = ry[(ry["variant"] == "baseline") & (ry["year"] == ry["year"].max())]
    out = {}
    for fund, rows in base.groupby("fund", sort=False):
        pv = rows["point_value"]
        means = rows.groupby("region")["point_value"].mean()
        out[str(fund)] = (pv.mean(), pv.min(), pv.max(), means.min(), means.max())
    return out


def test_the_terminal_names_each_point_value_range(result: Result) -> None:
    text = summary_text(result)
    ranges = _point_value_ranges(result.region_year)
    assert len(ranges) == 2  # 职工, 居民
    for fund, (mean, lo, hi, mean_lo, mean_hi) in ranges.items():
        assert mean_lo > lo or mean_hi < hi  # the two ranges differ, so a label matters
        said = (
            f"{fund} {mean:.4f} (range over regions × replications {lo:.4f}–{hi:.4f}, "
            f"over region means {mean_lo:.4f}–{mean_hi:.4f})"
        )
        assert said in text
    assert "point value 点值 (mean over regions × replications)" in text


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_names_each_point_value_range(out: Path, lang: str) -> None:
    page = html.unescape(build_report(out, lang).read_text(encoding="utf-8"))
    ranges = _point_value_ranges(read(out)["region_year"])
    key = page.split(labels.text("report.point_value", lang), 1)[1].split("</dd>", 1)[0]
    national = page.split("class='national'", 1)[1].split("</table>", 1)[0]
    zh = lang == "zh"
    for fund, (mean, lo, hi, mean_lo, mean_hi) in ranges.items():
        assert (
            f"{fund}: {mean:.4f} 元/点，各统筹区×各次重复的均值（各统筹区×各次重复的范围 "
            f"{lo:.4f}–{hi:.4f}；各统筹区均值的范围 {mean_lo:.4f}–{mean_hi:.4f}）"
            if zh
            else f"{fund}: {mean:.4f} yuan per point, mean over regions × replications (range "
            f"over regions × replications {lo:.4f}–{hi:.4f}; over region means "
            f"{mean_lo:.4f}–{mean_hi:.4f})"
        ) in key
        means = f"{'各统筹区均值' if zh else 'region means'} {mean_lo:.4f}–{mean_hi:.4f}"
        assert f"{fund} {means}" in national
