"""The audit (spec §5): screen every claim, sample and inspect some, confirm acts, reprice, deduct.

A claim is reviewed when the screening rules flag it, when it falls in its hospital's monthly
random sample, or when its hospital is inspected that quarter and the claim is among those the
inspectors take. A reviewed claim's acts are confirmed each with its own draw; the outcome of a
review depends on the claim alone (every draw is keyed by case id), so reviewing a claim twice
finds what reviewing it once does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

import numpy as np

from drgsim.acts import AUDITED, ActSpec
from drgsim.kernels.review import (
    COUNT,
    REPRICE,
    VOID,
    audit_claims,
    deduction_totals,
    review_claims,
    screen_claims,
)
from drgsim.kernels.rng import Draw
from drgsim.kernels.sample import select_per_group
from drgsim.scenario.schema import Audit, Screening

#: The kind of each audited act's detection draw.
DETECTION_DRAW = {
    "upcoding": Draw.DETECT_UPCODING,
    "splitting": Draw.DETECT_SPLITTING,
    "phantom": Draw.DETECT_PHANTOM,
    "underservice": Draw.DETECT_UNDERSERVICE,
}
#: The kind of each audited act's screening draw.
SCREEN_DRAW = {
    "upcoding": Draw.SCREEN_UPCODING,
    "splitting": Draw.SCREEN_SPLITTING,
    "phantom": Draw.SCREEN_PHANTOM,
    "underservice": Draw.SCREEN_UNDERSERVICE,
}
#: The bits of the acts an audit can find (a claim without any of them is honest to the audit).
AUDITED_BITS = sum(a.bit for a in AUDITED)
#: The audited acts' bits, draw kinds and what a confirmed act does, as the kernels read them.
AUDITED_BIT_ARRAY = np.array([a.bit for a in AUDITED], dtype=np.int64)
SCREEN_KINDS = np.array([int(SCREEN_DRAW[a.name]) for a in AUDITED], dtype=np.int64)
DETECTION_KINDS = np.array([int(DETECTION_DRAW[a.name]) for a in AUDITED], dtype=np.int64)
CAUGHT_MODES = np.array(
    [{"reprice": REPRICE, "void": VOID}.get(str(a.caught), COUNT) for a in AUDITED], dtype=np.int64
)


@dataclass(frozen=True)
class Findings:
    """What reviewing claims found: the acts caught, the points after repricing, deductions."""

    caught: np.ndarray  # uint8 bits of the acts caught
    points: np.ndarray  # float64 points after repricing caught claims
    deducted_by_act: np.ndarray  # float64 [claim, AUDITED] penalty points of each act
    # `deducted` as the month's audit kernel added it up, where it did
    totals: np.ndarray | None = None

    @property
    def deducted(self) -> np.ndarray:
        """Penalty points per claim, all acts together (`deducted_at` every claim, in one
        compiled pass: the same additions)."""
        if self.totals is not None:
            return self.totals
        by_act = np.ascontiguousarray(self.deducted_by_act, dtype=np.float64)
        if by_act.ndim != 2:
            raise ValueError(f"deducted_by_act has shape {by_act.shape}; expected claims × acts")
        return deduction_totals(by_act)  # type: ignore[no-any-return]

    def deducted_at(self, rows: np.ndarray | slice) -> np.ndarray:
        """Penalty points of the claims `rows`, all acts together (added act by act from 0)."""
        by_act = self.deducted_by_act[rows]
        total = np.zeros(by_act.shape[0])
        for k in range(by_act.shape[1]):
            total += by_act[:, k]
        return total


@dataclass(frozen=True)
class Review:
    """How the audit reviewed one month's claims: why each was reviewed and what it found."""

    key: int  # the month's audit stream: its draws are keyed by case id
    billed: np.ndarray  # points as priced, before the audit
    screened: np.ndarray  # bool: flagged by the screening rules
    sampled: np.ndarray  # bool: in its hospital's random sample of the month
    inspected: np.ndarray  # bool: taken by a quarter's targeted inspection
    found: Findings

    @property
    def reviewed(self) -> np.ndarray:
        """Claims reviewed by any of the three routes."""
        return self.screened | self.sampled | self.inspected


def _per_act(values: Mapping[str, float], key: Callable[[ActSpec], str | None]) -> np.ndarray:
    """A scenario setting per audited act, in AUDITED's order (0 where the act has no key)."""
    return np.array([values.get(k, 0.0) if (k := key(a)) else 0.0 for a in AUDITED], np.float64)


