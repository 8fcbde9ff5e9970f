"""The report opens in headless Chromium with no console errors, every figure loaded and visible."""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from pathlib import Path

import matplotlib.image
import numpy as np
import pytest
from conftest import SMALL_WITH_VARIANT

import drgsim
from drgsim.present import labels
from drgsim.present.report import build_report
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
