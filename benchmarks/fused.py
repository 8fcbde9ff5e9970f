"""The limit beside drgsim: one fused kernel that draws, groups, prices and bins a year of cases.

No behaviours, audit, readmission rule or settlement: for each month and hospital it draws its
cases' ADRG (alias table of the hospital's tier), true level and cost (lognormal around the
DRG's reference cost × the hospital's cost level), prices each case (base points, × the cost
ratio outside [low, high]) and sums points and cost per month × hospital. It is what
`drgsim.run`'s throughput is measured against (`python benchmarks/run.py`).

Cases are numbered in (month, hospital) order and draw from counters of their number, so the
bins do not depend on the thread count: fixed chunks of cases run in parallel, each chunk's
partial sums are kept per (chunk, cell) segment and added into the cells in segment order.
`fused_year_np` computes the same from the rule in plain numpy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba
import numpy as np

from drgsim.kernels.rng import normal, normal_np, uniform, uniform_np

CHUNK = 1 << 16  # cases per parallel chunk (fixed: the bins do not depend on the threads)
K_COL, K_ACCEPT, K_LEVEL, K_COST = 1, 2, 3, 4  # draw kinds, one per quantity


@dataclass(frozen=True)
class City:
    """A year's inputs: cases per month × hospital and the tables the draws use."""

    counts: np.ndarray  # int64 [12, H]
    tier: np.ndarray  # int64 [H] row of the alias tables
    cost_level: np.ndarray  # float64 [H]
    alias_prob: np.ndarray  # float64 [T, A]
    alias_idx: np.ndarray  # int32 [T, A]
    level_cum: np.ndarray  # float64 [A, L] cumulative level probabilities (last = 1)
    group_table: np.ndarray  # int32 [A, L] DRG of each ADRG × level
    ref_cost: np.ndarray  # float64 [G]
    base_points: np.ndarray  # float64 [G]
    sigma: float = 0.45
    low: float = 0.4
    high: float = 2.0

    @property
    def cases(self) -> int:
        """Cases in the year."""
        return int(self.counts.sum())


