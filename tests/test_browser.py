"""The report opens in headless Chromium with no console errors, every figure loaded and visible."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import matplotlib.image
import numpy as np
import pytest
from conftest import SMALL_WITH_VARIANT

import drgsim
from drgsim.present import labels
from drgsim.present.report import PAGES, build_report
from drgsim.records.results import write

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
REQUIRED = os.environ.get("DRGSIM_REQUIRE_BROWSER") == "1"  # set by .ci/run: never skip there
pytestmark = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED, reason="Debian's chromium is not installed"
)
SMALL = SMALL_WITH_VARIANT


def chromium(page: Path, profile: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Open a local page in headless Chromium with no network, logging the console to stderr."""
    if CHROMIUM is None:
        pytest.fail("DRGSIM_REQUIRE_BROWSER=1 but no chromium on PATH: apt-get install chromium")
    args = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--hide-scrollbars",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        "--virtual-time-budget=5000",
        *extra,
        page.as_uri(),
    ]
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


def console(stderr: str) -> list[str]:
    """The page's console messages in Chromium's log."""
    return [line for line in stderr.splitlines() if ":CONSOLE" in line]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Chinese report of a small run with one variant and its cases."""
    out = tmp_path_factory.mktemp("browser") / "out"
    write(drgsim.run(SMALL, cases=True), out)
    return build_report(out, "zh")


def test_every_figure_loads_with_no_console_errors(report: Path, tmp_path: Path) -> None:
    done = chromium(report, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", done.stdout)
    assert body is not None
    figures = len(list((report.parent / "plots").glob("*.png")))
    # point value, payment, who pays, audit, coefficients, case classes; DRGs that lose most
    assert figures == 7
    assert f'data-figures="{figures}"' in body.group(1)
    assert f'data-loaded="{figures}"' in body.group(1)
    assert console(done.stderr) == []


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_figures_are_in_both_reports_and_nothing_is_fetched(
    lang: str, report: Path, report_en_beside: Path, tmp_path: Path
) -> None:
    page = report if lang == "zh" else report_en_beside
    done = chromium(page, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    for slug in ("point_value", "who_pays", "audit", "payment", "coefficients"):
        assert f'id="fig-{slug}"' in dom, slug
    caption = labels.text("caption.point_value", lang)[:30]
    assert html.escape(caption, quote=False) in dom or caption in dom
    # nothing external: every src, href and url() is inline data or an in-page anchor
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']|url\(\s*['"]?([^'")]*)""", dom)
    targets = [a or b for a, b in refs]
    assert targets and all(t.startswith(("data:", "#")) for t in targets), targets[:5]
    assert console(done.stderr) == []


