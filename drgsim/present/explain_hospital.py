"""Why a hospital's payment and margin changed: an exact sequential decomposition against the baseline.

A hospital's year-end payment F (spec §6) is written, in each of the two runs, as

    F = N · (PV · c · u − ō) − D + Λ + R

N cases; c = T / N points per case at the true DRGs (case mix, classes, coefficient K,
readmission cuts; a recoded claim counts the points the same claim earned at baseline); u = P / T
the coding factor (points paid P over true points T: above 1 by upcoding the audit did not
catch, below it by special review approvals recoding lost); ō patient payments per case; D the deduction (spec §5); Λ
what the incentive coefficient did, F − F(λ ≡ 1); R what the reserve paid, F(λ ≡ 1) − F(λ ≡ 1,
no reserve); PV the point value the hospital was in effect paid at, (F(λ ≡ 1, no reserve) + O +
D) / P — the months' and the year's point values, the pool's withheld money and the others'
deductions. The counterfactual payments are the settlement's own rule (rules/settlement.py)
run again on the run's tables with λ ≡ 1 and with no reserve; the actual one must reproduce
the stored payment to the fen. The margin M = F + O − fixed − variable cost (spec §8) is
N · (PV · c · u − v̄) − D + Λ + R − fixed, with v̄ the variable cost per case.

The change from baseline to variant is taken one factor at a time, in the order volume N,
case mix (c, ō), cost per case v̄ (margin only), coding u, point value PV, deductions D,
incentive coefficient Λ, reserve R, fixed cost: each part is the change in F (or M) when its
factor moves from the baseline's value to the variant's with the factors before it already
moved. The parts add up to the change exactly; each is then rounded to whole fen by largest
remainder so that they add up to the change in fen, to the fen (docs/explain.md).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from drgsim.acts import RECODED_BITS
from drgsim.cases import DISCHARGE_TYPES
from drgsim.errors import DrgsimError
from drgsim.present.explain_case import ExplainMismatch
from drgsim.rules.money import FEN_PER_YUAN, apportion
from drgsim.rules.pricing import Rules, formula_points
from drgsim.rules.settlement import YearClaims, settle_year
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import Scenario

#: The parts of the change, in the order they are taken; `margin` marks those of the margin only.
PARTS = (
    ("volume", "cases N"),
    ("case_mix", "true points per case c (and patient payment per case ō)"),
    ("cost_per_case", "variable cost per case v̄ (margin only)"),
    ("coding", "points paid over true points u (recoded claims: upcoding)"),
    ("point_value", "the point value the hospital was in effect paid at"),
    ("deductions", "audit deductions D"),
    ("incentive", "the incentive coefficient λ, F − F(λ ≡ 1)"),
    ("reserve", "the reserve's money, F(λ ≡ 1) − F(λ ≡ 1, no reserve)"),
    ("fixed_cost", "fixed cost (margin only)"),
)


@dataclass(frozen=True)
class Year:
    """One hospital's year in one run, as the decomposition's factors (money in fen)."""

    cases: float  # N
    true_points: float  # T
    points: float  # P
    oop_fen: float  # O
    variable_fen: float  # variable cost
    fixed_fen: float
    final_fen: int  # F
    deduction_fen: int  # D
    incentive_part_fen: int  # Λ
    reserve_part_fen: int  # R

    @property
    def core_fen(self) -> int:
        """F(λ ≡ 1, no reserve)."""
        return self.final_fen - self.incentive_part_fen - self.reserve_part_fen

    @property
    def margin_fen(self) -> float:
        """M = F + O − fixed − variable cost."""
        return self.final_fen + self.oop_fen - self.fixed_fen - self.variable_fen


@dataclass(frozen=True)
class RunYear:
    """One variant × replication × year of a run, as the decomposition reads it."""

    settlement: pd.DataFrame  # one row per hospital, in the hospitals' order
    funds: list[tuple[pd.Series, pd.DataFrame]]  # each fund's region_year row and its hospitals
    cases: pd.DataFrame  # the year's claims
    tariff: Tariff
    drg_index: dict[str, int]
    scenario: Scenario


def run_year(
    tables: dict[str, Any], claims: Any, variant: str, replication: int, year: int
) -> RunYear:
    """The tables of one variant × replication × year, or one line saying what is missing."""
    hospitals = list(claims.hospitals.ids)

    def pick(table: pd.DataFrame) -> pd.DataFrame:
        keep = (
            (table["variant"] == variant)
            & (table["replication"] == replication)
            & (table["year"] == year)
        )
        return table[keep]

    settlement = pick(tables["settlement"]).set_index("hospital").reindex(hospitals)
    if settlement["final_fen"].isna().any():
        raise DrgsimError(
            f"--year {year}: the run has no settlement of variant {variant}, replication "
            f"{replication} in that year"
        )
    region = pick(tables["region_year"])
    funds: list[tuple[pd.Series, pd.DataFrame]] = []
    if "fund" in region.columns and "fund_settlement" in tables:
        by_fund = pick(tables["fund_settlement"])
        for _, row in region.iterrows():
            mine = by_fund[by_fund["fund"] == row["fund"]].set_index("hospital").reindex(hospitals)
            funds.append((row, mine))
    else:
        funds.append((region.iloc[0], settlement))
    cases = claims.cases[claims.cases["year"] == year]
    index = {str(code): i for i, code in enumerate(claims.catalogue.drg)}
    return RunYear(settlement, funds, cases, claims.tariffs[year], index, claims.scenario)


def resettle(ry: RunYear, *, neutral_coefficient: bool, reserve: bool) -> np.ndarray:
    """Each hospital's year-end payment by the settlement rule from the run's tables (fen).

    `neutral_coefficient` sets every λ to 1; `reserve=False` settles as if no reserve had
    been set aside.
    """
    scn = ry.scenario
    if scn.audit.suspension.threshold is not None:
        raise DrgsimError(
            "explain --hospital: audit.suspension.threshold is set; the decomposition does not "
            "yet recompute suspended incentives"
        )
    lam = ry.settlement["coefficient"].to_numpy(np.float64)
    if neutral_coefficient:
        lam = np.ones_like(lam)
    total = np.zeros(lam.shape[0], dtype=np.int64)
    for region, rows in ry.funds:
        claims = YearClaims(
            int(region["available_fen"]),
            rows["points"].to_numpy(np.float64),
            rows["deducted_points"].to_numpy(np.float64),
            rows["oop_yuan"].to_numpy(np.float64),
            rows["prepaid_fen"].to_numpy(np.int64),
            rows["withheld_fen"].to_numpy(np.int64),
            lam,
            rows["charges_yuan"].to_numpy(np.float64),
            int(region["reserve_fen"]) if reserve else 0,
            scn.budget.reserve_use,
            float(region["reference_point_value"]),
            scn.point_value.floor,
            scn.point_value.ceiling,
        )
        res = settle_year(claims, scn.settlement, scn.clearing, scn.audit.deductions_to)
        total += res.final_fen
    return total


#: What makes a claim of a variant the same claim as one of the baseline, its billed DRG aside.
SAME_CLAIM = ("case_id", "hospital", "drg_true", "cost_yuan", "los", "discharge", "readmission")


def true_points(ry: RunYear, baseline: RunYear | None = None) -> np.ndarray:
    """Each claim's true points: what it would have earned had it not been recoded.

    A claim no act recoded was paid its true points. A recoded claim's true points are those the
    same claim (SAME_CLAIM: common random numbers give the variants the baseline's patients)
    had at `baseline`, so that all recoding changed, special review approvals it lost included,
    counts as coding. Without such a claim they are its true DRG's formula points (spec §2,
    readmission cut included), or, when approved in special review, its own: an approved
    special review prices the charges, not the group.
    """
    c = ry.cases
    points = c["points"].to_numpy(np.float64)
    recoded = _recoded(c)
    true = points.copy()
    if not recoded.any():
        return true
    rows = np.flatnonzero(recoded)
    if baseline is not None:
        mine = c.iloc[rows][list(SAME_CLAIM)].reset_index(drop=True)
        base = baseline.cases[list(SAME_CLAIM)].assign(_true=true_points(baseline))
        base = base[base["case_id"].isin(mine["case_id"])]  # the claims a key can match
        base = base[~base.duplicated(list(SAME_CLAIM), keep=False)]
        found = mine.merge(base, on=list(SAME_CLAIM), how="left")["_true"].to_numpy(np.float64)
        matched = ~np.isnan(found)
        true[rows[matched]] = found[matched]
        rows = rows[~matched]
    rows = rows[c["special"].take(rows).to_numpy(str) != "approved"]
    if rows.size:
        true[rows] = _formula_points(ry, c.iloc[rows])
    return true


def recoded_at(c: pd.DataFrame) -> frozenset[str]:
    """The hospitals of the claims an act billed under another DRG than their true one."""
    return frozenset(str(h) for h in c.loc[_recoded(c), "hospital"].unique())


def _recoded(c: pd.DataFrame) -> np.ndarray:
    """Claims an act billed under another DRG than their true one."""
    out = (c["acts"].to_numpy(np.int64) & RECODED_BITS) != 0
    rows = np.flatnonzero(out)  # the DRGs compared only where an act may have recoded
    out[rows] = c["drg_true"].take(rows).to_numpy(str) != c["drg_billed"].take(rows).to_numpy(str)
    return out


def _formula_points(ry: RunYear, mine: pd.DataFrame) -> np.ndarray:
    """The points claims earn at their true DRGs by the formula, readmission cut included."""
    where = {h: i for i, h in enumerate(ry.settlement.index)}
    hosp = np.array([where[h] for h in mine["hospital"]], dtype=np.int32)
    drg = np.array([ry.drg_index.get(str(d), -1) for d in mine["drg_true"]], dtype=np.int16)
    kinds = {name: i for i, name in enumerate(DISCHARGE_TYPES)}
    stays = _Stays(
        hosp,
        mine["cost_yuan"].to_numpy(np.float64),
        np.array([kinds[d] for d in mine["discharge"]], dtype=np.int8),
        mine["los"].to_numpy(np.int16),
    )
    true = formula_points(stays, drg, ry.tariff, Rules.from_scenario(ry.scenario))
    factor = ry.scenario.readmission.factor
    return np.where(mine["readmission"].to_numpy(bool), true * factor, true)


def coding_gain(
    ry: RunYear, hospital_ids: list[str], baseline: RunYear | None = None
) -> np.ndarray:
    """Points each hospital's claims were paid above their true points (`true_points`)."""
    gain = np.zeros(len(hospital_ids))
    c = ry.cases
    if c.empty:
        return gain
    names = pd.Index(c["hospital"].to_numpy(object))
    hosp = pd.Index(hospital_ids).get_indexer(names).astype(np.int64)
    if (hosp < 0).any():
        raise KeyError(str(names[hosp < 0][0]))
    np.add.at(gain, hosp, c["points"].to_numpy(np.float64) - true_points(ry, baseline))
    return gain