def screen(acts: np.ndarray, case_id: np.ndarray, cfg: Screening, key: int) -> np.ndarray:
    """Claims the screening rules flag: each act it carries with its recall, an honest one falsely.

    A claim carrying an audited act is flagged when any of its acts' draws falls under that
    act's `recall`; a claim carrying none is flagged with `false_alarm`.
    """
    return screen_claims(
        np.asarray(acts, dtype=np.uint8),
        np.asarray(case_id, dtype=np.int64),
        np.uint64(key),
        AUDITED_BIT_ARRAY,
        SCREEN_KINDS,
        _per_act(cfg.recall, lambda a: str(a.audit_key)),
        float(cfg.false_alarm),
        int(Draw.SCREEN_FALSE_ALARM),
    )


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
    caught, new, deducted = review_claims(
        np.asarray(acts, dtype=np.uint8),
        np.asarray(audited, dtype=bool),
        np.asarray(case_id, dtype=np.int64),
        np.asarray(points, dtype=np.float64),
        np.asarray(true_points, dtype=np.float64),
        np.uint64(key),
        AUDITED_BIT_ARRAY,
        *_review_settings(cfg),
    )
    return Findings(caught, new, deducted)


def _review_settings(cfg: Audit) -> tuple[np.ndarray, ...]:
    """What a review takes after the claims: detection draws' kinds, each act's detection
    probability and penalty, and what a caught act suffers."""
    return (
        DETECTION_KINDS,
        _per_act(cfg.detection, lambda a: str(a.audit_key)),
        _per_act(cfg.penalty, lambda a: a.penalty_key),
        CAUGHT_MODES,
    )


def audit_month(
    acts: np.ndarray,
    hospital: np.ndarray,
    case_id: np.ndarray,
    points: np.ndarray,
    true_points: np.ndarray,
    cfg: Audit,
    key: int,
    n_hosp: int,
    *,
    checked: bool = False,
) -> Review:
    """A month's audit of its claims as priced: screening and random sampling, then review
    (`screen`, `sample` and `review` in one kernel call). `checked`: the claims passed the
    insurer's month check (engine.month_check), so the kernel runs without its front's."""
    kernel = audit_claims.compiled if checked else audit_claims  # type: ignore[attr-defined]
    screened, sampled, caught, new, deducted, totals = kernel(
        np.asarray(acts, dtype=np.uint8),
        hospital,
        np.asarray(case_id, dtype=np.int64),
        np.asarray(points, dtype=np.float64),
        np.asarray(true_points, dtype=np.float64),
        np.uint64(key),
        AUDITED_BIT_ARRAY,
        SCREEN_KINDS,
        _per_act(cfg.screening.recall, lambda a: str(a.audit_key)),
        float(cfg.screening.false_alarm),
        int(Draw.SCREEN_FALSE_ALARM),
        float(cfg.sample_rate),
        int(Draw.AUDIT_SAMPLE),
        n_hosp,
        *_review_settings(cfg),
    )
    inspected = np.zeros(acts.shape[0], dtype=bool)
    found = Findings(caught, new, deducted, totals)
    return Review(key, points, screened, sampled, inspected, found)


def inspect(
    done: Review,
    acts: np.ndarray,
    case_id: np.ndarray,
    true_points: np.ndarray,
    taken: np.ndarray,
    cfg: Audit,
) -> Review:
    """The month's review once a targeted inspection has taken the claims `taken` (indices) as well.

    Only claims no route had reviewed yet are reviewed now: a review's outcome depends on the
    claim alone, so the others' findings stand as they are.
    """
    taken = np.asarray(taken, dtype=np.int64)
    if not np.all(taken[1:] > taken[:-1]):  # an inspection's rows come increasing, each once
        taken = np.unique(taken)
    new = taken[~done.reviewed[taken]]
    found = done.found
    if new.size:
        part = review(
            acts[new],
            np.ones(new.size, dtype=bool),
            case_id[new],
            done.billed[new],
            true_points[new],
            cfg,
            done.key,
        )
        if part.caught.any():  # a review catching nothing leaves unreviewed claims as they are
            caught, points = found.caught.copy(), found.points.copy()
            by_act = found.deducted_by_act.copy()
            caught[new], points[new], by_act[new] = part.caught, part.points, part.deducted_by_act
            found = Findings(caught, points, by_act)
    inspected = done.inspected.copy()
    inspected[taken] = True
    return replace(done, inspected=inspected, found=found)
