"""Synthetic patients: the Python front that sizes, seeds and calls the case-generation kernel."""

from __future__ import annotations

import calendar
import math

import numpy as np

from drgsim.cases import CaseBatch, month_ids, no_origin
from drgsim.kernels.generate import N_PARAMS, SHARE_MAX, SHORT_SHARE, generate_cases
from drgsim.kernels.rng import stream_key
from drgsim.population.hospitals import HospitalTable
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.funds import cumulative_shares, fund_key, patient_shares
from drgsim.rules.growth import charge_factor, volume_factor
from drgsim.scenario.schema import Scenario


def alias_table(weights: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Walker/Vose alias table (acceptance probability, alias index) for a discrete draw."""
    w = np.asarray(weights, dtype=np.float64)
    n = w.shape[0]
    scaled = w / w.sum() * n
    prob = np.ones(n)
    alias = np.arange(n, dtype=np.int32)
    small = [i for i in range(n) if scaled[i] < 1.0]
    large = [i for i in range(n) if scaled[i] >= 1.0]
    while small and large:
        s, g = small.pop(), large.pop()
        prob[s], alias[s] = scaled[s], g
        scaled[g] -= 1.0 - scaled[s]
        (small if scaled[g] < 1.0 else large).append(g)
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

    def expected_counts(self, year_index: int, month: int) -> np.ndarray:
        """Expected admissions of each hospital in a month of year `year_index` (0-based)."""
        region = self.scn.region
        season = np.asarray(region.seasonality, dtype=np.float64)
        volume = region.admissions * volume_factor(self.scn, year_index)
        return volume * season[month - 1] / season.sum() * self.hospitals.volume_share

    def month_shares(self) -> np.ndarray:
        """Year one's expected share of the year's points in each month (spec §4).

        A case's expected points do not depend on its month (the case mix, the costs and the
        hospitals' shares are the same in every month), so the share of points is the share of
        expected admissions: the seasonality over its sum (month lengths do not enter: the
        seasonality already gives each month's admissions).
        """
        counts = np.array([self.expected_counts(0, m).sum() for m in range(1, 13)])
        return counts / counts.sum()

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """The cases discharged in one month, drawn from the month's seed."""
        counts_seed, case_seed = seed.spawn(2)
        rng = np.random.Generator(np.random.PCG64(counts_seed))
        counts = rng.poisson(self.expected_counts(year_index, month))
        hospital = np.repeat(np.arange(self.hospitals.n, dtype=np.int32), counts)
        year = self.scn.start_year + year_index
        first, days = month_days(year, month)
        cat = self.cat
        out = generate_cases(
            np.uint64(stream_key(case_seed)),
            hospital,
            self.hosp_tier,
            self.hospitals.cost_level * charge_factor(self.scn, year_index),
            self.patient_share,
            self.fund_key,
            self.fund_cum,
            self.alias_prob,
            self.alias_idx,
            cat.level_prob,
            cat.group_table,
            cat.ref_cost,
            cat.mean_los,
            self.params,
            first,
            days,
            self.scn.region.population,
        )
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
        """ADRG case mix of a tier: the city's shares tilted by expected weight^tilt."""
        cat = self.cat
        adrg_rw = (cat.level_prob * cat.rw()[cat.group_table]).sum(axis=1)
        mix = cat.adrg_share * adrg_rw ** self.scn.generator.complexity_tilt[tier]
        return mix / mix.sum()

    def expected_charges(self, year_index: int = 0) -> np.ndarray:
        """Expected charges of each hospital's cases in year `year_index` (0-based), in yuan.

        What month() draws on average: the expected admissions × the cost level × the mean over
        the tier's case mix of each DRG's reference cost × its expected stay scale (short
        incomplete stays cost less, expected_stay_scale). The lognormal noise has mean 1, and a
        readmission repeats its first stay's DRG, drawn from the same mix, with a stay and cost
        drawn as any case's: neither moves the mean.
        """
        cat, hosp, gen = self.cat, self.hospitals, self.scn.generator
        scale = expected_stay_scale(
            cat.mean_los,
            min(gen.transfer + gen.death + gen.against_advice, 1.0),
            self.scn.incomplete_stay_days,
        )
        adrg_cost = (cat.level_prob * (cat.ref_cost * scale)[cat.group_table]).sum(axis=1)
        yearly = np.sum([self.expected_counts(year_index, m) for m in range(1, 13)], axis=0)
        mean_cost = np.array([float(np.dot(self.tier_mix(int(t)), adrg_cost)) for t in hosp.tier])
        return yearly * hosp.cost_level * charge_factor(self.scn, year_index) * mean_cost

    def expected_fund_cost(self) -> np.ndarray:
        """Expected fund part (charges − patient-paid) of year one's cases in each fund, in yuan.

        A patient's fund and each case's patient share are drawn apart from its cost, so a
        fund's part at a hospital is the fund's share of patients × the hospital's expected
        charges × (1 − the fund's expected clipped share there, expected_patient_share).
        """
        share = expected_patient_share(self.patient_share, self.scn.generator.oop_sd)
        patients = np.diff(self.fund_cum, prepend=0.0)[:, None]
        return (patients * self.expected_charges(0) * (1.0 - share)).sum(axis=1)


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
    alpha, beta = -m / sd, (b - m) / sd
    cdf = np.vectorize(lambda x: 0.5 * (1.0 + math.erf(x / math.sqrt(2.0))))
    pdf = np.exp(-0.5 * alpha**2), np.exp(-0.5 * beta**2)
    phi_a, phi_b = (p / math.sqrt(2.0 * math.pi) for p in pdf)
    return b * (1.0 - cdf(beta)) + m * (cdf(beta) - cdf(alpha)) + sd * (phi_a - phi_b)
