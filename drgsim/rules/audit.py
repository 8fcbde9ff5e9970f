"""The monthly audit (spec §5): sample each hospital's claims, catch acts, reprice and deduct."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drgsim.acts import AUDITED
from drgsim.kernels.rng import Draw, uniform_np
from drgsim.kernels.sample import select_per_group
from drgsim.scenario.schema import Audit

#: The kind of each audited act's detection draw.
DETECTION_DRAW = {
    "upcoding": Draw.DETECT_UPCODING,
    "splitting": Draw.DETECT_SPLITTING,
    "phantom": Draw.DETECT_PHANTOM,
    "underservice": Draw.DETECT_UNDERSERVICE,
}


@dataclass(frozen=True)
class Findings:
    """What the audit of one batch found: reviewed and caught claims, new points, deductions."""

    audited: np.ndarray  # bool
    caught: np.ndarray  # uint8 bits of the acts caught
    points: np.ndarray  # float64 points after repricing caught claims
    deducted: np.ndarray  # float64 penalty points per claim


def sample(
    hospital: np.ndarray, case_id: np.ndarray, rate: float, key: int, n_hosp: int
) -> np.ndarray:
    """Reviewed claims: round(rate × n_h) of each hospital's claims, drawn at random."""
    n_h = np.bincount(hospital, minlength=n_hosp)
    k = np.minimum(np.floor(rate * n_h + 0.5).astype(np.int64), n_h)
    return select_per_group(hospital, case_id, k, np.uint64(key), int(Draw.AUDIT_SAMPLE))


def review(
    acts: np.ndarray,
    audited: np.ndarray,
    case_id: np.ndarray,
    points: np.ndarray,
    true_points: np.ndarray,
    cfg: Audit,
    key: int,
) -> Findings:
    """Catch each act of a reviewed claim with its detection probability, then reprice and deduct.

    What a caught act suffers is its registry row's `caught` (drgsim.acts): `reprice` (upcoding)
    bills the true DRG and deducts penalty × the point difference; `void` (split, phantom) pays
    0 and deducts penalty × its points; `count` (under-service) is a violation only.
    """
    caught = np.zeros(acts.shape[0], dtype=np.uint8)
    for act in AUDITED:
        rows = np.flatnonzero(audited & ((acts & act.bit) != 0))
        if rows.size:
            u = uniform_np(key, DETECTION_DRAW[act.name], case_id[rows])
            hit = u < cfg.detection.get(str(act.audit_key), 0.0)
            caught[rows[hit]] |= act.bit
    new = points.copy()
    deducted = np.zeros(points.shape[0])
    for act in AUDITED:
        hit = (caught & act.bit) != 0
        penalty = cfg.penalty.get(act.penalty_key, 0.0) if act.penalty_key else 0.0
        if act.caught == "reprice":
            deducted[hit] += penalty * np.maximum(points[hit] - true_points[hit], 0.0)
            new[hit] = np.minimum(new[hit], true_points[hit])
        elif act.caught == "void":
            deducted[hit] += penalty * points[hit]
            new[hit] = 0.0
    return Findings(audited, caught, new, deducted)
