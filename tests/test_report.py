"""report.html is self-contained, complete and byte-identical when rebuilt from the same tables."""

from __future__ import annotations

import base64
import dataclasses
import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import drgsim
from drgsim.present import drawing, labels
from drgsim.present.parameters import parameters
from drgsim.present.report import build_report, scenario_of
from drgsim.records.results import read, write

SCENARIO = """\
extends: shanwei
name: small
description: 小规模测试情景
seed: 7
replications: 2
region: {admissions: 20000}
variants:
  upcoding: {hospitals.SW01.upcoding.rate: 0.15}
"""
FIGURES = [
    "point_value",
    "payment",
    "who_pays",
    "audit",
    "coefficients",
    "case_classes",
    "drg_losses",
]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output directory of a small run from a scenario file, as `drgsim run` writes it."""
    root = tmp_path_factory.mktemp("report")
    scenario = root / "small.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    result = drgsim.run(scenario, cases=True)
    result.manifest["scenario_file"] = str(scenario)
    return write(result, root / "out")


@pytest.fixture(scope="module")
def zh_report(run_dir: Path) -> bytes:
    """The Chinese report of the small run."""
    return build_report(run_dir, "zh").read_bytes()


def test_report_is_self_contained_and_embeds_every_figure(run_dir: Path, zh_report: bytes) -> None:
    page = zh_report.decode("utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    pngs = sorted((run_dir / "plots").glob("*.png"))
    assert sorted(p.stem for p in pngs) == sorted(FIGURES)
    assert not list((run_dir / "plots").glob("*.svg"))  # SVG only when asked for
    embedded = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", page)
    assert len(embedded) == len(FIGURES)
    assert {base64.b64decode(e) for e in embedded} == {p.read_bytes() for p in pngs}


def test_report_answers_at_a_glance_in_chinese(zh_report: bytes) -> None:
    page = zh_report.decode("utf-8")
    assert "<html lang='zh-CN'>" in page
    for key in ("report.budget", "report.point_value", "report.paid", "report.retained"):
        assert labels.text(key, "zh") in page
    assert "汕尾市人民医院" in page and "小规模测试情景" in page
    assert "settlement.prepay_share" in page
    assert "浙江下限 0.85" in page  # where the default comes from
    assert "hospitals.SW01.upcoding.rate: 0.15" in page
    assert labels.text("skip.years", "zh") in page
    assert "@font-face" in page  # the Chinese text carries its own glyphs


def test_rebuilding_from_the_same_directory_gives_the_same_bytes(
    run_dir: Path, zh_report: bytes
) -> None:
    code = f"from drgsim.present.report import build_report; build_report({str(run_dir)!r}, 'zh')"
    subprocess.run([sys.executable, "-c", code], check=True)
    assert (run_dir / "report.html").read_bytes() == zh_report


def test_svg_on_request_and_figures_drawn_in_parallel_are_those_drawn_one_by_one(
    run_dir: Path, zh_report: bytes, tmp_path: Path
) -> None:
    pngs = {p.name: p.read_bytes() for p in (run_dir / "plots").glob("*.png")}
    tables = read(run_dir)
    serial, parallel = tmp_path / "serial", tmp_path / "parallel"
    one = drawing.draw(tables, serial, "zh", "plots", svg=True, workers=1)
    two = drawing.draw(tables, parallel, "zh", "plots", svg=True, workers=2)
    assert [p.relative_to(serial) for p in one] == [p.relative_to(parallel) for p in two]
    assert sorted(p.name for p in one) == sorted([*pngs, *(f"{s}.svg" for s in FIGURES)])
    for path in one:
        other = parallel / path.relative_to(serial)
        if path.suffix == ".png":
            assert path.read_bytes() == other.read_bytes() == pngs[path.name]
        else:  # the same drawing; a coordinate's last bit may move between processes
            assert _steady_svg(path.read_text()) == _steady_svg(other.read_text())


def _steady_svg(svg: str) -> str:
    """An SVG with numbers rounded to 3 places and its ids (hashes of the exact coordinates)
    numbered in the order they first appear."""
    ids: dict[str, str] = {}
    svg = re.sub(r"\b([pm])[0-9a-f]{10}\b", lambda m: ids.setdefault(m[0], f"id{len(ids)}"), svg)
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m[0]):.3f}", svg)


def test_the_report_drawn_from_tables_in_hand_is_the_report_read_from_files(
    run_dir: Path, zh_report: bytes, tmp_path: Path
) -> None:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    (copy / "report.html").unlink()
    made = build_report(copy, "zh", tables=read(run_dir)).read_bytes()
    assert made.replace(str(copy).encode(), str(run_dir).encode()) == zh_report


def test_the_english_report_sits_beside_the_chinese_one(run_dir: Path, zh_report: bytes) -> None:
    zh_figures = {p.name: p.read_bytes() for p in (run_dir / "plots").glob("*.png")}
    en = build_report(run_dir, "en")
    assert en == run_dir / "report.en.html"
    assert (run_dir / "report.html").read_bytes() == zh_report
    assert {p.name: p.read_bytes() for p in (run_dir / "plots").glob("*.png")} == zh_figures
    en_figures = {p.name for p in (run_dir / "plots" / "en").glob("*.png")}
    assert en_figures == set(zh_figures)
    assert "<html lang='en'>" in en.read_text(encoding="utf-8")


def test_the_report_command_writes_both_languages_and_says_where(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from drgsim.cli import main

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    for page in ("report.html", "report.en.html"):
        (copy / page).unlink(missing_ok=True)
    assert main(["report", str(copy), "--lang", "both"]) == 0
    said = capsys.readouterr().out.splitlines()
    assert said == [
        f"wrote {copy / 'report.html'} and {copy / 'plots'}/",
        f"wrote {copy / 'report.en.html'} and {copy / 'plots' / 'en'}/",
    ]
    assert "<html lang='zh-CN'>" in (copy / "report.html").read_text(encoding="utf-8")
    assert "<html lang='en'>" in (copy / "report.en.html").read_text(encoding="utf-8")


def test_the_report_command_writes_svg_only_on_request(
    run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import shutil

    from drgsim.cli import main
    from drgsim.present.sweep_report import MANIFEST

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    shutil.rmtree(copy / "plots")
    assert main(["report", str(copy), "--lang", "en"]) == 0
    assert not list(copy.glob("plots/**/*.svg"))
    assert main(["report", str(copy), "--lang", "en", "--svg"]) == 0
    pngs = sorted(p.stem for p in (copy / "plots" / "en").glob("*.png"))
    assert sorted(p.stem for p in (copy / "plots" / "en").glob("*.svg")) == pngs
    assert set(FIGURES) < set(pngs)  # and the waterfall, whose data the command worked out

    sweep = tmp_path / "sweep"
    sweep.mkdir()
    (sweep / MANIFEST).write_text("{}", encoding="utf-8")
    capsys.readouterr()
    assert main(["report", str(sweep), "--svg"]) == 2
    said = capsys.readouterr().err.splitlines()
    assert said == [f"drgsim: error: --svg: {sweep} is a sweep, whose figures are PNG only"]


def test_english_report_names_hospitals_in_english(run_dir: Path) -> None:
    first = build_report(run_dir, "en").read_bytes()
    page = first.decode("utf-8")
    assert "<html lang='en'>" in page
    assert html.escape("Shanwei People's Hospital") in page and "Tier-2 hospital 01" in page
    assert labels.text("report.comparison", "en") in page


def test_parameters_mark_what_the_scenario_set(run_dir: Path) -> None:
    manifest = {"scenario_file": str(run_dir.parent / "small.yaml")}
    scn, notes, set_keys = scenario_of(manifest, "en")
    assert notes == []
    rows = {p.key: p for p in parameters(scn, set_keys)}
    assert rows["region.admissions"].set and rows["region.admissions"].value == "20000.0"
    assert not rows["growth.charges"].set and "NHC 2019–23" in rows["growth.charges"].source
    assert rows["settlement.prepay_share"].default == "0.9"


def test_the_runs_own_scenario_is_taken_for_its_files_only_where_the_manifest_says_so(
    run_dir: Path,
) -> None:
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    loaded, _, keys = scenario_of(manifest, "en")
    at_hand = dataclasses.replace(loaded)  # equal, but another object
    assert scenario_of(manifest, "en", at_hand) == (loaded, [], keys)
    assert scenario_of(manifest, "en", at_hand)[0] is at_hand
    other = dataclasses.replace(loaded, seed=loaded.seed + 1)  # not what the run ran
    assert scenario_of(manifest, "en", other)[0] == loaded
    with_set = {**manifest, "overrides": {"seed": repr(loaded.seed)}}  # the file, then --set
    assert scenario_of(with_set, "en", at_hand)[0] is not at_hand
    changed = {**manifest, "scenario_sha256": "0" * 64}  # the file's bytes are not the run's
    scn, notes, _ = scenario_of(changed, "en", at_hand)
    assert scn is not at_hand and notes == [
        labels.text("report.scenario_changed", "en", file=manifest["scenario_file"])
    ]


def test_a_missing_scenario_file_falls_back_to_the_defaults_and_says_so() -> None:
    scn, notes, set_keys = scenario_of({"scenario_file": "/nonexistent/x.yaml"}, "en")
    assert scn.name == "scenario" and set_keys == set()
    assert notes == [labels.text("report.scenario_missing", "en", file="/nonexistent/x.yaml")]


def test_an_unknown_language_is_refused(run_dir: Path) -> None:
    with pytest.raises(ValueError, match="lang"):
        build_report(run_dir, "fr")


def _budget_rows(page: str, lang: str) -> tuple[list[str], dict[str, list[float]]]:
    """The budget table of a report: its header and each variant's numbers (万元)."""
    heading = html.escape(labels.text("report.budget_parts", lang, year=2021, reps=2))
    table = page.split(heading, 1)[1].split("</table>", 1)[0]
    head = [html.unescape(h) for h in re.findall(r"<th>(.*?)</th>", table)]
    rows = {}
    for row in re.findall(r"<tr><td>(.*?)</tr>", table):
        name, *cells = re.findall(r"(?:^|<td(?: class='n')?>)([^<]*)</td>", row)
        rows[html.unescape(name)] = [float(c.replace(",", "")) for c in cells]
    return head, rows


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_report_says_where_every_fen_of_the_budget_went(run_dir: Path, lang: str) -> None:
    page = build_report(run_dir, lang).read_text(encoding="utf-8")
    head, rows = _budget_rows(page, lang)
    parts = ["paid", "reserve_kept", "ceiling_surplus", "unpaid_withholding", "other_retained"]
    assert head[1:7] == [labels.text(f"col.{c}", lang) for c in ["budget", *parts]]
    assert set(rows) == {labels.variant(v, lang) for v in ("baseline", "upcoding")}
    ry = pd.read_parquet(run_dir / "region_year.parquet")
    ry = ry.groupby(["variant", "replication"]).sum(numeric_only=True).reset_index()  # funds
    for variant, numbers in zip(("baseline", "upcoding"), rows.values(), strict=True):
        budget, *shown = numbers[:6]
        # the parts as printed (one decimal each) add up to the budget as printed
        assert abs(sum(shown) - budget) <= 0.05 * (len(shown) + 1) + 1e-9
        # several funds (Shanwei's 职工 and 居民): their money summed per replication
        mine = (
            ry[ry["variant"] == variant]
            .groupby("replication")[["budget_fen", "paid_fen", "reserve_released_fen"]]
            .sum()
        )
        assert budget == round(mine["budget_fen"].mean() / 1e6, 1)
        assert shown[0] == round(mine["paid_fen"].mean() / 1e6, 1)
        released = round(mine["reserve_released_fen"].mean() / 1e6, 1)
        assert numbers[6] == released > 0  # the reserve is released by default, inside "paid"


