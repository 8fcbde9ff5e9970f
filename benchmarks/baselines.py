"""Two baselines to compare drgsim with: pool-mode settlement in pandas, and SimPy per patient.

`SettlementInput` holds the work: a year's priced claims (the case table drgsim writes) and the
budget, pre-payment share and coefficients that settle them. `pandas_settle` does it with
group-bys; `drgsim_settle` does it as drgsim's engine does (each month's sums by the engine's
month kernel, feeding `drgsim.rules.settlement`). `simpy_year` is the model people write first:
one SimPy process per patient, with drawing, pricing and settlement done per patient in Python.
"""

from __future__ import annotations

import bisect
import math
import random
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import simpy

from drgsim.engine.year_totals import MonthTotals
from drgsim.kernels import checks
from drgsim.kernels.aggregate import SUM_COLUMNS
from drgsim.rules.settlement import YearClaims, settle_months, settle_year
from drgsim.scenario.schema import Clearing, Settlement


@dataclass(frozen=True)
class SettlementInput:
    """A year of priced claims and the money that settles them."""

    cases: (
        pd.DataFrame
    )  # hospital (code 0..n-1), month, points, oop_yuan, deducted_points, cost_yuan
    hospitals: list[str]  # in drgsim's order: ties in largest remainder go to the lower index
    month_budget_fen: np.ndarray  # [12]
    available_fen: int
    prepay_share: float
    coefficient: np.ndarray  # [n] year-end coefficient λ
    mode: Literal["pool", "clearing"] = "pool"
    true_up: bool = False
    deductions_to: str = "others"
    clearing: Clearing = Clearing()

    @staticmethod
    def from_run(result: object, year: int | None = None) -> SettlementInput:
        """The settlement work of one year of a drgsim run (one variant and replication, with
        cases; the first year unless `year` is given)."""

        def of_year(frame: pd.DataFrame) -> pd.DataFrame:
            return frame[frame["year"] == (frame["year"].min() if year is None else year)]

        cases = of_year(result.cases)  # type: ignore[attr-defined]
        settlement = of_year(result.settlement)  # type: ignore[attr-defined]
        hm = of_year(result.hospital_month)  # type: ignore[attr-defined]
        ry = of_year(result.region_year)  # type: ignore[attr-defined]
        rules = result.scenario.settlement  # type: ignore[attr-defined]
        hospitals = list(settlement["hospital"])
        code = {h: i for i, h in enumerate(hospitals)}
        table = pd.DataFrame(
            {
                "hospital": cases["hospital"].map(code).astype(np.int64),
                "month": cases["month"].astype(np.int64),
                "points": cases["points"].astype(np.float64),
                "oop_yuan": cases["oop_yuan"].astype(np.float64),
                "deducted_points": cases["deducted_points"].astype(np.float64),
                "cost_yuan": cases["cost_yuan"].astype(np.float64),
            }
        )
        budget = hm.groupby("month")["allocation_fen"].sum().reindex(range(1, 13), fill_value=0)
        return SettlementInput(
            table,
            hospitals,
            budget.to_numpy(np.int64),
            int(ry["available_fen"].iloc[0]),
            float(rules.prepay_share),
            settlement["coefficient"].to_numpy(np.float64),
            rules.mode,
            rules.true_up,
            result.scenario.audit.deductions_to,  # type: ignore[attr-defined]
            result.scenario.clearing,  # type: ignore[attr-defined]
        )

    def scaled(self, times: int) -> SettlementInput:
        """The same year with every claim repeated `times` times (budgets scaled alike)."""
        cases = pd.concat([self.cases] * times, ignore_index=True).sort_values(
            "month", kind="stable", ignore_index=True
        )
        return SettlementInput(
            cases,
            self.hospitals,
            self.month_budget_fen * times,
            self.available_fen * times,
            self.prepay_share,
            self.coefficient,
            self.mode,
            self.true_up,
            self.deductions_to,
            self.clearing,
        )


