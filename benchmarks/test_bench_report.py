"""The plots and report of the Shanwei run: what `drgsim run` does once its tables are written
(the waterfall's data, every figure, report.html), and the figures drawn in parallel against
one by one, measured in the same process."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import SHANWEI, median_seconds

import drgsim
from drgsim.present import drawing
from drgsim.present.report import build_report
from drgsim.records import results
from drgsim.scale.explain import write_waterfall


@pytest.fixture(scope="module")
def shanwei_tables(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    """The shipped Shanwei run's directory with its tables written, and the tables in hand."""
    out = tmp_path_factory.mktemp("shanwei") / "out"
    out.mkdir()
    result = drgsim.run(SHANWEI, workers=2)
    results.write_tables(result, out)
    return out, results.as_tables(result, out)


def plots_and_report(out: Path, tables: dict[str, Any]) -> None:
    """The phase of `drgsim run` after its tables: explain.json, the figures, report.html."""
    (out / "explain.json").unlink(missing_ok=True)
    shutil.rmtree(out / "plots", ignore_errors=True)
    build_report(out, "zh", tables=tables, explain=functools.partial(write_waterfall, out, tables))


def test_plots_and_report(benchmark: Any, shanwei_tables: tuple[Path, dict[str, Any]]) -> None:
    out, tables = shanwei_tables
    plots_and_report(out, tables)  # fonts found, subset cached, kernels loaded
    benchmark.pedantic(lambda: plots_and_report(out, tables), rounds=3, iterations=1)
    assert (out / "report.html").is_file() and (out / "plots" / "waterfall.png").is_file()


def test_figures_in_parallel_against_one_by_one(
    benchmark: Any, shanwei_tables: tuple[Path, dict[str, Any]]
) -> None:
    out, tables = shanwei_tables

    def draw(workers: int) -> None:
        drawing.draw(tables, out, "zh", "plots", workers=workers)

    serial = median_seconds(lambda: draw(1), 2)
    parallel = benchmark.pedantic(lambda: draw(2), rounds=3, iterations=1)
    del parallel
    benchmark.extra_info["serial_s"] = serial
    benchmark.extra_info["parallel_to_serial"] = benchmark.stats.stats.median / serial