@pytest.fixture(scope="module")
def en_report(run_dir: Path) -> bytes:
    """The English report of the small run."""
    return build_report(run_dir, "en").read_bytes()


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_audit_table_sums_audit_parquet_over_hospitals(
    run_dir: Path, lang: str, request: pytest.FixtureRequest
) -> None:
    page = request.getfixturevalue(f"{lang}_report").decode("utf-8")
    table = page.split("id='audit'", 1)[1].split("</table>", 1)[0]
    rows = {}
    for row in re.findall(r"<tr><td>(.*?)</tr>", table):
        variant, act, *cells = re.findall(r"(?:^|<td(?: class='n')?>)([^<]*)</td>", row)
        rows[html.unescape(variant), html.unescape(act)] = [
            float(c.replace(",", "")) for c in cells
        ]
    a = pd.read_parquet(run_dir / "audit.parquet")
    mine = a[(a["variant"] == "upcoding") & (a["act"] == "upcoding")]
    shown = rows[labels.variant("upcoding", lang), labels.act("upcoding", lang)]
    counts = ["claims", "screened", "sampled", "inspected", "reviewed", "confirmed"]
    expected = [mine[c].sum() / 2 for c in counts]  # two replications
    expected += [mine["deducted_points"].sum() / 2, mine["recovered_fen"].sum() / 2 / 1e6]
    assert shown == pytest.approx(expected, abs=0.05)
    assert expected[5] > 0  # the audit caught some of the upcoding
    # the baseline carries no act: its only row holds the honest claims reviewed and cleared
    base = [k for k in rows if k[0] == labels.variant("baseline", lang)]
    assert base == [(labels.variant("baseline", lang), labels.text("report.audit_no_act", lang))]


