"""The insurer's pricing of a batch of claims: group, classify, review special cases, readmissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from drgsim.cases import CaseBatch
from drgsim.kernels.group import group_cases
from drgsim.kernels.price import SPECIAL, price_cases
from drgsim.kernels.readmit import earlier_stays
from drgsim.kernels.rng import Draw, uniform_np
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import Scenario

#: A claim's standing in special review (the case table's `special` column).
SPECIAL_STATUS = ("none", "automatic", "approved", "rejected")
NOT_SPECIAL, AUTOMATIC, APPROVED, REJECTED = range(4)


@dataclass(frozen=True)
class Rules:
    """The pricing rules of spec §2 as arrays ready for the kernels."""

    band_up: np.ndarray
    band_ratio: np.ndarray
    low: float
    low_uses_coefficient: bool
    high_factor: float
    base_points: float
    incomplete_days: int
    quota: float
    min_ratio: float
    approval: float
    pay_ratio: float

    @staticmethod
    def from_scenario(scn: Scenario) -> Rules:
        """The pricing rules of a scenario."""
        bands = scn.outliers.high
        up = np.array([b.up_to if b.up_to is not None else np.inf for b in bands])
        review = scn.special_review
        return Rules(
            up,
            np.array([b.ratio for b in bands]),
            scn.outliers.low,
            scn.outliers.low_uses_coefficient,
            scn.outliers.high_factor,
            scn.base_points,
            scn.incomplete_stay_days,
            review.quota,
            review.min_ratio,
            review.approval,
            review.pay_ratio,
        )


def billed_drg(batch: CaseBatch, cat: Catalogue) -> np.ndarray:
    """The DRG each claim groups to from its coded ADRG and severity (-1: ungroupable)."""
    return group_cases(batch.adrg, batch.billed_severity, batch.ungroupable, cat.group_table)


def price(
    batch: CaseBatch, drg: np.ndarray, tariff: Tariff, rules: Rules, n_hosp: int, key: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class, points and special-review standing of each claim (spec §2).

    Each hospital nominates its candidates within its quota; the panel approves each
    nomination by a counter-based draw of `key` (kind SPECIAL_APPROVAL, by case id): an
    approved claim is priced as special review, a rejected one keeps its formula class.
    """
    klass, points, special = classify(batch, drg, tariff, rules)
    status = np.where(klass == SPECIAL, AUTOMATIC, NOT_SPECIAL).astype(np.int8)
    candidate = review_candidates(batch.cost, drg, klass, tariff.ref_cost, rules.min_ratio)
    nominated = np.flatnonzero(
        nominate_special(batch.hospital, candidate, points, special, rules.quota, n_hosp)
    )
    approved = uniform_np(key, Draw.SPECIAL_APPROVAL, batch.case_id[nominated]) < rules.approval
    won, lost = nominated[approved], nominated[~approved]
    klass[won] = SPECIAL
    points[won] = special[won]
    status[won] = APPROVED
    status[lost] = REJECTED
    return klass, points, status


class Stays(Protocol):
    """What the pricing formulas read of each case besides its DRG."""

    hospital: np.ndarray
    cost: np.ndarray
    discharge: np.ndarray
    los: np.ndarray


def formula_points(batch: Stays, drg: np.ndarray, tariff: Tariff, rules: Rules) -> np.ndarray:
    """Points of each case at the given DRGs by the formulas of spec §2 (no nominations)."""
    return classify(batch, drg, tariff, rules)[1]


def classify(
    batch: Stays, drg: np.ndarray, tariff: Tariff, rules: Rules
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class, formula points and special-review points of each case (the pricing kernel)."""
    return price_cases(
        batch.hospital,
        drg,
        batch.cost,
        batch.discharge,
        batch.los,
        *tariff_and_rules(tariff, rules),
    )


def tariff_and_rules(tariff: Tariff, rules: Rules) -> tuple[Any, ...]:
    """The tariff's tables and the rules' figures, as the pricing kernels take them after the
    cases' arrays."""
    return (
        tariff.base_pts,
        tariff.rw,
        tariff.ref_cost,
        tariff.stable,
        tariff.coef,
        rules.band_up,
        rules.band_ratio,
        rules.low,
        rules.low_uses_coefficient,
        rules.high_factor,
        rules.base_points,
        tariff.mean_cost,
        rules.pay_ratio,
        rules.incomplete_days,
    )


def review_candidates(
    cost: np.ndarray, drg: np.ndarray, klass: np.ndarray, ref_cost: np.ndarray, min_ratio: float
) -> np.ndarray:
    """Claims a hospital may nominate: formula-priced, with charges ≥ min_ratio × ā_g."""
    g = np.where(drg >= 0, drg, 0)
    return (klass != SPECIAL) & (drg >= 0) & (cost >= min_ratio * ref_cost[g])


def nominate_special(
    hospital: np.ndarray,
    candidate: np.ndarray,
    points: np.ndarray,
    special: np.ndarray,
    quota: float,
    n_hosp: int,
) -> np.ndarray:
    """Each hospital nominates the candidates that gain most from special review, within quota.

    A hospital may nominate at most floor(quota × its cases in the batch); only candidates
    whose special-review points exceed their formula points are worth nominating; ties go to
    the earlier case.
    """
    n_h = np.bincount(hospital, minlength=n_hosp)
    allowed = np.floor(quota * n_h + 1e-9).astype(np.int64)
    gain = special - points
    eligible = np.flatnonzero(candidate & (gain > 0))
    order = eligible[np.lexsort((eligible, -gain[eligible], hospital[eligible]))]
    h = hospital[order]
    first = np.searchsorted(h, h, side="left")
    rank = np.arange(order.shape[0]) - first
    chosen = np.zeros(hospital.shape[0], dtype=bool)
    chosen[order[rank < allowed[h]]] = True
    return chosen


def readmission_earlier(
    patient: np.ndarray,
    hospital: np.ndarray,
    adrg: np.ndarray,
    admit_day: np.ndarray,
    day: np.ndarray,
    grouped: np.ndarray,
    window: int,
) -> np.ndarray:
    """Stays followed by a readmission of the same patient to the same hospital and ADRG.

    The later stay must be admitted within `window` days after the earlier discharge; only
    grouped claims count (the ADRG of an ungroupable claim is unknown to the insurer).
    """
    if patient.shape[0] < 2:
        return np.zeros(patient.shape[0], dtype=bool)
    order = np.argsort(admit_day, kind="stable")
    n_hosp = int(hospital.max()) + 1
    n_adrg = int(adrg.max()) + 1
    return earlier_stays(
        patient, hospital, adrg, admit_day, day, grouped, order, window, n_hosp, n_adrg
    )
