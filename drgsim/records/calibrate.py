"""Calibration from a city's history: weights and base points (spec §1), coefficients, month shares
and the generator's parameters, so that synthetic futures have the statistics of the city.

Writes to `out_dir`: weights.csv (drg, cases, cv, stable, ref_mean_cost_yuan, rw, base_points,
cost_sigma, mean_los_days), catalogue.csv (loadable by drgsim.records.catalogue_file.load, with case_share
and stable), coefficients.csv (hospital × DRG cells of the blend mode), month_shares.csv,
scenario_fragment.yaml and calibration.json. A group is stable when it has at least
`min_cases` cases and a coefficient of variation (of its trimmed costs) below 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from pandas.api.types import union_categoricals

from drgsim.cases import DISCHARGE_TYPES, CaseBatch
from drgsim.errors import DrgsimError
from drgsim.kernels.rng import stream_key
from drgsim.population.hospitals import HospitalTable
from drgsim.records.importing import Imported, import_cases
from drgsim.records.replay import case_batch
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.pricing import Rules, billed_drg, price, readmission_earlier
from drgsim.rules.tariff import Reference, Tariff, first_tariff, tariff_from_history, trim_mask
from drgsim.scenario.schema import Coefficient, Generator, Scenario, Weights

History = str | Path | pd.DataFrame
TIERS = (3, 2, 1)
#: Yearly admissions per bed that sizes a hospital whose beds are not given (about the
#: generator's default for tier 2), and the beds from which a hospital counts as tier 3 or 2
#: (医疗机构基本标准: 三级综合医院 500 张床以上, 二级 100–499 张) when tiers are inferred.
ADMISSIONS_PER_BED = 30
TIER_BEDS = ((3, 500), (2, 100))


def calibrate(
    history: History | Sequence[History],
    catalogue: Catalogue,
    *,
    out_dir: str | Path,
    tiers: Mapping[str, int] | None = None,
    infer_tiers: bool = False,
    beds: Mapping[str, int] | None = None,
    column_map: Mapping[str, str] | None = None,
    encoding: str | None = None,
    strict: bool = False,
    trim_quantiles: tuple[float, float] = (0.025, 0.975),
    min_cases: int = 5,
    base_points: float = 100.0,
) -> dict[str, Any]:
    """Calibrate from case tables (paths or DataFrames) and write the tables; returns the summary.

    `tiers` (hospital id → 1–3) falls back to a `tier` column; a hospital in neither is an
    error, unless `infer_tiers`, which infers it from the hospital's beds (`infer_tier`).
    `beds` (hospital id → beds) sizes the hospitals of the fragment; a hospital without is
    assumed to have yearly cases / ADMISSIONS_PER_BED beds. What was inferred or assumed is
    listed in the summary's `notes` (and `assumed`) and in the fragment's header.
    """
    t0 = time.perf_counter()
    sources = [history] if isinstance(history, str | Path | pd.DataFrame) else list(history)
    imports = [
        import_cases(
            s,
            catalogue=catalogue,
            column_map=column_map,
            encoding=encoding,
            year=None,
            strict=strict,
            hash_patient_ids=False,  # ids are only paired for readmissions, never written
        )
        for s in sources
    ]
    cases = _combine(imports)
    hosp, assumed, notes = _hospitals(cases, tiers, infer_tiers, beds, [i.source for i in imports])
    scn = Scenario(
        weights=Weights(trim_quantiles=trim_quantiles, min_cases=min_cases),
        coefficient=Coefficient(mode="blend"),
        base_points=base_points,
    )
    batch = case_batch(cases, catalogue)
    drg = billed_drg(batch, catalogue)
    ref = Reference(batch.hospital, drg, batch.cost)
    tariff = tariff_from_history(catalogue, scn, hosp, ref, first_tariff(catalogue, scn, hosp))
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    weights = _weights(catalogue, batch, drg, tariff, scn)
    levels, sigma_g = _cost_levels(batch, drg, catalogue.n_drg, hosp.n)
    weights["cost_sigma"] = sigma_g
    weights["mean_los_days"] = _mean_los(batch, drg, catalogue)
    weights.to_csv(out / "weights.csv", index=False)
    cal_cat = _catalogue_frame(catalogue, weights)
    cal_cat.to_csv(out / "catalogue.csv", index=False)
    _coefficients(batch, drg, tariff, hosp, catalogue).to_csv(out / "coefficients.csv", index=False)
    years = cases["year"].to_numpy(np.int64)
    readmit = readmission_earlier(
        batch.patient, batch.hospital, batch.adrg, batch.admit_day, batch.day, drg >= 0,
        scn.readmission.window_days,
    )  # fmt: skip
    shares = _month_shares(batch, drg, years, readmit, tariff, scn)
    shares.to_csv(out / "month_shares.csv", index=False)
    gen = _generator(batch, drg, years, readmit, hosp, levels, weights, catalogue)
    fragment = _fragment(gen, hosp, levels, shares, trim_quantiles, min_cases)
    (out / "scenario_fragment.yaml").write_text(
        "# drgsim calibrate: merge into a scenario (paths relative to this file)\n"
        + "".join(f"# {note}\n" for note in notes)
        + yaml.safe_dump(fragment, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    summary = {
        "sources": [i.source for i in imports],
        "rows": sum(i.rows for i in imports),
        "cases": int(batch.n),
        "rejected": _sum_counts(imports),
        "ungroupable": int((drg < 0).sum()),
        "years": sorted({int(y) for y in np.unique(years)}),
        "hospitals": len(hosp.ids),
        "groups_with_cases": int((weights["cases"] > 0).sum()),
        "stable_groups": int(weights["stable"].sum()),
        "mean_cost_yuan": tariff.mean_cost,
        "base_points": base_points,
        "generator": gen,
        "assumed": assumed,
        "notes": notes,
        "wall_seconds": round(time.perf_counter() - t0, 3),
    }
    (out / "calibration.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
    return summary


def _combine(imports: list[Imported]) -> pd.DataFrame:
    """The usable cases of every table in one frame, hospitals as one sorted category set."""
    hospital = union_categoricals(
        [imp.cases["hospital"] for imp in imports], sort_categories=True
    ).remove_unused_categories()
    out = pd.concat([imp.cases.drop(columns="hospital") for imp in imports], ignore_index=True)
    out["hospital"] = pd.Categorical(hospital)
    return out


def _sum_counts(imports: list[Imported]) -> dict[str, int]:
    out: dict[str, int] = {}
    for imp in imports:
        for k, v in imp.counts.items():
            out[k] = out.get(k, 0) + v
    return out


def _hospitals(
    cases: pd.DataFrame,
    tiers: Mapping[str, int] | None,
    infer_tiers: bool,
    beds: Mapping[str, int] | None,
    sources: list[str],
) -> tuple[HospitalTable, dict[str, dict[str, int]], list[str]]:
    """The history's hospitals with their tiers and beds; what was inferred or assumed; notes."""
    ids = [str(h) for h in cases["hospital"].cat.categories]
    given = dict(tiers or {})
    if "tier" in cases:  # a hospital's most frequent tier of 1–3 (0: empty or not a number)
        valid = cases[cases["tier"].between(1, 3)]
        column = valid.groupby("hospital", observed=True)["tier"].agg(lambda s: s.mode().iloc[0])
        given = {**{str(h): int(t) for h, t in column.items()}, **given}
    n = np.bincount(cases["hospital"].cat.codes.to_numpy(), minlength=len(ids))
    yearly = n / max(cases["year"].nunique(), 1)
    bed = {
        h: int((beds or {}).get(h, max(1, round(yearly[i] / ADMISSIONS_PER_BED))))
        for i, h in enumerate(ids)
    }
    assumed_beds = {h: bed[h] for h in ids if h not in (beds or {})}
    for name, mapping in (("tiers", tiers), ("beds", beds)):
        unknown = sorted(set(mapping or {}) - set(ids))
        if unknown:
            raise DrgsimError(
                f"{name} {_some(unknown)}: no such hospital in {', '.join(sources)}; "
                f"allowed: {_some(ids)}"
            )
    missing = [h for h in ids if h not in given]
    if missing and not infer_tiers:
        raise DrgsimError(
            f"{', '.join(sources)}: no tier for hospital(s) {_some(missing)}: no tier column "
            f"(医院等级) gives it; give every hospital's tier 1–3 (--tiers {missing[0]}=3,…), "
            "or infer tiers from beds or yearly cases (--tiers infer)"
        )
    inferred = {h: infer_tier(bed[h]) for h in missing}
    notes = []
    if inferred:
        shown = ", ".join(f"{h} {t}" for h, t in list(inferred.items())[:12])
        more = f" and {len(inferred) - 12} more" if len(inferred) > 12 else ""
        notes.append(
            "tiers inferred from beds, given or assumed ("
            f"{', '.join(f'tier {t} from {b}' for t, b in TIER_BEDS)}, else tier 1): {shown}{more}"
        )
    if assumed_beds:
        shown = ", ".join(f"{h} {b}" for h, b in list(assumed_beds.items())[:12])
        more = f" and {len(assumed_beds) - 12} more" if len(assumed_beds) > 12 else ""
        notes.append(
            f"beds not given: assumed yearly cases / {ADMISSIONS_PER_BED} ({shown}{more}), so "
            f"their admissions per bed are {ADMISSIONS_PER_BED} by assumption "
            "(generator.admissions_per_bed); give --beds H=N to calibrate it"
        )
    tier = np.array([given.get(h, inferred.get(h, 0)) for h in ids], dtype=np.int8)
    table = HospitalTable(
        tuple(ids),
        tuple(ids),
        tier,
        np.array([bed[h] for h in ids], dtype=np.int64),
        np.ones(len(ids)),
        np.zeros(len(ids)),
        n / max(n.sum(), 1),
    )
    return table, {"tiers": inferred, "beds": assumed_beds}, notes


