"""The institutional calendar in SimPy: monthly discharges, reporting, pricing, settlement, year end."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
import simpy

from drgsim.acts import RECODED_BITS
from drgsim.cases import CaseBatch
from drgsim.engine import rows
from drgsim.engine.books import YearBooks
from drgsim.engine.drg_totals import DrgTotals
from drgsim.engine.inspection import Inspections
from drgsim.engine.memory import keep_freed_memory
from drgsim.engine.month_check import check_month, check_year
from drgsim.engine.months_ahead import MonthsAhead, PricingAhead
from drgsim.engine.readmission import ReadmissionWindow
from drgsim.engine.rows import Tables
from drgsim.engine.year_totals import MonthTotals, PricedBatch, YearTotals
from drgsim.kernels.pairwise import group_sums
from drgsim.population.behaviour import ActRecord, Behaviours, Claims, View
from drgsim.population.generator import month_days
from drgsim.population.hospitals import HospitalTable
from drgsim.rules import audit, indicators
from drgsim.rules.catalogue import Catalogue, adrg_mask
from drgsim.rules.costs import fixed_cost_yuan
from drgsim.rules.funds import fund_names, points_weighted_pv
from drgsim.rules.growth import budget_growth
from drgsim.rules.money import grown_fen, share_fen, split_exact
from drgsim.rules.pricing import Rules, billed_drg, formula_points, price
from drgsim.rules.settlement import (
    YearClaims,
    YearResult,
    net_points,
    point_value,
    settle_month,
    settle_year,
)
from drgsim.rules.suspension import suspend
from drgsim.rules.tariff import (
    Reference,
    Tariff,
    expected_points,
    first_tariff,
    pool_years,
    tariff_from_history,
)
from drgsim.scenario.schema import Scenario

STREAM_PATIENTS, STREAM_BEHAVIOUR, STREAM_AUDIT = 0, 1, 2


class CaseSource(Protocol):
    """Anything that yields the cases discharged in a month (synthetic patients or a table)."""

    #: A replayed table's own case ids as text, indexed by a case's `record_row` (else empty).
    record_ids: np.ndarray

    def month(self, year_index: int, month: int, seed: np.random.SeedSequence) -> CaseBatch:
        """The cases discharged in `month` of year `year_index` (0-based)."""
        ...

    def month_shares(self) -> np.ndarray:
        """Year one's forecast share of the year's points in each month (12 values, sum 1)."""
        ...

    def expected_charges(self, year_index: int) -> np.ndarray:
        """Each hospital's charges in year `year_index` at baseline behaviour, yuan (spec §8)."""
        ...

    def expected_drg_cases(self, year_index: int) -> np.ndarray:
        """Each hospital's (rows) grouped cases in each true DRG (columns) in a year, expected."""
        ...

    def expected_patient_paid(self, year_index: int) -> np.ndarray:
        """Each hospital's patient payments in year `year_index`, expected, yuan."""
        ...


def stream_seed(
    seed: int, replication: int, year: int, month: int, stream: int
) -> np.random.SeedSequence:
    """The seed of one random stream: independent of the variant (common random numbers)."""
    return np.random.SeedSequence(seed, spawn_key=(replication, year, month, stream))


@dataclass
class FundYear:
    """One fund's money and claims in the year being settled (spec §3: each fund on its own)."""

    budget_fen: int
    reserve_fen: int
    available_fen: int
    month_budget_fen: np.ndarray
    books: YearBooks
    prepaid: np.ndarray  # Σ of the months' pre-payments per hospital
    withheld: np.ndarray  # Σ of the months' withholdings per hospital
    month_points: np.ndarray = field(default_factory=lambda: np.zeros(12))
    baseline_points: float = 0.0  # Σ each claim's points at its true DRG, before readmissions


@dataclass
class YearState:
    """Money and claims of the year being settled."""

    index: int
    funds: list[FundYear]
    tariff: Tariff
    totals: YearTotals
    window: ReadmissionWindow
    drg: DrgTotals | None  # the final claims per fund × hospital × DRG (profit and loss by DRG)
    first_block: int = 0  # the year's first block of hospital-month rows in the tables


