"""Hospital behaviours of spec §8 as transforms of a month's case batch, each act flagged on the case."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drgsim.acts import ACT, ACTS, ActSpec
from drgsim.cases import CaseBatch
from drgsim.kernels.rng import Draw, stream_key, uniform_np
from drgsim.population.hospitals import HospitalTable
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.growth import charge_factor
from drgsim.rules.pricing import Rules, billed_drg, formula_points
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import Behaviour, Scenario

#: The kinds of draw (count per hospital, template case, patient) of each act that adds cases.
ADDED_DRAWS = {
    "induced": (Draw.INDUCED_COUNT, Draw.INDUCED_TEMPLATE, Draw.INDUCED_PATIENT),
    "phantom": (Draw.PHANTOM_COUNT, Draw.PHANTOM_TEMPLATE, Draw.PHANTOM_PATIENT),
}


@dataclass
class ActParams:
    """Each hospital's act parameters, resolved hospital → tier → region → the schema's fallback."""

    rates: dict[str, np.ndarray]  # act → rate per hospital (what adaptation moves)
    settings: dict[str, dict[str, np.ndarray]]  # act → its other keys → value per hospital

    def any(self) -> bool:
        """Whether any hospital commits any act."""
        return any(bool(np.any(r > 0)) for r in self.rates.values())


def resolve(scn: Scenario, hospitals: HospitalTable) -> ActParams:
    """Per-hospital values of every act's keys from the hospital's, its tier's and the region's."""
    chains: list[list[Behaviour]] = [
        [b for b in (scn.hospitals.get(hid), scn.tiers.get(int(tier)), scn.behaviour) if b]
        for hid, tier in zip(hospitals.ids, hospitals.tier, strict=True)
    ]

    def column(act: str, f: dataclasses.Field[Any]) -> np.ndarray:
        def value(chain: list[Behaviour]) -> float:
            found = (getattr(getattr(b, act), f.name) for b in chain)
            return float(next((v for v in found if v is not None), f.metadata["fallback"]))

        return np.array([value(chain) for chain in chains], dtype=np.float64)

    rates, settings = {}, {}
    for spec in ACTS:
        keys = dataclasses.fields(getattr(scn.behaviour, spec.name))
        values = {f.name: column(spec.name, f) for f in keys}
        rate = values.pop("rate")
        if spec.needs is not None:  # an act whose size is 0 is not done (under-service: cut)
            rate = np.where(values[spec.needs] > 0, rate, 0.0)
        rates[spec.name], settings[spec.name] = rate, values
    return ActParams(rates, settings)


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
    #: act → yuan it saved each hospital outside the claims (losses avoided, cost cut)
    saved_yuan: dict[str, np.ndarray]

    @staticmethod
    def zeros(n: int) -> ActRecord:
        """An empty record for `n` hospitals."""
        saved = {a.name: np.zeros(n) for a in ACTS if a.gain == "saved_yuan"}
        return ActRecord(np.zeros(n), saved)


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
        self.level_of = self.cat.drg_level()
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
        batch = self.add_cases(batch, key, ACT["induced"], year)
        batch = self.add_cases(batch, key, ACT["phantom"], year)
        return self.upcode(batch, key)

    def _u(self, key: int, batch: CaseBatch, kind: Draw, rate: np.ndarray) -> np.ndarray:
        """Each case's draw for an act; 1.0 (never below a rate) where its hospital's rate is 0."""
        u = np.ones(batch.n)
        rows = np.flatnonzero(rate[batch.hospital] > 0)
        u[rows] = uniform_np(key, kind, batch.case_id[rows])
        return u

    def expected_payment(self, batch: CaseBatch, view: View) -> np.ndarray:
        """What the hospital expects a case to earn (fund + patient): points × last point value."""
        return (
            formula_points(batch, billed_drg(batch, self.cat), view.tariff, self.rules)
            * view.point_value
        )

    def _move(self, batch: CaseBatch, rows: np.ndarray, targets: np.ndarray, act: ActSpec) -> None:
        """Send the cases at `rows` to hospitals `targets`; cost scales with the cost level."""
        level = self.hospitals.cost_level
        scale = level[targets] / level[batch.hospital[rows]]
        batch.cost[rows] *= scale
        batch.oop[rows] *= scale
        batch.hospital[rows] = targets
        batch.acts[rows] |= act.bit
        batch.origin_id[rows] = batch.case_id[rows]  # the same stay, at another hospital
        batch.origin_act[rows] = act.bit

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
        refuse = self._u(key, batch, Draw.SHIFT, rate) < rate[h]
        refuse &= loss > self.params.settings["shifting"]["loss_threshold"][h]
        refuse &= ~batch.ungroupable
        tier = self.hospitals.tier
        u_to = self._u(key, batch, Draw.SHIFT_TO, rate)
        rw = view.tariff.rw[np.maximum(billed_drg(batch, self.cat), 0)]
        for src in np.unique(h[refuse]):
            candidates = np.flatnonzero((tier >= tier[src]) & (np.arange(len(tier)) != src))
            if candidates.size == 0:
                continue
            rows = np.flatnonzero(refuse & (h == src))
            self.record.refused_high[src] += np.count_nonzero(
                rw[rows] >= self.scn.incentive.high_weight_rw
            )
            self.record.saved_yuan["shifting"][src] += float(np.sum(batch.cost[rows] - pay[rows]))
            self._move(batch, rows, self._choose(candidates, u_to[rows]), ACT["shifting"])
        return batch

    def refer_down(self, batch: CaseBatch, key: int, view: View) -> CaseBatch:
        """Tier-3 hospitals send low-weight cases to tier 1–2 hospitals."""
        rate = self.params.rates["referral_down"] * (self.hospitals.tier == 3)
        lower = np.flatnonzero(self.hospitals.tier < 3)
        if not np.any(rate > 0) or lower.size == 0:
            return batch
        h = batch.hospital
        rw = view.tariff.rw[np.maximum(billed_drg(batch, self.cat), 0)]
        max_rw = self.params.settings["referral_down"]["max_rw"]
        send = (self._u(key, batch, Draw.REFER_DOWN, rate) < rate[h]) & (rw < max_rw[h])
        send &= ~batch.ungroupable
        rows = np.flatnonzero(send)
        if rows.size:
            targets = self._choose(lower, self._u(key, batch, Draw.REFER_DOWN_TO, rate)[rows])
            self._move(batch, rows, targets, ACT["referral_down"])
        return batch

    def underserve(self, batch: CaseBatch, key: int) -> CaseBatch:
        """Cut the cost of care of a share of each hospital's cases."""
        cut, rate = self.params.settings["underservice"]["cut"], self.params.rates["underservice"]
        if not np.any(rate > 0):
            return batch
        h = batch.hospital
        rows = np.flatnonzero(self._u(key, batch, Draw.UNDERSERVE, rate) < rate[h])
        saved = batch.cost[rows] * cut[h[rows]]
        self.record.saved_yuan["underservice"] += np.bincount(
            h[rows], weights=saved, minlength=self.hospitals.n
        )
        batch.cost[rows] -= saved
        batch.oop[rows] *= 1.0 - cut[h[rows]]
        batch.acts[rows] |= ACT["underservice"].bit
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
        rows = np.flatnonzero(ok & (self._u(key, batch, Draw.SPLIT, rate) < rate[h]))
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
        second.case_id = batch.new_ids(rows.size)
        second.origin_id = batch.case_id[rows].copy()
        second.origin_act[:] = ACT["splitting"].bit
        second.record_row[:] = -1
        second.cost = cost - first.cost[rows]
        second.oop = oop - first.oop[rows]
        second.los = (los[rows] - first_los[rows]).astype(np.int16)
        second.admit_day = first_day[rows].astype(np.int16)
        second.acts = second.acts | ACT["splitting"].bit
        return CaseBatch.concat([first, second])

    def add_cases(self, batch: CaseBatch, key: int, act: ActSpec, year: int = 0) -> CaseBatch:
        """Induced (cheap, low-severity) or phantom (billed, never happened) admissions.

        Each added case copies a random case of its hospital this month (its template and
        origin) and gets a new patient.
        """
        rate = self.params.rates[act.name]
        if not np.any(rate > 0):
            return batch
        count_draw, template_draw, patient_draw = ADDED_DRAWS[act.name]
        n_h = np.bincount(batch.hospital, minlength=self.hospitals.n)
        u_count = uniform_np(key, count_draw, np.arange(self.hospitals.n))
        extra = np.floor(rate * n_h + u_count).astype(np.int64)
        extra[n_h == 0] = 0
        total = int(extra.sum())
        if total == 0:
            return batch
        new_h = np.repeat(np.arange(self.hospitals.n), extra)
        k = np.arange(total, dtype=np.uint64)
        order = np.argsort(batch.hospital, kind="stable")
        start = np.searchsorted(batch.hospital[order], new_h)
        pick = np.floor(uniform_np(key, template_draw, k) * n_h[new_h]).astype(np.int64)
        new = batch.take(order[start + pick])
        new.origin_id = new.case_id
        new.origin_act = np.full(total, act.bit, dtype=np.uint8)
        new.record_row = np.full(total, -1, dtype=np.int64)
        new.case_id = batch.new_ids(total)
        population = self.scn.region.population
        new.patient = np.floor(uniform_np(key, patient_draw, k) * population).astype(np.int64)
        new.acts = np.full(total, act.bit, dtype=np.uint8)
        new.ungroupable = np.zeros(total, dtype=bool)
        new.discharge = np.zeros(total, dtype=np.int8)
        if act.name == "induced":
            induced = self.params.settings["induced"]
            new.severity = np.full(total, 2, dtype=np.int8)
            new.billed_severity = new.severity.copy()
            g = self.cat.group_table[new.adrg, 2]
            new.drg_true = g.astype(np.int16)
            level = self.hospitals.cost_level[new_h] * charge_factor(self.scn, year)  # spec §9
            new.cost = induced["charge_ratio"][new_h] * self.cat.ref_cost[g] * level
            new.oop = new.cost * self.hospitals.oop_mean[new_h]
            los = np.round(self.cat.mean_los[g] * induced["los_ratio"][new_h])
            new.los = np.maximum(1, los).astype(np.int16)
            new.admit_day = (new.day - new.los).astype(np.int16)
        else:
            new.oop = np.zeros(total)
        return CaseBatch.concat([batch, new])

    def upcode(self, batch: CaseBatch, key: int) -> CaseBatch:
        """Code one severity level up (5→3, 3→1, 5→1 where there is no 3)."""
        rate = self.params.rates["upcoding"]
        if not np.any(rate > 0):
            return batch
        billed = billed_drg(batch, self.cat)
        target = self.upcode_to[np.maximum(billed, 0)]
        rows = np.flatnonzero(
            (billed >= 0)
            & (target != billed)
            & (self._u(key, batch, Draw.UPCODE, rate) < rate[batch.hospital])
        )
        if rows.size == 0:
            return batch
        batch.billed_severity[rows] = self.level_of[target[rows]]
        batch.acts[rows] |= ACT["upcoding"].bit
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
