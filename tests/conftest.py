"""Helpers shared by the tests."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

#: A small city with one variant: the run the plot, report and browser tests draw from.
SMALL_WITH_VARIANT = {
    "extends": "shanwei",
    "name": "small",
    "seed": 7,
    "replications": 2,
    "region": {"admissions": 20000},
    "variants": {"upcoding": {"hospitals.SW01.upcoding.rate": 0.15}},
}

#: An audit that reviews nothing: no sample, no screening rule and no false alarm, no inspection.
NO_AUDIT = {
    "sample_rate": 0,
    "screening": {"recall": {}, "false_alarm": 0},
    "targeted": {"count": 0},
}

#: Import column → the column of drgsim's own case table it comes from.
_FROM_CASES = {
    "case_id": "case_id",
    "patient_id": "patient_id",
    "hospital": "hospital",
    "year": "year",
    "month": "month",
    "day": "day",
    "los": "los",
    "drg": "drg_billed",
    "drg_true": "drg_true",
    "cost_yuan": "cost_yuan",
    "oop_yuan": "oop_yuan",
    "discharge": "discharge",
}


def import_table(cases: pd.DataFrame, *, without: tuple[str, ...] = ()) -> pd.DataFrame:
    """A run's case table as a bureau would hand it over, in drgsim's import column names.

    With several funds it names each case's fund (险种类型), as a bureau's table does.
    """
    columns = {**_FROM_CASES, **({"fund": "fund"} if "fund" in cases.columns else {})}
    return pd.DataFrame(
        {name: cases[source].to_numpy() for name, source in columns.items() if name not in without}
    )


def run_cli(
    *args: str | Path, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """Run the drgsim command line in a fresh interpreter and capture what it says."""
    return subprocess.run(
        [sys.executable, "-m", "drgsim.cli", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=cwd,
    )


@pytest.fixture
def no_chinese_font(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A system without any Chinese font: none in matplotlib's list, none among its files."""
    from matplotlib import font_manager

    from drgsim.present import fonts

    latin = [e for e in font_manager.fontManager.ttflist if e.name not in fonts.FAMILIES]
    monkeypatch.setattr(font_manager.fontManager, "ttflist", latin)
    monkeypatch.setattr(font_manager, "findSystemFonts", lambda *a, **k: [])
    monkeypatch.delenv(fonts.ENV, raising=False)
    fonts.find.cache_clear()
    fonts.warn_once.cache_clear()
    yield
    fonts.find.cache_clear()
    fonts.warn_once.cache_clear()