@dataclass
class _Stays:
    """What the pricing formulas read of a claim besides its DRG (rules.pricing.Stays)."""

    hospital: np.ndarray
    cost: np.ndarray
    discharge: np.ndarray
    los: np.ndarray


def hospital_year(ry: RunYear, hospital: str, where: str, baseline: RunYear | None = None) -> Year:
    """One hospital's factors in one run, after checking the settlement reproduces its payment.

    `baseline` is the run the change is taken against: its claims price recoded claims' true
    points (`true_points`).
    """
    ids = list(ry.settlement.index)
    h = ids.index(hospital)
    stored = ry.settlement["final_fen"].to_numpy(np.int64)
    actual = resettle(ry, neutral_coefficient=False, reserve=True)
    if not np.array_equal(actual, stored):
        k = int(np.flatnonzero(actual != stored)[0])
        raise ExplainMismatch(
            f"{where}: the year-end settlement recomputed from the tables pays {ids[k]} "
            f"{int(actual[k])} fen, the run stored {int(stored[k])}; the run's tables do not "
            "follow its rules as this drgsim computes them"
        )
    neutral = resettle(ry, neutral_coefficient=True, reserve=True)
    bare = resettle(ry, neutral_coefficient=True, reserve=False)
    row: pd.Series = ry.settlement.iloc[h]
    points = float(row["points"])
    true = points - float(coding_gain(ry, ids, baseline)[h])
    margin = float(row["margin_yuan"])
    year = Year(
        float(row["cases"]),
        true,
        points,
        float(row["oop_yuan"]) * FEN_PER_YUAN,
        float(row["variable_cost_yuan"]) * FEN_PER_YUAN,
        float(row["fixed_cost_yuan"]) * FEN_PER_YUAN,
        int(stored[h]),
        int(row["deduction_fen"]),
        int(stored[h] - neutral[h]),
        int(neutral[h] - bare[h]),
    )
    if not math.isclose(year.margin_fen, margin * FEN_PER_YUAN, rel_tol=1e-9, abs_tol=0.5):
        raise ExplainMismatch(
            f"{where}: margin recomputed {year.margin_fen / 100:.2f} yuan, stored {margin:.2f}"
        )
    return year


