"""Hospital behaviours of spec §8 as transforms of a month's case batch, each act flagged on the case."""

from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from drgsim.acts import ACT, ACTS, ActSpec
from drgsim.cases import COLUMNS, CaseBatch, CaseBuffer
from drgsim.kernels.acts import added_rows, drawn_rows
from drgsim.kernels.group import group_cases
from drgsim.kernels.rng import Draw, normal_np, stream_key, uniform_np
from drgsim.kernels.shift import shift_cases
from drgsim.kernels.split import split_cases
from drgsim.kernels.underserve import underserve_cases
from drgsim.kernels.upcode import upcode_month
from drgsim.population import act_check
from drgsim.population.belief import ChargeHistory, caught_probability
from drgsim.population.generator import month_days
from drgsim.population.hospitals import HospitalTable
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.growth import charge_factor
from drgsim.rules.pricing import Rules, billed_drg, tariff_and_rules
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import Behaviour, Scenario


def _copies(batch: CaseBatch, rows: np.ndarray, **columns: np.ndarray) -> CaseBatch:
    """Copies of the cases at `rows` (indices), with `columns` in place of theirs (those are not
    copied)."""
    return CaseBatch(
        **{c: columns[c] if c in columns else getattr(batch, c)[rows] for c in COLUMNS}
    )


#: The kinds of draw (count per hospital, template case, patient) of each act that adds cases.
ADDED_DRAWS = {
    "induced": (Draw.INDUCED_COUNT, Draw.INDUCED_TEMPLATE, Draw.INDUCED_PATIENT),
    "phantom": (Draw.PHANTOM_COUNT, Draw.PHANTOM_TEMPLATE, Draw.PHANTOM_PATIENT),
}

# The act kernels without their fronts: `Behaviours.apply` checks a month's cases once
# (`act_check`), the tables when they are built and each tariff once.
_drawn_rows = drawn_rows.compiled  # type: ignore[attr-defined]
_shift_cases = shift_cases.compiled  # type: ignore[attr-defined]
_underserve_cases = underserve_cases.compiled  # type: ignore[attr-defined]
_split_cases = split_cases.compiled  # type: ignore[attr-defined]
_added_rows = added_rows.compiled  # type: ignore[attr-defined]
_upcode_month = upcode_month.compiled  # type: ignore[attr-defined]


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

    def column(act: str, path: tuple[dataclasses.Field[Any], ...]) -> np.ndarray:
        def value(chain: list[Behaviour]) -> float:
            def at(b: Behaviour) -> Any:
                node: Any = getattr(b, act)
                for f in path:
                    node = getattr(node, f.name)
                return node

            found = (at(b) for b in chain)
            return float(next((v for v in found if v is not None), path[-1].metadata["fallback"]))

        return np.array([value(chain) for chain in chains], dtype=np.float64)

    def leaves(node: Any) -> list[tuple[dataclasses.Field[Any], ...]]:
        out: list[tuple[dataclasses.Field[Any], ...]] = []
        for f in dataclasses.fields(node):
            inner = getattr(node, f.name)
            if dataclasses.is_dataclass(inner):  # e.g. shifting.destination.same
                out.extend((f, *rest) for rest in leaves(inner))
            else:
                out.append((f,))
        return out

    rates, settings = {}, {}
    for spec in ACTS:
        paths = leaves(getattr(scn.behaviour, spec.name))
        values = {".".join(f.name for f in p): column(spec.name, p) for p in paths}
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
    #: act → charges each hospital no longer bore by it (cases refused, charges cut), yuan
    saved_charges: dict[str, np.ndarray]
    #: act → points each hospital gave up by it (the refused cases', those the cut lost)
    lost_points: dict[str, np.ndarray]

    @staticmethod
    def zeros(n: int) -> ActRecord:
        """An empty record for `n` hospitals."""
        names = [a.name for a in ACTS if a.gain == "saved_cost"]
        return ActRecord(
            np.zeros(n), {k: np.zeros(n) for k in names}, {k: np.zeros(n) for k in names}
        )


@dataclass
class Claims:
    """What grouping and the pricing formulas read of some cases of a batch (no full copy)."""

    hospital: np.ndarray
    cost: np.ndarray
    discharge: np.ndarray
    los: np.ndarray
    adrg: np.ndarray
    billed_severity: np.ndarray
    ungroupable: np.ndarray

    @staticmethod
    def of(batch: CaseBatch, rows: np.ndarray) -> Claims:
        """The claims of the cases at `rows`."""
        return Claims(*(getattr(batch, k)[rows] for k in _CLAIM_COLUMNS))


