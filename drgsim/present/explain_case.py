"""Why one claim got its points and money: its path through the rules, step by step, rechecked.

Each step names the rule (a section of docs/rules.md) and its scenario keys, recomputes its
result from the spec's formulas and the year's tariff, and compares it with what the run
stored; a difference is an error (`ExplainMismatch`), never a silent print.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from drgsim.acts import ACTS, AUDITED
from drgsim.engine.calendar import STREAM_AUDIT, stream_seed
from drgsim.errors import DrgsimError, did_you_mean
from drgsim.kernels.rng import Draw, uniform_np
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.funds import fund_names
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import Scenario

#: Points are floats: a recomputed value counts as equal within this relative difference.
REL = 1e-9
UNGROUPABLE = "0000"


class ExplainMismatch(DrgsimError):
    """A step recomputed from the rules differs from what the run stored."""


@dataclass
class Step:
    """One step of a claim's path: the rule, its keys, what it found and the numbers."""

    step: str
    rule: str
    keys: tuple[str, ...]
    text: str
    values: dict[str, Any] = field(default_factory=dict)


@dataclass
class CaseInputs:
    """What a claim's trace reads: the claim, the year's claims and tariff, the run's money."""

    case: pd.Series  # the claim's row (cases.parquet columns)
    year_cases: pd.DataFrame  # every claim of its variant × replication × year
    tariff: Tariff
    catalogue: Catalogue
    hospital_ids: list[str]
    tiers: np.ndarray
    scenario: Scenario  # the variant's scenario
    year_index: int
    replication: int
    month_pv: float  # its fund's point value of the claim's discharge month
    year_pv: float  # its fund's point value of the year
    source: str


def trace(x: CaseInputs) -> list[Step]:
    """The steps of one claim, each recomputed and checked against the stored row."""
    scn, row, cat = x.scenario, x.case, x.catalogue
    case_id = int(row["case_id"])
    where = f"case {case_id}"
    steps: list[Step] = []
    funds = fund_names(scn)
    fund = str(row["fund"]) if "fund" in row.index else funds[0]
    h = x.hospital_ids.index(str(row["hospital"]))
    cost, oop = float(row["cost_yuan"]), float(row["oop_yuan"])
    steps.append(
        Step(
            "claim",
            "§3 funds",
            ("funds",),
            f"{row['hospital']} (tier {int(x.tiers[h])}), discharged month {int(row['month'])} "
            f"day {int(row['day'])} after {int(row['los'])} day(s) ({row['discharge']}); "
            f"charges {cost:,.2f} yuan, patient paid {oop:,.2f}; fund {fund}"
            + (
                f"; made by {row['origin_kind']} from case {int(row['origin_id'])}"
                if str(row.get("origin_kind", ""))
                else ""
            ),
            {
                "hospital": str(row["hospital"]),
                "fund": fund,
                "charges_yuan": cost,
                "oop_yuan": oop,
                "month": int(row["month"]),
                "los": int(row["los"]),
                "discharge": str(row["discharge"]),
            },
        )
    )
    index = {str(code): i for i, code in enumerate(cat.drg)}
    true_code, billed_code = str(row["drg_true"]), str(row["drg_billed"])
    acts = [a.name for a in ACTS if int(row["acts"]) & a.bit]
    recoded = true_code != billed_code
    why = (
        f"ungroupable record (billed {UNGROUPABLE}); its true DRG {true_code}"
        if billed_code == UNGROUPABLE
        else f"billed {billed_code} instead of its true {true_code}: act "
        + ("upcoding (upcoding.rate)" if "upcoding" in acts else ", ".join(acts) or "none")
        if recoded
        else f"billed its true DRG {billed_code}"
    )
    steps.append(
        Step(
            "grouping",
            "§1 catalogue, §8 acts",
            ("catalogue.source", *(f"behaviour.{a}" for a in acts)),
            f"{why}; acts on the claim: {', '.join(acts) or 'none'}",
            {"drg_true": true_code, "drg_billed": billed_code, "acts": acts},
        )
    )
    g = index.get(billed_code, -1)
    klass, formula, special_pts, klass_steps = _formula(x, g, h, cost)
    steps.extend(klass_steps)
    status = str(row["special"])
    points, review_steps = _special_review(x, g, klass, formula, special_pts, status, where)
    klass_after = "special" if status in ("automatic", "approved") else klass
    _same(where, "class", klass_after, str(row["case_class"]))
    steps.extend(review_steps)
    priced = points
    audited, audit_steps = _audit(x, index, h, priced, where)
    steps.extend(audit_steps)
    final, readmit_step = _readmission(x, audited, where)
    steps.append(readmit_step)
    steps.extend(_money(x, final, float(row["deducted_points"]), oop, fund))
    return steps