# --- drgsim's way --------------------------------------------------------------------------------
def drgsim_settle(work: SettlementInput) -> np.ndarray:
    """Final payment (fen) per hospital as drgsim's engine computes it (`drgsim_year_claims`,
    then the year end)."""
    rules = Settlement(mode=work.mode, prepay_share=work.prepay_share, true_up=work.true_up)
    result = settle_year(drgsim_year_claims(work), rules, work.clearing, work.deductions_to)
    return result.final_fen


def drgsim_year_claims(work: SettlementInput) -> YearClaims:
    """What the year end works from, as the engine makes it: each month's claims summed by its
    month kernel (engine.year_totals.MonthTotals.of), the months settled and their sums added
    into the year's from zero, month by month."""
    n = len(work.hospitals)
    hosp = work.cases["hospital"].to_numpy()
    month = work.cases["month"].to_numpy()
    points, oop, deducted, cost = (
        work.cases[c].to_numpy(np.float64)
        for c in ("points", "oop_yuan", "deducted_points", "cost_yuan")
    )
    # checked once, as the engine checks a month's claims (engine.month_check) before its kernels
    name = "drgsim_year_claims"
    checks.same_length(name, hosp.shape[0], month=month, points=points, oop=oop)
    checks.same_length(name, hosp.shape[0], deducted=deducted, cost=cost)
    checks.index(name, "hospital", hosp, 0, n, "the hospitals")
    bounds = _month_bounds(month)
    # what the settlement does not read: one fund, no DRG (no cells), no act, audit or readmission
    most = int(np.diff(bounds).max())
    fund, klass, los = np.zeros(most, np.int8), np.zeros(most, np.int8), np.zeros(most, np.int16)
    drg, no, acts = np.full(most, -1, np.int16), np.zeros(most, np.bool_), np.zeros(most, np.uint8)
    month_points, month_oop = np.zeros((12, n)), np.zeros((12, n))
    year = {k: np.zeros(n) for k in ("points", "oop", "deducted", "charges")}
    for m in range(12):
        s, k = slice(bounds[m], bounds[m + 1]), bounds[m + 1] - bounds[m]
        summed = MonthTotals.summed(
            fund[:k], hosp[s], drg[:k], klass[:k], points[s], no[:k], 1.0, oop[s], cost[s],
            los[:k], deducted[s], no[:k], acts[:k], acts[:k], _NO_RW, 0.0, 1, n,
        )  # fmt: skip
        month_points[m], month_oop[m] = summed.month[:, 0], summed.month[:, 1]
        for key, total in year.items():
            total += summed.sums[:, SUM_COLUMNS.index(key)]
    # the twelve months' settlements (settle_month of each) in one call
    months = settle_months(work.month_budget_fen, month_points, month_oop, work.prepay_share)
    return YearClaims(
        work.available_fen,
        year["points"],
        year["deducted"],
        year["oop"],
        months.prepaid_fen.sum(axis=0),
        months.withheld_fen.sum(axis=0),
        work.coefficient,
        year["charges"],
    )


#: The relative weights month_totals reads for claims without a DRG: none.
_NO_RW = np.zeros(1)


def _month_bounds(month: np.ndarray) -> np.ndarray:
    """Where each month's claims start and end (13 bounds) in claims sorted by month 1 … 12."""
    if month.size and not (month[0] >= 1 and month[-1] <= 12 and (month[1:] >= month[:-1]).all()):
        raise ValueError(
            "drgsim_year_claims: the claims' months are not 1 … 12 in increasing order"
        )
    return np.searchsorted(month, np.arange(1, 14))


