"""drgsim from Python: `drgsim.run`'s arguments, `Result.report` and `Result.plots` writing what
`drgsim run` writes, and `drgsim.use_chinese_font` for a user's own figures."""

from __future__ import annotations

import inspect
import json
import re
import warnings
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

import drgsim
from drgsim.cli import main
from drgsim.errors import DrgsimError
from drgsim.present import labels

SMALL = """\
extends: shanwei
name: small
region: {admissions: 4000}
other_hospitals: {count: {2: 1, 1: 1}}
replications: 2
variants:
  upcoding: {hospitals.SW01.upcoding.rate: 0.15}
"""
# what differs between two runs of the same scenario: when and how they ran
VOLATILE = {"started", "wall_seconds", "workers", "tables"}


def test_run_has_a_documented_signature() -> None:
    params = inspect.signature(drgsim.run).parameters
    for name in ("scenario", "variants", "replications", "seed", "years", "overrides", "out"):
        assert name in params
        assert f"{name} :" in (drgsim.run.__doc__ or "")
    for section in ("Parameters\n", "Returns\n", "Examples\n", ">>> result = drgsim.run("):
        assert section in (drgsim.run.__doc__ or "")


def test_seed_years_and_overrides_reach_the_scenario() -> None:
    result = drgsim.run(
        {"extends": "shanwei", "region": {"admissions": 3000}, "replications": 1},
        seed=11,
        years=2,
        overrides={"settlement.prepay_share": 0.8},
        variants=[],
    )
    assert result.manifest["seed"] == 11 and result.scenario.seed == 11
    assert sorted(result.region_year["year"].unique()) == [2021, 2022]
    assert list(result.region_year["variant"].unique()) == ["baseline"]
    st = result.settlement
    share = st["prepaid_fen"].sum() / (st["prepaid_fen"] + st["withheld_fen"]).sum()
    assert share == pytest.approx(0.8, abs=1e-6)
    assert result.manifest["overrides"] == {
        "settlement.prepay_share": "0.8",
        "seed": "11",
        "years": "2",
    }


def test_an_unknown_variant_is_one_line_naming_it() -> None:
    with pytest.raises(DrgsimError) as err:
        drgsim.run(
            {"extends": "shanwei", "variants": {"upcoding": {"hospitals.SW01.upcoding.rate": 0.1}}},
            variants=["upcodin"],
        )
    assert "'upcodin'" in str(err.value) and "known: baseline, upcoding" in str(err.value)
    assert "\n" not in str(err.value)


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def _steady(page: str) -> str:
    """A report without the run-information rows that say when and how its run ran (by key,
    or by the key's label in either language)."""
    names = [*VOLATILE]
    for key in VOLATILE:
        if labels.has(f"info.{key}"):
            names += [labels.text(f"info.{key}", lang) for lang in ("zh", "en")]
    volatile = "|".join(re.escape(n) for n in names)
    return re.sub(rf"<tr><td>({volatile})</td><td>[^<]*</td></tr>", "", page)


def _manifest(root: Path) -> dict[str, object]:
    data = json.loads((root / "manifest.json").read_text("utf-8"))
    return {k: v for k, v in data.items() if k not in VOLATILE}


def test_result_report_and_plots_write_what_the_command_writes(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    cli_out, py_out, plots_out = tmp_path / "cli", tmp_path / "py", tmp_path / "plots"
    args = ["--out", str(cli_out), "--quiet", "--lang", "en", "--svg"]
    assert main(["run", str(scenario), *args]) == 0

    result = drgsim.run(scenario)
    assert result.report(py_out, lang="en", svg=True) == py_out
    assert _files(py_out) == _files(cli_out)
    assert _manifest(py_out) == _manifest(cli_out)
    for table in cli_out.glob("*.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(py_out / table.name), pd.read_parquet(table))
    for page in (p.name for p in cli_out.glob("*.html")):
        assert _steady((py_out / page).read_text("utf-8")) == _steady(
            (cli_out / page).read_text("utf-8")
        )

    written = result.plots(plots_out, lang="en", svg=True)
    cli_plots = sorted(p.relative_to(cli_out) for p in (cli_out / "plots" / "en").iterdir())
    assert sorted(p.relative_to(plots_out) for p in written) == cli_plots
    pngs = result.plots(tmp_path / "pngs", lang="en")  # PNG only unless SVG is asked for
    assert sorted(p.name for p in pngs) == sorted(p.name for p in cli_plots if p.suffix == ".png")
    assert all(p.read_bytes() == (cli_out / "plots" / "en" / p.name).read_bytes() for p in pngs)
    for name in cli_plots:
        if name.suffix == ".svg":  # the same drawing: coordinates may differ in their last digit
            assert _coarse((plots_out / name).read_text()) == _coarse((cli_out / name).read_text())
        else:
            assert (plots_out / name).read_bytes() == (cli_out / name).read_bytes()

    with pytest.raises(DrgsimError, match="not empty"):
        result.report(py_out)


def test_run_with_out_writes_what_the_command_writes(tmp_path: Path) -> None:
    scenario = tmp_path / "small.yaml"
    scenario.write_text(SMALL, encoding="utf-8")
    cli_out, py_out = tmp_path / "cli", tmp_path / "py"
    args = ["--replications", "1", "--no-report", "--seed", "5", "--variant", "upcoding"]
    assert main(["run", str(scenario), "--out", str(cli_out), "--quiet", *args]) == 0
    drgsim.run(scenario, replications=1, seed=5, variants=["upcoding"], out=py_out, report=False)
    assert _files(py_out) == _files(cli_out)
    assert _manifest(py_out) == _manifest(cli_out)
    for table in cli_out.glob("*.parquet"):
        pd.testing.assert_frame_equal(pd.read_parquet(py_out / table.name), pd.read_parquet(table))


def _glyph_warnings(title: str) -> list[str]:
    fig = Figure()
    fig.subplots().set_title(title)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        FigureCanvasAgg(fig).draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


def test_use_chinese_font_lets_a_users_own_figure_draw_chinese() -> None:
    title = "汕尾市各医院点值 point value −1"
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        assert _glyph_warnings(title) != []  # matplotlib's own font has no Chinese
        family = drgsim.use_chinese_font()
        assert _glyph_warnings(title) == []
        assert matplotlib.rcParams["font.sans-serif"][0] == family


def _coarse(svg: str) -> str:
    """An SVG's text with every decimal number rounded to 3 places and its clip-path ids
    numbered in order (matplotlib names a clip path by a hash of its exact coordinates)."""
    ids: dict[str, str] = {}
    svg = re.sub(r"\bp[0-9a-f]{10}\b", lambda m: ids.setdefault(m.group(), f"clip{len(ids)}"), svg)
    return re.sub(r"-?\d+\.\d+", lambda m: f"{float(m.group()):.3f}", svg)