def _formula(x: CaseInputs, g: int, h: int, cost: float) -> tuple[str, float, float, list[Step]]:
    """The formula class and points of spec §2 at the billed DRG, and special review's points."""
    scn, tariff = x.scenario, x.tariff
    mean = tariff.mean_cost
    special_pts = scn.base_points * cost / mean * scn.special_review.pay_ratio
    if g < 0 or not bool(tariff.stable[g]):
        reason = "ungroupable" if g < 0 else "an unstable group"
        text = (
            f"{reason}: special review, {scn.base_points:g} × {cost:,.2f} / ā {mean:,.2f} × "
            f"{scn.special_review.pay_ratio:g} = {special_pts:,.4f} points"
        )
        return (
            "special",
            special_pts,
            special_pts,
            [
                Step(
                    "class",
                    "§2 case points",
                    ("weights.min_cases", "special_review.pay_ratio"),
                    text,
                    {"class": "special", "points": special_pts, "mean_cost_yuan": mean},
                )
            ],
        )
    ref, rw, bp = float(tariff.ref_cost[g]), float(tariff.rw[g]), float(tariff.base_pts[g])
    k = float(tariff.coef[h, g])
    r = cost / ref
    high = _high_threshold(scn, rw)
    low = scn.outliers.low
    row = x.case
    incomplete = str(row["discharge"]) != "normal" and int(row["los"]) <= scn.incomplete_stay_days
    if r < low or incomplete:
        kl = "low"
        factor = k if scn.outliers.low_uses_coefficient else 1.0
        pts = min(bp * r * factor, bp * k)
        why = (
            f"r {r:.4f} < L {low:g}"
            if r < low
            else f"incomplete stay ({row['discharge']} within {scn.incomplete_stay_days} days)"
        )
        formula = f"min(BP {bp:.4f} × r {r:.4f} × {factor:g}, BP × K {k:g}) = {pts:.4f}"
    elif r > high:
        kl = "high"
        pts = bp * k + bp * (r - high) * scn.outliers.high_factor
        why = f"r {r:.4f} > H {high:g}"
        formula = f"BP {bp:.4f} × K {k:g} + BP × (r − H) × {scn.outliers.high_factor:g} = {pts:.4f}"
    else:
        kl = "normal"
        pts = bp * k
        why = f"L {low:g} ≤ r {r:.4f} ≤ H {high:g}"
        formula = f"BP {bp:.4f} × K {k:g} = {pts:.4f}"
    steps = [
        Step(
            "ratio",
            "§2 case points",
            ("outliers.high", "outliers.low", "incomplete_stay_days"),
            f"ā_g {ref:,.2f} yuan, RW {rw:.4f}: r = {r:.4f}; thresholds L {low:g}, "
            f"H {high:g} (RW band); {why} → {kl}",
            {"ref_cost_yuan": ref, "rw": rw, "ratio": r, "low": low, "high": high, "class": kl},
        ),
        Step(
            "points",
            "§2 case points",
            (
                "base_points",
                "coefficient.mode",
                "coefficient.tiers",
                "outliers.high_factor",
                "outliers.low_uses_coefficient",
            ),
            f"K {k:g} ({x.scenario.coefficient.mode}); {kl}: {formula} points",
            {"coefficient": k, "base_points": bp, "points": pts},
        ),
    ]
    return kl, pts, special_pts, steps


def _high_threshold(scn: Scenario, rw: float) -> float:
    """H of spec §2: the first band whose upper bound of relative weight holds the group's RW."""
    for band in scn.outliers.high:
        if band.up_to is None or rw <= band.up_to:
            return float(band.ratio)
    return float(scn.outliers.high[-1].ratio)


