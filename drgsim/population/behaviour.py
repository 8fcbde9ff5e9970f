"""Hospital behaviours of spec §8 as transforms of a month's case batch, each act flagged on the case."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from drgsim.cases import ACT_BITS, CaseBatch
from drgsim.kernels.group import group_cases
from drgsim.kernels.rng import stream_key, uniform_np
from drgsim.population.hospitals import HospitalTable
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.pricing import Rules, formula_points
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import BEHAVIOUR_ACTS, Behaviour, Scenario

#: Offsets of new cases' ids inside a month's id range (synthetic cases use 0 … 2,999,999).
SPLIT_OFFSET, INDUCED_OFFSET, PHANTOM_OFFSET = 3_000_000, 5_000_000, 7_000_000
#: Draw numbers per case, so each act's randomness is its own: counter = case_id × 16 + draw.
U_UPCODE, U_SHIFT, U_SHIFT_TO, U_SPLIT, U_UNDER, U_DOWN, U_DOWN_TO = 0, 1, 2, 3, 4, 5, 6
U_TEMPLATE, U_PATIENT, U_COUNT = 7, 8, 9
DEFAULTS = {"loss_threshold": 0.2, "cut": 0.0, "max_rw": 0.6}
SUFFIX_LEVEL = {"1": 0, "3": 1, "5": 2}
INDUCED_COST = 0.5  # an induced admission costs half its group's reference (would be outpatient)


@dataclass
class ActParams:
    """Each hospital's act parameters, resolved hospital → tier → region → default."""

    rates: dict[str, np.ndarray]  # act → rate per hospital (under-service: share of cases cut)
    loss_threshold: np.ndarray
    cut: np.ndarray
    max_rw: np.ndarray

    def any(self) -> bool:
        """Whether any hospital commits any act."""
        return any(bool(np.any(r > 0)) for r in self.rates.values())


def resolve(scn: Scenario, hospitals: HospitalTable) -> ActParams:
    """Per-hospital act parameters from the hospital's, its tier's and the region's settings."""

    def pick(hid: str, tier: int, act: str, attr: str, default: float) -> float:
        levels: list[Behaviour | None] = [
            scn.hospitals.get(hid),
            scn.tiers.get(tier),
            scn.behaviour,
        ]
        for level in levels:
            if level is None:
                continue
            value = getattr(getattr(level, act), attr)
            if value is not None:
                return float(value)
        return default

    ids, tiers = hospitals.ids, [int(t) for t in hospitals.tier]

    def column(act: str, attr: str, default: float) -> np.ndarray:
        return np.array([pick(h, t, act, attr, default) for h, t in zip(ids, tiers, strict=True)])

    rates = {act: column(act, "rate", 0.0) for act in BEHAVIOUR_ACTS if act != "underservice"}
    cut = column("underservice", "cut", DEFAULTS["cut"])
    rates["underservice"] = np.where(cut > 0, column("underservice", "rate", 1.0), 0.0)
    return ActParams(
        rates,
        column("shifting", "loss_threshold", DEFAULTS["loss_threshold"]),
        cut,
        column("referral_down", "max_rw", DEFAULTS["max_rw"]),
    )


@dataclass
class View:
    """What hospitals know when they act: this year's tariff and the last published point value."""

    tariff: Tariff
    point_value: float
    first_day: int  # first day of year of the month being discharged


@dataclass
class ActRecord:
    """What the acts of a year did, per hospital, for indicators and adaptation."""

    refused_high: np.ndarray
    shifting_avoided_yuan: np.ndarray
    underservice_saved_yuan: np.ndarray

    @staticmethod
    def zeros(n: int) -> ActRecord:
        """An empty record for `n` hospitals."""
        return ActRecord(np.zeros(n), np.zeros(n), np.zeros(n))