_CLAIM_COLUMNS = tuple(f.name for f in dataclasses.fields(Claims))


@dataclass
class Behaviours:
    """The acts of a scenario's hospitals, applied to each month's cases."""

    scn: Scenario
    cat: Catalogue
    hospitals: HospitalTable
    params: ActParams
    records: dict[int, ActRecord] = field(default_factory=dict)
    #: each hospital's (rows) mean charges per DRG (columns) in the year before year one: what
    #: its own records tell it before the first year (None: the tariff's reference × cost level)
    prior_charges: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.rules = Rules.from_scenario(self.scn)
        self.level_of = self.cat.drg_level()
        self.upcode_to = self.cat.upcode_target()
        self.history = ChargeHistory(
            self.hospitals.n, self.cat.n_drg, self.hospitals.cost_level, self.prior_charges
        )
        rates = self.params.rates
        self.learns = bool(np.any(rates["shifting"] > 0) or np.any(rates["upcoding"] > 0))
        self._acting = self.params.any()  # once no hospital acts, none will (`adapt`)
        #: (year, stays discharged later, in the order the acts made them)
        self.pending: tuple[int, list[CaseBatch]] | None = None
        (self.procedure_of,) = self.cat.derived("procedure_of", lambda: (self._procedure_table(),))
        (self.procedure_drg,) = self.cat.derived(
            "procedure_drg", lambda: (self._procedure_drg_table(),)
        )
        self.other_of, self.other_cdf = self.cat.derived("other_adrg", self._other_adrg_table)
        (self.upcode_options,) = self.cat.derived(
            "upcode_options", lambda: (self._upcode_option_table(),)
        )
        act_check.check_act_tables(
            self.cat.group_table, self.cat.n_drg, self.other_of, self.other_cdf, self.upcode_options
        )
        self._checked_tariff: Tariff | None = None  # the last tariff `act_check` passed
        self._destination_arrays: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._destination_built = np.zeros(0, dtype=bool)  # the sources worked out so far
        self._volume_cdfs: dict[bytes, np.ndarray] = {}  # hospitals (their bytes) → volume cdf
        self._charge_factors: dict[int, float] = {}  # year → charge_factor (spec §9)

    def _procedure_table(self) -> np.ndarray:
        """[A, k]: for a medical ADRG, the procedure ADRGs (K–Q) of its MDC (-1 pads)."""
        cat, mdc = self.cat, _adrg_mdc(self.cat)
        rows = [np.empty(0, np.int64)] * cat.n_adrg
        for m in np.unique(mdc):
            procedures = np.flatnonzero((mdc == m) & (cat.adrg_type == "procedure"))
            for a in np.flatnonzero((mdc == m) & (cat.adrg_type == "medical")):
                rows[a] = procedures
        return _padded(rows)

    def _procedure_drg_table(self) -> np.ndarray:
        """[A, level, k]: the DRG of each procedure ADRG of a medical ADRG's MDC at each level
        (-1 where there is none): `_procedure_options` read from one table."""
        a = self.procedure_of[:, None, :]
        level = np.arange(self.cat.group_table.shape[1])[None, :, None]
        a, level = np.broadcast_arrays(a, level)
        has = a >= 0
        drg = np.full(a.shape, -1, dtype=np.int64)
        drg[has] = self.cat.group_table[a[has], level[has]]
        return drg

    def _other_adrg_table(self) -> tuple[np.ndarray, np.ndarray]:
        """[A, k]: the other ADRGs of each one's MDC and type (-1 pads), and their cumulative
        case shares (1 pads), for an evading split's second stay."""
        cat, mdc = self.cat, _adrg_mdc(self.cat)
        rows = [np.empty(0, np.int64)] * cat.n_adrg
        groups = np.unique(np.stack([mdc, cat.adrg_type.astype(str)]), axis=1)
        for m, kind in groups.T:
            members = np.flatnonzero((mdc == m) & (cat.adrg_type == kind))
            for i, a in enumerate(members):
                rows[a] = np.delete(members, i)
        table = _padded(rows)
        w = np.where(table >= 0, cat.adrg_share[np.maximum(table, 0)] + 1e-12, 0.0)
        total = w.sum(axis=1, keepdims=True)
        cdf = np.where(table >= 0, np.cumsum(w, axis=1) / np.where(total > 0, total, 1.0), 1.0)
        return table, cdf

    def apply(
        self, batch: CaseBatch, year: int, seed: np.random.SeedSequence, view: View
    ) -> CaseBatch:
        """The month's cases after every act: moved, cut, split, added, upcoded."""
        self.record = self.records.setdefault(year, ActRecord.zeros(self.hospitals.n))
        if batch.n == 0 or not self._any_act():
            return batch
        key = stream_key(seed)
        month, month_end, year_end = self._month(year, view.first_day)
        self._check(batch, view.tariff)
        # the acts below change this private copy in place; the cases they add go after it
        buffer = CaseBuffer(batch, self._room(batch.n, year, month_end))
        batch = buffer.batch
        self.shift(batch, key, view, year)
        self.refer_down(batch, key, view)
        self.underserve(batch, key, view, year, year_end)
        self.split(batch, key, view, year)
        for added in (ACT["induced"], ACT["phantom"]):
            new = self.add_cases(buffer.batch, key, added, year)
            if new is not None:
                buffer.append(new)
        released = self.release(buffer.batch, year, month, month_end)
        if released is not None:
            buffer.append(released)
        batch = buffer.batch
        self.upcode(batch, key, view, year)
        if self.learns and year + 1 < self.scn.years:  # the last year's charges teach no year
            self.history.remember(batch, year)
        return batch

    def _any_act(self) -> bool:
        """Whether any hospital commits any act, asked again only while one does: `adapt` never
        raises a rate from 0, so a run whose rates are all 0 stays without acts."""
        if self._acting:
            self._acting = self.params.any()
        return self._acting

    def _check(self, batch: CaseBatch, tariff: Tariff) -> None:
        """The month's cases, and a tariff not seen before, as the act kernels read them."""
        n_hosp, table, n_drg = self.hospitals.n, self.cat.group_table, self.cat.n_drg
        act_check.check_month(batch, n_hosp, table, n_drg)
        if tariff is not self._checked_tariff:
            act_check.check_tariff_tables(tariff, self.rules, n_hosp, self.cat)
            self._checked_tariff = tariff

    def _room(self, n: int, year: int, month_end: int) -> int:
        """At least as many cases as induced and phantom admissions and released stays can add
        to a month of `n` cases (a hospital adds at most rate × its cases + 1)."""
        room = 0
        if self.pending is not None and self.pending[0] == year:
            room += sum(int(np.count_nonzero(b.day <= month_end)) for b in self.pending[1])
        for act in ("induced", "phantom"):
            rate = self.params.rates[act]
            if np.any(rate > 0):
                room += int(np.ceil(rate.max() * (n + room))) + self.hospitals.n
        return room

    def _charge_factor(self, year: int) -> float:
        """What the generator's charges of `year` are multiplied by (spec §9), worked out once."""
        if year not in self._charge_factors:
            self._charge_factors[year] = charge_factor(self.scn, year)
        return self._charge_factors[year]

    def _month(self, year: int, first_day: int) -> tuple[int, int, int]:
        """The month that starts on `first_day` of `year`, its last day and the year's."""
        return _month_of(self.scn.start_year + year, first_day)

    @staticmethod
    def _drawn(
        key: int, batch: CaseBatch, kind: Draw, rate: np.ndarray, eligible: np.ndarray
    ) -> np.ndarray:
        """The eligible cases an act's draw falls on: below their hospital's rate (none at 0)."""
        return _drawn_rows(np.uint64(key), int(kind), batch.case_id, batch.hospital, rate, eligible)

    def _later(self, stays: CaseBatch, year: int) -> None:
        """Keep stays an act makes now that are discharged in this or a later month of the year."""
        if self.pending is not None and self.pending[0] == year:
            self.pending[1].append(stays)  # joined once, when the month's are released
        else:
            self.pending = (year, [stays])

    def release(self, batch: CaseBatch, year: int, month: int, month_end: int) -> CaseBatch | None:
        """The kept stays discharged by the end of this month, numbered after `batch`'s cases."""
        if self.pending is None or self.pending[0] != year:
            return None
        kept = self.pending[1]
        stays = kept[0] if len(kept) == 1 else CaseBatch.concat(kept)
        if stays.n == 0:
            return None
        due = stays.day <= month_end
        self.pending = (year, [stays.take(~due)])
        out = stays.take(due)
        if out.n == 0:
            return None
        out.case_id = batch.new_ids(out.n)
        out.month = np.full(out.n, month, dtype=np.int8)
        out.record_row = np.full(out.n, -1, dtype=np.int64)
        return out

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
        known = candidates.tobytes()
        if known not in self._volume_cdfs:
            w = self.hospitals.volume_share[candidates]
            self._volume_cdfs[known] = np.cumsum(w) / w.sum()
        cdf = self._volume_cdfs[known]
        return candidates[np.minimum(np.searchsorted(cdf, u, side="right"), len(candidates) - 1)]

    def shift(self, batch: CaseBatch, key: int, view: View, year: int) -> None:
        """Refuse cases predicted to lose and send each to another hospital by tier weights
        (`kernels/shift.py`): the loss from the hospital's own charges record and the published
        tariff and point value, never the case's own charges."""
        rate = self.params.rates["shifting"]
        if not np.any(rate > 0):
            return
        rows, targets, refused_high, saved, lost = _shift_cases(
            np.uint64(key),
            batch.case_id,
            batch.hospital,
            batch.adrg,
            batch.billed_severity,
            batch.ungroupable,
            batch.drg_true,
            batch.cost,
            batch.discharge,
            batch.los,
            rate,
            self.params.settings["shifting"]["loss_threshold"],
            self.history.table(year, view.tariff),
            view.point_value,
            self.cat.group_table,
            *self._destination_tables(np.flatnonzero(rate > 0)),
            self.scn.incentive.high_weight_rw,
            *tariff_and_rules(view.tariff, self.rules),
        )
        self.record.refused_high += refused_high
        self.record.saved_charges["shifting"] += saved
        self.record.lost_points["shifting"] += lost
        self._move(batch, rows, targets.astype(batch.hospital.dtype), ACT["shifting"])

    def _destination_tables(self, sources: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """For each hospital: its cumulative tier weights [H, 3] (same, higher, lower; NaN where
        its patients stay), the hospitals of each tier [H, 3, H] (-1 pads) and their cumulative
        volume shares (+inf pads); each of `sources`' rows worked out the first time it is
        needed (the shifting settings never change)."""
        n = self.hospitals.n
        if self._destination_arrays is not None and self._destination_built[sources].all():
            return self._destination_arrays  # every month after the first
        if self._destination_arrays is None:
            self._destination_arrays = (
                np.full((n, 3), np.nan),
                np.full((n, 3, n), -1, dtype=np.int64),
                np.full((n, 3, n), np.inf),
            )
            self._destination_built = np.zeros(n, dtype=bool)
        tier_cdf, members, member_cdf = self._destination_arrays
        tier = self.hospitals.tier.astype(np.int64)
        weights = self.params.settings["shifting"]
        keys = ("destination.same", "destination.higher", "destination.lower")
        new = np.unique(sources[~self._destination_built[sources]])
        for src in new:
            masks = [
                (np.arange(n) != src) & (tier == tier[src]),
                tier > tier[src],
                tier < tier[src],
            ]
            w = np.array(
                [weights[k][src] if m.any() else 0.0 for m, k in zip(masks, keys, strict=True)]
            )
            if w.sum() > 0:
                tier_cdf[src] = np.cumsum(w) / w.sum()
            for k, mask in enumerate(masks):
                candidates = np.flatnonzero(mask)
                if candidates.size:
                    share = self.hospitals.volume_share[candidates]
                    members[src, k, : candidates.size] = candidates
                    member_cdf[src, k, : candidates.size] = np.cumsum(share) / share.sum()
            self._destination_built[src] = True
        if new.size:  # the shifting kernel reads them without its front's check
            act_check.check_destinations(n, *self._destination_arrays)
        return self._destination_arrays

    def refer_down(self, batch: CaseBatch, key: int, view: View) -> None:
        """Tier-3 hospitals send low-weight cases to tier 1–2 hospitals."""
        rate = self.params.rates["referral_down"] * (self.hospitals.tier == 3)
        lower = np.flatnonzero(self.hospitals.tier < 3)
        if not np.any(rate > 0) or lower.size == 0:
            return
        h = batch.hospital
        rw = view.tariff.rw[np.maximum(billed_drg(batch, self.cat), 0)]
        max_rw = self.params.settings["referral_down"]["max_rw"]
        eligible = (rw < max_rw[h]) & ~batch.ungroupable
        rows = self._drawn(key, batch, Draw.REFER_DOWN, rate, eligible)
        if rows.size:
            u_to = uniform_np(key, Draw.REFER_DOWN_TO, batch.case_id[rows])
            targets = self._choose(lower, u_to)
            self._move(batch, rows, targets, ACT["referral_down"])

    def underserve(self, batch: CaseBatch, key: int, view: View, year: int, year_end: int) -> None:
        """Cut the charges of a share of each hospital's cases; some come back as readmissions.

        The record counts the charges cut and the points the cut loses (a case whose charges
        fall below the low-cost line is paid by its charges).

        A cut stay is followed, with probability `readmit_uplift`, by a stay of the same
        patient, hospital and group at its uncut charges, admitted 1 … window days after the
        discharge (so the readmission rule applies); one that would end after the year does not
        happen within the run's year and is not added.
        """
        settings, rate = self.params.settings["underservice"], self.params.rates["underservice"]
        if not np.any(rate > 0):
            return
        rows, cost, oop, gap, saved, lost = _underserve_cases(
            np.uint64(key),
            batch.case_id,
            batch.hospital,
            batch.adrg,
            batch.billed_severity,
            batch.ungroupable,
            batch.cost,
            batch.oop,
            batch.discharge,
            batch.los,
            rate,
            settings["cut"],
            settings["readmit_uplift"],
            self.scn.readmission.window_days,
            self.cat.group_table,
            *tariff_and_rules(view.tariff, self.rules),
        )
        back = gap > 0
        if back.any():  # the readmitted stays copy the stays at their uncut charges
            stays = self._stays_after(batch, rows[back], gap[back], ACT["underservice"], year_end)
            self._later(stays, year)
        batch.cost[rows], batch.oop[rows] = cost, oop
        self.record.saved_charges["underservice"] += saved
        self.record.lost_points["underservice"] += lost
        batch.acts[rows] |= ACT["underservice"].bit

    def _stays_after(
        self, batch: CaseBatch, rows: np.ndarray, gap: np.ndarray, act: ActSpec, year_end: int
    ) -> CaseBatch:
        """Copies of the stays at `rows`, admitted `gap` days after their discharge; those that
        would end after `year_end` are left out."""
        admit_day = (batch.day[rows] + gap).astype(np.int16)
        day = (admit_day + batch.los[rows]).astype(np.int16)
        fits = day.astype(np.int64) <= year_end
        rows = rows[fits]
        return _copies(
            batch,
            rows,
            admit_day=admit_day[fits],
            day=day[fits],
            discharge=np.zeros(rows.size, dtype=np.int8),
            acts=np.zeros(rows.size, dtype=np.uint8),
            origin_id=batch.case_id[rows],
            origin_act=np.full(rows.size, act.bit, dtype=np.uint8),
        )

    def split(self, batch: CaseBatch, key: int, view: View, year: int) -> None:
        """Discharge and readmit: two stays, days halved, charges split by a Beta(2, 2) share.

        The second stay is admitted `gap_days` after the first discharge (the readmission rule
        then cuts the first), or for an `evade` share of pairs into another ADRG of the same
        MDC and type (or, where the MDC has none, after the readmission window).
        """
        rate = self.params.rates["splitting"]
        if not np.any(rate > 0):
            return
        settings = self.params.settings["splitting"]
        rows, first_los, gap, other, share = _split_cases(
            np.uint64(key),
            batch.case_id,
            batch.hospital,
            batch.adrg,
            batch.ungroupable,
            batch.los,
            batch.admit_day,
            rate,
            settings["evade"],
            settings["gap_days"],
            self.other_of,
            self.other_cdf,
            view.first_day,
            self._month(year, view.first_day)[2],
            self.scn.readmission.window_days,
        )
        if rows.size == 0:
            return
        los = batch.los[rows].astype(np.int64)
        first_day = batch.admit_day[rows].astype(np.int64) + first_los
        cost, oop = batch.cost[rows].copy(), batch.oop[rows].copy()
        batch.cost[rows] = cost * share
        batch.oop[rows] = oop * share
        batch.los[rows] = first_los
        batch.day[rows] = first_day
        second_los = (los - first_los).astype(np.int16)
        second_admit = (first_day + gap).astype(np.int16)
        # the second stays: the first's columns but those the split changes (set above on
        # the first) and these
        second = _copies(
            batch,
            rows,
            origin_id=batch.case_id[rows],
            origin_act=np.full(rows.size, ACT["splitting"].bit, dtype=np.uint8),
            cost=cost - batch.cost[rows],
            oop=oop - batch.oop[rows],
            los=second_los,
            admit_day=second_admit,
            day=(second_admit + second_los).astype(np.int16),
        )
        second.acts = second.acts | ACT["splitting"].bit
        moved = other >= 0
        second.adrg[moved] = other[moved]
        level = second.severity[moved].astype(np.int64)
        second.drg_true[moved] = self.cat.group_table[other[moved], level]
        second.billed_severity[moved] = second.severity[moved]
        self._later(second, year)

    def add_cases(
        self, batch: CaseBatch, key: int, act: ActSpec, year: int = 0
    ) -> CaseBatch | None:
        """Induced (cheap, low-severity) or phantom (billed, never happened) admissions.

        Each added case copies a random case of its hospital this month (its template and
        origin) and gets a new patient. An induced case is billed at the no-complication level
        of its template's ADRG, with lognormal charges whose mean is `charge_ratio` × the group's
        reference × the hospital's cost level (grown, spec §9) and whose sigma is the generator's.
        """
        rate = self.params.rates[act.name]
        if not np.any(rate > 0):
            return None
        count_draw, template_draw, patient_draw = ADDED_DRAWS[act.name]
        new_h, rows = _added_rows(
            np.uint64(key), int(count_draw), int(template_draw), batch.hospital, rate
        )
        total = new_h.size
        if total == 0:
            return None
        k = np.arange(total, dtype=np.uint64)
        added = {
            "origin_id": batch.case_id[rows],
            "origin_act": np.full(total, act.bit, dtype=np.uint8),
            "record_row": np.full(total, -1, dtype=np.int64),
            "case_id": batch.new_ids(total),
            "patient": np.floor(
                uniform_np(key, patient_draw, k) * self.scn.region.population
            ).astype(np.int64),
            "acts": np.full(total, act.bit, dtype=np.uint8),
            "ungroupable": np.zeros(total, dtype=bool),
            "discharge": np.zeros(total, dtype=np.int8),
            "oop": np.zeros(total),
        }
        if act.name == "induced":
            added |= self._induced(batch, rows, new_h, key, k, year)
        return _copies(batch, rows, **added)

    def _induced(
        self,
        batch: CaseBatch,
        rows: np.ndarray,
        new_h: np.ndarray,
        key: int,
        k: np.ndarray,
        year: int,
    ) -> dict[str, np.ndarray]:
        """The columns of induced cases copied from the cases at `rows`, of hospitals `new_h`
        (draws k), that are their own: no-complication level, lognormal charges, stay."""
        induced = self.params.settings["induced"]
        total = rows.size
        adrg = batch.adrg[rows]
        severity = np.full(total, 2, dtype=np.int8)
        g = self.cat.group_table[adrg, 2]
        level = self.hospitals.cost_level[new_h] * self._charge_factor(year)  # spec §9
        sigma = self.scn.generator.cost_sigma
        spread = np.exp(sigma * normal_np(key, Draw.INDUCED_CHARGE, k) - 0.5 * sigma**2)
        cost = induced["charge_ratio"][new_h] * self.cat.ref_cost[g] * level * spread
        los = np.maximum(1, np.round(self.cat.mean_los[g] * induced["los_ratio"][new_h]))
        los = los.astype(np.int16)
        return {
            "adrg": adrg,
            "severity": severity,
            "billed_severity": severity.copy(),
            "drg_true": g.astype(np.int16),
            "cost": cost,
            "oop": cost * self.hospitals.oop_mean[new_h],
            "los": los,
            "admit_day": (batch.day[rows] - los).astype(np.int16),
        }

    def upcode(self, batch: CaseBatch, key: int, view: View, year: int) -> None:
        """Bill a `rate` share of each hospital's claims the higher DRG that gains most.

        Each claim's options are up to `levels` severity levels up in its ADRG and, for a
        medical claim, any procedure ADRG of its MDC at its level; an option's expected net gain
        is its points gain × the published point value × (1 − p × (1 + penalty)), with p the
        chance the hospital puts on the audit confirming it (the audit's rates × its
        `perceived_risk`), points priced at the hospital's expected charges. Of the
        claims it upcodes, a `procedure_share` go to procedure ADRGs (those that gain most that
        way), the rest up in severity (those that gain most that way); only gains above 0 count.
        """
        rate = self.params.rates["upcoding"]
        if not np.any(rate > 0):
            return
        settings = self.params.settings["upcoding"]
        p = caught_probability(self.scn.audit, "upcoding") * settings["perceived_risk"]
        penalty = float(self.scn.audit.penalty.get("upcoding", 0.0))
        money = view.point_value * (1.0 - np.minimum(p, 1.0) * (1.0 + penalty))
        target = _upcode_month(
            np.uint64(key),
            batch.case_id,
            batch.hospital,
            batch.ungroupable,
            batch.drg_true,
            batch.adrg,
            batch.billed_severity,
            batch.discharge,
            batch.los,
            rate,
            (settings["levels"] >= 2).astype(np.int8),
            settings["procedure_share"],
            self.history.table(year, view.tariff),
            self.upcode_options,
            money,
            *tariff_and_rules(view.tariff, self.rules),
        )
        at = np.flatnonzero(target >= 0)
        g = target[at]
        batch.adrg[at] = self.cat.drg_adrg[g]
        batch.billed_severity[at] = self.level_of[g]
        batch.acts[at] |= ACT["upcoding"].bit

    def _upcode_option_table(self) -> np.ndarray:
        """[deep, A, level, options]: each claim's upcoding options (columns as `pick_upcodes_reference`
        reads them) by its ADRG and billed level, for one (deep 0) or two (deep 1) levels up."""
        n_adrg, width = self.cat.group_table.shape
        adrg, level = np.divmod(np.arange(n_adrg * width), width)
        billed = group_cases(
            adrg.astype(np.int16),
            level.astype(np.int8),
            np.zeros(adrg.size, dtype=bool),
            self.cat.group_table,
        ).astype(np.int64)
        tables = [
            np.column_stack(
                [
                    billed,
                    *self._severity_options(billed, np.full(adrg.size, levels)),
                    *self._procedure_options(adrg, level),
                ]
            ).reshape(n_adrg, width, -1)
            for levels in (1, 2)
        ]
        return np.stack(tables)

    def _severity_options(self, billed: np.ndarray, levels: np.ndarray) -> list[np.ndarray]:
        """DRGs one and (where `levels` allows) two severity levels up in each claim's ADRG."""
        one = self.upcode_to[np.maximum(billed, 0)]
        two = np.where(levels >= 2, self.upcode_to[one], one)
        return [np.where(one != billed, one, -1), np.where(two != one, two, -1)]

    def _procedure_options(self, adrg: np.ndarray, severity: np.ndarray) -> list[np.ndarray]:
        """For each medical claim, the DRG of each procedure ADRG of its MDC at its level."""
        return list(self.procedure_drg[adrg, severity].T)  # claim × procedure ADRG (-1 none)

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


def _padded(rows: list[np.ndarray]) -> np.ndarray:
    """The rows as one int64 matrix, padded with -1 to the longest."""
    width = max((r.size for r in rows), default=0)
    out = np.full((len(rows), width), -1, dtype=np.int64)
    for i, r in enumerate(rows):
        out[i, : r.size] = r
    return out


@functools.lru_cache(maxsize=64)
def _month_of(calendar_year: int, first_day: int) -> tuple[int, int, int]:
    """The month that starts on `first_day`, its last day and the year's last (days of year)."""
    month = next(m for m in range(1, 13) if month_days(calendar_year, m)[0] == first_day)
    first_of_december, december = month_days(calendar_year, 12)
    return (
        month,
        first_day + month_days(calendar_year, month)[1] - 1,
        first_of_december + december - 1,
    )


def _adrg_mdc(cat: Catalogue) -> np.ndarray:
    """The MDC of each ADRG (that of its DRGs)."""
    mdc = np.full(cat.n_adrg, "", dtype=object)
    mdc[cat.drg_adrg] = cat.mdc
    return mdc.astype(str)
