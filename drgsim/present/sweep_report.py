"""A sweep's report page: its response figures and tables, self-contained, in zh or en."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from drgsim.errors import DrgsimError
from drgsim.present import labels, response
from drgsim.present.report import (
    PAGES,
    _e,
    _table,
    figure,
    page,
    run_table,
)
from drgsim.present.response_table import (
    METRICS,
    STATS,
    entities,
    entity_label,
    metric_entities,
    response_table,
)

MANIFEST = "sweep.json"


def is_sweep(out: Path) -> bool:
    """Whether `out` is the output directory of `drgsim sweep`."""
    return (Path(out) / MANIFEST).is_file()


def build_sweep_report(out: Path, lang: str = "zh") -> Path:
    """Draw a sweep's response figures into `out/plots/` (zh) or `out/plots/en/` (en) and write
    `out/report.html` or `out/report.en.html` beside them, as a run's reports are."""
    name, folder = PAGES[labels.check_lang(lang)]
    out = Path(out)
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    if not (out / "summary.parquet").is_file():
        raise DrgsimError(
            f"{out}: no summary.parquet; the sweep has not finished: rerun drgsim sweep to resume"
        )
    summary = pd.read_parquet(out / "summary.parquet")
    grid = {str(k): list(v) for k, v in manifest["grid"].items()}
    paths = response.plot(summary, grid, out / folder, lang)
    page = render(manifest, summary, [p for p in paths if p.suffix == ".png"], lang)
    target = out / name
    tmp = out / f".{name}.tmp"
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, target)
    return target


def render(manifest: dict[str, Any], summary: pd.DataFrame, pngs: list[Path], lang: str) -> str:
    """The page's HTML: what was swept, the figures, the response tables, how it was run."""
    grid = {str(k): list(v) for k, v in manifest["grid"].items()}
    year = int(summary["year"].max()) if not summary.empty else manifest.get("years", "")
    reps = int(manifest["replications"])
    scenario = str(manifest.get("scenario", ""))
    title = labels.text("sweep.page_title", lang, scenario=scenario)
    body = [
        f"<h1>{_e(title)}</h1>",
        "<p class='lead'>"
        + _e(
            labels.text(
                "sweep.lead",
                lang,
                scenario=scenario,
                variant=labels.variant(str(manifest.get("variant", "baseline")), lang),
                points=len(manifest["points"]),
                reps=reps,
            )
        )
        + "</p>",
        f"<h2>{_e(labels.text('sweep.grid', lang))}</h2>",
        _table(
            [labels.text("sweep.col.key", lang), labels.text("sweep.col.values", lang)],
            [[_e(k), _e(", ".join(str(v) for v in vs))] for k, vs in grid.items()],
        ),
        f"<h2>{_e(labels.text('sweep.figures', lang))}</h2>",
    ]
    for png in pngs:
        key, _, metric = png.name.removesuffix(".png").rpartition(".")
        caption = labels.text(
            "sweep.title",
            lang,
            metric=labels.text(f"sweep.metric.{metric}", lang),
            swept=key,
            year=year,
            reps=reps,
        )
        body.append(figure(png, caption))
    body.append(f"<h2>{_e(labels.text('sweep.tables', lang))}</h2>")
    body.append(f"<p>{_e(labels.text('sweep.table_title', lang, year=year, reps=reps))}</p>")
    body.append(tables_html(summary, list(grid), lang))
    body.append(f"<h2 id='run'>{_e(labels.text('sweep.run', lang))}</h2>")
    body.append(run_table(manifest, lang))
    content = "\n".join(body) + f"\n<footer>drgsim {_e(_version(manifest))}</footer>"
    return page(_e(title), content, lang)


def tables_html(summary: pd.DataFrame, keys: list[str], lang: str) -> str:
    """One HTML table per metric: a row per grid point, a column per fund or hospital group,
    each cell `mean [lo, hi]`."""
    table = response_table(summary, keys)
    if table.empty:
        return ""
    about = entities(summary)
    out = []
    for metric in METRICS:
        names = metric_entities(table, metric)
        if not names:
            continue
        digits = 4 if metric == "point_value" else 1
        head = [*keys, *(entity_label(e, about.get(e, {}), lang) for e in names)]
        rows = []
        for index, row in table.iterrows():
            values: tuple[Any, ...] = index if isinstance(index, tuple) else (index,)
            cells = [_e(str(v)) for v in values]
            for e in names:
                mean, lo, hi = (row[(metric, e, s)] for s in STATS)
                bounds = "" if pd.isna(lo) else f" [{lo:,.{digits}f}, {hi:,.{digits}f}]"
                cells.append(_e(f"{mean:,.{digits}f}{bounds}"))
            rows.append(cells)
        out.append(f"<h3>{_e(labels.text(f'sweep.metric.{metric}', lang))}</h3>")
        out.append(
            f"<div style='overflow-x:auto' data-metric='{metric}'>"
            + _table(head, rows, numeric_from=len(keys))
            + "</div>"
        )
    return "\n".join(out)


def _version(manifest: dict[str, Any]) -> str:
    versions = manifest.get("versions") or {}
    return str(versions.get("drgsim", "")) if isinstance(versions, dict) else ""
