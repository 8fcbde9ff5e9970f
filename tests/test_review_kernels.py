"""The audit's screening and review kernels against plain-numpy references written from the rule."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from drgsim.acts import AUDITED
from drgsim.kernels.rng import Draw, uniform_reference
from drgsim.rules import audit
from drgsim.scenario.schema import Audit, Screening


def screen_reference(acts, case_id, cfg: Screening, key):
    """Each audited act a claim carries is flagged with its recall; an honest claim falsely."""
    hit = np.zeros(acts.shape[0], dtype=bool)
    for act in AUDITED:
        rows = np.flatnonzero((acts & act.bit) != 0)
        recall = cfg.recall.get(str(act.audit_key), 0.0)
        if rows.size and recall > 0:
            hit[rows] |= uniform_reference(key, audit.SCREEN_DRAW[act.name], case_id[rows]) < recall
    honest = np.flatnonzero((acts & audit.AUDITED_BITS) == 0)
    if honest.size and cfg.false_alarm > 0:
        u = uniform_reference(key, Draw.SCREEN_FALSE_ALARM, case_id[honest])
        hit[honest] = u < cfg.false_alarm
    return hit


def review_reference(acts, audited, case_id, points, true_points, cfg: Audit, key):
    """Catch each act of a reviewed claim by its detection; reprice or void, and deduct."""
    caught = np.zeros(acts.shape[0], dtype=np.uint8)
    for act in AUDITED:
        rows = np.flatnonzero(audited & ((acts & act.bit) != 0))
        if rows.size:
            u = uniform_reference(key, audit.DETECTION_DRAW[act.name], case_id[rows])
            caught[rows[u < cfg.detection.get(str(act.audit_key), 0.0)]] |= act.bit
    new = points.copy()
    deducted = np.zeros((points.shape[0], len(AUDITED)))
    for k, act in enumerate(AUDITED):
        hit = (caught & act.bit) != 0
        penalty = cfg.penalty.get(act.penalty_key, 0.0) if act.penalty_key else 0.0
        if act.caught == "reprice":
            deducted[hit, k] = penalty * np.maximum(points[hit] - true_points[hit], 0.0)
            new[hit] = np.minimum(new[hit], true_points[hit])
        elif act.caught == "void":
            deducted[hit, k] = penalty * points[hit]
            new[hit] = 0.0
    return caught, new, deducted


PROB = st.floats(0.0, 1.0)
ACT_BYTES = np.array([0, 1, 2, 4, 8, 16, 32, 64, 5, 17, 33, 21, 63, 127], np.uint8)


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    seed=st.integers(0, 2**32 - 1),
    key=st.integers(0, 2**64 - 1),
    recall=st.lists(PROB, min_size=4, max_size=4),
    false_alarm=PROB,
    detection=st.lists(PROB, min_size=4, max_size=4),
    penalty=st.lists(st.floats(0.0, 5.0), min_size=4, max_size=4),
)
def test_screening_and_review_equal_their_references(
    n, seed, key, recall, false_alarm, detection, penalty
) -> None:
    rng = np.random.default_rng(seed)
    acts = rng.choice(ACT_BYTES, n)
    case_id = rng.choice(2**40, n, replace=False).astype(np.int64)
    points = rng.uniform(0, 300, n)
    true_points = points * rng.uniform(0.3, 1.2, n)
    keys = [str(a.audit_key) for a in AUDITED]
    screening = Screening(recall=dict(zip(keys, recall, strict=True)), false_alarm=false_alarm)
    cfg = Audit(
        detection=dict(zip(keys, detection, strict=True)),
        penalty=dict(zip(keys, penalty, strict=True)),
    )
    np.testing.assert_array_equal(
        audit.screen(acts, case_id, screening, key), screen_reference(acts, case_id, screening, key)
    )
    audited = rng.random(n) < 0.6
    found = audit.review(acts, audited, case_id, points, true_points, cfg, key)
    caught, new, deducted = review_reference(acts, audited, case_id, points, true_points, cfg, key)
    np.testing.assert_array_equal(found.caught, caught)
    assert np.array_equal(found.points, new) and np.array_equal(found.deducted_by_act, deducted)


def sample_reference(hospital, case_id, rate, key, n_hosp):
    """round(rate × n_h) of each hospital's claims by selection sampling, in batch order:
    claim j is taken with probability (still to take) / (still to see) by its AUDIT_SAMPLE draw."""
    left = np.bincount(hospital, minlength=n_hosp).astype(np.int64)
    take = np.floor(rate * left + 0.5).astype(np.int64)
    u = uniform_reference(key, Draw.AUDIT_SAMPLE, case_id)
    out = np.zeros(hospital.shape[0], dtype=bool)
    for j, h in enumerate(hospital):
        if take[h] > 0 and u[j] * left[h] < take[h]:
            out[j] = True
            take[h] -= 1
        left[h] -= 1
    return out


@settings(max_examples=60, deadline=None)
@given(
    n=st.integers(0, 300),
    n_hosp=st.integers(1, 5),
    seed=st.integers(0, 2**32 - 1),
    key=st.integers(0, 2**64 - 1),
    rate=st.sampled_from([0.0, 0.03, 0.2, 0.5, 1.0]),
    recall=st.lists(PROB, min_size=4, max_size=4),
    false_alarm=PROB,
    detection=st.lists(PROB, min_size=4, max_size=4),
)
def test_a_months_audit_screens_samples_and_reviews_as_the_references_do(
    n, n_hosp, seed, key, rate, recall, false_alarm, detection
) -> None:
    """The month's audit in one kernel call: screened, sampled and the review of either."""
    rng = np.random.default_rng(seed)
    acts = rng.choice(ACT_BYTES, n)
    hospital = rng.integers(0, n_hosp, n).astype(np.int32)
    case_id = rng.choice(2**40, n, replace=False).astype(np.int64)
    points = rng.uniform(0, 300, n)
    true_points = points * rng.uniform(0.3, 1.2, n)
    keys = [str(a.audit_key) for a in AUDITED]
    screening = Screening(recall=dict(zip(keys, recall, strict=True)), false_alarm=false_alarm)
    cfg = Audit(
        screening=screening,
        sample_rate=rate,
        detection=dict(zip(keys, detection, strict=True)),
    )
    done = audit.audit_month(acts, hospital, case_id, points, true_points, cfg, key, n_hosp)
    screened = screen_reference(acts, case_id, screening, key)
    sampled = sample_reference(hospital, case_id, rate, key, n_hosp)
    np.testing.assert_array_equal(done.screened, screened)
    np.testing.assert_array_equal(done.sampled, sampled)
    assert not done.inspected.any() and np.array_equal(done.billed, points)
    caught, new, deducted = review_reference(
        acts, screened | sampled, case_id, points, true_points, cfg, key
    )
    np.testing.assert_array_equal(done.found.caught, caught)
    assert np.array_equal(done.found.points, new)
    assert np.array_equal(done.found.deducted_by_act, deducted)
    # each claim's deductions, added by the kernel act by act from 0 (the rule's column sums)
    want = np.zeros(n)
    for k in range(deducted.shape[1]):
        want = want + deducted[:, k]
    assert done.found.totals is not None
    assert done.found.deducted.tobytes() == want.tobytes()


@settings(max_examples=40, deadline=None)
@given(n=st.integers(0, 200), acts=st.integers(1, 5), seed=st.integers(0, 2**32 - 1))
def test_a_claims_deductions_add_up_act_by_act_from_zero(n, acts, seed) -> None:
    """Findings.deducted (one compiled pass) adds each claim's acts' deductions from 0 in the
    acts' order, as the rule's column-by-column sums do, signed zeros included."""
    rng = np.random.default_rng(seed)
    by_act = rng.choice([0.0, -0.0, 1e-300, 3.5, 1e16, 2.25], size=(n, acts))
    by_act *= rng.uniform(0.5, 2.0, size=(n, acts))
    found = audit.Findings(np.zeros(n, np.uint8), np.zeros(n), by_act)
    want = np.zeros(n)
    for k in range(acts):
        want = want + by_act[:, k]
    assert found.deducted.tobytes() == want.tobytes()
    rows = np.flatnonzero(rng.random(n) < 0.5)
    assert found.deducted_at(rows).tobytes() == want[rows].tobytes()
