"""The monthly audit (spec §5): sample each hospital's claims, catch acts, reprice and deduct."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drgsim.cases import ACT_BITS
from drgsim.kernels.rng import uniform_np
from drgsim.kernels.sample import select_per_group
from drgsim.scenario.schema import Audit

#: Acts an audit can catch, in the order their detection draws are numbered.
AUDITED_ACTS = ("upcoding", "split", "phantom", "underservice")


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
    return select_per_group(hospital, case_id, k, np.uint64(key))


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

    Caught upcoding: the claim is repriced at its true DRG and penalty × the point difference is
    deducted; caught split or phantom: the claim earns 0 and penalty × its points is deducted;
    caught under-service counts as a violation only.
    """
    caught = np.zeros(acts.shape[0], dtype=np.uint8)
    for i, act in enumerate(AUDITED_ACTS):
        bit = ACT_BITS[act]
        rows = np.flatnonzero(audited & ((acts & bit) != 0))
        if rows.size:
            counter = case_id[rows].astype(np.uint64) * np.uint64(len(AUDITED_ACTS)) + np.uint64(i)
            caught[rows[uniform_np(key, counter) < cfg.detection.get(act, 0.0)]] |= bit
    new = points.copy()
    deducted = np.zeros(points.shape[0])
    up = (caught & ACT_BITS["upcoding"]) != 0
    diff = np.maximum(points - true_points, 0.0)
    new[up] = np.minimum(points[up], true_points[up])
    deducted[up] += cfg.penalty.get("upcoding", 0.0) * diff[up]
    for act in ("split", "phantom"):
        hit = (caught & ACT_BITS[act]) != 0
        deducted[hit] += cfg.penalty.get(act, 0.0) * points[hit]
        new[hit] = 0.0
    return Findings(audited, caught, new, deducted)
