"""The benchmarks' fused reference kernel bins what its plain-numpy rule bins, on any thread count."""

from __future__ import annotations

import sys
from pathlib import Path

import numba
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from fused import City, fused_year, fused_year_np, segments


def small_city(seed: int = 3) -> City:
    """Three hospitals of two tiers, six ADRGs of three levels, a few hundred cases a month."""
    rng = np.random.default_rng(seed)
    n_adrg, n_level = 6, 3
    level_cum = np.cumsum(rng.dirichlet(np.ones(n_level), size=n_adrg), axis=1)
    level_cum[:, -1] = 1.0
    return City(
        counts=rng.poisson(200, size=(12, 3)).astype(np.int64),
        tier=np.array([0, 1, 1]),
        cost_level=np.array([1.2, 0.9, 1.0]),
        alias_prob=rng.uniform(0.2, 1.0, size=(2, n_adrg)),
        alias_idx=rng.integers(0, n_adrg, size=(2, n_adrg)).astype(np.int32),
        level_cum=level_cum,
        group_table=np.arange(n_adrg * n_level, dtype=np.int32).reshape(n_adrg, n_level),
        ref_cost=rng.uniform(3000, 30000, size=n_adrg * n_level),
        base_points=rng.uniform(30, 300, size=n_adrg * n_level),
        sigma=0.6,
    )


def test_segments_cover_every_case_once_inside_one_chunk_and_one_cell() -> None:
    counts = np.array([[3, 0, 5], [0, 0, 4]])
    starts, cell, seg_of_chunk = segments(counts, chunk=4)
    # cases 0-2 are cell 0, 3-7 cell 2, 8-11 cell 5; chunks start at 0, 4, 8
    assert starts.tolist() == [0, 3, 4, 8, 12]
    assert cell.tolist() == [0, 2, 2, 5]
    assert seg_of_chunk.tolist() == [0, 2, 3, 4]


@pytest.mark.parametrize("chunk", [64, 1 << 16])
def test_the_kernel_bins_what_the_numpy_rule_bins(chunk: int) -> None:
    city = small_city()
    points, cost = fused_year(city, key=12345, chunk=chunk)
    want_points, want_cost = fused_year_np(city, key=12345)
    np.testing.assert_allclose(points, want_points, rtol=1e-12)
    np.testing.assert_allclose(cost, want_cost, rtol=1e-12)
    # an outlier is priced by its ratio: points differ from the no-outlier sum somewhere
    assert want_points.sum() > 0


def test_the_bins_do_not_depend_on_the_thread_count() -> None:
    city = small_city(seed=8)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = fused_year(city, key=7, chunk=64)
        numba.set_num_threads(numba.config.NUMBA_NUM_THREADS)
        many = fused_year(city, key=7, chunk=64)
    finally:
        numba.set_num_threads(before)
    for a, b in zip(one, many, strict=True):
        assert a.tobytes() == b.tobytes()
