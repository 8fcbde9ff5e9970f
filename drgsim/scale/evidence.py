"""What `drgsim explain` reads of a run: its tables, claims and tariffs, from disk or re-simulated.

A run's claims come from its cases.parquet when it wrote one (`drgsim run --cases`), or, for
the report's waterfall, from the claims the run kept in memory (records.results.KeptClaims);
otherwise the variant × replication is simulated again from the scenario, which gives the same claims
(common random numbers: every draw is keyed by seed, replication, year, month and case). The
year's tariff is rebuilt from catalogue.parquet, except in `coefficient.mode: blend`, whose
coefficients come from the earlier years' claims and so from a re-simulation too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from drgsim.errors import DrgsimError, did_you_mean
from drgsim.population.hospitals import HospitalTable, hospital_table
from drgsim.records.outdir import require_dir
from drgsim.records.results import KeptClaims, frame
from drgsim.records.run_scenario import run_scenario
from drgsim.rules.catalogue import Catalogue
from drgsim.rules.tariff import Tariff, tariff_from_weights
from drgsim.scale.regions import is_multi_region
from drgsim.scale.runner import load_catalogue, plan_jobs, simulation
from drgsim.scenario.loader import variant_names, variant_scenario
from drgsim.scenario.schema import Scenario

#: The tables explain reads (cases.parquet only for the claims asked about).
TABLES_READ = ("settlement", "catalogue", "region_year", "hospital_month", "fund_settlement")


@dataclass
class Run:
    """A run's output directory as explain reads it: manifest, tables and scenario."""

    out: Path
    tables: dict[str, Any]
    scenario: Scenario
    kept: KeptClaims | None = None  # claims the run kept in memory, when it is the run at hand

    @property
    def manifest(self) -> dict[str, Any]:
        """The run's manifest.json."""
        return dict(self.tables["manifest"])

    def variant(self, name: str) -> Scenario:
        """The scenario of one of the run's variants, or one line naming those it has."""
        ran = list(self.manifest.get("variants", []))
        if name not in ran:
            raise DrgsimError(
                f"--variant {name}: not a variant of {self.out}; "
                f"{did_you_mean(name, ran)}known: {', '.join(ran)}"
            )
        return variant_scenario(self.scenario, name)


@dataclass
class Claims:
    """One variant × replication's claims, the tariff of each year, and where they came from."""

    cases: pd.DataFrame
    tariffs: dict[int, Tariff]  # calendar year → tariff
    catalogue: Catalogue
    hospitals: HospitalTable
    scenario: Scenario
    source: str  # "cases.parquet", "kept claims" or "re-simulation"
    # the hospitals whose every claim is held (None: all); the others' recoded claims only
    complete_at: frozenset[str] | None = None


def open_run(out: Path, scenario: Path | None = None, written: dict[str, Any] | None = None) -> Run:
    """The run in `out`, or one line saying why it is not one explain can read.

    `written` holds the run's manifest and tables as `out` has them (records.results.read),
    so that they need not be read again, and, when the run is at hand, its scenario
    (`scenario`) and the claims it kept (`kept_claims`).
    """
    require_dir(out)
    if not (out / "manifest.json").is_file():
        raise DrgsimError(f"{out}: no manifest.json; expected the output directory of drgsim run")
    tables: dict[str, Any] = {"manifest": json.loads((out / "manifest.json").read_text("utf-8"))}
    for name in TABLES_READ:
        path = out / f"{name}.parquet"
        if written is not None and name in written:
            tables[name] = written[name]
        elif path.is_file():
            tables[name] = pd.read_parquet(path)
        elif name != "fund_settlement":
            raise DrgsimError(
                f"{out}: no {name}.parquet; expected the output directory of drgsim run"
            )
    manifest = tables["manifest"]
    if "regions" in manifest:
        raise DrgsimError(
            f"{out}: a many-region run; explain reads one-region runs (run one region's scenario)"
        )
    at_hand = None if written is None else written.get("scenario")
    scn = run_scenario(out, manifest, scenario, at_hand)
    if is_multi_region(scn):
        raise DrgsimError(f"{out}: a many-region scenario; explain reads one-region runs")
    return Run(out, tables, scn, None if written is None else written.get("kept_claims"))