@dataclass
class Behaviours:
    """The acts of a scenario's hospitals, applied to each month's cases."""

    scn: Scenario
    cat: Catalogue
    hospitals: HospitalTable
    params: ActParams
    records: dict[int, ActRecord] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.rules = Rules.from_scenario(self.scn)
        self.level_of = np.array([SUFFIX_LEVEL.get(s, -1) for s in self.cat.suffix], np.int8)
        self.upcode_to = self.cat.upcode_target()

    def apply(
        self, batch: CaseBatch, year: int, seed: np.random.SeedSequence, view: View
    ) -> CaseBatch:
        """The month's cases after every act: moved, cut, split, added, upcoded."""
        self.record = self.records.setdefault(year, ActRecord.zeros(self.hospitals.n))
        if batch.n == 0 or not self.params.any():
            return batch
        key = stream_key(seed)
        batch = batch.copy()  # the acts below change this private copy in place
        batch = self.shift(batch, key, view)
        batch = self.refer_down(batch, key, view)
        batch = self.underserve(batch, key)
        batch = self.split(batch, key, view)
        batch = self.add_cases(batch, key, "induced", INDUCED_OFFSET)
        batch = self.add_cases(batch, key, "phantom", PHANTOM_OFFSET)
        return self.upcode(batch, key)

    def _u(self, key: int, batch: CaseBatch, draw: int, rate: np.ndarray) -> np.ndarray:
        """Each case's draw for an act; 1.0 (never below a rate) where its hospital's rate is 0."""
        u = np.ones(batch.n)
        rows = np.flatnonzero(rate[batch.hospital] > 0)
        counters = batch.case_id[rows].astype(np.uint64) * np.uint64(16) + np.uint64(draw)
        u[rows] = uniform_np(key, counters)
        return u

    def _billed(self, batch: CaseBatch) -> np.ndarray:
        return group_cases(
            batch.adrg, batch.billed_severity, batch.ungroupable, self.cat.group_table
        )

    def expected_payment(self, batch: CaseBatch, view: View) -> np.ndarray:
        """What the hospital expects a case to earn (fund + patient): points × last point value."""
        return (
            formula_points(batch, self._billed(batch), view.tariff, self.rules) * view.point_value
        )

    def _move(self, batch: CaseBatch, rows: np.ndarray, targets: np.ndarray, bit: int) -> None:
        """Send the cases at `rows` to hospitals `targets`; cost scales with the cost level."""
        level = self.hospitals.cost_level
        scale = level[targets] / level[batch.hospital[rows]]
        batch.cost[rows] *= scale
        batch.oop[rows] *= scale
        batch.hospital[rows] = targets
        batch.acts[rows] |= bit

    def _choose(self, candidates: np.ndarray, u: np.ndarray) -> np.ndarray:
        """A hospital among `candidates` for each draw u, in proportion to their volume."""
        w = self.hospitals.volume_share[candidates]
        cdf = np.cumsum(w) / w.sum()
        return candidates[np.minimum(np.searchsorted(cdf, u, side="right"), len(candidates) - 1)]

    def shift(self, batch: CaseBatch, key: int, view: View) -> CaseBatch:
        """Refuse loss-making cases; each goes to another hospital of the same or a higher tier."""
        rate = self.params.rates["shifting"]
        if not np.any(rate > 0):
            return batch
        h = batch.hospital.copy()  # each refused case moves once, from the hospital it came to
        active = np.flatnonzero((rate[h] > 0) & ~batch.ungroupable)
        pay = np.ones(batch.n)
        pay[active] = self.expected_payment(batch.take(active), view)
        loss = (batch.cost - pay) / np.maximum(pay, 1e-9)
        refuse = self._u(key, batch, U_SHIFT, rate) < rate[h]
        refuse &= (loss > self.params.loss_threshold[h]) & ~batch.ungroupable
        tier = self.hospitals.tier
        u_to = self._u(key, batch, U_SHIFT_TO, rate)
        rw = view.tariff.rw[np.maximum(self._billed(batch), 0)]
        for src in np.unique(h[refuse]):
            candidates = np.flatnonzero((tier >= tier[src]) & (np.arange(len(tier)) != src))
            if candidates.size == 0:
                continue
            rows = np.flatnonzero(refuse & (h == src))
            self.record.refused_high[src] += np.count_nonzero(
                rw[rows] >= self.scn.incentive.high_weight_rw
            )
            self.record.shifting_avoided_yuan[src] += float(np.sum(batch.cost[rows] - pay[rows]))
            self._move(batch, rows, self._choose(candidates, u_to[rows]), ACT_BITS["shifting"])
        return batch

    def refer_down(self, batch: CaseBatch, key: int, view: View) -> CaseBatch:
        """Tier-3 hospitals send low-weight cases to tier 1–2 hospitals."""
        rate = self.params.rates["referral_down"] * (self.hospitals.tier == 3)
        lower = np.flatnonzero(self.hospitals.tier < 3)
        if not np.any(rate > 0) or lower.size == 0:
            return batch
        h = batch.hospital
        rw = view.tariff.rw[np.maximum(self._billed(batch), 0)]
        send = (self._u(key, batch, U_DOWN, rate) < rate[h]) & (rw < self.params.max_rw[h])
        send &= ~batch.ungroupable
        rows = np.flatnonzero(send)
        if rows.size:
            targets = self._choose(lower, self._u(key, batch, U_DOWN_TO, rate)[rows])
            self._move(batch, rows, targets, ACT_BITS["referral_down"])
        return batch

    def underserve(self, batch: CaseBatch, key: int) -> CaseBatch:
        """Cut the cost of care of a share of each hospital's cases."""
        cut, rate = self.params.cut, self.params.rates["underservice"]
        if not np.any(rate > 0):
            return batch
        h = batch.hospital
        rows = np.flatnonzero(self._u(key, batch, U_UNDER, rate) < rate[h])
        saved = batch.cost[rows] * cut[h[rows]]
        self.record.underservice_saved_yuan += np.bincount(
            h[rows], weights=saved, minlength=self.hospitals.n
        )
        batch.cost[rows] -= saved
        batch.oop[rows] *= 1.0 - cut[h[rows]]
        batch.acts[rows] |= ACT_BITS["underservice"]
        return batch

    def split(self, batch: CaseBatch, key: int, view: View) -> CaseBatch:
        """Discharge and readmit the same day: two stays, cost and stay split in half."""
        rate = self.params.rates["splitting"]
        if not np.any(rate > 0):
            return batch
        h = batch.hospital
        los = batch.los.astype(np.int64)
        first_los = los // 2
        first_day = batch.admit_day.astype(np.int64) + first_los
        ok = (los >= 2) & (first_day >= view.first_day) & ~batch.ungroupable
        rows = np.flatnonzero(ok & (self._u(key, batch, U_SPLIT, rate) < rate[h]))
        if rows.size == 0:
            return batch
        second = batch.take(rows)
        first = batch  # the private copy of apply(): its split stays become first halves
        cost, oop = batch.cost[rows].copy(), batch.oop[rows].copy()
        share = first_los[rows] / los[rows]
        first.cost[rows] = cost * share
        first.oop[rows] = oop * share
        first.los[rows] = first_los[rows]
        first.day[rows] = first_day[rows]
        second.case_id = second.case_id + SPLIT_OFFSET
        second.cost = cost - first.cost[rows]
        second.oop = oop - first.oop[rows]
        second.los = (los[rows] - first_los[rows]).astype(np.int16)
        second.admit_day = first_day[rows].astype(np.int16)
        second.acts = second.acts | ACT_BITS["split"]
        return CaseBatch.concat([first, second])

    def add_cases(self, batch: CaseBatch, key: int, act: str, offset: int) -> CaseBatch:
        """Induced (cheap, low-severity) or phantom (billed, never happened) admissions."""
        rate = self.params.rates[act]
        if not np.any(rate > 0):
            return batch
        n_h = np.bincount(batch.hospital, minlength=self.hospitals.n)
        u_count = uniform_np(
            key,
            np.arange(self.hospitals.n, dtype=np.uint64) * np.uint64(16)
            + np.uint64(U_COUNT + offset),
        )
        extra = np.floor(rate * n_h + u_count).astype(np.int64)
        extra[n_h == 0] = 0
        total = int(extra.sum())
        if total == 0:
            return batch
        new_h = np.repeat(np.arange(self.hospitals.n), extra)
        k = np.arange(total, dtype=np.uint64)
        order = np.argsort(batch.hospital, kind="stable")
        start = np.searchsorted(batch.hospital[order], new_h)
        pick = np.floor(
            uniform_np(key ^ offset, k * np.uint64(16) + np.uint64(U_TEMPLATE)) * n_h[new_h]
        ).astype(np.int64)
        new = batch.take(order[start + pick])
        new.case_id = (
            new.case_id * 0 + (int(batch.month[0]) * 10_000_000 + offset) + k.astype(np.int64)
        )
        population = self.scn.region.population
        new.patient = np.floor(
            uniform_np(key ^ offset, k * np.uint64(16) + np.uint64(U_PATIENT)) * population
        ).astype(np.int64)
        new.acts = np.full(total, ACT_BITS[act], dtype=np.uint8)
        new.ungroupable = np.zeros(total, dtype=bool)
        new.discharge = np.zeros(total, dtype=np.int8)
        if act == "induced":
            new.severity = np.full(total, 2, dtype=np.int8)
            new.billed_severity = new.severity.copy()
            g = self.cat.group_table[new.adrg, 2]
            new.drg_true = g.astype(np.int16)
            level = self.hospitals.cost_level[new_h]
            new.cost = INDUCED_COST * self.cat.ref_cost[g] * level
            new.oop = new.cost * self.hospitals.oop_mean[new_h]
            new.los = np.maximum(1, np.round(self.cat.mean_los[g] / 2)).astype(np.int16)
            new.admit_day = (new.day - new.los).astype(np.int16)
        else:
            new.oop = np.zeros(total)
        return CaseBatch.concat([batch, new])

    def upcode(self, batch: CaseBatch, key: int) -> CaseBatch:
        """Code one severity level up (5→3, 3→1, 5→1 where there is no 3)."""
        rate = self.params.rates["upcoding"]
        if not np.any(rate > 0):
            return batch
        billed = self._billed(batch)
        target = self.upcode_to[np.maximum(billed, 0)]
        rows = np.flatnonzero(
            (billed >= 0)
            & (target != billed)
            & (self._u(key, batch, U_UPCODE, rate) < rate[batch.hospital])
        )
        if rows.size == 0:
            return batch
        batch.billed_severity[rows] = self.level_of[target[rows]]
        batch.acts[rows] |= ACT_BITS["upcoding"]
        return batch

    def adapt(self, gains: dict[str, np.ndarray], step: float, max_rate: float) -> None:
        """Move each act's rate by `step` toward last year's net gain, within [0, max_rate]."""
        for act, gain in gains.items():
            rate = self.params.rates[act]
            up = np.minimum(rate + step, np.maximum(rate, max_rate))  # never lowers a gainer
            down = np.maximum(rate - step, 0.0)
            moved = np.where(gain > 0, up, np.where(gain < 0, down, rate))
            self.params.rates[act] = np.where(rate > 0, moved, rate)

    def year_record(self, year: int) -> ActRecord:
        """What the acts did in `year` (and forget it)."""
        return self.records.pop(year, ActRecord.zeros(self.hospitals.n))