def infer_tier(beds: int) -> int:
    """The tier of a hospital with `beds` beds, by the bed thresholds of TIER_BEDS."""
    return next((tier for tier, least in TIER_BEDS if beds >= least), 1)


def _some(ids: list[str]) -> str:
    """Up to five ids, and how many more."""
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _weights(
    cat: Catalogue, batch: CaseBatch, drg: np.ndarray, tariff: Tariff, scn: Scenario
) -> pd.DataFrame:
    """Per DRG: cases, CV of trimmed costs, stability, reference cost, RW, base points."""
    ok = drg >= 0
    g, cost = drg[ok].astype(np.int64), batch.cost[ok]
    keep = trim_mask(g, cost, scn.weights.trim_quantiles, cat.n_drg)
    n_all = np.bincount(g, minlength=cat.n_drg)
    n = np.bincount(g[keep], minlength=cat.n_drg)
    s1 = np.bincount(g[keep], weights=cost[keep], minlength=cat.n_drg)
    mean = s1 / np.maximum(n, 1)
    dev = cost[keep] - mean[g[keep]]
    var = np.bincount(g[keep], weights=dev * dev, minlength=cat.n_drg) / np.maximum(n - 1, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cv = np.where((n > 1) & (mean > 0), np.sqrt(var) / mean, np.nan)
    stable = (n_all >= scn.weights.min_cases) & (np.nan_to_num(cv, nan=np.inf) < 1.0)
    return pd.DataFrame(
        {
            "drg": cat.drg,
            "cases": n_all,
            "cv": cv,
            "stable": stable,
            "ref_mean_cost_yuan": tariff.ref_cost,
            "rw": tariff.rw,
            "base_points": tariff.base_pts,
        }
    )


def _cost_levels(
    batch: CaseBatch, drg: np.ndarray, n_drg: int, n_h: int
) -> tuple[np.ndarray, np.ndarray]:
    """Hospital cost levels (case-weighted mean 1) and each DRG's lognormal sigma.

    Two-way fixed effects of log cost (DRG + hospital) on normal discharges, by alternating
    means; the sigma is the spread of the residuals within a group.
    """
    ok = (drg >= 0) & (batch.discharge == 0) & (batch.cost > 0)
    g, h = drg[ok].astype(np.int64), batch.hospital[ok].astype(np.int64)
    y = np.log(batch.cost[ok])
    n_g = np.bincount(g, minlength=n_drg)
    n_h_cases = np.bincount(h, minlength=n_h)
    b = np.zeros(n_h)
    a = np.zeros(n_drg)
    for _ in range(8):
        a = np.bincount(g, weights=y - b[h], minlength=n_drg) / np.maximum(n_g, 1)
        b = np.bincount(h, weights=y - a[g], minlength=n_h) / np.maximum(n_h_cases, 1)
    r = y - a[g] - b[h]
    ss = np.bincount(g, weights=r * r, minlength=n_drg)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.where(n_g > 2, np.sqrt(ss / np.maximum(n_g - 1, 1)), np.nan)
    level = np.exp(b)
    all_h = np.bincount(batch.hospital, minlength=n_h)
    level = level / (np.dot(all_h, level) / max(all_h.sum(), 1))
    return level, sigma


def _mean_los(batch: CaseBatch, drg: np.ndarray, cat: Catalogue) -> np.ndarray:
    """Mean LOS of each group's normal discharges (the catalogue's value where none)."""
    ok = (drg >= 0) & (batch.discharge == 0)
    n = np.bincount(drg[ok], minlength=cat.n_drg)
    s = np.bincount(drg[ok], weights=batch.los[ok].astype(np.float64), minlength=cat.n_drg)
    return np.where(n > 0, np.maximum(s / np.maximum(n, 1), 1.0), cat.mean_los)


def _catalogue_frame(cat: Catalogue, weights: pd.DataFrame) -> pd.DataFrame:
    """The calibrated catalogue: codes, reference costs, LOS, case shares and stability."""
    cases = weights["cases"].to_numpy(np.float64)
    return pd.DataFrame(
        {
            "drg": cat.drg,
            "mdc": cat.mdc,
            "adrg": cat.adrg[cat.drg_adrg],
            "adrg_type": cat.adrg_type[cat.drg_adrg],
            "suffix": cat.suffix,
            "name": cat.names,
            "ref_mean_cost_yuan": weights["ref_mean_cost_yuan"].to_numpy(),
            "mean_los_days": weights["mean_los_days"].to_numpy(),
            "case_share": cases / max(cases.sum(), 1.0),
            "stable": np.where(weights["stable"].to_numpy(), "true", "false"),
        }
    )


def _coefficients(
    batch: CaseBatch, drg: np.ndarray, tariff: Tariff, hosp: HospitalTable, cat: Catalogue
) -> pd.DataFrame:
    """Hospital × DRG cells with cases: own and tier cost ratios and the blend coefficient K."""
    ok = drg >= 0
    h, g, cost = batch.hospital[ok].astype(np.int64), drg[ok].astype(np.int64), batch.cost[ok]
    n_g = cat.n_drg
    cell = h * n_g + g
    n = np.bincount(cell, minlength=hosp.n * n_g)
    s = np.bincount(cell, weights=cost, minlength=hosp.n * n_g)
    tier = hosp.tier.astype(np.int64)
    tcell = tier[h] * n_g + g
    tn = np.bincount(tcell, minlength=4 * n_g)
    ts = np.bincount(tcell, weights=cost, minlength=4 * n_g)
    idx = np.flatnonzero(n)
    hh, gg = idx // n_g, idx % n_g
    ref = tariff.ref_cost[gg]
    tidx = tier[hh] * n_g + gg
    return pd.DataFrame(
        {
            "hospital": np.asarray(hosp.ids, dtype=object)[hh],
            "tier": tier[hh],
            "drg": cat.drg[gg],
            "cases": n[idx],
            "hospital_ratio": s[idx] / n[idx] / ref,
            "tier_ratio": ts[tidx] / tn[tidx] / ref,
            "k_blend": tariff.coef[hh, gg],
        }
    )


def _month_shares(
    batch: CaseBatch,
    drg: np.ndarray,
    years: np.ndarray,
    readmit: np.ndarray,
    tariff: Tariff,
    scn: Scenario,
) -> pd.DataFrame:
    """Each month's share of its year's points (cases priced with the calibrated tariff)."""
    rules = Rules.from_scenario(scn)
    key = stream_key(np.random.SeedSequence(scn.seed))  # the special-review panel's draws
    n_h = int(batch.hospital.max(initial=0)) + 1
    points = np.zeros(batch.n)
    period = (years - years.min()) * 12 + batch.month.astype(np.int64) - 1
    order = np.argsort(period, kind="stable")
    bounds = np.flatnonzero(np.diff(period[order])) + 1
    for rows in np.split(order, bounds):
        if rows.size:
            part = batch.take(rows)
            points[rows] = price(part, drg[rows], tariff, rules, n_h, key)[1]
    points = np.where(readmit, points * scn.readmission.factor, points)
    frame = pd.DataFrame({"year": years, "month": batch.month.astype(np.int64), "points": points})
    table = frame.pivot_table(
        index="month", columns="year", values="points", aggfunc="sum", fill_value=0.0
    ).reindex(range(1, 13), fill_value=0.0)
    per_year = table / table.sum(axis=0)
    out = pd.DataFrame({"month": range(1, 13)})
    out["share"] = per_year.mean(axis=1).to_numpy()
    out["share"] /= out["share"].sum()
    for y in per_year.columns:
        out[f"share_{int(y)}"] = per_year[y].to_numpy()
    return out


def _generator(
    batch: CaseBatch,
    drg: np.ndarray,
    years: np.ndarray,
    readmit: np.ndarray,
    hosp: HospitalTable,
    levels: np.ndarray,
    weights: pd.DataFrame,
    cat: Catalogue,
) -> dict[str, Any]:
    """The generator's parameters estimated from the history (scenario keys and values)."""
    n = max(batch.n, 1)
    tier = hosp.tier.astype(np.int64)[batch.hospital]
    uy, per_year = np.unique(years, return_counts=True)
    counts_m = np.bincount(batch.month.astype(np.int64) - 1, minlength=12).astype(np.float64)
    seasonality = counts_m / counts_m.mean() if counts_m.sum() else np.ones(12)
    growth = (per_year[-1] / per_year[0]) ** (1 / (len(uy) - 1)) - 1 if len(uy) > 1 else 0.0
    per_case = [float(batch.cost[years == y].mean()) for y in uy]  # spec §9: growth.charges
    charges_growth = (per_case[-1] / per_case[0]) ** (1 / (len(uy) - 1)) - 1 if len(uy) > 1 else 0.0
    normal = (drg >= 0) & (batch.discharge == 0) & (batch.los >= 1)
    los_sigma = _pooled_sigma(np.log(batch.los[normal].astype(np.float64)), drg[normal])
    sigma_g = weights["cost_sigma"].to_numpy()
    n_g = weights["cases"].to_numpy()
    fin = np.isfinite(sigma_g) & (n_g > 2)
    cost_sigma = float(np.sqrt(np.sum(n_g[fin] * sigma_g[fin] ** 2) / max(n_g[fin].sum(), 1)))
    share = np.where(batch.cost > 0, batch.oop / np.maximum(batch.cost, 1e-12), 0.0)
    present = sorted({int(t) for t in np.unique(tier)})
    oop_share = {t: float(share[tier == t].mean()) for t in present}
    resid = share - np.array([oop_share.get(int(t), 0.0) for t in range(4)])[tier]
    dis = np.bincount(batch.discharge.astype(np.int64), minlength=len(DISCHARGE_TYPES)) / n
    h_cases = np.bincount(batch.hospital, minlength=hosp.n).astype(np.float64)
    tier_level = {
        t: float(np.exp(np.average(np.log(levels[hosp.tier == t]), weights=h_cases[hosp.tier == t])))
        for t in present
        if h_cases[hosp.tier == t].sum() > 0
    }  # fmt: skip
    per_bed = {
        t: float(h_cases[hosp.tier == t].sum() / len(uy) / hosp.beds[hosp.tier == t].sum())
        for t in present
    }
    return {
        "admissions": float(per_year.mean()),
        "admissions_growth": float(growth),
        "charges_growth": float(charges_growth),
        "seasonality": [round(float(x), 4) for x in seasonality],
        "cost_sigma": cost_sigma,
        "los_sigma": los_sigma,
        "cost_level": tier_level,
        "oop_share": oop_share,
        "oop_sd": float(resid.std()),
        "transfer": float(dis[1]),
        "death": float(dis[2]),
        "against_advice": float(dis[3]),
        "readmission_rate": float(readmit.mean()) if batch.n else 0.0,
        "ungroupable_rate": float((drg < 0).mean()) if batch.n else 0.0,
        "complexity_tilt": _tilts(batch, drg, tier, weights, cat, present),
        "admissions_per_bed": per_bed,
    }


def _pooled_sigma(y: np.ndarray, g: np.ndarray) -> float:
    """Square root of the pooled within-group variance of `y`."""
    if y.size < 2:
        return 0.0
    g = g.astype(np.int64)
    n = np.bincount(g)
    mean = np.bincount(g, weights=y) / np.maximum(n, 1)
    ss = float(np.sum((y - mean[g]) ** 2))
    dof = int(y.size - np.count_nonzero(n))
    return float(np.sqrt(ss / max(dof, 1)))


def _tilts(
    batch: CaseBatch,
    drg: np.ndarray,
    tier: np.ndarray,
    weights: pd.DataFrame,
    cat: Catalogue,
    present: list[int],
) -> dict[int, float]:
    """Each tier's tilt of the ADRG mix towards heavy ADRGs, relative to the city's mix.

    The maximum-likelihood tilt of a tier mix ∝ city share × RW^tilt: the one whose mean
    log RW equals the tier's observed mean (ADRGs without cases in the tier count too).
    """
    ok = drg >= 0
    a = cat.drg_adrg[drg[ok]].astype(np.int64)
    rw = weights["rw"].to_numpy()
    n_g = weights["cases"].to_numpy(np.float64)
    adrg_n = np.bincount(cat.drg_adrg, weights=n_g, minlength=cat.n_adrg)
    adrg_rw = np.bincount(cat.drg_adrg, weights=n_g * rw, minlength=cat.n_adrg) / np.maximum(
        adrg_n, 1
    )
    city = np.bincount(a, minlength=cat.n_adrg) / max(a.size, 1)
    x = np.log(np.where(adrg_rw > 0, adrg_rw, 1.0))
    out = {}
    for t in present:
        nt = np.bincount(a[tier[ok] == t], minlength=cat.n_adrg).astype(np.float64)
        if nt.sum() == 0:
            out[t] = 0.0
            continue
        target = float(np.dot(nt, x) / nt.sum())  # the tier's mean log weight
        lo, hi = -3.0, 3.0
        for _ in range(60):  # the model's mean log weight rises with the tilt: bisect
            mid = 0.5 * (lo + hi)
            p = city * np.exp(mid * (x - x.max()))
            lo, hi = (mid, hi) if float(np.dot(p, x) / p.sum()) < target else (lo, mid)
        out[t] = 0.5 * (lo + hi)
    return out


def _fragment(
    gen: dict[str, Any],
    hosp: HospitalTable,
    levels: np.ndarray,
    shares: pd.DataFrame,
    trim: tuple[float, float],
    min_cases: int,
) -> dict[str, Any]:
    """The scenario keys that give a synthetic city the history's statistics."""
    generator = Generator()
    defaults = {"cost_level": generator.cost_level, "oop_share": generator.oop_share}

    def by_tier(values: dict[int, float], default: dict[int, float] | float) -> dict[int, float]:
        return {
            t: round(float(values.get(t, default if isinstance(default, float) else default[t])), 6)
            for t in TIERS
        }

    per_bed = {t: round(v, 6) for t, v in gen["admissions_per_bed"].items()}
    return {
        "catalogue": {"source": "catalogue.csv"},
        "region": {
            "admissions": round(gen["admissions"], 1),
            "seasonality": gen["seasonality"],
        },
        "growth": {
            "charges": round(gen["charges_growth"], 6),
            "volume": round(gen["admissions_growth"], 6),
        },
        "hospitals": {
            hid: {
                "name": hosp.names[i],
                "tier": int(hosp.tier[i]),
                "beds": int(hosp.beds[i]),
                "cost_level": round(float(levels[i]), 6),
            }
            for i, hid in enumerate(hosp.ids)
        },
        "other_hospitals": {"count": {3: 0, 2: 0, 1: 0}},
        "generator": {
            "admissions_per_bed": by_tier(per_bed, 30.0),
            "complexity_tilt": by_tier(gen["complexity_tilt"], 0.0),
            "cost_level": by_tier(gen["cost_level"], defaults["cost_level"]),
            "cost_sigma": round(gen["cost_sigma"], 6),
            "los_sigma": round(max(gen["los_sigma"], 1e-3), 6),
            "oop_share": by_tier(gen["oop_share"], defaults["oop_share"]),
            "oop_sd": round(gen["oop_sd"], 6),
            "transfer": round(gen["transfer"], 6),
            "death": round(gen["death"], 6),
            "against_advice": round(gen["against_advice"], 6),
            "readmission_rate": round(gen["readmission_rate"], 6),
            "ungroupable_rate": round(gen["ungroupable_rate"], 6),
        },
        "weights": {"trim_quantiles": [float(trim[0]), float(trim[1])], "min_cases": min_cases},
        "budget": {"month_shares": [round(float(x), 6) for x in shares["share"]]},
    }
