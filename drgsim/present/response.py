"""Response plots of a sweep: each swept key against the point value and hospitals' payments."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd


def plot(table: pd.DataFrame, grid: Mapping[str, list[Any]], folder: Path) -> list[Path]:
    """One PNG per swept key: point value and pilot hospitals' final payment against the key.

    Other swept keys are held at their middle value; bands are 95% intervals of the mean.
    """
    from matplotlib.figure import Figure

    folder.mkdir(parents=True, exist_ok=True)
    if table.empty:
        return []
    last = table[table["year"] == table["year"].max()]
    written = []
    for key, values in grid.items():
        held = {k: v[len(v) // 2] for k, v in grid.items() if k != key}
        part = last
        for k, v in held.items():
            part = part[part[k] == v]
        numeric = all(isinstance(v, int | float) and not isinstance(v, bool) for v in values)
        fig = Figure(figsize=(11, 4.2))
        axes = fig.subplots(1, 2)
        panels = (
            (axes[0], "point_value", 1.0, "year-end point value (yuan)"),
            (axes[1], "final_fen", 1e-8, "final payment (million yuan)"),
        )
        for ax, metric, scale, ylabel in panels:
            rows = part[part["metric"] == metric]
            for entity, line in rows.groupby("entity", sort=True):
                line = line.sort_values(key) if numeric else line
                x = line[key] if numeric else [values.index(v) for v in line[key]]
                ax.plot(x, line["mean"] * scale, marker="o", label=str(entity))
                ax.fill_between(x, line["lo"] * scale, line["hi"] * scale, alpha=0.2)
            if not numeric:
                ax.set_xticks(range(len(values)), [str(v) for v in values])
            ax.set_xlabel(key)
            ax.set_ylabel(ylabel)
        axes[1].legend(fontsize=7)
        note = " (" + ", ".join(f"{k}={v}" for k, v in held.items()) + ")" if held else ""
        fig.suptitle(f"response to {key}{note}; mean and 95% interval", fontsize=10)
        fig.tight_layout()
        path = folder / f"{key}.png"
        fig.savefig(path, dpi=100)
        written.append(path)
    return written
