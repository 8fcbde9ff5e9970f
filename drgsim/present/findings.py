"""The findings of a run in numbers: who gains and loses, the point value, the audit, the budget.

Each finding is a sentence's label key and the numbers it states, computed from the run's tables
(the last year, means over replications); present/report.py renders them in zh or en. Value
names say their unit: `*_yuan` money in yuan, `*_share` a fraction, `*_pv` a point value.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from typing import Any

import pandas as pd

from drgsim.present import labels
from drgsim.present.summary import BUDGET_PARTS, budget_parts

BASELINE = "baseline"
#: Changes smaller than half a fen are no change (margins are floats in yuan).
ZERO_YUAN = 0.005
#: What a variant moves, each with its column in comparison.parquet and the yuan per unit.
MEASURES = (("margin", "margin_yuan", 1.0), ("payment", "final_fen", 0.01))


@dataclasses.dataclass(frozen=True)
class Who:
    """A hospital (`count` 0) or the generated hospitals of one tier taken together."""

    hospital: str
    name: str
    tier: int
    count: int = 0
    region: str = ""


@dataclasses.dataclass(frozen=True)
class Finding:
    """One sentence: its topic (the baseline or a variant), label key and the numbers it states."""

    topic: str
    key: str
    values: Mapping[str, Any]


def findings(tables: Mapping[str, Any]) -> list[Finding]:
    """Every finding of a run: the baseline's, then each variant's against it."""
    names = variants(tables)
    tables = _in_year(tables, last_year(tables))  # each finding cuts out its variant from these
    out = baseline_margins(tables) + audit(tables, BASELINE) + budget(tables, BASELINE)
    for v in names[1:]:
        out += changes(tables, v) + point_values(tables, v) + audit(tables, v) + budget(tables, v)
    return out


def changes(tables: Mapping[str, Any], variant: str) -> list[Finding]:
    """Who gains and who loses most by margin and by payment; one set of sentences
    (`measure` "both") where the payment's extremes are the margin's, hospital and amount."""
    margin, payment = extremes(tables, variant, "margin"), extremes(tables, variant, "payment")
    if len(margin) == len(payment) and all(
        m.key == p.key
        and m.values.get("who") == p.values.get("who")
        and abs(m.values.get("change_yuan", 0.0) - p.values.get("change_yuan", 0.0)) < ZERO_YUAN
        for m, p in zip(margin, payment, strict=True)
    ):
        return [dataclasses.replace(m, values={**m.values, "measure": "both"}) for m in margin]
    return margin + payment


def variants(tables: Mapping[str, Any]) -> list[str]:
    """The run's variants, the baseline first."""
    listed = tables.get("manifest", {}).get("variants") or []
    present = list(dict.fromkeys(tables["region_year"]["variant"]))
    names = [n for n in listed if n in present] or present
    return [BASELINE, *[n for n in names if n != BASELINE]] if BASELINE in present else names


def last_year(tables: Mapping[str, Any]) -> int:
    """The run's last year: the one the findings speak of."""
    return int(tables["region_year"]["year"].max())


def baseline_margins(tables: Mapping[str, Any]) -> list[Finding]:
    """Hospital groups whose margin is negative at baseline (their loss and its share of their
    cost), or a finding that every group covers its cost."""
    st = _rows(tables, "settlement", BASELINE)
    if st.empty:
        return []
    st = st.assign(
        group=[_group(h, t) for h, t in zip(st["hospital"], st["tier"], strict=True)],
        cost_yuan=st["fixed_cost_yuan"] + st["variable_cost_yuan"],
    )
    per_rep = st.groupby(["group", "replication"], sort=False)[["margin_yuan", "cost_yuan"]].sum()
    mean = per_rep.groupby(level="group", sort=False).mean()
    out = []
    for group, row in mean.iterrows():
        if row["margin_yuan"] < -ZERO_YUAN:
            out.append(
                Finding(
                    BASELINE,
                    "finding.baseline_loss",
                    {
                        "who": _who_of_group(st, str(group)),
                        "margin_yuan": float(row["margin_yuan"]),
                        "margin_share": float(row["margin_yuan"] / row["cost_yuan"]),
                    },
                )
            )
    return out or [Finding(BASELINE, "finding.baseline_covered", {})]


