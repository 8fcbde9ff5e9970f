"""A replication's months are drawn once and shared by its variants, with unchanged tables."""

from __future__ import annotations

import pandas as pd
import pytest

import drgsim
from drgsim.scale import shared_months
from drgsim.scale.shared_months import MonthStore

CITY = {
    "extends": "shanwei",
    "region": {"admissions": 3000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 2,
    "years": 2,
    "variants": {
        "upcoding": {"hospitals.SW01.upcoding.rate": 0.3},
        "splitting": {"hospitals.SW03.splitting.rate": 0.2},
        "bigger": {"region.admissions": 3300},
    },
}
TABLES = ("settlement", "hospital_month", "region_year", "audit")


@pytest.fixture
def store(monkeypatch: pytest.MonkeyPatch) -> MonthStore:
    fresh = MonthStore()
    monkeypatch.setattr(shared_months, "STORE", fresh)
    return fresh


def test_each_month_is_drawn_once_per_replication_for_the_variants_that_share_it(
    store: MonthStore,
) -> None:
    drgsim.run(CITY, workers=1)
    months = 2 * 2 * 12  # replications × years × months
    # baseline, upcoding and splitting share one draw; `bigger` has more admissions: its own
    assert store.drawn == 2 * months
    assert store.shared == 2 * months
    assert store.cases == 0  # nothing kept after the run


def test_shared_months_give_the_tables_of_months_drawn_anew(
    store: MonthStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = drgsim.run(CITY, workers=1)
    monkeypatch.setattr(shared_months.MonthStore, "get", _draw_anew)
    anew = drgsim.run(CITY, workers=1)
    # the first run shared each month with two more variants; the second drew every month
    assert store.shared == 2 * (2 * 2 * 12)
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(shared, name), getattr(anew, name))


def _draw_anew(self: MonthStore, source, year, month, seed):  # type: ignore[no-untyped-def]
    """A store that keeps nothing: every variant draws its own months."""
    return source.month(year, month, seed)