@dataclass(frozen=True)
class Factors:
    """The decomposition's factors of one run: per-case values and the additive terms (fen)."""

    n: float
    c: float
    u: float
    pv: float  # fen per point
    o: float  # patient payment per case
    v: float  # variable cost per case
    x: float  # what the product does not hold (a hospital without points)
    d: float
    lam: float
    r: float
    fixed: float

    def payment(self) -> float:
        """F from the factors."""
        return self.n * (self.pv * self.c * self.u - self.o) + self.x - self.d + self.lam + self.r

    def margin(self) -> float:
        """M from the factors."""
        return (
            self.n * (self.pv * self.c * self.u - self.v)
            + self.x
            - self.d
            + self.lam
            + self.r
            - self.fixed
        )


def factors(y: Year, other: Year) -> Factors:
    """The factors of `y`; a ratio without a denominator (no cases, no points) takes `other`'s."""

    def ratio(top: float, bottom: float, top2: float, bottom2: float, fallback: float) -> float:
        if bottom > 0:
            return top / bottom
        return top2 / bottom2 if bottom2 > 0 else fallback

    n = y.cases
    c = ratio(y.true_points, n, other.true_points, other.cases, 0.0)
    u = ratio(y.points, y.true_points, other.points, other.true_points, 1.0)
    o = ratio(y.oop_fen, n, other.oop_fen, other.cases, 0.0)
    v = ratio(y.variable_fen, n, other.variable_fen, other.cases, 0.0)
    core_other = other.core_fen + other.oop_fen + other.deduction_fen
    pv = ratio(y.core_fen + y.oop_fen + y.deduction_fen, y.points, core_other, other.points, 0.0)
    x = y.core_fen + y.oop_fen + y.deduction_fen - n * c * u * pv  # 0 but for float noise
    return Factors(
        n, c, u, pv, o, v, x, y.deduction_fen, y.incentive_part_fen, y.reserve_part_fen, y.fixed_fen
    )


