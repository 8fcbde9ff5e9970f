"""The insurer's pricing of a batch of claims: group, classify, review special cases, readmissions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from drgsim.cases import CaseBatch
from drgsim.kernels import checks
from drgsim.kernels.group import group_cases
from drgsim.kernels.price import (
    APPROVED,
    REJECTED,
    SPECIAL,
    check_tariff,
    price_cases,
    price_claims,
)
from drgsim.kernels.price import SPECIAL_STATUS as SPECIAL_STATUS  # the case table's column
from drgsim.kernels.readmit import earlier_stays
from drgsim.kernels.rng import Draw, uniform_np
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.tariff import Tariff
from drgsim.scenario.schema import Scenario


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
    batch: CaseBatch,
    drg: np.ndarray,
    tariff: Tariff,
    rules: Rules,
    n_hosp: int,
    key: int,
    *,
    checked: bool = False,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Class, points and special-review standing of each claim (spec §2).

    Each hospital nominates its candidates within its quota; the panel approves each
    nomination by a counter-based draw of `key` (kind SPECIAL_APPROVAL, by case id): an
    approved claim is priced as special review, a rejected one keeps its formula class.
    `checked`: the claims and tables passed the insurer's month check (engine.month_check),
    so the pricing kernel runs without its front's.
    """
    kernel = price_claims.compiled if checked else price_claims  # type: ignore[attr-defined]
    klass, points, special, status, claims, eligible, gain = kernel(
        batch.hospital,
        drg,
        batch.cost,
        batch.discharge,
        batch.los,
        *tariff_and_rules(tariff, rules),
        rules.min_ratio,
        n_hosp,
    )
    nominated = nominations(
        batch.hospital[eligible], eligible, gain, quota_counts(claims, rules.quota)
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


def check_tables(name: str, cat: Catalogue, tariff: Tariff, rules: Rules, n_hosp: int) -> None:
    """A tariff has one entry per DRG of the catalogue and a coefficient per hospital and DRG,
    its outlier bands pair up, and the group table bills its DRGs (or -1): what kernels called
    without their fronts read of it (`name` says whose check it is)."""
    check_tariff(name, n_hosp, *tariff_and_rules(tariff, rules))
    checks.shape(name, "rw", tariff.rw, (cat.n_drg,))
    checks.index(name, "group_table", cat.group_table, -1, cat.n_drg, "the catalogue's DRGs")


def quota_counts(claims: np.ndarray, quota: float) -> np.ndarray:
    """How many claims each hospital may nominate: floor(quota × its claims in the batch)."""
    return np.floor(quota * claims + 1e-9).astype(np.int64)


def nominations(
    hospital: np.ndarray, eligible: np.ndarray, gain: np.ndarray, allowed: np.ndarray
) -> np.ndarray:
    """The `eligible` claims (indices, increasing; `hospital` and `gain` theirs) each hospital
    nominates: its `allowed` largest gains, ties to the earlier claim; indices, increasing."""
    counts = np.bincount(hospital, minlength=allowed.shape[0])
    if counts.shape[0] == allowed.shape[0] and np.all(counts <= allowed):
        return np.sort(eligible)  # every hospital may nominate all its eligible claims
    order = np.lexsort((eligible, -gain, hospital))
    h = hospital[order]
    first = np.searchsorted(h, h, side="left")
    rank = np.arange(order.shape[0]) - first
    return np.sort(eligible[order[rank < allowed[h]]])


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
    return earlier_stays(patient, hospital, adrg, admit_day, day, grouped, window)