# --- plain pandas ----------------------------------------------------------------------------------
def _pd_apportion(frame: pd.DataFrame, by: str, total: str, exact: str) -> pd.Series:
    """Largest remainder within each group of `by`, in pandas: whole fen summing to `total`."""
    floor = np.floor(frame[exact])
    missing = frame[total] - floor.groupby(frame[by]).transform("sum")
    size = frame.groupby(by)[exact].transform("size")
    whole = np.sign(missing) * (missing.abs() // size)
    rest = missing.abs() % size
    rem = (frame[exact] - floor).round(6)
    key = pd.Series(np.where(missing >= 0, -rem, rem), index=frame.index)
    ranked = (
        pd.DataFrame({by: frame[by], "key": key, "h": frame["hospital"]})
        .sort_values([by, "key", "h"], kind="stable")
        .groupby(by)
        .cumcount()
        .reindex(frame.index)
    )
    return (floor + whole + np.sign(missing) * (ranked < rest)).astype(np.int64)


def pandas_settle(work: SettlementInput) -> np.ndarray:
    """Final payment (fen) per hospital, every step a pandas group-by."""
    n = len(work.hospitals)
    full = pd.MultiIndex.from_product([range(1, 13), range(n)], names=["month", "hospital"])
    hm = (
        work.cases.groupby(["month", "hospital"])[["points", "oop_yuan"]]
        .sum()
        .reindex(full, fill_value=0.0)
        .reset_index()
    )
    hm["budget"] = hm["month"].map(dict(enumerate(work.month_budget_fen.tolist(), 1)))
    month = hm.groupby("month")[["points", "oop_yuan"]].transform("sum")
    hm["pv"] = (hm["budget"] / 100 + month["oop_yuan"]) / month["points"]
    hm["exact"] = (hm["pv"] * hm["points"] - hm["oop_yuan"]) * 100
    hm["allocation"] = _pd_apportion(hm, "month", "budget", "exact")
    alpha = Fraction(repr(work.prepay_share))  # the share as written, exactly (spec §7)
    hm["prepay_total"] = [round(alpha * int(b)) for b in hm["budget"]]
    hm["prepay_exact"] = work.prepay_share * hm["allocation"]
    hm["prepaid"] = _pd_apportion(hm, "month", "prepay_total", "prepay_exact")
    hm["withheld"] = hm["allocation"] - hm["prepaid"]
    year = hm.groupby("hospital")[["prepaid", "withheld"]].sum()
    columns = ["points", "oop_yuan", "deducted_points", "cost_yuan"]
    totals = work.cases.groupby("hospital")[columns].sum()
    year = year.join(totals.reindex(range(n), fill_value=0.0))
    if work.mode == "clearing":
        return _pandas_clearing(work, year.reset_index())
    pv = (work.available_fen / 100 + year["oop_yuan"].sum()) / year["points"].sum()
    year["deduction"] = np.rint(pv * year["deducted_points"] * 100).astype(np.int64)
    year["net"] = (year["points"] - year["deducted_points"]).clip(lower=0)
    if work.true_up:  # outstanding entitlement before the deduction, max(… − prepaid_h, 0) × λ_h
        entitled = (pv * year["points"] - year["oop_yuan"]) * 100
        year["weight"] = (entitled - year["prepaid"]).clip(lower=0) * work.coefficient
    else:
        year["weight"] = year["withheld"].clip(lower=0) * work.coefficient
    year = year.reset_index()
    withheld = int(year["withheld"].sum())
    layer = "weight" if (year["weight"] > 0).any() else "net"
    year["exact"] = withheld * year[layer] / year[layer].sum() if (year[layer] > 0).any() else 0.0
    placed = withheld if (year[layer] > 0).any() else 0
    if work.deductions_to == "others":  # each deduction among the other hospitals only
        pairs = year[["hospital", "deduction"]].merge(
            year[["hospital", "weight", "net"]], how="cross", suffixes=("", "_to")
        )
        pairs = pairs[(pairs["hospital"] != pairs["hospital_to"]) & (pairs["deduction"] > 0)]
        sums = pairs.groupby("hospital")[["weight", "net"]].transform("sum")
        by = np.where(sums["weight"] > 0, "weight", np.where(sums["net"] > 0, "net", ""))
        pairs = pairs.assign(
            share=np.select(
                [by == "weight", by == "net"],
                [
                    pairs["deduction"] * pairs["weight"] / sums["weight"],
                    pairs["deduction"] * pairs["net"] / sums["net"],
                ],
                0.0,
            ),
            taken=by != "",
        )
        got = pairs.groupby("hospital_to")["share"].sum().reindex(range(n), fill_value=0.0)
        year["exact"] += got.to_numpy()
        placed += int(pairs[pairs["taken"]].groupby("hospital")["deduction"].first().sum())
    year["pool"] = placed
    year["one"] = 0
    year["incentive"] = _pd_apportion(year, "one", "pool", "exact") if placed else 0
    return (year["prepaid"] + year["incentive"] - year["deduction"]).to_numpy(np.int64)


def _pandas_clearing(work: SettlementInput, year: pd.DataFrame) -> np.ndarray:
    """Clearing mode: entitlements at the year's point value, scaled by α + (1 − α) λ / max λ,
    then set against fund-eligible charges (surplus retention, overrun sharing)."""
    year["net"] = year["points"] - year["deducted_points"]
    pv = (work.available_fen / 100 + year["oop_yuan"].sum()) / year["points"].sum()
    year["deduction"] = np.rint(pv * year["deducted_points"] * 100).astype(np.int64)
    year["exact"] = (pv * year["net"] - year["oop_yuan"]) * 100
    kept_deductions = int(year["deduction"].sum())
    if work.deductions_to == "others":  # each deduction to the others by their net points
        takers = year["net"].clip(lower=0)
        for h, d in zip(year.index, year["deduction"], strict=True):
            rest = takers.drop(h)
            if d > 0 and rest.sum() > 0:
                year.loc[rest.index, "exact"] += d * rest / rest.sum()
                kept_deductions -= int(d)
    year["available"] = work.available_fen - kept_deductions
    year["one"] = 0
    entitlement = _pd_apportion(year, "one", "available", "exact")
    top = work.coefficient.max()
    lam = work.coefficient / top if top > 0 else np.zeros_like(work.coefficient)
    alpha = Fraction(repr(work.prepay_share))  # the share as written; products exact (spec §7)
    scale = [alpha + (1 - alpha) * Fraction(float(x)) for x in lam]
    paid = np.array([round(int(e) * f) for e, f in zip(entitlement, scale, strict=True)], np.int64)
    year["paid"] = np.where(entitlement > 0, paid, entitlement).astype(np.int64)
    rules = work.clearing
    keep, share = Fraction(repr(rules.surplus_keep)), Fraction(repr(rules.overrun_share))
    floor = Fraction(repr(rules.overrun_floor))
    year["charges"] = np.rint((year["cost_yuan"] - year["oop_yuan"]) * 100).astype(np.int64)
    f, c = year["paid"], year["charges"]
    surplus = (c > 0) & (f >= c)
    above_floor = [Fraction(int(x)) >= floor * int(y) for x, y in zip(f, c, strict=True)]
    overrun = (c > 0) & (f < c) & np.array(above_floor, dtype=bool)
    kept = [int(y) + round(keep * (int(x) - int(y))) for x, y in zip(f, c, strict=True)]
    year["after"] = np.where(surplus, kept, f) if keep != 1 else f
    need = [round(share * (int(y) - int(x))) for x, y in zip(f, c, strict=True)]
    year["need"] = np.where(overrun, need, 0) if share else 0
    fund = max(work.available_fen - kept_deductions - int(year["after"].sum()), 0)
    if int(year["need"].sum()) <= fund:
        return (year["after"] + year["need"]).to_numpy(np.int64)
    year["fund"] = fund
    year["pro_rata"] = year["need"] * (fund / year["need"].sum())
    return (year["after"] + _pd_apportion(year, "one", "fund", "pro_rata")).to_numpy(np.int64)


# --- SimPy, one process per patient --------------------------------------------------------------
@dataclass(frozen=True)
class City:
    """What the per-patient model needs: DRG mix and tariff, hospitals, the year's budget."""

    cum_share: list[float]  # cumulative probability of each DRG
    ref_cost: list[float]
    mean_los: list[float]
    points: list[float]  # base points of each DRG
    cum_hospital: list[float]
    coefficient: list[float]
    budget_fen: int
    prepay_share: float

    @staticmethod
    def shanwei(admissions: int) -> City:
        """Shanwei's catalogue and hospitals, the budget set near budget neutrality."""
        from drgsim.population.hospitals import hospital_table
        from drgsim.records.catalogue_file import builtin
        from drgsim.scenario.loader import load_scenario

        scn = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "shanwei.yaml")
        cat = builtin()
        hosp = hospital_table(scn)
        probs = cat.group_probs()
        rw = cat.ref_cost / float(np.sum(probs * cat.ref_cost))
        cost = float(np.sum(probs * cat.ref_cost)) * admissions
        return City(
            np.cumsum(probs).tolist(),
            cat.ref_cost.tolist(),
            cat.mean_los.tolist(),
            (rw * scn.base_points).tolist(),
            np.cumsum(hosp.volume_share).tolist(),
            [scn.coefficient.tiers.get(int(t), 1.0) for t in hosp.tier],
            int(cost * 0.9 * 100),
            scn.settlement.prepay_share,
        )