def decompose(base: Year, variant: Year) -> dict[str, Any]:
    """The change in payment and margin, part by part, each part in whole fen (exact sums)."""
    a, b = factors(base, variant), factors(variant, base)
    steps = [
        ("volume", ("n",)),
        ("case_mix", ("c", "o")),
        ("cost_per_case", ("v",)),
        ("coding", ("u",)),
        ("point_value", ("pv", "x")),
        ("deductions", ("d",)),
        ("incentive", ("lam",)),
        ("reserve", ("r",)),
        ("fixed_cost", ("fixed",)),
    ]
    pay, mar = [], []
    before = a
    for _, names in steps:
        after = replace(before, **{name: getattr(b, name) for name in names})
        pay.append(after.payment() - before.payment())
        mar.append(after.margin() - before.margin())
        before = after
    pay_total = variant.final_fen - base.final_fen
    margin_total = round(variant.margin_fen - base.margin_fen)
    pay_fen = apportion(pay_total, _snap(pay))
    mar_fen = apportion(margin_total, _snap(mar))
    return {
        "parts": [
            {"part": name, "meaning": meaning, "payment_fen": int(p), "margin_fen": int(m)}
            for (name, meaning), p, m in zip(PARTS, pay_fen, mar_fen, strict=True)
        ],
        "payment_change_fen": int(pay_total),
        "margin_change_fen": int(margin_total),
        "before": _summary(base),
        "after": _summary(variant),
    }


def _snap(parts: list[float]) -> np.ndarray:
    """Parts in fen with float noise (under a millionth of a fen) set to an exact 0."""
    exact = np.asarray(parts, dtype=np.float64)
    return np.where(np.abs(exact) < 1e-6, 0.0, exact)


def _summary(y: Year) -> dict[str, Any]:
    return {
        "cases": y.cases,
        "points": y.points,
        "true_points": y.true_points,
        "final_fen": y.final_fen,
        "deduction_fen": y.deduction_fen,
        "incentive_part_fen": y.incentive_part_fen,
        "reserve_part_fen": y.reserve_part_fen,
        "margin_fen": round(y.margin_fen),
    }


def as_text(result: dict[str, Any]) -> str:
    """The decomposition as a table: one row per part, payment and margin change in yuan."""
    head = (
        f"{result['hospital']} · variant {result['variant']} against baseline · replication "
        f"{result['replication']} · year {result['year']} (claims from {result['source']})"
    )
    lines = [head, f"{'part':<15}{'payment Δ yuan':>18}{'margin Δ yuan':>18}  what moved"]
    for p in result["parts"]:
        lines.append(
            f"{p['part']:<15}{_yuan(p['payment_fen']):>18}{_yuan(p['margin_fen']):>18}  {p['meaning']}"
        )
    lines.append(
        f"{'total':<15}{_yuan(result['payment_change_fen']):>18}"
        f"{_yuan(result['margin_change_fen']):>18}  "
        f"payment {_yuan(result['before']['final_fen'])} → {_yuan(result['after']['final_fen'])}"
    )
    return "\n".join(lines)


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    whole, cents = divmod(abs(int(fen)), 100)
    return f"{sign}{whole:,}.{cents:02d}"
