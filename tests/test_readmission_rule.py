"""The engine's readmission cuts are the spec's rule, pair by pair, over a whole year's stays."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import drgsim

#: A city of few residents: one patient often has overlapping and nested stays in one hospital
#: and ADRG, where "the stay before" and "an earlier stay" part.
CITY = {
    "extends": "shanwei",
    "region": {"admissions": 12000, "population": 30},
    "years": 2,
    "readmission": {"window_days": 60, "exempt_adrgs": ["NV1"]},
    "variants": {"underservice": {"tiers.2.underservice.cut": 0.3, "tiers.1.splitting.rate": 0.2}},
}


def pairwise_cuts(
    year: pd.DataFrame, adrg_of: dict[str, str], window: int, exempt: list[str]
) -> np.ndarray:
    """Spec §2 pair by pair: a grouped stay not in an `exempt` ADRG is cut when the same patient
    is admitted again to the same hospital in the same ADRG 0..window days after its discharge,
    the later stay discharged in the same month or at most three months later (the months the
    engine keeps)."""
    adrg = year["drg_billed"].map(adrg_of)
    grouped = (adrg.notna() & ~adrg.isin(exempt)).to_numpy()
    code = pd.factorize(adrg)[0]
    hospital = pd.factorize(year["hospital"])[0]
    admit, day = year["admit_day"].to_numpy(), year["day"].to_numpy()
    month, row = year["month"].to_numpy(), np.arange(len(year))
    cut = np.zeros(len(year), dtype=bool)
    for rows in pd.Series(row).groupby(year["patient_id"].to_numpy()).indices.values():
        if rows.size < 2:
            continue
        i, j = rows[:, None], rows[None, :]
        # j after i: admitted later, or the same day and discharged in a later month or row
        after = (admit[j] > admit[i]) | (
            (admit[j] == admit[i]) & ((month[j] > month[i]) | ((month[j] == month[i]) & (j > i)))
        )
        gap = admit[j] - day[i]
        pair = (
            (hospital[i] == hospital[j])
            & (code[i] == code[j])
            & grouped[i]
            & grouped[j]
            & after
            & (gap >= 0)
            & (gap <= window)
            & (month[j] - month[i] <= 3)
        )
        cut[rows[pair.any(axis=1)]] = True
    return cut


def nested_stays(cases: pd.DataFrame) -> int:
    """Stays that lie inside another stay of the same year, patient, hospital and DRG billed."""
    keys = ["variant", "replication", "year", "patient_id", "hospital", "drg_billed"]
    stays = cases[[*keys, "admit_day", "day"]].reset_index()
    both = stays.merge(stays, on=keys, suffixes=("", "_outer"))
    inside = (
        (both["index"] != both["index_outer"])
        & (both["admit_day"] > both["admit_day_outer"])
        & (both["day"] < both["day_outer"])
    )
    return int(inside.sum())


@pytest.fixture(scope="module")
def result() -> drgsim.Result:
    """Two years of the city, baseline and under-service with split stays."""
    return drgsim.run(CITY, cases=True)


def test_the_city_has_nested_stays_to_tell_the_rules_apart(result) -> None:
    assert nested_stays(result.cases) > 0


def test_each_years_cuts_are_the_pairwise_rule(result) -> None:
    cat = result.catalogue
    adrg_of = dict(zip(cat["drg"], cat["adrg"], strict=True))
    cases = result.cases
    for _, year in cases.groupby(["variant", "replication", "year"], sort=False):
        year = year.reset_index(drop=True)
        rule = CITY["readmission"]
        want = pairwise_cuts(year, adrg_of, rule["window_days"], rule["exempt_adrgs"])
        np.testing.assert_array_equal(year["readmission"].to_numpy(), want)
        assert want.sum() > 0
        # the exempt ADRG has stays that would be cut without the exemption
        assert (pairwise_cuts(year, adrg_of, rule["window_days"], []) & ~want).any()


def test_the_window_keeps_only_the_month_it_has_just_matched() -> None:
    """A month kept without its readmissions matched (its stays' keys unknown) is refused."""
    from drgsim.engine.readmission import ReadmissionWindow

    window = ReadmissionWindow(15, 0.5, 3, np.zeros(4, bool))
    with pytest.raises(ValueError, match="match"):
        window.add(object())  # type: ignore[arg-type]