class Simulation:
    """One variant and replication of a scenario, run month by month on a SimPy calendar."""

    def __init__(
        self,
        scn: Scenario,
        cat: Catalogue,
        hospitals: HospitalTable,
        source: CaseSource,
        *,
        annual_budget: float | Sequence[float],
        replication: int = 0,
        behaviours: Behaviours | None = None,
        keep_cases: bool = False,
        case_sink: Callable[[dict[str, Any]], None] | None = None,
        baseline_charges: np.ndarray | None = None,
        keep_claims: rows.ClaimPick | None = None,
        months_ahead: bool = False,
        tables: Collection[str] | None = None,
    ) -> None:
        """`baseline_charges` [year, hospital]: the baseline's expected charges that set each
        year's fixed cost (spec §8); without it, those of `source`. `keep_claims`: the claims
        to keep in `tables.kept`, with their years' tariffs in `tables.kept_tariffs`.
        `months_ahead`: draw each next month on a second thread (engine.months_ahead), where a
        second core is free for it; the tables are the same either way. `tables`: which of
        rows.OPTIONAL_TABLES to build (default all); the others are left empty, and the work
        only they need is not done (a sweep writes three tables)."""
        keep_freed_memory()  # once per process: the months reuse freed memory, not new pages
        self.scn, self.cat, self.hospitals, self.source = scn, cat, hospitals, source
        if baseline_charges is None:
            baseline_charges = np.array([source.expected_charges(y) for y in range(scn.years)])
        self.baseline_charges = np.asarray(baseline_charges, dtype=np.float64)
        self.funds = fund_names(scn)
        budgets = (
            (annual_budget,) if isinstance(annual_budget, int | float) else tuple(annual_budget)
        )
        if len(budgets) != len(self.funds):
            raise ValueError(f"{len(budgets)} budgets for {len(self.funds)} funds")
        self.budgets = tuple(float(b) for b in budgets)
        self.replication = replication
        self.behaviours = behaviours
        self.rules = Rules.from_scenario(scn)
        self.exempt = adrg_mask(cat, scn.readmission.exempt_adrgs, "readmission.exempt_adrgs")
        self.tables = Tables()
        self.keep_cases = keep_cases or case_sink is not None
        self.case_sink = case_sink or self.tables.cases.append
        self.keep_claims = keep_claims
        self.months_ahead = months_ahead
        if isinstance(tables, str):
            raise TypeError(f"tables: {tables!r}; expected a collection of table names")
        self.builds = frozenset(rows.OPTIONAL_TABLES if tables is None else tables)
        if not self.builds <= set(rows.OPTIONAL_TABLES):
            unknown = ", ".join(sorted(self.builds - set(rows.OPTIONAL_TABLES)))
            raise ValueError(f"tables: {unknown}; allowed {', '.join(rows.OPTIONAL_TABLES)}")
        self.history: deque[Reference] = deque(maxlen=scn.weights.reference_years)
        self.last_month_points: list[np.ndarray] | None = None  # per fund
        self.year: YearState | None = None
        self.previous_tariff: Tariff | None = None
        self.first_tariff = first_tariff(cat, scn, hospitals)  # year one's, from the catalogue
        self.published_tariff = self.first_tariff
        self.tariffs: list[Tariff] = []  # each year's tariff as it opened (drgsim explain reads it)
        self.published_pv = self._forecast_pv()  # over the funds; then last month's value
        self.inspections = Inspections(
            scn.audit, hospitals.n, len(self.funds), scn.readmission.factor
        )

    def _forecast_pv(self) -> float:
        """The point value hospitals see before any month is settled (spec §3, §8): the bureau's
        forecast of a month's value, year one's money for the months (the available budget)
        plus the expected patient payments over the expected points of the year's cases."""
        money = sum(self._available_fen(0, f) for f in range(len(self.funds)))
        points = expected_points(self.published_tariff, self.source.expected_drg_cases(0))
        pv = point_value(money, float(self.source.expected_patient_paid(0).sum()), points)
        return pv if np.isfinite(pv) else self.published_tariff.mean_cost / self.scn.base_points

    def _budget_and_reserve_fen(self, y: int, f: int) -> tuple[int, int]:
        """Fund f's budget in year y and the reserve set aside from it (spec §3)."""
        budget_fen = grown_fen(self.budgets[f], budget_growth(self.scn), y)
        return budget_fen, share_fen(budget_fen, self.scn.budget.reserve)

    def _available_fen(self, y: int, f: int) -> int:
        """Fund f's budget less its reserve in year y (spec §3): the money of its months."""
        budget_fen, reserve_fen = self._budget_and_reserve_fen(y, f)
        return budget_fen - reserve_fen

    # --- the calendar -------------------------------------------------------------------
    def run(self) -> Tables:
        """Simulate every year and return the tables."""
        env = simpy.Environment()
        reported: simpy.Store = simpy.Store(env)
        plan = [
            (y, m, stream_seed(self.scn.seed, self.replication, y, m, STREAM_PATIENTS))
            for y in range(self.scn.years)
            for m in range(1, 13)
        ]
        # the months' and the pricing threads (if any) stop when the run ends, however it ends
        with (
            MonthsAhead(self.source, plan, self.months_ahead) as months,
            PricingAhead(self.months_ahead) as self.pricing,
        ):
            env.process(self._hospitals(env, reported, months))
            env.process(self._insurer(env, reported))
            env.run()
        return self.tables

    def _hospitals(self, env: simpy.Environment, reported: simpy.Store, months: MonthsAhead) -> Any:
        """Each month the hospitals discharge their cases and report them after the lag."""
        for y, m, _ in months.plan:
            yield env.timeout(1)
            batch = months.take()
            if self.behaviours is not None:
                bseed = stream_seed(self.scn.seed, self.replication, y, m, STREAM_BEHAVIOUR)
                first_day, _ = month_days(self.scn.start_year + y, m)
                view = View(self.published_tariff, self.published_pv, first_day)
                batch = self.behaviours.apply(batch, y, bseed, view)
            # the claims are priced and audited by then, on the pricing thread where the
            # year's tariff is already known (a pure function of the claims and the tariff)
            priced = self.pricing.start(self._tariff_known(y), y, m, batch, self._checked_price)
            yield reported.put((env.now + self.scn.reporting.lag_months, y, m, batch, priced))

    def _insurer(self, env: simpy.Environment, reported: simpy.Store) -> Any:
        """The insurer prices and settles each month's claims when reported; year end after December."""
        for _ in range(self.scn.years * 12):
            due, y, m, batch, priced = yield reported.get()
            if due > env.now:
                yield env.timeout(due - env.now)
            if self.year is None or self.year.index != y:
                self.year = self._open_year(y)
            claims = self.pricing.result(priced, self.year.tariff)
            if claims is None:  # not priced ahead, or at another tariff than the year's
                claims = self._checked_price(self.year.tariff, y, m, batch)
            self._settle_month(self.year, m, claims)
            if m == 12:
                self._close_year(self.year)

    # --- the year's rules -----------------------------------------------------------------
    def _open_year(self, y: int) -> YearState:
        """Budgets, month shares and tariff of year y (weights from earlier years' claims)."""
        if y == 0 or not self.history:
            tariff = self.first_tariff
        else:
            ref = pool_years(list(self.history), self.scn.weights.year_weights)
            assert self.previous_tariff is not None
            tariff = tariff_from_history(
                self.cat, self.scn, self.hospitals, ref, self.previous_tariff
            )
        self.published_tariff = tariff
        self.tariffs.append(tariff)
        n_h, n_f = self.hospitals.n, len(self.funds)
        check_year(self.cat, tariff, self.rules, n_h)  # the months' kernels then trust it
        funds = [self._open_fund(y, f) for f in range(n_f)]
        if "catalogue" in self.builds:
            cal = self._calendar_year(y)
            self.tables.catalogue.append(rows.catalogue_rows(cal, self.cat, tariff))
        # the last year's claims weigh no later year's tariff: they are not kept for it
        totals = YearTotals(
            n_h,
            self.cat.n_drg,
            n_f,
            keep_reference=y + 1 < self.scn.years,
            keep_tally="audit" in self.builds,
        )
        window = ReadmissionWindow(
            self.scn.readmission.window_days, self.scn.readmission.factor, n_h, self.exempt, n_f
        )
        drg = DrgTotals(n_f, n_h, self.cat.n_drg) if "drg_margin" in self.builds else None
        return YearState(y, funds, tariff, totals, window, drg, len(self.tables.hospital_month))

    def _open_fund(self, y: int, f: int) -> FundYear:
        """Fund f's budget, reserve and month budgets in year y (spec §3, §4)."""
        budget = self.scn.budget
        budget_fen, reserve_fen = self._budget_and_reserve_fen(y, f)
        available = budget_fen - reserve_fen
        # spec §4: last year's monthly points; in year one the shares written, else the forecast
        last = None if self.last_month_points is None else self.last_month_points[f]
        if last is not None:  # corrections booked in a month (audit, readmissions) can make
            last = np.maximum(last, 0.0)  # its points negative: a share is never below 0
        if last is not None and last.sum() > 0:
            shares: Any = last
        elif budget.month_shares is not None:
            shares = budget.month_shares
        else:
            shares = self.source.month_shares()
        n_h = self.hospitals.n
        return FundYear(
            budget_fen,
            reserve_fen,
            available,
            split_exact(available, shares),
            YearBooks(y, budget_fen, reserve_fen, n_h),
            np.zeros(n_h, np.int64),
            np.zeros(n_h, np.int64),
        )

    # --- one month --------------------------------------------------------------------------
    def _tariff_known(self, y: int) -> Tariff | None:
        """Year y's tariff where it is already set (year one's, or an opened year's), else None."""
        if y == 0:
            return self.first_tariff  # as _open_year sets it
        return self.tariffs[y] if len(self.tariffs) > y else None

    def _settle_month(self, year: YearState, m: int, claims: PricedBatch) -> None:
        """Settle one month's priced and audited claims, each fund on its own (spec §2–§5)."""
        n_h, n_f = self.hospitals.n, len(self.funds)
        batch = claims.cases
        adjust = year.window.match(claims)
        adjust += self.inspections.month(year.index, m, claims, year.tariff.rw, year.totals)
        high_rw = self.scn.incentive.high_weight_rw
        summed = MonthTotals.of(
            claims, self.scn.readmission.factor, year.tariff.rw, high_rw, n_f, n_h
        )
        points = summed.month[:, 0].reshape(n_f, n_h) + adjust
        oop = summed.month[:, 1].reshape(n_f, n_h)
        cases = summed.cases.reshape(n_f, n_h)
        cal = self._calendar_year(year.index)
        values, weights = [], []
        # Σ each fund's claims' points at their true DRGs, as np.sum adds that fund's claims
        # (in one pass: a mask a fund cost 0.13 ms a Shanwei month); the funds passed check_month
        baseline = (
            np.array([claims.true_points.sum()])
            if n_f == 1
            else group_sums.compiled(claims.true_points, batch.fund, n_f)  # type: ignore[attr-defined]
        )
        for f, fund in enumerate(year.funds):
            res = settle_month(
                int(fund.month_budget_fen[m - 1]),
                points[f],
                oop[f],
                self.scn.settlement.prepay_share,
                month=m,
            )
            fund.books.book(res.transfers)
            fund.prepaid += res.prepaid_fen
            fund.withheld += res.withheld_fen
            fund.month_points[m - 1] = points[f].sum()
            fund.baseline_points += float(baseline[f])
            values.append(res.point_value)
            weights.append(points[f].sum())
            block = rows.hospital_month_rows(
                cal, m, self.hospitals, cases[f], points[f], oop[f], res
            )
            self.tables.hospital_month.append(self._with_fund(block, f))
        published = points_weighted_pv(values, weights)  # what the hospitals see
        if np.isfinite(published):
            self.published_pv = published
        year.totals.add(claims, summed, adjust)
        for done in year.window.add(claims):
            self._write_cases(year, done)

    def _with_fund(self, block: dict[str, Any], f: int) -> dict[str, Any]:
        """A block of rows with its fund's name first, where the scenario has several funds."""
        if len(self.funds) == 1:
            return block
        n = len(next(iter(block.values())))
        return {"fund": np.full(n, self.funds[f], dtype=object), **block}

    def _write_cases(self, year: YearState, claims: PricedBatch) -> None:
        """A month has left the readmission window: its claims are final, summed per DRG, and
        its case rows can be written."""
        factor = self.scn.readmission.factor
        if year.drg is not None:
            year.drg.add(claims, factor)
        cal = self._calendar_year(year.index)
        picked = None if self.keep_claims is None else self.keep_claims.rows(year.index, claims)
        if not self.keep_cases and picked is None:
            return
        final = claims.final_points(factor)
        if self.keep_cases:
            self.case_sink(self._case_block(cal, claims, final))
        if picked is not None:
            self.tables.kept_tariffs[cal] = year.tariff
            self.tables.kept.append(self._case_block(cal, claims, final, picked))

    def _case_block(
        self, cal: int, claims: PricedBatch, final: np.ndarray, keep: np.ndarray | None = None
    ) -> dict[str, Any]:
        """The case rows of a month's final claims (with `keep`, of those rows only)."""
        block = rows.case_rows(
            cal, claims, final, self.cat, self.hospitals, self.source.record_ids, keep
        )
        if len(self.funds) > 1:
            fund = claims.cases.fund if keep is None else claims.cases.fund[keep]
            block["fund"] = np.asarray(self.funds, dtype=object)[fund]
        return block

    def _checked_price(self, tariff: Tariff, y: int, m: int, batch: CaseBatch) -> PricedBatch:
        """Check month m of year y's claims, then group, price and audit them at `tariff`."""
        check_month(batch, self.hospitals.n, len(self.funds))  # the kernels then trust them
        return self._price(tariff, y, m, batch)

    def _price(self, tariff: Tariff, y: int, m: int, batch: CaseBatch) -> PricedBatch:
        """Group, price and audit one batch of claims."""
        n_h = self.hospitals.n
        drg = billed_drg(batch, self.cat)
        key = int(
            stream_seed(self.scn.seed, self.replication, y, m, STREAM_AUDIT).generate_state(
                1, np.uint64
            )[0]
        )  # the panel's approvals and the audit are draws of different kinds (rng.Draw)
        klass, points, special = price(batch, drg, tariff, self.rules, n_h, key, checked=True)
        true_points = points
        recoded = np.flatnonzero((batch.acts & RECODED_BITS) != 0)  # numpy finds a bool's fast
        if recoded.size:  # what an upcoded claim earns by the formula at its true DRG
            true_points = points.copy()
            true_points[recoded] = formula_points(
                Claims.of(batch, recoded), batch.drg_true[recoded], tariff, self.rules
            )
        done = audit.audit_month(  # screening, sample and detections: draws of their own kinds
            batch.acts,
            batch.hospital,
            batch.case_id,
            points,
            true_points,
            self.scn.audit,
            key,
            n_h,
            checked=True,
        )
        found = done.found
        return PricedBatch(
            batch,
            drg,
            klass,
            found.points,
            true_points,
            np.zeros(batch.n, dtype=bool),
            done.reviewed,
            found.caught,
            found.deducted,
            special,
            done,
        )

    # --- year end ------------------------------------------------------------------------------
    def _close_year(self, year: YearState) -> None:
        """The year-end settlement (spec §6) and what next year's rules learn from this year."""
        scn, n_h, n_f = self.scn, self.hospitals.n, len(self.funds)
        for done in year.window.close():
            self._write_cases(year, done)
        months = self.tables.hospital_month  # the year's blocks (a month's per fund) as one
        months[year.first_block :] = rows.joined(months[year.first_block :])
        sums = year.totals.sums
        record = (
            self.behaviours.year_record(year.index)
            if self.behaviours is not None
            else ActRecord.zeros(n_h)
        )
        peers = self.hospitals.tier if scn.incentive.peers == "tier" else None
        values = year.totals.indicators(record.refused_high, peers)
        scores = indicators.score(values, scn.incentive)
        lam = indicators.coefficient(scores, scn.incentive)
        cal = self._calendar_year(year.index)
        results = []
        for f, fund in enumerate(year.funds):
            fsums = sums if n_f == 1 else year.totals.fund(f)
            res = settle_year(
                self._year_claims(fund, fsums, lam),
                scn.settlement,
                scn.clearing,
                scn.audit.deductions_to,
            )
            net = net_points(fsums["points"], fsums["deducted"])
            res = suspend(res, sums["caught"], sums["audited"], net, scn.audit)
            fund.books.book(res.transfers)
            retained = fund.books.close(res)
            results.append(res)
            row = rows.region_year_row(
                cal,
                fund.budget_fen,
                fund.reserve_fen,
                fund.available_fen,
                res,
                fsums,
                retained,
                scn.base_points,
            )
            self.tables.region_year.append(self._with_fund(row, f))
            if n_f > 1 and "fund_settlement" in self.builds:
                block = rows.fund_settlement_rows(
                    cal, self.hospitals, fsums, fund.prepaid, fund.withheld, res
                )
                self.tables.fund_settlement.append(self._with_fund(block, f))
        paid = rows.Paid.over(
            results, [f.prepaid for f in year.funds], [f.withheld for f in year.funds]
        )
        fixed_cost = fixed_cost_yuan(self.baseline_charges[year.index], scn.cost.variable_share)
        self.tables.settlement.append(
            rows.settlement_rows(
                cal,
                self.hospitals,
                sums,
                year.totals.classes,
                values,
                scores,
                lam,
                paid.prepaid_fen,
                paid.withheld_fen,
                paid,
                self._act_rates(),
                fixed_cost,
                scn.cost.variable_share,
            )
        )
        if year.drg is not None:
            self.tables.drg_margin.append(
                rows.drg_margin_rows(
                    cal,
                    self.hospitals,
                    self.cat,
                    year.drg,
                    [r.final_fen for r in results],
                    fixed_cost,
                    scn.cost.variable_share,
                )
            )
        if "audit" in self.builds:
            self.tables.audit.append(
                rows.audit_rows(cal, self.hospitals, year.totals.tally, paid.deduction_fen)
            )
        if year.totals.keep_reference:
            self.history.append(year.totals.history())
        self.last_month_points = [fund.month_points.copy() for fund in year.funds]
        self.previous_tariff = year.tariff
        if self.behaviours is not None and scn.adaptation.enabled:
            pv = self._year_point_value(year, results)
            gains = year.totals.gains(pv, record, scn.cost.variable_share)
            self.behaviours.adapt(gains, scn.adaptation.step, scn.adaptation.max_rate)

    def _year_point_value(self, year: YearState, results: list[YearResult]) -> float:
        """The year's point value as a hospital sees it: over the funds, by their points."""
        points = [float(year.totals.fund(f)["points"].sum()) for f in range(len(results))]
        return points_weighted_pv([r.point_value for r in results], points)

    def _year_claims(
        self, fund: FundYear, sums: dict[str, np.ndarray], lam: np.ndarray
    ) -> YearClaims:
        """What one fund's year-end settlement works from (spec §6)."""
        scn = self.scn
        return YearClaims(
            fund.available_fen,
            sums["points"],
            sums["deducted"],
            sums["oop"],
            fund.prepaid,
            fund.withheld,
            lam,
            sums["charges"],
            fund.reserve_fen,
            scn.budget.reserve_use,
            self._reference_pv(fund, sums),
            scn.point_value.floor,
            scn.point_value.ceiling,
        )

    def _reference_pv(self, fund: FundYear, sums: dict[str, np.ndarray]) -> float:
        """PV_ref (spec §3): the fund's planned point value, from the year's money and claims.

        The year's money for hospitals (available budget, plus the reserve where it is released)
        and its patient payments, over the points the year's claims earn at baseline behaviour:
        each at its true DRG by the year's formula (coefficients and case classes included),
        before audit and readmissions. The bureau's forecast is taken as right about volume and
        case mix, and blind to coding: upcoding raises the year's points, not PV_ref, which is
        what a floor is meant to hold against.
        """
        money = fund.available_fen
        if self.scn.budget.reserve_use == "release":
            money += fund.reserve_fen
        if not fund.baseline_points > 0:
            return float("nan")
        return (money / 100.0 + float(sums["oop"].sum())) / fund.baseline_points

    def _act_rates(self) -> dict[str, np.ndarray]:
        """Each hospital's current rate of every act (zeros without behaviours)."""
        if self.behaviours is None:
            return {}
        return {act: r.copy() for act, r in self.behaviours.params.rates.items()}

    def _calendar_year(self, y: int) -> int:
        return self.scn.start_year + y