def test_the_chinese_parameter_table_has_chinese_meanings_and_no_json(
    run_dir: Path, zh_report: bytes
) -> None:
    page = zh_report.decode("utf-8")
    table = page.split("<table class='params'>", 1)[1].split("</table>", 1)[0]
    scn, _, set_keys = scenario_of({"scenario_file": str(run_dir.parent / "small.yaml")}, "zh")
    params = parameters(scn, set_keys)
    assert all(p.doc_zh for p in params if p.doc)
    english = [p.key for p in params if p.doc and f"<td>{html.escape(p.doc)}</td>" in table]
    assert english == []
    assert all(f"<td>{html.escape(p.doc_zh)}</td>" in table for p in params if p.doc_zh)
    values = re.findall(r"</code></td><td>(.*?)</td><td>(.*?)</td>", table)
    assert values and not any("{" in v or "&quot;" in v for pair in values for v in pair)
    hospitals = next(v for k, v in zip(params, values, strict=True) if k.key == "hospitals")[0]
    assert hospitals.split("<br>")[0] == "SW01: name 汕尾市人民医院, tier 3, beds 1200"


def test_the_chinese_parameter_table_gives_its_sources_in_chinese(
    run_dir: Path, zh_report: bytes
) -> None:
    from test_meanings_zh import CITATION_WORDS

    page = zh_report.decode("utf-8")
    table = page.split("<table class='params'>", 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1])
    sources = [html.unescape(re.findall(r"<td>(.*?)</td>", r)[5]) for r in rows]
    assert sum(1 for s in sources if s) >= 50
    english = {s for s in sources if set(re.findall(r"[A-Za-z][A-Za-z0-9]*", s)) - CITATION_WORDS}
    assert english == set()
    assert "浙江下限 0.85 [有据]；0.90 [默认值]" in sources  # settlement.prepay_share's


