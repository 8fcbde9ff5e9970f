"""`drgsim explain`: one claim's path or one hospital's change, answered from a run's output."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from drgsim.errors import DrgsimError
from drgsim.present import explain_case, explain_hospital
from drgsim.scale.evidence import claims, open_run


def case(
    out: Path,
    case_id: int,
    *,
    variant: str = "baseline",
    replication: int = 0,
    year: int | None = None,
    scenario: Path | None = None,
) -> tuple[list[explain_case.Step], dict[str, Any]]:
    """The checked trace of one claim of the run in `out`, and its header."""
    run = open_run(out, scenario)
    found = claims(run, variant, replication)
    inputs = explain_case.case_inputs(run.tables, found, case_id, variant, replication, year)
    header = {
        "case_id": case_id,
        "variant": variant,
        "replication": replication,
        "year": int(inputs.case["year"]),
        "source": found.source,
    }
    return explain_case.trace(inputs), header


def hospital(
    out: Path,
    hospital_id: str,
    *,
    variants: list[str] | None = None,
    replication: int = 0,
    year: int | None = None,
    scenario: Path | None = None,
) -> list[dict[str, Any]]:
    """The change of one hospital's payment and margin against the baseline, per variant."""
    run = open_run(out, scenario)
    ran = list(run.manifest.get("variants", []))
    names = variants or [v for v in ran if v != "baseline"]
    if not names:
        raise DrgsimError(f"{out}: the run has no variant to set against its baseline")
    for name in names:
        run.variant(name)
    settlement = run.tables["settlement"]
    known = list(dict.fromkeys(str(h) for h in settlement["hospital"]))
    if hospital_id not in known:
        raise DrgsimError(
            f"--hospital {hospital_id}: not a hospital of {out}; known: {_some(known)}"
        )
    years = sorted(int(y) for y in settlement["year"].unique())
    y = years[-1] if year is None else year
    if y not in years:
        raise DrgsimError(f"--year {y}: not a year of {out}; years: {', '.join(map(str, years))}")
    base = claims(run, "baseline", replication)
    base_year = explain_hospital.run_year(run.tables, base, "baseline", replication, y)
    before = explain_hospital.hospital_year(base_year, hospital_id, f"{out}: baseline")
    results = []
    for name in names:
        found = base if name == "baseline" else claims(run, name, replication)
        ry = explain_hospital.run_year(run.tables, found, name, replication, y)
        after = explain_hospital.hospital_year(ry, hospital_id, f"{out}: {name}")
        result = explain_hospital.decompose(before, after)
        header = {"hospital": hospital_id, "variant": name, "replication": replication, "year": y}
        results.append({**header, "source": found.source, **result})
    return results


def _some(names: list[str], most: int = 12) -> str:
    """A list of names, cut after `most`."""
    shown = ", ".join(names[:most])
    return shown + (f", … ({len(names)} in all)" if len(names) > most else "")