def _special_review(
    x: CaseInputs, g: int, klass: str, formula: float, special_pts: float, status: str, where: str
) -> tuple[float, list[Step]]:
    """Candidate, nomination and the panel's draw (spec §2); the points the claim is priced at."""
    scn, row = x.scenario, x.case
    review = scn.special_review
    keys = (
        "special_review.min_ratio",
        "special_review.quota",
        "special_review.approval",
        "special_review.pay_ratio",
    )
    if klass == "special":
        _same(where, "special review", "automatic", status)
        return formula, [
            Step(
                "special review",
                "§2 special review",
                keys,
                "automatic (unstable or ungroupable)",
                {"status": status},
            )
        ]
    r = float(row["cost_yuan"]) / float(x.tariff.ref_cost[g])
    candidate = r >= review.min_ratio
    same = x.year_cases[
        (x.year_cases["hospital"] == row["hospital"]) & (x.year_cases["month"] == row["month"])
    ]
    quota = math.floor(review.quota * len(same) + 1e-9)
    values: dict[str, Any] = {"candidate": candidate, "status": status, "quota": quota}
    if status == "none":
        text = (
            f"r {r:.4f} ≥ min_ratio {review.min_ratio:g}: a candidate, not nominated "
            f"(quota {quota} of {len(same)} cases in the month)"
            if candidate
            else f"r {r:.4f} < min_ratio {review.min_ratio:g}: not a candidate"
        )
        return formula, [Step("special review", "§2 special review", keys, text, values)]
    if status not in ("approved", "rejected") or not candidate:
        raise ExplainMismatch(
            f"{where}: special review: stored {status!r}, but the claim is "
            f"{'a' if candidate else 'not a'} candidate (r {r:.4f}, min_ratio {review.min_ratio:g})"
        )
    key = int(
        stream_seed(
            scn.seed, x.replication, x.year_index, int(row["month"]), STREAM_AUDIT
        ).generate_state(1, np.uint64)[0]
    )
    u = float(uniform_np(key, Draw.SPECIAL_APPROVAL, np.array([int(row["case_id"])]))[0])
    approved = u < review.approval
    _same(where, "special review", "approved" if approved else "rejected", status)
    values.update(draw=u, approval=review.approval, special_points=special_pts)
    text = (
        f"nominated (quota {quota} of {len(same)} cases; special {special_pts:.4f} > formula "
        f"{formula:.4f}); panel draw {u:.4f} {'<' if approved else '≥'} approval "
        f"{review.approval:g} → {status}"
        + (
            f": {scn.base_points:g} × c / ā × {review.pay_ratio:g} = {special_pts:.4f} points"
            if approved
            else f": keeps {klass}, {formula:.4f} points"
        )
    )
    return (special_pts if approved else formula), [
        Step("special review", "§2 special review", keys, text, values)
    ]


def _audit(
    x: CaseInputs, index: dict[str, int], h: int, priced: float, where: str
) -> tuple[float, list[Step]]:
    """Screening, sample, inspection and what a caught act costs (spec §5), rechecked."""
    scn, row = x.scenario, x.case
    acts, caught = int(row["acts"]), int(row["caught"])
    routes = [r for r in ("screened", "sampled", "inspected") if bool(row[r])]
    points, deducted = priced, 0.0
    found, notes = [], []
    for act in AUDITED:
        if not caught & act.bit:
            continue
        found.append(act.name)
        penalty = scn.audit.penalty.get(act.penalty_key, 0.0) if act.penalty_key else 0.0
        if act.caught == "reprice":
            g_true = index.get(str(row["drg_true"]), -1)
            true_pts = _formula(x, g_true, h, float(row["cost_yuan"]))[1]
            deducted += penalty * max(priced - true_pts, 0.0)
            if true_pts >= priced:
                notes.append(
                    f"its true group {row['drg_true']} would earn {true_pts:.4f} points, not less: "
                    "a caught claim keeps the lesser of the two, so nothing is deducted"
                )
            points = min(points, true_pts)
        elif act.caught == "void":
            deducted += penalty * priced
            points = 0.0
    if caught & ~acts:
        raise ExplainMismatch(f"{where}: audit: caught acts {caught} the claim does not carry")
    _close(where, "deducted points", deducted, float(row["deducted_points"]))
    carried = [a.name for a in AUDITED if acts & a.bit]
    missed = [a for a in carried if a not in found]
    if routes:
        text = f"reviewed ({', '.join(routes)})"
        text += f"; caught {', '.join(found)}" if found else ""
        text += f"; not caught: {', '.join(missed)}" if missed else ""
        text += "" if carried else "; an honest claim, nothing to find"
    else:
        text = "not reviewed" + (f": {', '.join(carried)} not caught" if carried else "")
    if found:
        text += f"; points {priced:.4f} → {points:.4f}, {deducted:.4f} points deducted"
        text += "".join(f" ({note})" for note in notes)
    keys = (
        "audit.screening.recall",
        "audit.sample_rate",
        "audit.targeted.rate",
        "audit.detection",
        "audit.penalty",
    )
    return points, [
        Step(
            "audit",
            "§5 audit",
            keys,
            text,
            {
                "routes": routes,
                "caught": found,
                "not_caught": missed,
                "points": points,
                "deducted_points": deducted,
            },
        )
    ]