def _py_apportion(total: int, exact: list[float]) -> list[int]:
    """Largest remainder in plain Python."""
    parts = [math.floor(x) for x in exact]
    missing = total - sum(parts)
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - parts[i]), i))
    for k in range(abs(missing)):
        parts[order[k % len(order)]] += 1 if missing > 0 else -1
    return parts


def simpy_year(city: City, admissions: int, seed: int = 0) -> list[int]:
    """A year in SimPy, one process per patient; returns each hospital's final payment (fen)."""
    rng = random.Random(seed)
    env = simpy.Environment()
    n_h = len(city.cum_hospital)
    points = [[0.0] * n_h for _ in range(12)]
    prepaid = [0] * n_h
    withheld = [0] * n_h
    last = len(city.cum_share) - 1

    def patient(day: float) -> simpy.events.Event:
        yield env.timeout(day)  # admission
        g = min(bisect.bisect(city.cum_share, rng.random()), last)
        h = min(bisect.bisect(city.cum_hospital, rng.random()), n_h - 1)
        los = max(1.0, rng.expovariate(1.0 / city.mean_los[g]))
        yield env.timeout(los)  # stay, then discharge and claim
        cost = city.ref_cost[g] * rng.lognormvariate(-0.125, 0.5)
        ratio = cost / city.ref_cost[g]
        pts = city.points[g]
        if ratio > 2.0:  # high outlier: paid by cost
            pts *= ratio - 1.0
        elif ratio < 0.4:  # low outlier
            pts *= ratio
        month = min(int(env.now // 30.5), 11)
        points[month][h] += pts

    def insurer() -> simpy.events.Event:
        for m in range(12):
            yield env.timeout(30.5 if m < 11 else 30.5 + 60)
            budget = city.budget_fen // 12
            total = sum(points[m]) or 1.0
            alloc = _py_apportion(budget, [budget * p / total for p in points[m]])
            pre = _py_apportion(
                round(city.prepay_share * budget), [city.prepay_share * a for a in alloc]
            )
            for h in range(n_h):
                prepaid[h] += pre[h]
                withheld[h] += alloc[h] - pre[h]

    for _ in range(admissions):
        env.process(patient(rng.random() * 365.0))
    env.process(insurer())
    env.run()
    weights = [max(w, 0) * c for w, c in zip(withheld, city.coefficient, strict=True)]
    pool = sum(withheld)
    incentive = _py_apportion(pool, [pool * w / sum(weights) for w in weights])
    return [p + i for p, i in zip(prepaid, incentive, strict=True)]
