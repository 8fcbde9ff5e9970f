"""`drgsim explain`: one claim's path or one hospital's change, answered from a run's output."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from drgsim.errors import DrgsimError, did_you_mean
from drgsim.present import explain_case, explain_hospital, waterfall
from drgsim.scale.evidence import Run, claims, open_run


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
    opened: Run | None = None,
) -> list[dict[str, Any]]:
    """The change of one hospital's payment and margin against the baseline, per variant
    (`opened`: the run in `out`, already opened)."""
    run = opened or open_run(out, scenario)
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
            f"--hospital {hospital_id}: not a hospital of {out}; "
            f"{did_you_mean(hospital_id, known)}known: {_some(known)}"
        )
    years = sorted(int(y) for y in settlement["year"].unique())
    y = years[-1] if year is None else year
    if y not in years:
        raise DrgsimError(f"--year {y}: not a year of {out}; years: {', '.join(map(str, years))}")
    base = claims(run, "baseline", replication, y)
    found_of = {name: claims(run, name, replication, y) for name in names if name != "baseline"}
    if base.complete_at is not None and any(
        not explain_hospital.recoded_at(f.cases[f.cases["year"] == y]) <= base.complete_at
        for f in found_of.values()
    ):  # a variant recoded claims at a hospital whose baseline claims were not all kept
        base = claims(run, "baseline", replication)
    base_year = explain_hospital.run_year(run.tables, base, "baseline", replication, y)
    before = explain_hospital.hospital_year(base_year, hospital_id, f"{out}: baseline")
    results = []
    for name in names:
        found = found_of.get(name, base)
        ry = explain_hospital.run_year(run.tables, found, name, replication, y)
        after = explain_hospital.hospital_year(ry, hospital_id, f"{out}: {name}", base_year)
        result = explain_hospital.decompose(before, after)
        header = {"hospital": hospital_id, "variant": name, "replication": replication, "year": y}
        results.append({**header, "source": found.source, **result})
    return results


def _some(names: list[str], most: int = 12) -> str:
    """A list of names, cut after `most`."""
    shown = ", ".join(names[:most])
    return shown + (f", … ({len(names)} in all)" if len(names) > most else "")


def write_waterfall(out: Path, tables: dict[str, Any] | None = None) -> Path:
    """explain.json in `out`: the decomposition of the hospital whose payment moved most.

    That is, of every variant's hospitals in replication 0 and the last year, the one whose
    final payment differs most from the baseline's; the report draws it as a waterfall
    (drgsim.present.waterfall). When the run cannot be explained (one variant only, many
    regions, its scenario gone) the file says why instead. `tables` are the run's tables as
    `out` has them, if already at hand.
    """
    target = Path(out) / waterfall.FILE
    try:
        run = open_run(Path(out), written=tables)
        pick = _most_moved(run)
        answer: dict[str, Any] = (
            {"skipped": "the run has no variant"}
            if pick is None
            else hospital(Path(out), pick[0], variants=[pick[1]], year=pick[2], opened=run)[0]
        )
    except DrgsimError as exc:
        # the message names the run's folder: here a staging folder the run then renames
        answer = {"skipped": str(exc).splitlines()[0].replace(f"{Path(out)}: ", "", 1)}
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(answer, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, target)
    return target


def _most_moved(run: Any) -> tuple[str, str, int] | None:
    """(hospital, variant, year) of the largest change in final payment, replication 0."""
    st = run.tables["settlement"]
    year = int(st["year"].max())
    last = st[(st["replication"] == 0) & (st["year"] == year)]
    base = last[last["variant"] == "baseline"].set_index("hospital")["final_fen"]
    others = last[last["variant"] != "baseline"]
    if others.empty:
        return None
    change = (others["final_fen"] - others["hospital"].map(base)).abs()
    row = others.loc[change.idxmax()]
    return str(row["hospital"]), str(row["variant"]), year
