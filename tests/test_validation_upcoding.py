"""scenarios/validation/upcoding.yaml beside Zhou et al. (Soc Sci Med 2025): 12.91% of audited
records upcoded, +45.27% payment on them; and who pays for it (spec v2 §11).

Every variant sees the baseline's patients (common random numbers), so a case's baseline points
are what it earns coded at its true group: the gain on an upcoded record is its points over
those. Caught records are repriced by the audit and left out of the gain (the audit draws them
at random, so the rest are a fair sample of what upcoding bills).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import drgsim
from drgsim.cases import ACT_BITS

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "validation" / "upcoding.yaml"
#: Zhou et al. 2025: share of audited records upcoded, and the payment gain on those records.
PUBLISHED_SHARE, SHARE_TOLERANCE = 0.1291, 0.02
PUBLISHED_GAIN, GAIN_TOLERANCE = 0.4527, 0.10  # ± 10% of the gain


@pytest.fixture(scope="module")
def result() -> drgsim.Result:
    return drgsim.run(SCENARIO, cases=True)


def _cases(result: drgsim.Result, variant: str) -> pd.DataFrame:
    c = result.cases
    assert c is not None
    return c[c["variant"] == variant].set_index("case_id")


def measured(result: drgsim.Result, variant: str = "upcoding") -> dict[str, float]:
    """drgsim's figures: sampled records upcoded, payment gain on them, point value, honest loss.

    Zhou et al.'s records are a random sample re-abstracted: drgsim's random audit sample
    (`sampled`), not the claims screening or inspection sent to review.
    """
    base, up = _cases(result, "baseline"), _cases(result, variant)
    upcoded = (up["acts"] & ACT_BITS["upcoding"]) != 0
    audited = up["sampled"].astype(bool)
    kept = upcoded & ~up["caught"].astype(bool)
    gain = up.loc[kept, "points"].sum() / base.loc[up.index[kept], "points"].sum() - 1
    ry = result.region_year.set_index("variant")["point_value"]
    s = result.settlement
    honest = s[s["tier"] == 1].groupby("variant")[["final_fen", "margin_yuan"]].sum()
    return {
        "audited": float(audited.sum()),
        "share": float(upcoded[audited].mean()),
        "gain": float(gain),
        "pv_drop": float(1 - ry[variant] / ry["baseline"]),
        "honest_loss_yuan": float(
            (honest.loc["baseline", "final_fen"] - honest.loc[variant, "final_fen"]) / 100
        ),
        "honest_base_yuan": float(honest.loc["baseline", "final_fen"] / 100),
    }


def test_upcoding_reaches_the_published_magnitude_and_the_honest_hospitals_pay(result) -> None:
    m = measured(result)
    print(
        f"\nupcoding (Zhou et al. 2025) — drgsim beside published:\n"
        f"  audited records upcoded   {m['share']:7.2%}  (published 12.91% ± 2 points; "
        f"{m['audited']:.0f} records in the random sample)\n"
        f"  payment on those records  {m['gain']:+7.2%}  (published +45.27% ± 10%)\n"
        f"  point value               {-m['pv_drop']:+7.2%}\n"
        f"  honest (tier-1) hospitals {-m['honest_loss_yuan'] / 1e4:+,.1f} 万元 "
        f"({-m['honest_loss_yuan'] / m['honest_base_yuan']:+.2%} of their payment)"
    )
    assert abs(m["share"] - PUBLISHED_SHARE) <= SHARE_TOLERANCE
    assert abs(m["gain"] - PUBLISHED_GAIN) <= GAIN_TOLERANCE * PUBLISHED_GAIN
    assert m["pv_drop"] > 0
    assert m["honest_loss_yuan"] > 0
    # the honest hospitals bill the same points each month, so each month's allocation
    # (PV_m × points − patient payments) falls by exactly points × the fall of PV_m, to the
    # fen of rounding; the year-end incentive then gives part of it back
    s = result.settlement
    honest = s.loc[(s["tier"] == 1) & (s["variant"] == "baseline"), "hospital"].unique()
    hm = result.hospital_month
    hm = hm[hm["hospital"].isin(honest)].set_index(["variant", "month", "hospital"]).sort_index()
    base, up = hm.loc["baseline"], hm.loc["upcoding"]
    assert (up["points"] == base["points"]).all()
    expected_fen = (base["points"] * (base["point_value"] - up["point_value"])).sum() * 100
    got_fen = (base["allocation_fen"] - up["allocation_fen"]).sum()
    assert abs(got_fen - expected_fen) <= len(base)  # one fen of rounding per row at most


def test_screening_and_inspection_leave_the_honest_hospitals_better_off(result) -> None:
    """Spec §5: screening and targeted inspection confirm more upcoded claims, reprice them and
    deduct penalties that go to the other hospitals: the honest hospitals lose less (or gain)."""
    sampled, screened = measured(result), measured(result, "upcoding_screened")
    print(
        f"\nwith screening and targeted inspection: point value {-screened['pv_drop']:+.2%}, "
        f"honest hospitals {-screened['honest_loss_yuan'] / 1e4:+,.1f} 万元 "
        f"(random sample only: {-sampled['honest_loss_yuan'] / 1e4:+,.1f} 万元)"
    )
    assert screened["honest_loss_yuan"] < sampled["honest_loss_yuan"]
    s = result.settlement
    caught = s.groupby("variant")["deducted_points"].sum()
    assert caught["upcoding_screened"] > caught["upcoding"] > 0
