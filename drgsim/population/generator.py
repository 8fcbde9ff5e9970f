"""Synthetic patients: the Python front that sizes, seeds and calls the case-generation kernel."""

from __future__ import annotations

import calendar
import hashlib
import sys
from functools import lru_cache
from statistics import NormalDist
from typing import Any

import numpy as np

from drgsim.cases import CaseBatch, month_ids, no_origin
from drgsim.fork_safe import renewed_in_children
from drgsim.kernels.alias import alias_build
from drgsim.kernels.generate import (
    N_PARAMS,
    SHARE_MAX,
    SHORT_SHARE,
    check_inputs,
    generate_cases,
)
from drgsim.kernels.rng import stream_key
from drgsim.population.hospitals import HospitalTable
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.funds import cumulative_shares, fund_key, patient_shares
from drgsim.rules.growth import charge_factor, volume_factor
from drgsim.scenario.schema import Scenario

#: Held while the generation kernel (numba's parallel loop) runs: numba's workqueue threading
#: layer, which a plain install uses, runs one parallel kernel at a time in a process and ends
#: the process when two threads start one at once (a Dask worker running tasks on threads).
ONE_PARALLEL_LAUNCH = renewed_in_children(sys.modules[__name__], "ONE_PARALLEL_LAUNCH")


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table (acceptance probability, alias index) for a discrete draw."""
    return _alias_table(np.ascontiguousarray(weights, dtype=np.float64).tobytes())


@lru_cache(maxsize=64)
def _alias_table(weights: bytes) -> tuple[np.ndarray, np.ndarray]:
    """The alias table of float64 `weights`, built once per process for each distinct mix."""
    w = np.frombuffer(weights, dtype=np.float64)
    prob, alias = alias_build(w / w.sum() * w.shape[0])
    prob.setflags(write=False)
    alias.setflags(write=False)
    return prob, alias


def month_days(year: int, month: int) -> tuple[int, int]:
    """First day of the month as day of year (1-based) and the month's length."""
    first = sum(calendar.monthrange(year, m)[1] for m in range(1, month)) + 1
    return first, calendar.monthrange(year, month)[1]


