"""`compare` works a variant's groups out at once: the figures of one group at a time."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from drgsim.present.comparison import METRICS, compare, t975


def one_group_at_a_time(settlement: pd.DataFrame, baseline: str = "baseline") -> pd.DataFrame:
    """The comparison as the rule says it, group by group (the earlier implementation)."""
    where = ["region"] if "region" in settlement.columns else []
    keys = [*where, "replication", "hospital", "year"]
    base = settlement[settlement["variant"] == baseline].set_index(keys)[list(METRICS)]
    rows = []
    for variant, part in settlement[settlement["variant"] != baseline].groupby(
        "variant", sort=False
    ):
        diff = (part.set_index(keys)[list(METRICS)] - base).dropna().reset_index()
        for group, d in diff.groupby([*where, "hospital", "year"], sort=False):
            n = len(d)
            row: dict[str, object] = {"variant": variant, "replications": n}
            row.update(zip([*where, "hospital", "year"], group, strict=True))
            for m in METRICS:
                values = d[m].to_numpy(dtype=np.float64)
                mean = float(values.mean())
                sd = float(values.std(ddof=1)) if n > 1 else math.nan
                half = t975(n - 1) * sd / math.sqrt(n) if n > 1 else math.nan
                row[f"{m}_change_mean"] = mean
                row[f"{m}_change_lo"] = mean - half
                row[f"{m}_change_hi"] = mean + half
            rows.append(row)
    columns = ["variant", *where, "hospital", "year", "replications"] + [
        f"{m}_change_{s}" for m in METRICS for s in ("mean", "lo", "hi")
    ]
    return pd.DataFrame(rows, columns=columns)


def settlement(reps: int, regions: bool, seed: int) -> pd.DataFrame:
    """A settlement table of random figures: 3 variants × `reps` × 4 hospitals × 2 years."""
    rng = np.random.default_rng(seed)
    index = pd.MultiIndex.from_product(
        [["baseline", "b", "a"], range(reps), ["H2", "H1", "H3", "H0"], [2021, 2022]],
        names=["variant", "replication", "hospital", "year"],
    )
    frame = index.to_frame(index=False)
    if regions:
        frame.insert(0, "region", np.where(frame["hospital"] < "H2", "north", "south"))
    frame["final_fen"] = rng.integers(-(10**11), 10**11, len(frame))
    frame["margin_yuan"] = rng.normal(0, 1e7, len(frame)) / 3
    frame["points"] = rng.lognormal(10, 2, len(frame))
    frame["replication"] = frame["replication"].astype(np.int64)
    return frame


def bits(frame: pd.DataFrame) -> list[object]:
    """Each column's values, floats as their bits."""
    return [
        frame[c].to_numpy().view(np.uint64).tolist()
        if frame[c].dtype.kind == "f"
        else frame[c].tolist()
        for c in frame.columns
    ]


@pytest.mark.parametrize("reps", [1, 2, 5, 9, 17])
@pytest.mark.parametrize("regions", [False, True])
def test_groups_at_once_give_the_figures_of_one_group_at_a_time(reps: int, regions: bool) -> None:
    st = settlement(reps, regions, seed=reps)
    got, want = compare(st), one_group_at_a_time(st)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert got.dtypes.tolist() == want.dtypes.tolist()
    assert bits(got) == bits(want)  # to the last bit, NaN where one replication
    assert len(got) == 2 * 4 * 2
    assert (got["replications"] == reps).all()


def test_groups_of_unequal_replications_and_a_variant_without_pairs() -> None:
    """Rows missing on either side leave fewer pairs in some groups (and none in a variant
    whose rows match no baseline row): each group's figures are still its own."""
    st = settlement(6, False, seed=3)
    drop = (st["variant"] == "a") & (st["replication"] == 4) & (st["hospital"] == "H1")
    drop |= (st["variant"] == "baseline") & (st["replication"] == 0) & (st["year"] == 2022)
    st = st[~drop]
    lone = st[st["variant"] == "a"].head(3).assign(variant="c", replication=99)
    st = pd.concat([st, lone], ignore_index=True)
    got, want = compare(st), one_group_at_a_time(st)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert bits(got) == bits(want)
    assert sorted(set(got["replications"])) == [4, 5, 6]
    assert "c" not in set(got["variant"])


def test_no_variant_beside_the_baseline_gives_no_rows() -> None:
    st = settlement(3, False, seed=1)
    got = compare(st[st["variant"] == "baseline"])
    want = one_group_at_a_time(st[st["variant"] == "baseline"])
    assert got.empty and list(got.columns) == list(want.columns)
