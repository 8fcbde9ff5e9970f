"""Kernels of the audit's rules (spec §5): screening every claim, reviewing claims, a month's audit."""

from __future__ import annotations

import numpy as np

from drgsim.kernels import checks
from drgsim.kernels.jit import inline, kernel
from drgsim.kernels.rng import CASES, KINDS, uniform
from drgsim.kernels.sample import select_per_group

#: What a confirmed act does to its claim: nothing but count, reprice at the true DRG, void.
COUNT, REPRICE, VOID = 0, 1, 2


def _check_screen(acts, case_id, key, bits, kinds, recall, false_alarm, false_kind):
    """Claims' arrays have one length; each audited act has a kind and a recall."""
    name = "screen_claims"
    checks.same_length(name, acts.shape[0], case_id=case_id)
    checks.same_length(name, bits.shape[0], kinds=kinds, recall=recall)
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    checks.index(name, "kinds", np.append(kinds, false_kind), 0, KINDS, "kinds of random draw")


@checks.front(_check_screen)
@kernel
def screen_claims(
    acts, case_id, key, bits, kinds, recall, false_alarm, false_kind
):  # pragma: no cover - jitted
    """Whether the screening rules flag each claim.

    A claim carrying an audited act k (bit `bits[k]`) is flagged when draw 0 of `kinds[k]` for
    its case id falls under `recall[k]` (for any such act whose recall is above 0); a claim
    carrying none of `bits` is flagged when draw 0 of `false_kind` falls under `false_alarm`
    (if above 0).
    """
    audited = 0
    for k in range(bits.shape[0]):
        audited |= bits[k]
    n = acts.shape[0]
    hit = np.zeros(n, np.bool_)
    if false_alarm > 0:  # the honest claims' false alarms, in a loop without branches
        for j in range(n):
            alarm = uniform(key, false_kind, case_id[j], 0) < false_alarm
            hit[j] = (acts[j] & audited == 0) & alarm
    for j in range(n):  # then the claims carrying an audited act
        a = acts[j]
        if a & audited == 0:
            continue
        for k in range(bits.shape[0]):
            if a & bits[k] and recall[k] > 0 and uniform(key, kinds[k], case_id[j], 0) < recall[k]:
                hit[j] = True
    return hit


def _check_review(acts, audited, case_id, points, true_points, key, bits, kinds, detection, *_):
    """Claims' arrays have one length; each audited act has a kind, a detection and a penalty."""
    name = "review_claims"
    checks.same_length(
        name,
        acts.shape[0],
        audited=audited,
        case_id=case_id,
        points=points,
        true_points=true_points,
    )
    checks.same_length(
        name, bits.shape[0], kinds=kinds, detection=detection, penalty=_[0], mode=_[1]
    )
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    checks.index(name, "kinds", kinds, 0, KINDS, "kinds of random draw")


@checks.front(_check_review)
@kernel
def review_claims(
    acts, audited, case_id, points, true_points, key, bits, kinds, detection, penalty, mode
):  # pragma: no cover - jitted
    """Acts caught on the `audited` claims, their points after repricing and each act's deduction.

    Act k of an audited claim carrying it is caught when draw 0 of `kinds[k]` for its case id
    falls under `detection[k]`. Then, in the acts' order: REPRICE deducts penalty[k] × the
    points above the true DRG's and pays at most those; VOID deducts penalty[k] × the points
    and pays 0; COUNT changes nothing.
    """
    n = acts.shape[0]
    caught = np.zeros(n, np.uint8)
    new = points.copy()
    deducted = np.zeros((n, bits.shape[0]))
    for j in range(n):
        if not audited[j]:
            continue
        a = acts[j]
        c = 0
        for k in range(bits.shape[0]):
            if a & bits[k] and uniform(key, kinds[k], case_id[j], 0) < detection[k]:
                c |= bits[k]
        caught[j] = c
        for k in range(bits.shape[0]):
            if c & bits[k]:
                if mode[k] == REPRICE:
                    deducted[j, k] = penalty[k] * max(points[j] - true_points[j], 0.0)
                    new[j] = min(new[j], true_points[j])
                elif mode[k] == VOID:
                    deducted[j, k] = penalty[k] * points[j]
                    new[j] = 0.0
    return caught, new, deducted