def test_without_a_chinese_font_the_report_embeds_none_and_names_the_readers_fonts(
    run_dir: Path, tmp_path: Path, no_chinese_font: None
) -> None:
    import shutil

    copy = tmp_path / "run"
    shutil.copytree(run_dir, copy)
    page = build_report(copy, "zh").read_text(encoding="utf-8")
    assert "@font-face" not in page and "data:font" not in page
    assert '"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei"' in page
    assert "汕尾" in page  # the words stay Chinese; only the figures' labels fall back


def _run_rows(page: str) -> dict[str, str]:
    """The run information table of a report: label -> value, as the reader sees them."""
    table = page.split("id='run'", 1)[1].split("<table class='run'>", 1)[1].split("</table>")[0]
    cells = re.findall(r"<tr><td>(.*?)</td><td>(.*?)</td></tr>", table, flags=re.S)
    return {html.unescape(k): html.unescape(v) for k, v in cells}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_reports_run_information_is_labelled_in_its_language(
    run_dir: Path, lang: str, request: pytest.FixtureRequest
) -> None:
    import json

    from drgsim.present.report import run_table

    rows = _run_rows(request.getfixturevalue(f"{lang}_report").decode("utf-8"))
    manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    assert not set(manifest) & set(rows)  # no raw manifest key stands as a label
    zh = lang == "zh"
    expected = {
        ("情景", "Scenario"): "small",
        ("随机种子", "Seed"): "7",
        ("重复次数", "Replications"): "2",
        ("模拟年数", "Years simulated"): "1",
        ("起始年份", "First year"): "2021",
        ("模拟的方案", "Variants simulated"): "基线, 套高病组" if zh else "Baseline, Upcoding",
        ("病组目录", "DRG catalogue"): "内置目录" if zh else "built-in",
        ("预算来源", "Budget from"): (
            "默认：按基线费用预算中性" if zh else "default: budget-neutral on the baseline's cost"
        ),
    }
    for (zh_label, en_label), value in expected.items():
        assert rows[zh_label if zh else en_label] == value
    versions = rows["软件版本" if zh else "Software versions"]
    assert f"numpy {manifest['numpy_version']}" in versions
    assert f"drgsim {manifest['drgsim_version']}" in versions
    scenario_file = rows["情景文件" if zh else "Scenario file"]
    assert scenario_file.startswith(manifest["scenario_file"])
    assert manifest["scenario_sha256"][:12] in scenario_file
    seconds = rows["用时（最近一次运行）" if zh else "Time taken (latest run)"]
    assert seconds == (f"{manifest['wall_seconds']:,.1f} " + ("秒" if zh else "s"))
    cjk = [bool(re.search(r"[\u4e00-\u9fff]", label)) for label in rows]
    assert all(cjk) if zh else not any(cjk)  # every label in the report's language
    # a key from a later version of drgsim is shown under its own name, its value as text
    later = _run_rows("id='run'" + run_table({**manifest, "future_key": [1, 2]}, lang))
    assert later["future_key"] == "1, 2"
    assert {k: v for k, v in later.items() if k != "future_key"} == rows


def test_the_manifest_lists_the_tables_written_not_the_figures_drawn_meanwhile(
    tmp_path: Path,
) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    out = tmp_path / "out"
    drgsim.run(scenario, out=out, cases=True)  # the figures are drawn as the tables are written
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert (out / "plots").is_dir() and (out / "cases.parquet").is_file()
    assert manifest["tables"] == sorted(p.name for p in out.glob("*.parquet"))