def test_a_screenshot_shows_the_figures(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "shot.png"
    done = chromium(report, tmp_path / "profile", f"--screenshot={shot}", "--window-size=1280,4000")
    assert done.returncode == 0 and shot.is_file(), done.stderr[-2000:]
    pixels = matplotlib.image.imread(shot)[:, :, :3]
    prepaid_blue = np.array([0x4C, 0x72, 0xB0]) / 255  # the pre-paid bars of the payment chart
    near = np.abs(pixels - prepaid_blue).max(axis=2) < 0.03
    assert near.mean() > 0.01
    assert (pixels.mean(axis=2) < 0.95).mean() > 0.1  # far from a blank page


def test_the_console_check_sees_a_page_error(tmp_path: Path) -> None:
    page = tmp_path / "bad.html"
    page.write_text("<html><body><script>console.error('boom')</script></body></html>")
    done = chromium(page, tmp_path / "profile", "--dump-dom")
    assert any("boom" in line for line in console(done.stderr))


@pytest.fixture(scope="module")
def report_en_beside(report: Path) -> Path:
    """The English report of the same run, written beside the Chinese one."""
    return build_report(report.parent, "en")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_findings_and_the_audit_table_show_in_both_languages(
    lang: str, report: Path, report_en_beside: Path, tmp_path: Path
) -> None:
    page = report if lang == "zh" else report_en_beside
    done = chromium(page, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    findings = dom.split('id="findings"', 1)[1].split("<h2", 1)[0]
    assert findings.count("<li>") >= 4  # the baseline's and the upcoding variant's
    audit = dom.split('id="audit"', 1)[1].split("</table>", 1)[0]
    assert audit.count("<tr>") >= 3  # the header, the baseline's false alarms, the upcoding
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", dom)
    assert console(done.stderr) == []


#: A small sweep of two keys (a line per value of the other key in every panel).
SWEEP_GRID = {"audit.sample_rate": [0.01, 0.3], "settlement.prepay_share": [0.85, 0.95]}
SWEEP_CITY = {
    "extends": "shanwei",
    "name": "small",
    "region": {"admissions": 5000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 2,
}


@pytest.fixture(scope="module")
def sweep_pages(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[Any]]]:
    """A small sweep's directory with both its pages, and the figures drawn for each language."""
    from drgsim.present import response
    from drgsim.present.sweep_report import build_sweep_report
    from drgsim.scale.sweep import sweep

    out = tmp_path_factory.mktemp("sweep") / "out"
    sweep(SWEEP_CITY, SWEEP_GRID, out=out, workers=0, plots=False)
    drawn: dict[str, list[Any]] = {"zh": [], "en": []}
    save = response._save
    for lang in ("zh", "en"):

        def keep(fig: Any, folder: Path, name: str, mine: list[Any] = drawn[lang]) -> list[Path]:
            mine.append(fig)
            return save(fig, folder, name)

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(response, "_save", keep)
            build_sweep_report(out, lang)
    return out, drawn


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_sweep_page_shows_every_figure_with_its_caption_and_fetches_nothing(
    lang: str, sweep_pages: tuple[Path, dict[str, list[Any]]], tmp_path: Path
) -> None:
    out, _ = sweep_pages
    name, folder = PAGES[lang]
    done = chromium(out / name, tmp_path / "profile", "--dump-dom")
    assert done.returncode == 0, done.stderr[-2000:]
    dom = done.stdout
    body = re.search(r"<body([^>]*)>", dom)
    assert body is not None
    pngs = sorted((out / folder).glob("*.png"))
    assert len(pngs) == 2 * 3  # each swept key × point value, payment, margin
    assert f'data-figures="{len(pngs)}"' in body.group(1)
    assert f'data-loaded="{len(pngs)}"' in body.group(1)
    captions = [html.unescape(c) for c in re.findall(r"<figcaption>(.*?)</figcaption>", dom)]
    expected = [
        labels.text(
            "sweep.title",
            lang,
            metric=labels.text(f"sweep.metric.{p.stem.rpartition('.')[2]}", lang),
            swept=p.stem.rpartition(".")[0],
            year=2021,
            reps=2,
        )
        for p in pngs
    ]
    assert sorted(captions) == sorted(expected)
    refs = re.findall(r"""(?:src|href)\s*=\s*["']([^"']*)["']|url\(\s*['"]?([^'")]*)""", dom)
    targets = [a or b for a, b in refs]
    assert targets and all(t.startswith(("data:", "#")) for t in targets), targets[:5]
    assert console(done.stderr) == []
    # the run information is a table in the page's language, not the manifest's raw keys
    run = dom.split('id="run"', 1)[1].split("</table>", 1)[0]
    cells = [html.unescape(c) for c in re.findall(r"<td>(.*?)</td>", run)]
    for key in ("scenario", "grid", "replications", "seed", "started", "wall_seconds"):
        assert labels.text(f"info.{key}", lang) in cells, key
    assert not {"wall_seconds", "scenario_sha256", "tasks_total", "versions"} & set(cells)
    assert labels.text("info.replications_value", lang, reps=2) in cells


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_no_panel_of_a_sweep_figure_is_empty(
    lang: str, sweep_pages: tuple[Path, dict[str, list[Any]]]
) -> None:
    from test_plots import draws_data, visible_axes

    figures = sweep_pages[1][lang]
    assert len(figures) == 2 * 3
    for fig in figures:
        panels = visible_axes(fig)
        assert len(panels) >= 2  # each fund's point value, or the hospital groups
        if lang == "en":  # every panel named in English: funds and hospitals too
            assert not re.search(r"[\u4e00-\u9fff]", "".join(ax.get_title() for ax in panels))
        for ax in panels:
            assert draws_data(ax), f"{fig.get_suptitle()!r}: panel {ax.get_title()!r} is empty"
