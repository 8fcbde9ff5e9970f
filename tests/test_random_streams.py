"""Random draws of different kinds and different cases are independent of each other."""

from __future__ import annotations

import math
from pathlib import Path

import numba
import numpy as np

from drgsim.engine.calendar import STREAM_PATIENTS, stream_seed
from drgsim.kernels.rng import Draw, normal_pair_np, uniform_np
from drgsim.population.generator import SyntheticSource
from drgsim.population.hospitals import hospital_table
from drgsim.records.catalogue_file import builtin
from drgsim.scenario.loader import load_scenario

SHANWEI = Path(__file__).resolve().parents[1] / "scenarios" / "shanwei.yaml"
N = 1_000_000  # cases per statistical check
KEYS = (0, 20201001, 2**64 - 1)
BINS = 8


def _columns(key: int, cases: np.ndarray, kinds: list[Draw]) -> dict[str, np.ndarray]:
    """Each kind's draws for the given cases as uniforms (normals through the normal CDF)."""
    cols = {}
    for kind in kinds:
        if kind in (Draw.STAY, Draw.COST):
            first, second = normal_pair_np(key, kind, cases)
            cols[f"{kind.name}.z0"] = _phi(first)
            cols[f"{kind.name}.z1"] = _phi(second)
        else:
            cols[kind.name] = uniform_np(key, kind, cases)
    return cols


def _phi(z: np.ndarray) -> np.ndarray:
    """The standard normal CDF (Abramowitz & Stegun 7.1.26, error below 1e-7)."""
    x = np.abs(z) / math.sqrt(2.0)
    t = 1.0 / (1.0 + 0.3275911 * x)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    half_tail = 0.5 * poly * np.exp(-x * x)
    return np.where(z >= 0, 1.0 - half_tail, half_tail)


@numba.njit(cache=False)
def _crosstabs(a, b):  # pragma: no cover - jitted
    """Counts [i, j, x, y] of rows where column i of `a` is in bin x and column j of `b` in y."""
    out = np.zeros((a.shape[0], b.shape[0], BINS, BINS), np.int64)
    for n in range(a.shape[1]):
        for i in range(a.shape[0]):
            x = a[i, n]
            for j in range(b.shape[0]):
                out[i, j, x, b[j, n]] += 1
    return out


def _chi2_independence(counts: np.ndarray) -> np.ndarray:
    """Chi-square of each BINS × BINS table of two uniform samples against independence."""
    expected = counts[0, 0].sum() / BINS**2
    return ((counts - expected) ** 2 / expected).sum(axis=(-2, -1))


def test_uniform_draws_are_uniform_and_normal_draws_standard_normal() -> None:
    """Kolmogorov–Smirnov distance of 10⁶ draws of each kind from U(0, 1) and N(0, 1)."""
    cases = np.arange(N)
    ks_bound = 1.95 / math.sqrt(N)  # the 0.1 % critical value
    grid = (np.arange(N) + 1.0) / N
    for key in KEYS[:2]:
        for name, u in _columns(key, cases, list(Draw)).items():
            s = np.sort(u)
            assert s[0] >= 0.0 and s[-1] < 1.0, name
            distance = max(np.max(grid - s), np.max(s - (grid - 1.0 / N)))
            assert distance < ks_bound, (key, name, distance)
    z0, z1 = normal_pair_np(7, Draw.COST, cases)
    for z in (z0, z1):
        assert abs(z.mean()) < 5 / math.sqrt(N) and abs(z.var() - 1.0) < 5 * math.sqrt(2 / N)
        assert abs(np.mean(z**3)) < 5 * math.sqrt(15 / N)  # symmetric
        assert abs(np.mean(z**4) - 3.0) < 5 * math.sqrt(96 / N)  # normal tails


