"""Sweeps: grid parsing, identical parts on 1 and 2 Dask workers, resume, YAML section, CLI."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from drgsim.cli import main
from drgsim.errors import DrgsimError
from drgsim.scale import shared_months
from drgsim.scale.shared_months import MonthStore
from drgsim.scale.sweep import Task, by_replication, read_sweep, sweep
from drgsim.scenario.grid import parse_flags, parse_section, points

SMALL = {
    "extends": "shanwei",
    "name": "small",
    "region": {"admissions": 5000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 2,
}
GRID = {"settlement.prepay_share": [0.85, 0.95], "audit.sample_rate": [0.01, 0.1]}
YAML = """\
extends: shanwei
name: small
region: {admissions: 5000}
other_hospitals: {count: {2: 1, 1: 1}}
replications: 2
sweep:
  grid:
    settlement.prepay_share: [0.85, 0.95]
    audit.sample_rate: {start: 0.01, stop: 0.1, num: 2}
"""


def test_a_comma_list_reads_each_value_as_yaml() -> None:
    grid = parse_flags(["settlement.mode=pool,repricing", "x=1,2.5,true,null,[1,2]"])
    assert grid == {"settlement.mode": ["pool", "repricing"], "x": [1, 2.5, True, None, [1, 2]]}


def test_a_range_gives_n_points_inclusive_and_whole_numbers_stay_whole() -> None:
    grid = parse_flags(["audit.sample_rate=0.01:0.1:10", "region.admissions=1000:5000:5"])
    assert grid["audit.sample_rate"] == [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.08, 0.09, 0.1]
    assert grid["region.admissions"] == [1000, 2000, 3000, 4000, 5000]


def test_a_yaml_section_takes_lists_ranges_and_flag_specs() -> None:
    grid = parse_section(
        {"a": [1, 2], "b": {"start": 0, "stop": 1, "num": 3}, "c": "0.5,0.7", "d": 4}, "sweep.grid"
    )
    assert grid == {"a": [1, 2], "b": [0.0, 0.5, 1.0], "c": [0.5, 0.7], "d": [4]}
    assert len(points(grid)) == 2 * 3 * 2


@pytest.mark.parametrize(
    ("flags", "words"),
    [
        (["settlement.prepay_share"], "expected KEY=VALUES"),
        (["a=1,,2"], "empty value"),
        (["a=0:1:x"], "start:stop:n"),
        (["a=0:1:0"], "n >= 1"),
        (["a=1", "a=2"], "swept twice"),
    ],
)
def test_a_bad_flag_is_one_line_naming_it(flags: list[str], words: str) -> None:
    with pytest.raises(DrgsimError) as err:
        parse_flags(flags)
    assert words in str(err.value)
    assert "\n" not in str(err.value)
    assert str(err.value).startswith(f"--grid {flags[-1]}")


def test_a_value_the_scenario_refuses_is_reported_before_any_work(tmp_path: Path) -> None:
    with pytest.raises(DrgsimError) as err:
        sweep(SMALL, {"settlement.prepay_share": [0.9, 1.5]}, out=tmp_path / "s", workers=0)
    assert "settlement.prepay_share" in str(err.value) and "1.5" in str(err.value)
    assert not (tmp_path / "s").exists()
    with pytest.raises(DrgsimError, match="unknown key"):
        sweep(SMALL, {"settlement.prepay_shar": [0.9]}, out=tmp_path / "s", workers=0)


def _parts(out: Path) -> dict[str, pd.DataFrame]:
    return {str(p.relative_to(out)): pd.read_parquet(p) for p in sorted(out.rglob("*.parquet"))}


def test_one_and_two_dask_workers_write_identical_tables(tmp_path: Path) -> None:
    one = tmp_path / "one"
    two = tmp_path / "two"
    sweep(SMALL, GRID, out=one, workers=1, plots=False)
    sweep(SMALL, GRID, out=two, workers=2, plots=False)
    a, b = _parts(one), _parts(two)
    assert set(a) == set(b) and len(a) == 3 * 4 * 2 + 2  # parts + points + summary
    for name in a:
        pd.testing.assert_frame_equal(a[name], b[name], obj=name)


def test_grid_points_share_patients_so_case_counts_match(tmp_path: Path) -> None:
    sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False)
    ry = read_sweep(tmp_path)["region_year"]
    keys = ["replication", *(["fund"] if "fund" in ry.columns else [])]  # each fund's patients
    by_rep = ry.groupby(keys)["cases"].nunique()
    assert (by_rep == 1).all()  # the same patients at every grid point of a replication


def test_a_sweep_draws_each_replications_months_once_for_all_its_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MonthStore()
    monkeypatch.setattr(shared_months, "STORE", store)
    sweep(SMALL, GRID, out=tmp_path / "shared", workers=0, plots=False)
    months = 2 * 12  # replications × months of the one year
    assert store.drawn == months and store.shared == 3 * months  # four points of each
    assert store.cases == 0  # none kept after the sweep
    monkeypatch.setattr(shared_months.MonthStore, "get", _draw_anew)
    sweep(SMALL, GRID, out=tmp_path / "anew", workers=0, plots=False)
    shared, anew = _parts(tmp_path / "shared"), _parts(tmp_path / "anew")
    assert set(shared) == set(anew)
    for name in shared:
        pd.testing.assert_frame_equal(shared[name], anew[name], obj=name)


def test_a_sweep_of_one_point_keeps_no_months(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MonthStore()
    monkeypatch.setattr(shared_months, "STORE", store)
    sweep(SMALL, {"audit.sample_rate": [0.05]}, out=tmp_path, workers=0, plots=False)
    assert store.drawn == store.shared == 0  # nothing to share: each month used and let go


def _draw_anew(self, source, year, month, seed):  # type: ignore[no-untyped-def]
    return source.month(year, month, seed)


def _tasks(reps: int, points: int) -> list[Task]:
    return [
        Task("out", i, r, "baseline", None, (1.0,), None)  # type: ignore[arg-type]
        for i in range(points)
        for r in range(reps)
    ]


@pytest.mark.parametrize(
    ("points", "slots", "most", "sizes"),
    [
        (5, 0, 8, [5, 5, 5]),
        (5, 1, 8, [5, 5, 5]),
        (5, 2, 8, [2, 2, 1] * 3),
        (5, 4, 8, [1] * 15),
        (5, 50, 8, [1] * 15),
        (20, 1, 8, [8, 8, 4] * 3),
        (20, 2, 8, [7, 7, 6] * 3),
        (20, 1, None, [20] * 3),
    ],
)
def test_tasks_go_out_in_groups_of_one_replications_points(
    points: int, slots: int, most: int | None, sizes: list[int]
) -> None:
    # 3 replications; at most `most` points a group, and with more slots than one, 4 groups a
    # slot where there are enough tasks: 2 slots want 8 groups, so each replication's 5 points
    # in 3 groups of ≤ 2, its 20 points in 3 groups of ≤ 7
    tasks = _tasks(3, points)
    groups = by_replication(tasks, slots, most)
    assert [len(g) for g in groups] == sizes
    assert all(len({t.replication for t in g}) == 1 for g in groups)
    done = [t for g in groups for t in g]
    assert sorted(done, key=lambda t: (t.point, t.replication)) == tasks  # each once
    assert [t.replication for t in done] == sorted(t.replication for t in tasks)
    assert [t.point for t in done] == [i for _ in range(3) for i in range(points)]
    assert by_replication([], slots, most) == []


def test_a_rerun_computes_only_the_missing_parts(tmp_path: Path) -> None:
    first = sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False)
    assert first.attrs["tasks_run"] == 8
    before = read_sweep(tmp_path)
    (tmp_path / "settlement" / "point=1" / "rep=0.parquet").unlink()
    (tmp_path / "hospital_month" / "point=3" / "rep=1.parquet").unlink()
    (tmp_path / "region_year" / "point=3" / ".rep=1.parquet.dead.tmp").write_bytes(b"half")
    again = sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False)
    assert again.attrs["tasks_run"] == 2
    assert read_sweep(tmp_path)["manifest"]["tasks_run"] == 2
    assert not list(tmp_path.rglob("*.tmp"))
    after = read_sweep(tmp_path)
    for name in ("settlement", "hospital_month", "region_year"):
        pd.testing.assert_frame_equal(before[name], after[name])
    assert sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False).attrs["tasks_run"] == 0
    more = sweep(SMALL, GRID, replications=3, out=tmp_path, workers=0, plots=False)
    assert more.attrs["tasks_run"] == 4  # one more replication of each point


def test_another_grid_in_the_same_directory_is_refused(tmp_path: Path) -> None:
    sweep(SMALL, {"settlement.prepay_share": [0.9]}, out=tmp_path, workers=0, plots=False)
    with pytest.raises(DrgsimError, match="another scenario or grid"):
        sweep(SMALL, {"settlement.prepay_share": [0.8]}, out=tmp_path, workers=0, plots=False)


def test_the_yaml_sweep_section_and_the_command_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "small.yaml"
    path.write_text(YAML, encoding="utf-8")
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "0", "--quiet"]) == 0
    tables = read_sweep(out)
    assert tables["manifest"]["grid"] == GRID
    assert tables["points"].shape == (4, 3)
    assert len(tables["settlement"]) == 4 * 2 * 7
    figures = {f"{k}.{m}.png" for k in GRID for m in ("point_value", "final_fen", "margin_yuan")}
    assert {p.name for p in (out / "plots").glob("*.png")} == figures
    assert {p.name for p in (out / "plots" / "en").glob("*.png")} == figures
    summary = tables["summary"]
    assert set(summary["metric"]) >= {"point_value", "final_fen"}
    assert set(summary["entity"]) >= {"region 职工", "region 居民", "SW01", "T1", "T2"}
    args = [
        "sweep",
        str(path),
        "--out",
        str(out),
        "--workers",
        "0",
        "--grid",
        "audit.sample_rate=2",
    ]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("drgsim: error: --grid audit.sample_rate=2")


T975_1 = 12.706204736174698  # Student's t, 97.5th percentile, 1 degree of freedom (tables)


def test_the_response_table_is_the_mean_of_the_parts_per_hospital_group(tmp_path: Path) -> None:
    """Each cell of the response table against means computed here from the Parquet parts:
    a listed hospital's own payment, the generated hospitals of a tier summed, each fund's
    point value; bounds at mean ± t × sd / √n."""
    import math

    from drgsim.present.response_table import response_table

    table = sweep(SMALL, GRID, out=tmp_path, workers=0, plots=False)
    got = response_table(table, list(GRID))
    points = pd.read_parquet(tmp_path / "points.parquet")
    assert len(got) == len(points) == 4
    for _, point in points.iterrows():
        i = int(point["point"])
        row = got.loc[(point["settlement.prepay_share"], point["audit.sample_rate"])]
        st = pd.concat(
            pd.read_parquet(tmp_path / "settlement" / f"point={i}" / f"rep={r}.parquet")
            for r in range(2)
        )
        ry = pd.concat(
            pd.read_parquet(tmp_path / "region_year" / f"point={i}" / f"rep={r}.parquet")
            for r in range(2)
        )
        tier1 = st[st["hospital"].str.startswith("T1-")].groupby("replication")["final_fen"].sum()
        sw01 = st[st["hospital"] == "SW01"].set_index("replication")["margin_yuan"]
        pv = ry[ry["fund"] == "居民"].set_index("replication")["point_value"]
        for metric, entity, values, unit in (
            ("final_fen", "T1", tier1, 1e6),
            ("margin_yuan", "SW01", sw01, 1e4),
            ("point_value", "region 居民", pv, 1.0),
        ):
            a, b = (float(v) / unit for v in values.sort_index())
            mean, sd = (a + b) / 2, abs(a - b) / math.sqrt(2)
            assert row[(metric, entity, "mean")] == pytest.approx(mean, rel=1e-12)
            half = T975_1 * sd / math.sqrt(2)  # drgsim's table of t has 5 significant digits
            assert row[(metric, entity, "hi")] - mean == pytest.approx(half, rel=1e-4, abs=1e-9)
            assert mean - row[(metric, entity, "lo")] == pytest.approx(half, rel=1e-4, abs=1e-9)
    tiers = {e for _, e, _ in got.columns if e.startswith("T")}
    assert tiers == {"T1", "T2"}  # every hospital group: listed hospitals and the tiers' others


def test_a_sweep_prints_its_response_and_reports_it_in_both_languages(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import re
    from html.parser import HTMLParser

    path = tmp_path / "small.yaml"
    path.write_text(YAML.split("sweep:")[0], encoding="utf-8")
    out = tmp_path / "out"
    args = ["sweep", str(path), "--out", str(out), "--workers", "0"]
    assert main([*args, "--grid", "audit.sample_rate=0.01,0.3"]) == 0
    printed = capsys.readouterr().out
    assert "Sweep response, 2021" in printed and "SW01" in printed and "Residents' fund" in printed
    assert re.search(r"^0\.30?\s+\S", printed, re.M)  # a row per grid point

    class Page(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.images: list[str] = []
            self.tables = 0
            self.cells: list[str] = []
            self.lang = ""
            self._in_cell = False

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            a = dict(attrs)
            self.lang = a.get("lang") or self.lang if tag == "html" else self.lang
            self.images += [a.get("src") or ""] if tag == "img" else []
            self.tables += tag == "table"
            self._in_cell = tag == "td"

        def handle_data(self, data: str) -> None:
            if self._in_cell:
                self.cells.append(data)

    summary = pd.read_parquet(out / "summary.parquet")
    sw01 = summary[(summary["entity"] == "SW01") & (summary["metric"] == "final_fen")]
    for name, folder, lang in (
        ("report.html", "plots", "zh-CN"),
        ("report.en.html", "plots/en", "en"),
    ):
        page = Page()
        text = (out / name).read_text("utf-8")
        page.feed(text)
        assert page.lang == lang
        assert len(page.images) == len(list((out / folder).glob("*.png"))) == 3
        assert all(src.startswith("data:image/png;base64,") for src in page.images)
        assert page.tables >= 4  # the grid and a response table per metric
        for mean in sw01["mean"] / 1e6:
            assert any(c.startswith(f"{mean:,.1f} [") for c in page.cells)
        assert "http://" not in text and "https://" not in text
    (out / "report.en.html").unlink()
    assert main(["report", str(out), "--lang", "en"]) == 0
    assert (out / "report.en.html").is_file()
    assert capsys.readouterr().out == f"wrote {out / 'report.en.html'} and {out / 'plots/en'}/\n"
    for page in ("report.html", "report.en.html"):
        (out / page).unlink()
    assert main(["report", str(out), "--lang", "both"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        f"wrote {out / 'report.html'} and {out / 'plots'}/",
        f"wrote {out / 'report.en.html'} and {out / 'plots/en'}/",
    ]
    assert (out / "report.html").is_file() and (out / "report.en.html").is_file()


#: A sweep's manifest as drgsim writes it, with one key a later version might add.
MANIFEST = {
    "scenario": "small",
    "scenario_file": "/data/small.yaml",
    "scenario_sha256": "ab" * 32,
    "identity": "cd" * 32,
    "seed": 7,
    "variant": "upcoding",
    "grid": {"audit.sample_rate": [0.05, 0.2], "audit.penalty.upcoding": [1, 2, 3]},
    "points": [{"point": i} for i in range(6)],
    "replications": 3,
    "years": 1,
    "annual_budget_yuan": 2.5e9,
    "tables": ["hospital_month", "settlement", "region_year"],
    "layout": "<table>/point=<i>/rep=<r>.parquet",
    "seeding": "SeedSequence(seed, spawn_key=(replication, year, month, stream)): grid points "
    "share each replication's patients (common random numbers)",
    "versions": {"drgsim": "9.9", "numpy": "2.0"},
    "started": "2026-01-02T03:04:05+00:00",
    "status": "complete",
    "tasks_total": 18,
    "tasks_run": 5,
    "workers": 0,
    "scheduler": None,
    "wall_seconds": 75.25,
    "future_key": [1, 2],
}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sweep_pages_run_information_is_labelled_in_its_language(lang: str) -> None:
    from drgsim.present import labels
    from drgsim.present.run_info import run_information

    rows = dict(run_information(MANIFEST, lang))
    raw = set(MANIFEST) - {"future_key"}
    assert not raw & set(rows)  # no manifest key stands as a label, only the unknown one
    assert rows["future_key"] == "1, 2"

    def t(key: str, **values: object) -> str:
        return labels.text(f"info.{key}", lang, **values)

    zh = lang == "zh"
    assert rows[t("scenario")] == "small"
    assert (
        rows[t("scenario_file")].startswith("/data/small.yaml")
        and "abababab" in rows[t("scenario_file")]
    )
    assert rows[t("variant")] == labels.variant("upcoding", lang)
    assert rows[t("grid")] == (
        "6个组合：audit.sample_rate（2个取值） × audit.penalty.upcoding（3个取值）"
        if zh
        else "6 points: audit.sample_rate (2 values) × audit.penalty.upcoding (3 values)"
    )
    assert rows[t("replications")] == ("每个组合3次" if zh else "3 at each grid point")
    assert "18" in rows[t("tasks_total")] and "5" in rows[t("tasks_total")]
    assert rows[t("seed")] == "7"
    assert rows[t("annual_budget_yuan")] == ("25.00 亿元" if zh else "2,500.0 million yuan")
    assert rows[t("started")] == "2026-01-02 03:04:05 UTC"
    assert rows[t("wall_seconds")] == ("75.2 秒" if zh else "75.2 s")
    assert rows[t("status")] == ("已完成" if zh else "complete")
    assert rows[t("versions")] == "drgsim 9.9, numpy 2.0"
    assert ("共同随机数" in rows[t("seeding")]) == zh
    assert t("scheduler") not in rows  # none was used
    page = "".join(f"{k}{v}" for k, v in rows.items())
    if zh:  # nothing English in the Chinese rows but names, paths, code and versions
        words = set(re.findall(r"[A-Za-z_]{3,}", page))
        assert words <= {
            "small", "data", "yaml", "SHA", "audit", "sample_rate", "penalty", "upcoding",
            "drgsim", "numpy", "hospital_month", "settlement", "region_year", "table", "point",
            "rep", "parquet", "SeedSequence", "spawn_key", "future_key", "UTC", "ab" * 6, "cd" * 6,
        }, words  # fmt: skip
