"""A year's claims are kept as reference cases for the tariffs of the years after it, not the last's."""

from __future__ import annotations

import numpy as np

import drgsim
from drgsim.engine.calendar import Simulation
from drgsim.population.generator import SyntheticSource
from drgsim.population.hospitals import hospital_table
from drgsim.scale.runner import load_catalogue
from tests.test_forecast_point_value import city


def test_each_year_but_the_last_keeps_its_claims_for_the_next_years_tariffs() -> None:
    scn = drgsim.load_scenario({**city(), "years": 3})
    cat, hosp = load_catalogue(scn), hospital_table(scn)
    sim = Simulation(scn, cat, hosp, SyntheticSource(scn, cat, hosp), annual_budget=40_000_000.0)
    tables = sim.run()
    claims = {}  # each calendar year's claims, from the hospital-month rows
    for block in tables.hospital_month:
        year = int(block["year"][0])
        claims[year] = claims.get(year, 0) + int(np.sum(block["cases"]))
    first, second, third = sorted(claims)
    assert claims[second] != claims[third]
    # the newest reference is year two's claims (all of them): year three's weigh no tariff
    assert sim.history[-1].hospital.shape[0] == claims[second]
    assert sim.history[0].hospital.shape[0] == claims[first if len(sim.history) > 1 else second]
    assert len(sim.tariffs) == 3