@inline
def claim_deductions(by_act, j):  # pragma: no cover - jitted
    """Claim j's deductions over its acts [claims, acts], added from 0 in the acts' order."""
    total = 0.0
    for k in range(by_act.shape[1]):
        total += by_act[j, k]
    return total


@kernel
def deduction_totals(by_act):  # pragma: no cover - jitted
    """Each claim's deductions [claims, acts] added from 0 in the acts' order, in one pass."""
    out = np.empty(by_act.shape[0])
    for j in range(by_act.shape[0]):
        out[j] = claim_deductions(by_act, j)
    return out


_screen_claims = screen_claims.compiled  # type: ignore[attr-defined]  # the kernels themselves,
_review_claims = review_claims.compiled  # type: ignore[attr-defined]  # for audit_claims
_select_per_group = select_per_group.compiled  # type: ignore[attr-defined]


def _check_audit(
    acts,
    hospital,
    case_id,
    points,
    true_points,
    key,
    bits,
    screen_kinds,
    recall,
    false_alarm,
    false_kind,
    rate,
    sample_kind,
    n_hosp,
    detection_kinds,
    detection,
    penalty,
    mode,
):
    """Claims' arrays have one length; hospitals index the counts; each act has its settings."""
    name = "audit_claims"
    checks.same_length(
        name,
        acts.shape[0],
        hospital=hospital,
        case_id=case_id,
        points=points,
        true_points=true_points,
    )
    checks.same_length(
        name,
        bits.shape[0],
        screen_kinds=screen_kinds,
        recall=recall,
        detection_kinds=detection_kinds,
        detection=detection,
        penalty=penalty,
        mode=mode,
    )
    checks.index(name, "hospital", hospital, 0, n_hosp, "the hospitals")
    checks.index(name, "case_id", case_id, 0, CASES, "case numbers of the random draws")
    kinds = np.concatenate([screen_kinds, detection_kinds, [false_kind, sample_kind]])
    checks.index(name, "kinds", kinds, 0, KINDS, "kinds of random draw")


@checks.front(_check_audit)
@kernel
def audit_claims(
    acts,
    hospital,
    case_id,
    points,
    true_points,
    key,
    bits,
    screen_kinds,
    recall,
    false_alarm,
    false_kind,
    rate,
    sample_kind,
    n_hosp,
    detection_kinds,
    detection,
    penalty,
    mode,
):  # pragma: no cover - jitted
    """A month's audit in one call: `screen_claims`, each hospital's random sample of
    round(rate × its claims) by `select_per_group` (kind `sample_kind`), then `review_claims`
    of the claims screened or sampled. Returns screened, sampled, the review's findings and
    each claim's deductions over its acts (`deduction_totals`: a claim not reviewed has none,
    so only the reviewed are added up)."""
    screened = _screen_claims(
        acts, case_id, key, bits, screen_kinds, recall, false_alarm, false_kind
    )
    claims = np.zeros(n_hosp, np.int64)
    for j in range(hospital.shape[0]):
        claims[hospital[j]] += 1
    size = np.empty(n_hosp, np.int64)
    for h in range(n_hosp):
        size[h] = min(np.int64(np.floor(rate * claims[h] + 0.5)), claims[h])
    sampled = _select_per_group(hospital, case_id, size, key, sample_kind)
    audited = screened | sampled
    caught, new, deducted = _review_claims(
        acts,
        audited,
        case_id,
        points,
        true_points,
        key,
        bits,
        detection_kinds,
        detection,
        penalty,
        mode,
    )
    total = np.zeros(acts.shape[0])
    for j in range(acts.shape[0]):
        if audited[j]:
            total[j] = claim_deductions(deducted, j)
    return screened, sampled, caught, new, deducted, total
