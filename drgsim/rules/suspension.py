"""Suspension of the year-end incentive (spec §5): a hospital caught too often loses part of it.

A hospital whose caught claims exceed `audit.suspension.threshold` of its reviewed claims in a
year forfeits `audit.suspension.share` of its year-end incentive (in `pool` mode its share of the
pool, in `clearing` its year-end top-up; nothing when that is a claw-back). The forfeited money
goes where `audit.deductions_to` sends deductions: with `others` it is shared among the hospitals
that are not suspended, by their points net of deductions (so no suspended hospital gets any of
it back); with `fund`, or when no such hospital has net points, the fund keeps it.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from drgsim.rules.money import FUND, HOSPITALS, POOL, Transfer, apportion, share_fen
from drgsim.rules.settlement import YearResult
from drgsim.scenario.schema import Audit


def suspended(caught: np.ndarray, reviewed: np.ndarray, threshold: float | None) -> np.ndarray:
    """Hospitals whose caught claims exceed `threshold` of their reviewed claims (none if null)."""
    caught, reviewed = np.asarray(caught, np.float64), np.asarray(reviewed, np.float64)
    if threshold is None:
        return np.zeros(caught.shape[0], dtype=bool)
    return (reviewed > 0) & (caught > threshold * reviewed)


def suspend(
    res: YearResult, caught: np.ndarray, reviewed: np.ndarray, net_points: np.ndarray, cfg: Audit
) -> YearResult:
    """The year-end settlement after the suspended hospitals forfeit their incentive's share."""
    mask = suspended(caught, reviewed, cfg.suspension.threshold)
    incentive = np.maximum(res.incentive_fen, 0)
    forfeit = np.array(
        [
            share_fen(int(i), cfg.suspension.share) if s else 0
            for i, s in zip(incentive, mask, strict=True)
        ],
        dtype=np.int64,
    )
    total = int(forfeit.sum())
    if total == 0:
        return res
    takers = np.where(~mask, np.maximum(np.asarray(net_points, np.float64), 0.0), 0.0)
    given = np.zeros_like(forfeit)
    if cfg.deductions_to == "others" and takers.sum() > 0:
        given = apportion(total, total * takers / takers.sum())
    kept = total - int(given.sum())
    transfers = (
        Transfer.of(HOSPITALS, POOL, forfeit, "incentive suspended"),
        Transfer.of(POOL, HOSPITALS, given, "suspended incentive to the others"),
        Transfer.of(POOL, FUND, kept, "suspended incentive kept by the fund"),
    )
    return replace(
        res,
        incentive_fen=res.incentive_fen - forfeit + given,
        final_fen=res.final_fen - forfeit + given,
        retained_fen=res.retained_fen + kept,
        transfers=res.transfers + transfers,
        other_fen=res.other_fen + kept,
    )