def test_draws_of_different_kinds_and_cases_are_independent() -> None:
    """Every pair of kinds of one case, and of case j with cases j + 1 and 2j: no dependence.

    For every pair of kinds (normals through their CDF), over 10⁶ cases: the Pearson
    correlation stays within 6 standard errors of 0 and the 8 × 8 contingency table within
    7 standard deviations of its chi-square mean. A dependence like "case j's normal is made
    of case 2j's uniforms" fails the table by far even where the correlation is 0.
    """
    df = BINS * BINS - 1
    chi2_bound = df + 7 * math.sqrt(2 * df)
    r_bound = 6 / math.sqrt(N)
    cols = _columns(KEYS[1], np.arange(2 * N), list(Draw))
    names = list(cols)
    values = np.stack([cols.pop(name) for name in names]).astype(np.float32)
    bins = (values * BINS).astype(np.uint8)
    standard = (values - np.float32(0.5)) * np.float32(math.sqrt(12.0))
    del values
    views = {"j": np.s_[:N], "j+1": np.s_[1 : N + 1], "2j": np.s_[: 2 * N : 2]}
    for other, rows in views.items():
        r = standard[:, :N] @ standard[:, rows].T / N
        chi2 = _chi2_independence(_crosstabs(bins[:, :N], np.ascontiguousarray(bins[:, rows])))
        if other == "j":  # a kind with itself at the same case is not a pair
            r[np.eye(len(names), dtype=bool)] = 0.0
            chi2[np.eye(len(names), dtype=bool)] = 0.0
        i, j = np.unravel_index(np.argmax(np.abs(r)), r.shape)
        assert abs(r[i, j]) < r_bound, (names[i], other, names[j], r[i, j])
        i, j = np.unravel_index(np.argmax(chi2), chi2.shape)
        assert chi2[i, j] < chi2_bound, (names[i], other, names[j], chi2[i, j])


def _shanwei_year() -> tuple[SyntheticSource, list]:
    """The twelve months of year one of the shipped Shanwei scenario, replication 0."""
    scn = load_scenario(SHANWEI)
    source = SyntheticSource(scn, builtin(), hospital_table(scn))
    months = [
        source.month(0, m, stream_seed(scn.seed, 0, 0, m, STREAM_PATIENTS)) for m in range(1, 13)
    ]
    return source, months


def test_a_cases_cost_does_not_depend_on_whether_case_2j_is_a_readmission() -> None:
    """P(case j's cost above its group's median | case 2j is a readmission) is one half.

    A full stay's cost over its hospital's cost level is the DRG's reference cost times a
    lognormal factor, so within a DRG half the stays lie above the median whatever happened
    to any other case of the month.
    """
    source, months = _shanwei_year()
    above_all, readmit_all = [], []
    for batch in months:
        ratio = batch.cost / source.hospitals.cost_level[batch.hospital]
        full = batch.discharge == 0
        above = np.zeros(batch.n, dtype=bool)
        for g in np.unique(batch.drg_true[full]):
            rows = np.flatnonzero(full & (batch.drg_true == g))
            above[rows] = ratio[rows] > np.median(ratio[rows])
        readmission = np.zeros(batch.n, dtype=bool)
        readmission[1:] = (
            (batch.patient[1:] == batch.patient[:-1])
            & (batch.hospital[1:] == batch.hospital[:-1])
            & (batch.adrg[1:] == batch.adrg[:-1])
        )
        j = np.arange((batch.n + 1) // 2)
        keep = full[j]
        above_all.append(above[j][keep])
        readmit_all.append(readmission[2 * j][keep])
    above = np.concatenate(above_all)
    readmit = np.concatenate(readmit_all)
    n_given = int(readmit.sum())
    assert n_given > 1000  # enough pairs for the check below to mean something
    p_given = above[readmit].mean()
    p_other = above[~readmit].mean()
    assert abs(p_given - 0.5) < 5 * math.sqrt(0.25 / n_given), p_given
    assert abs(p_other - 0.5) < 5 * math.sqrt(0.25 / (~readmit).sum()) + 0.01, p_other


def test_every_audited_act_and_every_act_adding_cases_has_kinds_of_draw_of_its_own() -> None:
    from drgsim.acts import AUDITED
    from drgsim.population.behaviour import ADDED_DRAWS
    from drgsim.rules.audit import DETECTION_DRAW

    assert set(DETECTION_DRAW) == {act.name for act in AUDITED}
    kinds = [*DETECTION_DRAW.values(), *(k for kinds in ADDED_DRAWS.values() for k in kinds)]
    assert len(set(kinds)) == len(kinds)
