"""The institutional calendar in SimPy: monthly discharges, reporting, pricing, settlement, year end."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import simpy

from drgsim.cases import ACT_BITS, DISCHARGE_TYPES, CaseBatch
from drgsim.engine.year_totals import PricedBatch, YearTotals
from drgsim.kernels.aggregate import sum_by_group
from drgsim.kernels.price import CLASS_NAMES
from drgsim.population.behaviour import ActRecord, Behaviours, View
from drgsim.population.generator import month_days
from drgsim.population.hospitals import HospitalTable
from drgsim.rules import audit, indicators
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.money import Ledger, apportion, to_fen
from drgsim.rules.pricing import Rules, billed_drg, formula_points, price, readmission_earlier
from drgsim.rules.settlement import settle_month, settle_year_pool, settle_year_repricing
from drgsim.rules.tariff import Reference, Tariff, first_tariff, tariff_from_history
from drgsim.scenario.schema import Scenario

STREAM_PATIENTS, STREAM_BEHAVIOUR, STREAM_AUDIT = 0, 1, 2
#: Months of claims kept for the readmission rule: a later stay is matched with earlier stays
#: discharged in its own or the two months before.
READMISSION_MONTHS = 3


class CaseSource(Protocol):
    """Anything that yields the cases discharged in a month (synthetic patients or a table)."""

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """The cases discharged in `month` of year `year_index` (0-based)."""
        ...


def stream_seed(
    seed: int, replication: int, year: int, month: int, stream: int
) -> np.random.SeedSequence:
    """The seed of one random stream: independent of the variant (common random numbers)."""
    return np.random.SeedSequence(seed, spawn_key=(replication, year, month, stream))


@dataclass
class YearState:
    """Money and claims of the year being settled."""

    index: int
    budget_fen: int
    reserve_fen: int
    available_fen: int
    month_budget_fen: np.ndarray
    tariff: Tariff
    ledger: Ledger
    totals: YearTotals
    recent: deque[PricedBatch] = field(default_factory=deque)
    month_points: np.ndarray = field(default_factory=lambda: np.zeros(12))
    prepaid: np.ndarray | None = None
    withheld: np.ndarray | None = None


@dataclass
class Tables:
    """Rows of the output tables of one simulation, as lists of column dicts."""

    hospital_month: list[dict[str, Any]] = field(default_factory=list)
    settlement: list[dict[str, Any]] = field(default_factory=list)
    region_year: list[dict[str, Any]] = field(default_factory=list)
    catalogue: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)


class Simulation:
    """One variant and replication of a scenario, run month by month on a SimPy calendar."""

    def __init__(
        self,
        scn: Scenario,
        cat: Catalogue,
        hospitals: HospitalTable,
        source: CaseSource,
        *,
        annual_budget: float,
        replication: int = 0,
        behaviours: Behaviours | None = None,
        keep_cases: bool = False,
        case_sink: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.scn, self.cat, self.hospitals, self.source = scn, cat, hospitals, source
        self.annual_budget = annual_budget
        self.replication = replication
        self.behaviours = behaviours
        self.rules = Rules.from_scenario(scn)
        self.tables = Tables()
        self.keep_cases = keep_cases or case_sink is not None
        self.case_sink = case_sink or self.tables.cases.append
        self.history: deque[Reference] = deque(maxlen=scn.weights.reference_years)
        self.last_month_points: np.ndarray | None = None
        self.year: YearState | None = None
        self.previous_tariff: Tariff | None = None
        self.published_tariff = first_tariff(cat, scn, hospitals)
        self.published_pv = self.published_tariff.mean_cost / scn.base_points

    # --- the calendar -------------------------------------------------------------------
    def run(self) -> Tables:
        """Simulate every year and return the tables."""
        env = simpy.Environment()
        reported: simpy.Store = simpy.Store(env)
        env.process(self._hospitals(env, reported))
        env.process(self._insurer(env, reported))
        env.run()
        return self.tables

    def _hospitals(self, env: simpy.Environment, reported: simpy.Store) -> Any:
        """Each month the hospitals discharge their cases and report them after the lag."""
        for y in range(self.scn.years):
            for m in range(1, 13):
                yield env.timeout(1)
                seed = stream_seed(self.scn.seed, self.replication, y, m, STREAM_PATIENTS)
                batch = self.source.month(y, m, seed)
                if self.behaviours is not None:
                    bseed = stream_seed(self.scn.seed, self.replication, y, m, STREAM_BEHAVIOUR)
                    first_day, _ = month_days(self.scn.start_year + y, m)
                    view = View(self.published_tariff, self.published_pv, first_day)
                    batch = self.behaviours.apply(batch, y, bseed, view)
                yield reported.put((env.now + self.scn.reporting.lag_months, y, m, batch))

    def _insurer(self, env: simpy.Environment, reported: simpy.Store) -> Any:
        """The insurer prices and settles each month's claims when reported; year end after December."""
        for _ in range(self.scn.years * 12):
            due, y, m, batch = yield reported.get()
            if due > env.now:
                yield env.timeout(due - env.now)
            if self.year is None or self.year.index != y:
                self.year = self._open_year(y)
            self._settle_month(self.year, m, batch)
            if m == 12:
                self._close_year(self.year)

    # --- the year's rules -----------------------------------------------------------------
    def _open_year(self, y: int) -> YearState:
        """Budget, month shares and tariff of year y (weights from earlier years' claims)."""
        budget = self.scn.budget
        budget_fen = int(to_fen(self.annual_budget * (1.0 + budget.growth) ** y))
        reserve_fen = int(to_fen(budget_fen * budget.reserve / 100.0))
        available = budget_fen - reserve_fen
        if budget.month_shares is not None:
            shares = np.asarray(budget.month_shares, dtype=np.float64)
        elif self.last_month_points is not None and self.last_month_points.sum() > 0:
            shares = self.last_month_points
        else:
            shares = np.ones(12)
        month_fen = apportion(available, available * shares / shares.sum())
        if y == 0 or not self.history:
            tariff = first_tariff(self.cat, self.scn, self.hospitals)
        else:
            ref = Reference(
                *(
                    np.concatenate([getattr(r, k) for r in self.history])
                    for k in ("hospital", "drg", "cost")
                )
            )
            assert self.previous_tariff is not None
            tariff = tariff_from_history(
                self.cat, self.scn, self.hospitals, ref, self.previous_tariff
            )
        self.published_tariff = tariff
        ledger = Ledger({"fund": budget_fen})
        ledger.transfer("fund", "reserve", reserve_fen, "reserve 调剂金")
        self._record_catalogue(y, tariff)
        totals = YearTotals(self.hospitals.n, self.cat.n_drg)
        return YearState(y, budget_fen, reserve_fen, available, month_fen, tariff, ledger, totals)

    # --- one month --------------------------------------------------------------------------
    def _settle_month(self, year: YearState, m: int, batch: CaseBatch) -> None:
        """Price, audit and settle one month's claims (spec §2, §4, §5)."""
        n_h = self.hospitals.n
        claims = self._price(year, m, batch)
        factor = self.scn.readmission.factor
        adjust = self._readmissions(year, claims)
        final = claims.final_points(factor)
        sums = sum_by_group(batch.hospital, (final, batch.oop), n_h)
        points_h = sums[:, 0] + adjust
        oop_h = sums[:, 1]
        cases_h = np.bincount(batch.hospital, minlength=n_h)
        res = settle_month(
            int(year.month_budget_fen[m - 1]), points_h, oop_h, self.scn.settlement.prepay_share
        )
        for h in range(n_h):
            year.ledger.transfer("fund", f"hospital:{h}", int(res.prepaid_fen[h]), f"prepay {m}")
            year.ledger.transfer("fund", "pool", int(res.withheld_fen[h]), f"withhold {m}")
        year.prepaid = res.prepaid_fen + (0 if year.prepaid is None else year.prepaid)
        year.withheld = res.withheld_fen + (0 if year.withheld is None else year.withheld)
        year.month_points[m - 1] = points_h.sum()
        if np.isfinite(res.point_value):
            self.published_pv = res.point_value
        year.totals.add(claims, final, adjust, year.tariff, self.scn.incentive.high_weight_rw)
        year.recent.append(claims)
        while len(year.recent) > READMISSION_MONTHS:
            self._retire(year, year.recent.popleft())
        self.tables.hospital_month.append(
            {
                "year": np.full(n_h, self._calendar_year(year.index)),
                "month": np.full(n_h, m),
                "hospital": np.asarray(self.hospitals.ids, dtype=object),
                "cases": cases_h,
                "points": points_h,
                "oop_yuan": oop_h,
                "point_value": np.full(n_h, res.point_value),
                "allocation_fen": res.allocation_fen,
                "prepaid_fen": res.prepaid_fen,
                "withheld_fen": res.withheld_fen,
            }
        )

    def _retire(self, year: YearState, claims: PricedBatch) -> None:
        """A month leaves the readmission window: its case rows are final and can be written."""
        if self.keep_cases:
            final = claims.final_points(self.scn.readmission.factor)
            self.case_sink(self._case_columns(self._calendar_year(year.index), claims, final))

    def _price(self, year: YearState, m: int, batch: CaseBatch) -> PricedBatch:
        """Group, price and audit one batch of claims."""
        n_h = self.hospitals.n
        drg = billed_drg(batch, self.cat)
        klass, points = price(batch, drg, year.tariff, self.rules, n_h)
        true_points = points
        upcoded = np.flatnonzero(batch.acts & ACT_BITS["upcoding"])
        if upcoded.size:  # what an upcoded claim earns by the formula at its true DRG
            true_points = points.copy()
            true_points[upcoded] = formula_points(
                batch.take(upcoded), batch.drg_true[upcoded], year.tariff, self.rules
            )
        key = int(
            stream_seed(
                self.scn.seed, self.replication, year.index, m, STREAM_AUDIT
            ).generate_state(1, np.uint64)[0]
        )
        audited = audit.sample(batch.hospital, batch.case_id, self.scn.audit.sample_rate, key, n_h)
        found = audit.review(
            batch.acts,
            audited,
            batch.case_id,
            points,
            true_points,
            self.scn.audit,
            key ^ 0x5DEECE66D,
        )
        return PricedBatch(
            batch,
            drg,
            klass,
            found.points,
            true_points,
            np.zeros(batch.n, dtype=bool),
            found.audited,
            found.caught,
            found.deducted,
        )

    def _readmissions(self, year: YearState, claims: PricedBatch) -> np.ndarray:
        """Flag earlier stays readmitted within the window; points moved from earlier months."""
        n_h = self.hospitals.n
        window = self.scn.readmission.window_days
        factor = self.scn.readmission.factor
        start = int(claims.cases.admit_day.min()) - window if claims.cases.n else 0
        # a pair's later stay is in this batch, so only earlier stays discharged late enough
        # whose patient has a stay in this batch can be its earlier stay
        seen = _patient_bits(claims.cases.patient)
        recent = [
            (c, np.flatnonzero((c.cases.day >= start) & _has_bit(seen, c.cases.patient)))
            for c in year.recent
        ]
        recent = [(c, rows) for c, rows in recent if rows.size]
        cols = ("patient", "hospital", "adrg", "admit_day", "day")
        pool = {
            k: np.concatenate(
                [*(getattr(c.cases, k)[rows] for c, rows in recent), getattr(claims.cases, k)]
            )
            for k in cols
        }
        drg = np.concatenate([*(c.drg[rows] for c, rows in recent), claims.drg])
        flags = readmission_earlier(
            pool["patient"],
            pool["hospital"],
            pool["adrg"],
            pool["admit_day"],
            pool["day"],
            drg >= 0,
            window,
        )
        adjust = np.zeros(n_h)
        offset = 0
        for prior, rows in recent:
            hit = rows[flags[offset : offset + rows.size] & ~prior.readmit[rows]]
            if hit.size:
                delta = prior.points[hit] * (factor - 1.0)
                adjust += np.bincount(prior.cases.hospital[hit], weights=delta, minlength=n_h)
                prior.readmit[hit] = True
            offset += rows.size
        claims.readmit = flags[offset:]
        return adjust

    # --- year end ------------------------------------------------------------------------------
    def _close_year(self, year: YearState) -> None:
        """The year-end settlement (spec §6) and what next year's rules learn from this year."""
        scn, hosp, n_h = self.scn, self.hospitals, self.hospitals.n
        while year.recent:
            self._retire(year, year.recent.popleft())
        sums = year.totals.sums
        points, deducted, oop = sums["points"], sums["deducted"], sums["oop"]
        cases, true_cost = sums["cases"].astype(np.int64), sums["true_cost"]
        record = (
            self.behaviours.year_record(year.index)
            if self.behaviours is not None
            else ActRecord.zeros(n_h)
        )
        values = year.totals.indicators(record.refused_high)
        scores = indicators.score(values, scn.incentive)
        lam = indicators.coefficient(scores, scn.incentive)
        prepaid = year.prepaid if year.prepaid is not None else np.zeros(n_h, np.int64)
        withheld = year.withheld if year.withheld is not None else np.zeros(n_h, np.int64)
        if scn.settlement.mode == "pool":
            res = settle_year_pool(
                year.available_fen, points, deducted, oop, prepaid, withheld, lam
            )
            for h in range(n_h):
                year.ledger.transfer(f"hospital:{h}", "pool", int(res.deduction_fen[h]), "deduct")
                year.ledger.transfer(
                    "pool", f"hospital:{h}", int(res.incentive_fen[h]), "incentive"
                )
        else:
            res = settle_year_repricing(
                year.available_fen, points, deducted, oop, prepaid, scn.settlement.prepay_share, lam
            )
            year.ledger.transfer("pool", "fund", int(withheld.sum()), "pool back to fund")
            for h in range(n_h):
                year.ledger.transfer("fund", f"hospital:{h}", int(res.incentive_fen[h]), "top-up")
        self._check_money(year, res.final_fen, res.retained_fen)
        cal = self._calendar_year(year.index)
        margin = res.final_fen / 100.0 + oop - true_cost
        rates = self._act_rates()
        for h in range(n_h):
            self.tables.settlement.append(
                {
                    "year": cal,
                    "hospital": hosp.ids[h],
                    "name": hosp.names[h],
                    "tier": int(hosp.tier[h]),
                    "cases": int(cases[h]),
                    "points": float(points[h]),
                    "deducted_points": float(deducted[h]),
                    "cmi": float(values["cmi"][h]),
                    "cei": float(values["cost_efficiency"][h]),
                    "tei": float(values["time_efficiency"][h]),
                    "violation_rate": float(values["violation_rate"][h]),
                    "referral_out_high": float(values["referral_out_high"][h]),
                    "score": float(scores[h]),
                    "coefficient": float(lam[h]),
                    "prepaid_fen": int(prepaid[h]),
                    "withheld_fen": int(withheld[h]),
                    "deduction_fen": int(res.deduction_fen[h]),
                    "incentive_fen": int(res.incentive_fen[h]),
                    "final_fen": int(res.final_fen[h]),
                    "true_cost_yuan": float(true_cost[h]),
                    "oop_yuan": float(oop[h]),
                    "margin_yuan": float(margin[h]),
                    **{
                        f"cases_{name}": int(year.totals.classes[h, k])
                        for k, name in enumerate(CLASS_NAMES)
                    },
                    **{f"rate_{act}": float(r[h]) for act, r in rates.items()},
                }
            )
        self.tables.region_year.append(
            {
                "year": cal,
                "budget_fen": year.budget_fen,
                "reserve_fen": year.reserve_fen,
                "available_fen": year.available_fen,
                "point_value": res.point_value,
                "points": float(points.sum()),
                "cases": int(cases.sum()),
                "paid_fen": int(res.final_fen.sum()),
                "retained_fen": res.retained_fen,
            }
        )
        self.history.append(year.totals.history())
        self.last_month_points = year.month_points.copy()
        self.previous_tariff = year.tariff
        if self.behaviours is not None and scn.adaptation.enabled:
            gains = year.totals.gains(res.point_value, record)
            self.behaviours.adapt(gains, scn.adaptation.step, scn.adaptation.max_rate)

    def _act_rates(self) -> dict[str, np.ndarray]:
        """Each hospital's current rate of every act (zeros without behaviours)."""
        if self.behaviours is None:
            return {}
        return {act: r.copy() for act, r in self.behaviours.params.rates.items()}

    def _check_money(self, year: YearState, final: np.ndarray, retained: int) -> None:
        """Paid plus retained plus reserve is the budget, to the fen, on the ledger and in totals."""
        year.ledger.check()
        bal = year.ledger.balance
        paid = sum(bal.get(f"hospital:{h}", 0) for h in range(self.hospitals.n))
        if paid != int(final.sum()) or bal.get("pool", 0) != 0 or bal["fund"] != retained:
            raise AssertionError(
                f"year {year.index}: ledger {bal} disagrees with settlement "
                f"(paid {int(final.sum())}, retained {retained})"
            )
        if int(final.sum()) + retained + year.reserve_fen != year.budget_fen:
            raise AssertionError("paid + retained + reserve differs from the budget")

    def _record_catalogue(self, y: int, tariff: Tariff) -> None:
        """The year's catalogue rows: weights, base points and stability of each DRG."""
        self.tables.catalogue.append(
            {
                "year": np.full(self.cat.n_drg, self._calendar_year(y)),
                "drg": self.cat.drg,
                "adrg": self.cat.adrg[self.cat.drg_adrg],
                "mdc": self.cat.mdc,
                "severity": self.cat.suffix,
                "rw": tariff.rw,
                "base_points": tariff.base_pts,
                "ref_mean_cost_yuan": tariff.ref_cost,
                "stable": tariff.stable,
                "reference_cases": tariff.ref_cases,
            }
        )

    def _case_columns(self, cal: int, claims: PricedBatch, final: np.ndarray) -> dict[str, Any]:
        """The case table's columns for one year."""
        c, cat = claims.cases, self.cat
        codes = np.append(cat.drg, "0000").astype(object)
        return {
            "year": np.full(c.n, cal),
            "case_id": c.case_id,
            "patient_id": c.patient,
            "hospital": np.asarray(self.hospitals.ids, dtype=object)[c.hospital],
            "month": c.month,
            "admit_day": c.admit_day,
            "day": c.day,
            "drg_true": codes[c.drg_true],
            "drg_billed": codes[claims.drg],
            "cost_yuan": c.cost,
            "oop_yuan": c.oop,
            "los": c.los,
            "discharge": np.asarray(DISCHARGE_TYPES, dtype=object)[c.discharge],
            "case_class": np.asarray(CLASS_NAMES, dtype=object)[claims.klass],
            "points": final,
            "readmission": claims.readmit,
            "acts": c.acts,
            "audited": claims.audited,
            "caught": claims.caught,
            "deducted_points": claims.deducted,
        }

    def _calendar_year(self, y: int) -> int:
        return self.scn.start_year + y


def _patient_bits(patient: np.ndarray) -> np.ndarray:
    """A Bloom-style bitmap of the patients of a batch (one hash, about 16 slots a patient)."""
    bits = np.zeros(1 << max(16, int(16 * patient.shape[0]).bit_length()), dtype=bool)
    bits[_slot(patient, bits.shape[0])] = True
    return bits


def _has_bit(bits: np.ndarray, patient: np.ndarray) -> np.ndarray:
    """Whether each patient may be in the bitmap (false positives possible, no misses)."""
    return bits[_slot(patient, bits.shape[0])]


def _slot(patient: np.ndarray, size: int) -> np.ndarray:
    """A patient's position in a bitmap of `size` (a power of two; multiplicative hash)."""
    mixed = patient.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
    return (mixed >> np.uint64(64 - size.bit_length() + 1)).astype(np.int64)