def extremes(tables: Mapping[str, Any], variant: str, measure: str) -> list[Finding]:
    """The hospital whose `measure` (margin or payment) gains most and the one that loses most
    against the baseline, with 95% intervals (comparison.parquet, the last year)."""
    column, unit = next((c, u) for m, c, u in MEASURES if m == measure)
    c: Any = tables.get("comparison")
    if c is None or c.empty:
        return []
    c = _rows(tables, "comparison", variant).reset_index(drop=True)
    if c.empty:
        return []
    change = c[f"{column}_change_mean"] * unit
    out = []
    top, bottom = int(change.idxmax()), int(change.idxmin())
    for key, i, moved in (
        ("finding.gain", top, change[top] > ZERO_YUAN),
        ("finding.loss", bottom, change[bottom] < -ZERO_YUAN),
    ):
        if moved:
            lo = float(c.loc[i, f"{column}_change_lo"] * unit)
            hi = float(c.loc[i, f"{column}_change_hi"] * unit)
            sure = lo > 0 if key == "finding.gain" else hi < 0
            values = {
                "measure": measure,
                "who": _who_of_row(tables, c.loc[i]),
                "change_yuan": float(change[i]),
                "lo_yuan": lo,
                "hi_yuan": hi,
                "sure": sure,
            }
            out.append(Finding(variant, key, values))
    if not out:
        return [Finding(variant, "finding.same", {"measure": measure})]
    if len(out) == 1:
        alone = "finding.no_loss" if out[0].key == "finding.gain" else "finding.no_gain"
        out.append(Finding(variant, alone, {"measure": measure}))
    return out


def point_values(tables: Mapping[str, Any], variant: str) -> list[Finding]:
    """Each fund's year-end point value at baseline and in the variant (mean over replications
    and regions), and its change as a share."""
    ry = tables["region_year"]
    ry = ry[ry["year"] == last_year(tables)]
    funds = list(dict.fromkeys(ry["fund"])) if "fund" in ry.columns else [""]
    key = "finding.point_value_regions" if "region" in ry.columns else "finding.point_value"
    out = []
    for fund in funds:
        base, pv = (_mean_point_value(tables, v, fund) for v in (BASELINE, variant))
        out.append(
            Finding(
                variant,
                key,
                {"fund": fund, "base_pv": base, "variant_pv": pv, "change_share": pv / base - 1},
            )
        )
    return out


def audit(tables: Mapping[str, Any], variant: str) -> list[Finding]:
    """What the audit found: claims carrying an act, reviewed, caught, money recovered, and the
    honest claims it reviewed and cleared (sums over hospitals, means over replications)."""
    a = tables.get("audit")
    if a is None or a.empty:
        return []
    sums = _sums(tables, "audit", variant)
    if sums is None:
        return []
    reps = max(sums["replications"], 1)
    claims, confirmed = sums["acted_claims"], sums["acted_confirmed"]
    done = float(claims) / reps
    values = {
        "done": done,
        "reviewed": float(sums["acted_reviewed"]) / reps,
        "caught": float(confirmed) / reps,
        "caught_share": float(confirmed / claims) if done else 0.0,
        "recovered_yuan": float(sums["recovered_fen"]) / reps / 100,
        "cleared": float(sums["honest_reviewed"]) / reps,
    }
    return [Finding(variant, "finding.audit" if done else "finding.audit_no_acts", values)]


def budget(tables: Mapping[str, Any], variant: str) -> list[Finding]:
    """Where the variant's budget went: paid to hospitals and each part the fund kept (summed
    over funds and regions, means over replications)."""
    mean = _sums(tables, "region_year", variant)
    if mean is None:
        return []
    total = float(mean["budget_fen"])
    kept = tuple(
        (part.removesuffix("_fen"), float(mean[part]))
        for part in BUDGET_PARTS[1:]
        if abs(mean[part]) >= ZERO_YUAN
    )
    values = {
        "budget_yuan": total,
        "paid_yuan": float(mean["paid_fen"]),
        "paid_share": float(mean["paid_fen"]) / total if total else math.nan,
        "kept_yuan": total - float(mean["paid_fen"]),
        "kept": kept,
    }
    return [Finding(variant, "finding.budget" if kept else "finding.budget_all_paid", values)]


#: Where findings() keeps each table it cut to the last year split by variant, and what it
#: worked out once from them for every variant (_sums, _mean_point_value).
_SPLIT = "_findings_by_variant"
_DONE = "_findings_worked_out"
#: The audit's counts a finding states, by whether the claims carried an act.
AUDIT_COUNTS = ("claims", "reviewed", "confirmed")


def _in_year(tables: Mapping[str, Any], year: int) -> dict[str, Any]:
    """The tables the findings read, their rows of `year` alone, each also split by variant
    once (rather than a comparison of every row for each finding of each variant)."""
    out = dict(tables)
    split: dict[str, dict[Any, pd.DataFrame]] = {}
    for name in ("region_year", "settlement", "comparison", "audit"):
        table = tables.get(name)
        if isinstance(table, pd.DataFrame) and "year" in table.columns:
            table = out[name] = table[table["year"] == year]
            if "variant" in table.columns:
                where = table.groupby("variant", sort=False).indices
                split[name] = {v: table.iloc[rows] for v, rows in where.items()}
    out[_SPLIT] = split
    out[_DONE] = {}
    return out


