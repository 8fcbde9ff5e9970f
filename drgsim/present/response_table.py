"""A sweep's response table: each grid point's point value and hospital groups' money, with
95% intervals over replications, as numbers and as the text the terminal prints."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from drgsim.present import labels

#: What the table shows, with the divisor to its unit: yuan per point, 万元 from fen or yuan.
METRICS = {"point_value": 1.0, "final_fen": 1_000_000.0, "margin_yuan": 10_000.0}
STATS = ("mean", "lo", "hi")


def response_table(summary: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Last year's means and 95% bounds per grid point (rows, by the swept keys' values) and
    metric × entity × stat (columns), in the table's units (see METRICS)."""
    if summary.empty:
        return pd.DataFrame()
    last = summary[(summary["year"] == summary["year"].max()) & summary["metric"].isin(METRICS)]
    order = list(dict.fromkeys(last["entity"]))
    wide = last.pivot_table(
        index=["point", *keys], columns=["metric", "entity"], values=list(STATS), sort=False
    )
    wide.columns = wide.columns.reorder_levels([1, 2, 0])
    columns = [
        (m, e, s) for m in METRICS for e in order for s in STATS if (m, e, s) in wide.columns
    ]
    wide = wide[columns].sort_index(level="point").droplevel("point")
    for m, scale in METRICS.items():
        chosen = [c for c in wide.columns if c[0] == m]
        wide[chosen] = wide[chosen] / scale
    return wide


def metric_entities(table: pd.DataFrame, metric: str) -> list[str]:
    """The entities (funds or hospital groups) a response table has a column of `metric` for."""
    columns: list[Any] = list(table.columns)
    return list(dict.fromkeys(str(c[1]) for c in columns if c[0] == metric))


def entity_label(entity: str, about: Mapping[str, Any], lang: str, *, short: bool = False) -> str:
    """A column's label: the region (or a fund of it), a listed hospital (its id when `short`),
    or a tier's other hospitals."""
    if entity == "region":
        return labels.text("sweep.region", lang)
    if entity.startswith("region "):
        fund = entity.removeprefix("region ")
        known = labels.fund(fund, lang) != fund  # 职工, 居民: named in the page's language
        return labels.fund(fund, lang) if known else labels.text("sweep.fund", lang, fund=fund)
    if entity.startswith("T") and entity[1:].isdigit():
        return labels.other_tier(int(entity[1:]), int(about.get("hospitals", 0)), lang)
    if short:
        return entity
    return labels.hospital(entity, str(about.get("name", "")), lang)


def entities(summary: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Each entity's name, tier and number of hospitals, as the summary records them."""
    cols = [c for c in ("name", "tier", "hospitals") if c in summary.columns]
    first = summary.drop_duplicates("entity").set_index("entity")
    return {
        str(e): {c: row[c] for c in cols if pd.notna(row[c])} for e, row in first[cols].iterrows()
    }


def response_text(summary: pd.DataFrame, keys: list[str], lang: str = "en") -> str:
    """The response table as the terminal prints it: one block per metric, mean ± half-interval."""
    table = response_table(summary, keys)
    if table.empty:
        return ""
    about = entities(summary)
    year = int(summary["year"].max())
    reps = int(summary["replications"].max())
    blocks = [labels.text("sweep.table_title", lang, year=year, reps=reps)]
    for metric in METRICS:
        names = metric_entities(table, metric)
        if not names:
            continue
        digits = 4 if metric == "point_value" else 1
        shown = pd.DataFrame(index=table.index)
        for e in names:
            mean, lo, hi = (table[(metric, e, s)] for s in STATS)
            shown[entity_label(e, about.get(e, {}), lang, short=True)] = [
                _cell(a, (c - b) / 2, digits) for a, b, c in zip(mean, lo, hi, strict=True)
            ]
        blocks.append(labels.text(f"sweep.metric.{metric}", lang))
        blocks.append(shown.to_string())
    return "\n".join(blocks)


def _cell(mean: float, half: float, digits: int) -> str:
    """`mean ±half`, the half-interval left out when there is one replication."""
    text = f"{mean:,.{digits}f}"
    return text if pd.isna(half) else f"{text} ±{half:,.{digits}f}"