def claims(run: Run, variant: str, replication: int, year: int | None = None) -> Claims:
    """The claims and tariffs of one variant × replication of `run` (with `year`, those the
    run kept of that year will do, if it kept them)."""
    scn = run.variant(variant)
    reps = int(run.manifest.get("replications", 1))
    if not 0 <= replication < reps:
        raise DrgsimError(f"--replication {replication}: {run.out} has replications 0 … {reps - 1}")
    cat = load_catalogue(scn)
    hospitals = hospital_table(scn)
    kept = run.kept
    if kept is not None and year is not None and (variant, replication, year) in kept.tariffs:
        rows = kept.cases[
            (kept.cases["variant"] == variant) & (kept.cases["replication"] == replication)
        ]
        tariffs = {year: kept.tariffs[(variant, replication, year)]}
        watched = kept.watched[variant]
        return Claims(rows, tariffs, cat, hospitals, scn, "kept claims", watched)
    stored = _stored_cases(run.out, variant, replication)
    if stored is not None and scn.coefficient.mode != "blend":
        tariffs = _tariffs_from_tables(run, variant, replication, cat, scn, hospitals)
        return Claims(stored, tariffs, cat, hospitals, scn, "cases.parquet")
    cases, opened = resimulate(run.scenario, variant, replication)
    years = {scn.start_year + y: t for y, t in enumerate(opened)}
    return Claims(cases, years, cat, hospitals, scn, "re-simulation")


def resimulate(scn: Scenario, variant: str, replication: int) -> tuple[pd.DataFrame, list[Tariff]]:
    """One variant × replication simulated again: its case rows and each year's tariff."""
    if variant not in variant_names(scn):
        raise DrgsimError(f"--variant {variant}: not a variant of the scenario")
    cat = load_catalogue(scn)
    jobs, _ = plan_jobs(
        scn, cat, [variant], range(replication, replication + 1), True, False, None, {}
    )
    sim = simulation(jobs[0])
    tables = sim.run()
    return frame(tables.cases), list(sim.tariffs)


def _stored_cases(out: Path, variant: str, replication: int) -> pd.DataFrame | None:
    """The run's case rows of one variant × replication, when it wrote cases.parquet."""
    path = out / "cases.parquet"
    if not path.is_file():
        return None
    filters = [("variant", "==", variant), ("replication", "==", replication)]
    return pd.read_parquet(path, filters=filters)


def _tariffs_from_tables(
    run: Run,
    variant: str,
    replication: int,
    cat: Catalogue,
    scn: Scenario,
    hospitals: HospitalTable,
) -> dict[int, Tariff]:
    """Each year's tariff from catalogue.parquet: group means, ā, stability; K from the scenario."""
    table = run.tables["catalogue"]
    mine = table[(table["variant"] == variant) & (table["replication"] == replication)]
    out: dict[int, Tariff] = {}
    for year, rows in mine.groupby("year"):
        rows = rows.set_index("drg").reindex(cat.drg)
        if rows["rw"].isna().any():
            raise DrgsimError(
                f"{run.out}: catalogue.parquet: year {year} lacks DRGs of the catalogue"
            )
        ref_cost = rows["ref_mean_cost_yuan"].to_numpy(np.float64)
        rw = rows["rw"].to_numpy(np.float64)
        positive = rw > 0
        mean_cost = float(np.median(ref_cost[positive] / rw[positive]))  # ā = ā_g / RW_g
        stable = rows["stable"].to_numpy(bool)
        out[int(str(year))] = tariff_from_weights(cat, scn, hospitals, ref_cost, mean_cost, stable)
    return out