def _sums(tables: Mapping[str, Any], name: str, variant: str) -> Any:
    """What audit() ("audit") or budget() ("region_year") states of `variant` in the last year,
    worked out for every variant at once where findings() cut the tables (sums of integer
    counts and fen, exact in any order); None where the variant has no rows."""
    done = tables.get(_DONE)
    if done is None:
        rows = _rows(tables, name, variant)
        return None if rows.empty else _sums_of(name, rows.assign(variant=variant))[variant]
    if name not in done:
        table = tables[name]
        done[name] = _sums_of(name, table[table["year"] == last_year(tables)])
    return done[name].get(variant)


def _sums_of(name: str, rows: pd.DataFrame) -> dict[str, Any]:
    """Per variant of `rows`: the audit's counts of claims with an act and of honest claims
    reviewed, the money recovered and the replications ("audit"); or the budget's parts, summed
    per replication, their mean in yuan ("region_year")."""
    if name == "region_year":
        shown = ["budget_fen", *BUDGET_PARTS]
        parts = budget_parts(rows).groupby(["variant", "replication"], sort=True)[shown].sum()
        return {str(v): group.mean() / 100 for v, group in parts.groupby(level="variant")}
    acted = rows["act"] != "none"
    counts = list(AUDIT_COUNTS)
    by_act = rows.groupby([rows["variant"], acted], sort=False)[counts].sum()
    recovered = rows.groupby("variant", sort=False)["recovered_fen"].sum()
    replications = rows.groupby("variant", sort=False)["replication"].nunique()
    out = {}
    for v in recovered.index:
        sums: dict[str, Any] = {"recovered_fen": recovered[v], "replications": replications[v]}
        for key, flag in (("acted", True), ("honest", False)):
            got = by_act.loc[(v, flag)] if (v, flag) in by_act.index else None
            for c in counts:
                sums[f"{key}_{c}"] = 0 if got is None else got[c]
        out[str(v)] = sums
    return out


def _mean_point_value(tables: Mapping[str, Any], variant: str, fund: str) -> float:
    """The mean year-end point value of `variant`'s rows of `fund` (all rows for "") in the
    last year, worked out once for each where findings() cut the tables."""
    done = tables.get(_DONE)
    key = ("point_value", variant, fund)
    if done is not None and key in done:
        found: float = done[key]
        return found
    rows = _rows(tables, "region_year", variant)
    value = float((rows[rows["fund"] == fund] if fund else rows)["point_value"].mean())
    if done is not None:
        done[key] = value
    return value


def _rows(tables: Mapping[str, Any], name: str, variant: str) -> pd.DataFrame:
    """The rows of table `name` of `variant` in the last year, as findings() split them."""
    table = tables[name]
    split = tables.get(_SPLIT, {}).get(name)
    if split is not None:
        return split.get(variant, table.iloc[:0])
    return table[(table["variant"] == variant) & (table["year"] == last_year(tables))]


def _group(hospital: object, tier: object) -> str:
    """A listed hospital's id, or `T<tier>` for the generated hospitals of a tier."""
    return f"T{int(str(tier))}" if labels.is_generated(str(hospital)) else str(hospital)


def _who_of_group(st: pd.DataFrame, group: str) -> Who:
    """The hospital or tier group `group` of settlement rows (one replication's count)."""
    rows = st[st["group"] == group]
    first = rows.iloc[0]
    if group.startswith("T") and group[1:].isdigit():
        one = rows[rows["replication"] == first["replication"]]
        return Who("", "", int(group[1:]), count=len(one))
    return Who(str(first["hospital"]), str(first["name"]), int(first["tier"]))


def _who_of_row(tables: Mapping[str, Any], row: pd.Series) -> Who:
    """The hospital of a comparison row, its name and tier from the settlement table."""
    region = str(row["region"]) if "region" in row.index else ""
    name, tier = _names(tables["settlement"])[(region, str(row["hospital"]))]
    return Who(str(row["hospital"]), name, tier, region=region)


_NAMES: dict[int, tuple[pd.DataFrame, dict[tuple[str, str], tuple[str, int]]]] = {}


def _names(st: pd.DataFrame) -> dict[tuple[str, str], tuple[str, int]]:
    """Each (region, hospital)'s name and tier in the settlement table (region "" in a
    one-region run), worked out once per table (held, so that its id stays its own)."""
    held = _NAMES.get(id(st))
    if held is None or held[0] is not st:
        first = st.drop_duplicates([c for c in ("region", "hospital") if c in st.columns])
        regions = first["region"].astype(str) if "region" in first.columns else [""] * len(first)
        found = {
            (r, str(h)): (str(n), int(t))
            for r, h, n, t in zip(
                regions, first["hospital"], first["name"], first["tier"], strict=True
            )
        }
        _NAMES.clear()
        held = _NAMES[id(st)] = (st, found)
    return held[1]