class SyntheticSource:
    """Draws each month's cases of a scenario's city from its generator parameters."""

    def __init__(self, scn: Scenario, cat: Catalogue, hospitals: HospitalTable) -> None:
        self.scn, self.cat, self.hospitals = scn, cat, hospitals
        self.record_ids = np.empty(0, dtype=object)  # drawn cases have no table ids
        gen = scn.generator
        tiers = sorted({int(t) for t in hospitals.tier})
        self.tier_index = {t: i for i, t in enumerate(tiers)}
        adrg_rw = (cat.level_prob * cat.rw()[cat.group_table]).sum(axis=1)
        self.mixes = tier_mixes(
            cat.adrg_share,
            adrg_rw,
            np.array([gen.complexity_tilt[t] for t in tiers], dtype=np.float64),
            np.array([hospitals.volume_share[hospitals.tier == t].sum() for t in tiers]),
        )
        probs, aliases = [], []
        for t in tiers:
            p, a = alias_table(self.tier_mix(t))
            probs.append(p)
            aliases.append(a)
        self.alias_prob = np.stack(probs)
        self.alias_idx = np.stack(aliases)
        self.fund_cum = cumulative_shares(scn)
        self.fund_key = fund_key(scn)
        self.patient_share = patient_shares(scn, hospitals.tier, hospitals.oop_mean)
        self.hosp_tier = np.array([self.tier_index[int(t)] for t in hospitals.tier], np.int64)
        self.draw_cost = self.full_stay_cost()
        self.params = np.array(
            [
                gen.cost_sigma,
                gen.los_sigma,
                gen.oop_sd,
                gen.transfer,
                gen.death,
                gen.against_advice,
                scn.incomplete_stay_days,
                gen.readmission_rate,
                scn.readmission.window_days,
                gen.ungroupable_rate,
            ],
            dtype=np.float64,
        )
        assert self.params.shape[0] == N_PARAMS
        # each month's inputs and their digest, worked out at its first use (month_inputs)
        self._inputs: dict[tuple[int, int], tuple[np.ndarray, tuple[Any, ...]]] = {}
        self._digests: dict[tuple[int, int], bytes] = {}
        self._counts: dict[tuple[int, int], np.ndarray] = {}  # expected_counts, once each
        self._yearly: dict[int, np.ndarray] = {}  # yearly_counts, once each

    def expected_counts(self, year_index: int, month: int) -> np.ndarray:
        """Expected admissions of each hospital in a month of year `year_index` (0-based);
        worked out once per month (read-only)."""
        found = self._counts.get((year_index, month))
        if found is None:
            region = self.scn.region
            season = np.asarray(region.seasonality, dtype=np.float64)
            volume = region.admissions * volume_factor(self.scn, year_index)
            found = volume * season[month - 1] / season.sum() * self.hospitals.volume_share
            found.setflags(write=False)
            self._counts[year_index, month] = found
        return found

    def yearly_counts(self, year_index: int) -> np.ndarray:
        """Expected admissions of each hospital in year `year_index`: its months' added up
        (worked out once per year, read-only)."""
        found = self._yearly.get(year_index)
        if found is None:
            months = [self.expected_counts(year_index, m) for m in range(1, 13)]
            found = self._yearly[year_index] = np.sum(months, axis=0)
            found.setflags(write=False)
        return found

    def month_shares(self) -> np.ndarray:
        """Year one's expected share of the year's points in each month (spec §4).

        A case's expected points do not depend on its month (the case mix, the costs and the
        hospitals' shares are the same in every month), so the share of points is the share of
        expected admissions: the seasonality over its sum (month lengths do not enter: the
        seasonality already gives each month's admissions).
        """
        counts = np.array([self.expected_counts(0, m).sum() for m in range(1, 13)])
        return counts / counts.sum()

    def month_inputs(self, year_index: int, month: int) -> tuple[np.ndarray, tuple[Any, ...]]:
        """What a month's cases are drawn from besides its seed: the hospitals' expected cases
        and the generation kernel's arguments after the key and the cases' hospitals (worked
        out and checked once per month of a year; nothing changes them)."""
        found = self._inputs.get((year_index, month))
        if found is None:
            found = self._month_inputs(year_index, month)
            check_inputs(np.uint64(0), np.zeros(0, np.int32), *found[1])  # the kernel's front
            self._inputs[year_index, month] = found
        return found

    def _month_inputs(self, year_index: int, month: int) -> tuple[np.ndarray, tuple[Any, ...]]:
        """month_inputs, worked out."""
        year = self.scn.start_year + year_index
        first, days = month_days(year, month)
        cat = self.cat
        return self.expected_counts(year_index, month), (
            self.hosp_tier,
            self.hospitals.cost_level * charge_factor(self.scn, year_index),
            self.patient_share,
            self.fund_key,
            self.fund_cum,
            self.alias_prob,
            self.alias_idx,
            cat.level_prob,
            cat.group_table,
            self.draw_cost,
            cat.mean_los,
            self.params,
            first,
            days,
            self.scn.region.population,
        )

    def month_key(self, year_index: int, month: int, seed: np.random.SeedSequence) -> bytes:
        """A digest of everything `month` draws from: equal keys, equal cases (common numbers)."""
        inputs = self._digests.get((year_index, month))
        if inputs is None:
            expected, args = self.month_inputs(year_index, month)
            each = hashlib.blake2b(digest_size=20)
            for value in (expected, *args):
                a = np.asarray(value)
                each.update(repr((a.dtype.str, a.shape)).encode())
                each.update(np.ascontiguousarray(a).tobytes())
            inputs = self._digests[year_index, month] = each.digest()
        digest = hashlib.blake2b(digest_size=20)
        digest.update(repr((month, seed.entropy, tuple(seed.spawn_key))).encode())
        digest.update(inputs)
        return digest.digest()

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """The cases discharged in one month, drawn from the month's seed."""
        counts_seed, case_seed = seed.spawn(2)
        rng = np.random.Generator(np.random.PCG64(counts_seed))
        expected, args = self.month_inputs(year_index, month)
        counts = rng.poisson(expected)
        hospital = np.repeat(np.arange(self.hospitals.n, dtype=np.int32), counts)
        # the kernel without its front: the hospitals are 0 … n − 1 by construction and the
        # tables were checked with the month's inputs
        kernel = generate_cases.compiled  # type: ignore[attr-defined]
        with ONE_PARALLEL_LAUNCH:
            out = kernel(np.uint64(stream_key(case_seed)), hospital, *args)
        patient, adrg, severity, drg_true, cost, oop, los, admit, day, discharge, ungroup, fund = (
            out
        )
        n = hospital.shape[0]
        return CaseBatch(
            case_id=month_ids(month, n),
            patient=patient,
            hospital=hospital,
            adrg=adrg,
            severity=severity,
            drg_true=drg_true,
            billed_severity=severity.copy(),
            cost=cost,
            oop=oop,
            los=los,
            admit_day=admit,
            day=day,
            month=np.full(n, month, dtype=np.int8),
            discharge=discharge,
            ungroupable=ungroup,
            acts=np.zeros(n, dtype=np.uint8),
            **no_origin(n),
            fund=fund,
        )

    def tier_mix(self, tier: int) -> np.ndarray:
        """ADRG case mix of a tier (tier_mixes)."""
        return self.mixes[self.tier_index[tier]]

    def stay_scale(self) -> np.ndarray:
        """Each DRG's mean cost scale of its stays (expected_stay_scale)."""
        gen = self.scn.generator
        p_incomplete = min(gen.transfer + gen.death + gen.against_advice, 1.0)
        return expected_stay_scale(self.cat.mean_los, p_incomplete, self.scn.incomplete_stay_days)

    def adrg_level(self) -> np.ndarray:
        """Each ADRG's mean cost level over the city's cases: the hospitals' levels weighted by
        their expected cases of the ADRG (1 for an ADRG without cases)."""
        hosp = self.hospitals
        cases = hosp.volume_share[:, None] * self.mixes[self.hosp_tier]  # [H, A]
        total = cases.sum(axis=0)
        level = hosp.cost_level @ cases
        return np.where(total > 0, level / np.where(total > 0, total, 1.0), 1.0)

    def full_stay_cost(self) -> np.ndarray:
        """The cost of a full stay of each DRG at cost level 1 in year one, in yuan.

        The catalogue's reference cost is what a bureau would set for year one: the trimmed
        mean (weights.trim_quantiles) of the group's claims in the year before. So year one's
        stays cost the reference × one year's charge growth on average, over the ADRG's mean
        cost level (a hospital's level is its cost relative to the city's for the same group),
        the DRG's stay scale (short incomplete stays cost less) and the lognormal's trimmed
        mean (trimmed_mean_factor): year one's tariff then stands to its claims as year two's
        stands to its own, and case classes and money per RW unit carry on from year to year.
        """
        cat, scn = self.cat, self.scn
        trim = trimmed_mean_factor(scn.generator.cost_sigma, scn.weights.trim_quantiles)
        level = self.adrg_level()[cat.drg_adrg]
        return cat.ref_cost * charge_factor(scn, 1) / (level * self.stay_scale() * trim)

    def expected_charges(self, year_index: int = 0) -> np.ndarray:
        """Expected charges of each hospital's cases in year `year_index` (0-based), in yuan.

        What month() draws on average: the expected admissions × the cost level × the mean over
        the tier's case mix of each DRG's full-stay cost × its stay scale (short incomplete
        stays cost less, expected_stay_scale). The lognormal noise has mean 1, and a
        readmission repeats its first stay's DRG, drawn from the same mix, with a stay and cost
        drawn as any case's: neither moves the mean.
        """
        cat, hosp = self.cat, self.hospitals
        drg_cost = self.draw_cost * self.stay_scale()
        adrg_cost = (cat.level_prob * drg_cost[cat.group_table]).sum(axis=1)
        yearly = self.yearly_counts(year_index)
        mean_cost = self.mixes[self.hosp_tier] @ adrg_cost
        return yearly * hosp.cost_level * charge_factor(self.scn, year_index) * mean_cost

    def expected_drg_cases(self, year_index: int = 0) -> np.ndarray:
        """Expected grouped cases of each hospital (rows) in each DRG (columns) in a year.

        The year's expected admissions × the tier's ADRG mix × each ADRG's severity levels,
        less the ungroupable records (a readmission's DRG is drawn from the same mix).
        """
        yearly = self.yearly_counts(year_index)
        drg_share = np.stack([self.cat.group_probs(mix) for mix in self.mixes])
        grouped = yearly * (1.0 - self.scn.generator.ungroupable_rate)
        return grouped[:, None] * drg_share[self.hosp_tier]

    def expected_case_charges(self, year_index: int = 0) -> np.ndarray:
        """Mean charges of a case of each hospital (rows) in each DRG (columns) in year
        `year_index` (0-based; -1 the year before year one), yuan: the DRG's full-stay cost ×
        its stay scale × the hospital's cost level × the year's charge growth."""
        drg_cost = self.draw_cost * self.stay_scale()
        level = self.hospitals.cost_level * charge_factor(self.scn, year_index)
        return level[:, None] * drg_cost[None, :]

    def expected_patient_paid(self, year_index: int = 0) -> np.ndarray:
        """Expected patient payments at each hospital in a year, yuan: its expected charges ×
        each fund's share of patients × that fund's expected clipped patient share there."""
        share = expected_patient_share(self.patient_share, self.scn.generator.oop_sd)
        patients = np.diff(self.fund_cum, prepend=0.0)[:, None]
        return self.expected_charges(year_index) * (patients * share).sum(axis=0)

    def expected_fund_cost(self) -> np.ndarray:
        """Expected fund part (charges − patient-paid) of year one's cases in each fund, in yuan.

        A patient's fund and each case's patient share are drawn apart from its cost, so a
        fund's part at a hospital is the fund's share of patients × the hospital's expected
        charges × (1 − the fund's expected clipped share there, expected_patient_share).
        """
        share = expected_patient_share(self.patient_share, self.scn.generator.oop_sd)
        patients = np.diff(self.fund_cum, prepend=0.0)[:, None]
        return (patients * self.expected_charges(0) * (1.0 - share)).sum(axis=1)