def _readmission(x: CaseInputs, points: float, where: str) -> tuple[float, Step]:
    """The readmission cut (spec §2): an earlier stay's points × factor; the later stay found."""
    scn, row, cat = x.scenario, x.case, x.catalogue
    cut = bool(row["readmission"])
    factor = scn.readmission.factor
    final = points * factor if cut else points
    _close(where, "points", final, float(row["points"]))
    keys = ("readmission.window_days", "readmission.factor", "readmission.exempt_adrgs")
    if not cut:
        return final, Step(
            "readmission",
            "§2 readmission",
            keys,
            f"no readmission cut: {final:.4f} points",
            {"cut": False, "points": final},
        )
    adrg = _adrg(cat, str(row["drg_billed"]))
    others = x.year_cases
    later = others[
        (others["patient_id"] == row["patient_id"])
        & (others["hospital"] == row["hospital"])
        & (others["case_id"] != row["case_id"])
        & (others["admit_day"] >= row["day"])
        & (others["admit_day"] - row["day"] <= scn.readmission.window_days)
    ]
    later = later[[_adrg(cat, str(d)) == adrg for d in later["drg_billed"]]]
    after = (
        f"readmitted as case {int(later.iloc[0]['case_id'])} "
        f"{int(later.iloc[0]['admit_day']) - int(row['day'])} day(s) later in ADRG {adrg}"
        if len(later)
        else f"readmitted in ADRG {adrg} within the window"
    )
    return final, Step(
        "readmission",
        "§2 readmission",
        keys,
        f"{after}: {points:.4f} × {factor:g} = {final:.4f} points",
        {"cut": True, "factor": factor, "points": final},
    )


def _adrg(cat: Catalogue, code: str) -> str:
    """The ADRG of a DRG code ("" for an ungroupable claim)."""
    where = np.flatnonzero(cat.drg == code)
    return str(cat.adrg[cat.drg_adrg[where[0]]]) if where.size else ""


def _money(x: CaseInputs, final: float, deducted: float, oop: float, fund: str) -> list[Step]:
    """The claim's money: at its month's point value (pre-paid part) and at the year's."""
    scn = x.scenario
    alpha = scn.settlement.prepay_share
    month = x.month_pv * final - oop
    year = x.year_pv * (final - deducted) - oop
    return [
        Step(
            "month",
            "§4 monthly settlement",
            ("settlement.prepay_share", "budget.month_shares", "reporting.lag_months"),
            f"fund {fund}, month {int(x.case['month'])}: PV_m {x.month_pv:.6f} yuan/point; "
            f"PV_m × {final:.4f} − {oop:,.2f} = {month:,.2f} yuan, of which {alpha:g} pre-paid "
            f"({alpha * month:,.2f}), the rest withheld to the year end",
            {"point_value": x.month_pv, "allocation_yuan": month, "prepaid_yuan": alpha * month},
        ),
        Step(
            "year end",
            "§6 year-end settlement",
            ("settlement.mode", "budget.reserve_use", "point_value.floor", "point_value.ceiling"),
            f"PV_y {x.year_pv:.6f}: entitlement PV_y × ({final:.4f} − {deducted:.4f}) − "
            f"{oop:,.2f} = {year:,.2f} yuan"
            + (f" (deduction {x.year_pv * deducted:,.2f} yuan)" if deducted else "")
            + f"; the hospital's final payment adds its {scn.settlement.mode} share",
            {
                "point_value": x.year_pv,
                "entitlement_yuan": year,
                "deduction_yuan": x.year_pv * deducted,
            },
        ),
    ]


