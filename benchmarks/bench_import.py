"""Import and replay speed on a 10-million-record case table; run `python benchmarks/bench_import.py`.

Writes a synthetic year of cases (Shanwei's 40 default hospitals, the built-in catalogue) as
Parquet and as UTF-8 CSV, then times `import_cases` on each and a one-year replay
(`drgsim.run` with `cases.source`) of the Parquet file.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq


def make_table(n: int, seed: int = 1) -> pa.Table:
    """`n` discharges of 2021 with bureau-style columns (dates, labels, text patient ids)."""
    import drgsim
    from drgsim.population.hospitals import hospital_table
    from drgsim.records.catalogue_file import builtin
    from drgsim.scenario.loader import load_scenario

    rng = np.random.default_rng(seed)
    cat = builtin()
    ids = np.asarray(hospital_table(load_scenario({"extends": "shanwei"})).ids, dtype=object)
    assert drgsim.__version__
    drg = rng.choice(cat.n_drg, size=n, p=cat.group_probs() / cat.group_probs().sum())
    cost = cat.ref_cost[drg] * np.exp(0.55 * rng.standard_normal(n) - 0.15)
    day = rng.integers(0, 365, size=n)
    dates = np.datetime64("2021-01-01") + day
    los = np.maximum(1, np.round(cat.mean_los[drg] * np.exp(0.45 * rng.standard_normal(n))))
    labels = np.array(["医嘱离院", "医嘱转院", "死亡", "非医嘱离院"], dtype=object)
    discharge = labels[rng.choice(4, size=n, p=[0.94, 0.02, 0.01, 0.03])]
    patient = rng.integers(0, 2_670_000, size=n)
    return pa.table(
        {
            "结算ID": pa.array(np.arange(1, n + 1)),
            "患者编号": pa.array(np.char.add("P", patient.astype(str))),
            "医疗机构编码": pa.array(ids[rng.integers(0, len(ids), size=n)]).dictionary_encode(),
            "出院日期": pa.array(dates.astype(str)),
            "DRG编码": pa.array(cat.drg[drg]).dictionary_encode(),
            "总费用": pa.array(np.round(cost, 2)),
            "个人负担": pa.array(np.round(cost * 0.3, 2)),
            "住院天数": pa.array(los.astype(np.int64)),
            "离院方式": pa.array(discharge).dictionary_encode(),
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    import drgsim
    from drgsim.population.hospitals import hospital_table
    from drgsim.records.catalogue_file import builtin
    from drgsim.records.importing import import_cases
    from drgsim.scenario.loader import load_scenario

    folder = args.dir or Path(tempfile.mkdtemp(prefix="drgsim-bench-import-"))
    folder.mkdir(parents=True, exist_ok=True)
    figures: dict[str, float] = {"rows": args.rows}
    t0 = time.perf_counter()
    table = make_table(args.rows)
    figures["make_s"] = time.perf_counter() - t0
    parquet, csv = folder / "cases.parquet", folder / "cases.csv"
    t0 = time.perf_counter()
    pq.write_table(table, parquet)
    pacsv.write_csv(table.cast(pa.schema([(f.name, _plain(f.type)) for f in table.schema])), csv)
    figures["write_s"] = time.perf_counter() - t0
    del table
    cat = builtin()
    ids = hospital_table(load_scenario({"extends": "shanwei"})).ids
    for name, path in (("parquet", parquet), ("csv", csv)):
        t0 = time.perf_counter()
        imp = import_cases(path, catalogue=cat, year=2021, hospitals=ids)
        figures[f"import_{name}_s"] = time.perf_counter() - t0
        figures[f"import_{name}_cases"] = len(imp.cases)
        del imp
    scn = {
        "extends": "shanwei",
        "name": "bench-replay",
        "years": 1,
        "start_year": 2021,
        "cases": {"source": str(parquet)},
        "budget": {"annual": 2.0e10},
        "audit": {"sample_rate": 0.05},
    }
    t0 = time.perf_counter()
    result = drgsim.run(scn)
    figures["import_and_replay_parquet_s"] = time.perf_counter() - t0
    figures["replayed_cases"] = int(result.region_year["cases"].sum())
    print(json.dumps({k: round(v, 2) for k, v in figures.items()}, indent=2))


def _plain(t: pa.DataType) -> pa.DataType:
    return t.value_type if pa.types.is_dictionary(t) else t


if __name__ == "__main__":
    main()