def tier_mixes(
    share: np.ndarray, adrg_rw: np.ndarray, tilt: np.ndarray, volume: np.ndarray
) -> np.ndarray:
    """Each tier's ADRG case mix [T, A]: the city's share × expected weight^tilt of the tier,
    scaled by tier and by ADRG so that every tier's mix sums to 1 and the tiers' mixes,
    weighted by their share of admissions `volume`, are the city's shares (the catalogue's).

    The scales are found by alternating proportional fitting (Sinkhorn), to 1e-12.
    """
    kernel = np.asarray(adrg_rw, dtype=np.float64)[None, :] ** tilt[:, None]
    v = np.asarray(volume, dtype=np.float64) / np.sum(volume)
    x = np.ones(tilt.shape[0])
    for _ in range(100_000):
        y = 1.0 / (v @ (x[:, None] * kernel))
        x = 1.0 / (kernel @ (share * y))
        city = v @ (x[:, None] * y[None, :] * kernel)  # each ADRG's city scale: 1 when fitted
        if np.max(np.abs(city - 1.0)) < 1e-12:
            break
    mix = share[None, :] * x[:, None] * y[None, :] * kernel
    return mix / mix.sum(axis=1, keepdims=True)


def trimmed_mean_factor(sigma: float, quantiles: tuple[float, float]) -> float:
    """Mean of a mean-1 lognormal(σ) between its quantiles q_lo and q_hi, as the tariff trims
    a group's costs: (Φ(z_hi − σ) − Φ(z_lo − σ)) / (q_hi − q_lo), z = Φ⁻¹(q)."""
    lo, hi = quantiles
    if hi <= lo:
        return 1.0
    unit = NormalDist()
    below_hi = unit.cdf(unit.inv_cdf(hi) - sigma) if hi < 1 else 1.0
    below_lo = unit.cdf(unit.inv_cdf(lo) - sigma) if lo > 0 else 0.0
    return (below_hi - below_lo) / (hi - lo)