def segments(counts: np.ndarray, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Case ranges that lie in one chunk and one cell: starts [S+1], cell [S], chunk starts."""
    cum = np.concatenate([[0], np.cumsum(counts.ravel())]).astype(np.int64)
    n = int(cum[-1])
    chunk_starts = np.arange(0, n, chunk, dtype=np.int64)
    starts = np.union1d(cum[:-1][counts.ravel() > 0], chunk_starts)
    cell = np.searchsorted(cum, starts, side="right") - 1
    seg_of_chunk = np.searchsorted(starts, np.append(chunk_starts, n))
    return np.append(starts, n).astype(np.int64), cell.astype(np.int64), seg_of_chunk


@numba.njit(parallel=True, cache=True, nogil=True)
def _fused(
    key, starts, cell, seg_of_chunk, n_hosp, tier, cost_level, alias_prob, alias_idx,
    level_cum, group_table, ref_cost, base_points, sigma, low, high, n_cells,
):  # fmt: skip  # pragma: no cover - jitted
    n_seg = cell.shape[0]
    seg_points = np.zeros(n_seg)
    seg_cost = np.zeros(n_seg)
    n_adrg = alias_prob.shape[1]
    n_level = level_cum.shape[1]
    shift = -0.5 * sigma * sigma
    for c in numba.prange(seg_of_chunk.shape[0] - 1):
        for s in range(seg_of_chunk[c], seg_of_chunk[c + 1]):
            h = cell[s] % n_hosp
            t = tier[h]
            level_h = cost_level[h]
            points = 0.0
            cost_sum = 0.0
            for j in range(starts[s], starts[s + 1]):
                col = int(uniform(key, K_COL, j, 0) * n_adrg)
                a = col
                if uniform(key, K_ACCEPT, j, 0) >= alias_prob[t, col]:
                    a = alias_idx[t, col]
                u = uniform(key, K_LEVEL, j, 0)
                lv = 0
                while lv < n_level - 1 and u >= level_cum[a, lv]:
                    lv += 1
                g = group_table[a, lv]
                cost = ref_cost[g] * level_h * math.exp(sigma * normal(key, K_COST, j) + shift)
                ratio = cost / ref_cost[g]
                points += base_points[g] * (ratio if (ratio > high or ratio < low) else 1.0)
                cost_sum += cost
            seg_points[s] = points
            seg_cost[s] = cost_sum
    out_points = np.zeros(n_cells)
    out_cost = np.zeros(n_cells)
    for s in range(n_seg):  # a fixed order, whatever the threads
        out_points[cell[s]] += seg_points[s]
        out_cost[cell[s]] += seg_cost[s]
    return out_points, out_cost


def fused_year(city: City, key: int, chunk: int = CHUNK) -> tuple[np.ndarray, np.ndarray]:
    """Points and cost [12, H] of a year of `city`'s cases drawn from `key` (the fused kernel)."""
    starts, cell, seg_of_chunk = segments(city.counts, chunk)
    n_hosp = city.counts.shape[1]
    points, cost = _fused(
        np.uint64(key), starts, cell, seg_of_chunk, n_hosp, city.tier, city.cost_level,
        city.alias_prob, city.alias_idx, city.level_cum, city.group_table, city.ref_cost,
        city.base_points, city.sigma, city.low, city.high, city.counts.size,
    )  # fmt: skip
    return points.reshape(city.counts.shape), cost.reshape(city.counts.shape)


def fused_year_np(city: City, key: int) -> tuple[np.ndarray, np.ndarray]:
    """The same bins from the rule in plain numpy (the kernel's reference)."""
    flat = city.counts.ravel()
    j = np.arange(int(flat.sum()), dtype=np.int64)
    cell = np.repeat(np.arange(flat.size), flat)
    h = cell % city.counts.shape[1]
    t = city.tier[h]
    n_adrg = city.alias_prob.shape[1]
    col = (uniform_np(key, K_COL, j) * n_adrg).astype(np.int64)
    keep = uniform_np(key, K_ACCEPT, j) < city.alias_prob[t, col]
    a = np.where(keep, col, city.alias_idx[t, col])
    u = uniform_np(key, K_LEVEL, j)
    n_level = city.level_cum.shape[1]
    level = np.minimum((u[:, None] >= city.level_cum[a]).sum(axis=1), n_level - 1)
    g = city.group_table[a, level]
    z = normal_np(key, K_COST, j)
    cost = city.ref_cost[g] * city.cost_level[h] * np.exp(city.sigma * z - 0.5 * city.sigma**2)
    ratio = cost / city.ref_cost[g]
    outlier = (ratio > city.high) | (ratio < city.low)
    points = city.base_points[g] * np.where(outlier, ratio, 1.0)
    size = city.counts.size
    shape = city.counts.shape
    return (
        np.bincount(cell, weights=points, minlength=size).reshape(shape),
        np.bincount(cell, weights=cost, minlength=size).reshape(shape),
    )


def shanwei_city(admissions: float | None = None) -> City:
    """The fused kernel's inputs for the shipped Shanwei city (optionally scaled to `admissions`)."""
    from drgsim.population.generator import SyntheticSource
    from drgsim.population.hospitals import hospital_table
    from drgsim.scale.runner import load_catalogue
    from drgsim.scenario.loader import load_scenario

    overrides = {"region": {"admissions": admissions}} if admissions else {}
    scn = load_scenario({"extends": "shanwei", **overrides})
    cat = load_catalogue(scn)
    hospitals = hospital_table(scn)
    source = SyntheticSource(scn, cat, hospitals)
    rng = np.random.default_rng(scn.seed)
    counts = np.stack([rng.poisson(source.expected_counts(0, m)) for m in range(1, 13)])
    level_cum = np.cumsum(cat.level_prob, axis=1)
    level_cum[:, -1] = 1.0
    return City(
        counts=counts.astype(np.int64),
        tier=source.hosp_tier.astype(np.int64),
        cost_level=np.asarray(hospitals.cost_level, dtype=np.float64),
        alias_prob=source.alias_prob,
        alias_idx=source.alias_idx,
        level_cum=level_cum,
        group_table=cat.group_table,
        ref_cost=cat.ref_cost,
        base_points=100.0 * cat.rw(),
        sigma=scn.generator.cost_sigma,
    )