def _same(where: str, step: str, recomputed: str, stored: str) -> None:
    if recomputed != stored:
        raise ExplainMismatch(
            f"{where}: {step}: recomputed {recomputed!r}, the run stored {stored!r}; "
            "the run's tables do not follow its rules as this drgsim computes them"
        )


def _close(where: str, step: str, recomputed: float, stored: float) -> None:
    if not math.isclose(recomputed, stored, rel_tol=REL, abs_tol=1e-9):
        raise ExplainMismatch(
            f"{where}: {step}: recomputed {recomputed!r}, the run stored {stored!r}; "
            "the run's tables do not follow its rules as this drgsim computes them"
        )


def as_json(steps: list[Step], header: dict[str, Any]) -> dict[str, Any]:
    """The trace as plain data for `--json`."""
    return {
        **header,
        "steps": [
            {
                "step": s.step,
                "rule": s.rule,
                "keys": list(s.keys),
                "text": s.text,
                "values": {k: _plain(v) for k, v in s.values.items()},
            }
            for s in steps
        ],
    }


def as_text(steps: list[Step], header: dict[str, Any]) -> str:
    """The trace as the terminal prints it: one numbered line per step, naming rule and keys."""
    lines = [
        f"case {header['case_id']} · variant {header['variant']} · replication "
        f"{header['replication']} · year {header['year']} (claims from {header['source']})"
    ]
    for n, s in enumerate(steps, 1):
        lines.append(f"{n:>2}. {s.step:<15} {s.rule} [{', '.join(s.keys)}]")
        lines.append(f"    {s.text}")
    return "\n".join(lines)


def _plain(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def case_inputs(
    tables: dict[str, Any],
    claims: Any,
    case_id: int,
    variant: str,
    replication: int,
    year: int | None,
) -> CaseInputs:
    """Everything the trace of one claim reads, or one line naming what is not there.

    `claims` holds the variant × replication's case rows, each year's tariff, the catalogue,
    hospitals and scenario (drgsim.scale.evidence.Claims).
    """
    cases = claims.cases
    mine = cases[cases["case_id"] == case_id]
    if year is not None:
        mine = mine[mine["year"] == year]
    if mine.empty:
        years = sorted(int(y) for y in cases["year"].unique())
        ids = (cases if year is None else cases[cases["year"] == year])["case_id"].unique()
        raise DrgsimError(
            f"--case {case_id}: no such claim in variant {variant}, replication {replication}"
            + (f", year {year}" if year is not None else "")
            + f"; {did_you_mean(case_id, ids, 0.8)}case ids are those of "
            + f"cases.parquet's case_id (years {', '.join(map(str, years))})"
        )
    if len(mine) > 1:
        listed = ", ".join(str(int(y)) for y in mine["year"])
        raise DrgsimError(f"--case {case_id}: a claim of several years ({listed}); add --year")
    row = mine.iloc[0]
    y = int(row["year"])
    scn = claims.scenario
    fund = str(row["fund"]) if "fund" in row.index else None
    hm = _select(tables["hospital_month"], variant, replication, y, fund)
    hm = hm[hm["month"] == int(row["month"])]
    if "fund_settlement" in tables and fund is not None:
        yr = _select(tables["fund_settlement"], variant, replication, y, fund)
    else:
        yr = _select(tables["region_year"], variant, replication, y, fund)
    if hm.empty or yr.empty:
        raise DrgsimError(
            f"--case {case_id}: the run's tables lack variant {variant}, replication "
            f"{replication}, year {y}"
        )
    return CaseInputs(
        row,
        cases[cases["year"] == y],
        claims.tariffs[y],
        claims.catalogue,
        list(claims.hospitals.ids),
        np.asarray(claims.hospitals.tier),
        scn,
        y - scn.start_year,
        replication,
        float(hm["point_value"].iloc[0]),
        float(yr["point_value"].iloc[0]),
        claims.source,
    )


def _select(
    table: pd.DataFrame, variant: str, replication: int, year: int, fund: str | None
) -> pd.DataFrame:
    """The rows of one variant × replication × year (and fund, where the table has funds)."""
    keep = (
        (table["variant"] == variant)
        & (table["replication"] == replication)
        & (table["year"] == year)
    )
    if fund is not None and "fund" in table.columns:
        keep &= table["fund"] == fund
    return table[keep]