def expected_stay_scale(mean_los: np.ndarray, p_incomplete: float, short_days: int) -> np.ndarray:
    """Mean cost scale of a case of each DRG from draw_stay (kernels/generate.py).

    An incomplete stay (probability `p_incomplete`) is short with probability SHORT_SHARE:
    its stay s is floor(V × (short_days + 1)) for V uniform on [0, 1), so each of 0…short_days
    days with probability 1 / (short_days + 1), and its cost is scaled by
    min(1, (s + 1) / (mean stay + 1)); every other case keeps its full cost.
    """
    los = np.asarray(mean_los, dtype=np.float64)
    days = np.arange(short_days + 1, dtype=np.float64)
    short = np.minimum(1.0, (days[None, :] + 1.0) / (los[:, None] + 1.0)).mean(axis=1)
    p_short = p_incomplete * SHORT_SHARE
    return (1.0 - p_short) + p_short * short


def expected_patient_share(mean: np.ndarray, sd: float) -> np.ndarray:
    """Mean of the patient-paid share drawn as mean + sd × Z clipped to [0, SHARE_MAX].

    E[clip(X, 0, b)] for X ~ N(m, sd²) is b (1 − Φ(β)) + m (Φ(β) − Φ(α)) + sd (φ(α) − φ(β))
    with α = −m / sd and β = (b − m) / sd; with sd = 0 it is clip(m, 0, b).
    """
    m = np.asarray(mean, dtype=np.float64)
    b = SHARE_MAX
    if sd == 0:
        return np.clip(m, 0.0, b)
    # worked out once for each distinct mean (a tier's hospitals share theirs), element by
    # element as for every entry
    values, where = np.unique(m, return_inverse=True)
    alpha, beta = -values / sd, (b - values) / sd
    unit = NormalDist()
    cdf, pdf = np.vectorize(unit.cdf), np.vectorize(unit.pdf)
    each = b * (1.0 - cdf(beta)) + values * (cdf(beta) - cdf(alpha)) + sd * (pdf(alpha) - pdf(beta))
    return each[where.reshape(m.shape)]
