"""Speed figures of drgsim against the issues' targets; run `python benchmarks/run.py`."""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml
from conftest import median_seconds

ROOT = Path(__file__).resolve().parents[1]
SHANWEI = ROOT / "scenarios" / "shanwei.yaml"


def shanwei_years(repeat: int, variants: tuple[str, ...] = ("baseline",)) -> dict[str, float]:
    """One Shanwei year of each variant (one replication, in process, after compilation), the
    variants run in turn `repeat` times so that a change of the machine's load falls on each
    alike; with a gaming variant, the median of each round's throughput ratio to the baseline."""
    import drgsim
    from drgsim.scenario.loader import load_scenario, variant_scenario

    scenario = load_scenario(SHANWEI)
    scns = {v: variant_scenario(scenario, v) for v in variants}

    def once(v: str) -> int:
        result = drgsim.run(scns[v], replications=1, variants=["baseline"])
        return int(result.region_year["cases"].sum())

    cases = {v: once(v) for v in variants}  # compile / load the kernel cache
    seconds: dict[str, list[float]] = {v: [] for v in variants}
    for _ in range(repeat):
        for v in variants:
            t0 = time.perf_counter()
            once(v)
            seconds[v].append(time.perf_counter() - t0)
    out: dict[str, float] = {}
    for v in variants:
        out[f"{v}_year_s"] = statistics.median(seconds[v])
        out[f"{v}_year_cases"] = cases[v]
        out[f"{v}_cases_per_s"] = cases[v] / out[f"{v}_year_s"]
    for v in variants[1:]:
        rounds = [
            (cases[v] / t) / (cases[variants[0]] / t0)
            for t, t0 in zip(seconds[v], seconds[variants[0]], strict=True)
        ]
        out["gaming_throughput_ratio" if v == "all_gaming" else f"{v}_throughput_ratio"] = (
            statistics.median(rounds)
        )
    return out


def generate_kernel(repeat: int) -> dict[str, float]:
    """Throughput of the case-generation kernel alone (a year of Shanwei months)."""
    import numpy as np

    from drgsim.population.generator import SyntheticSource
    from drgsim.population.hospitals import hospital_table
    from drgsim.records.catalogue_file import builtin
    from drgsim.scenario.loader import load_scenario

    scn = load_scenario({"extends": "shanwei", "region": {"admissions": 3_000_000}})
    src = SyntheticSource(scn, builtin(), hospital_table(scn))
    src.month(0, 1, np.random.SeedSequence(0))
    n = 0

    def year() -> None:
        nonlocal n
        n = sum(src.month(0, m, np.random.SeedSequence(m)).n for m in range(1, 13))

    seconds = median_seconds(year, repeat)
    return {"generate_cases_per_s": n / seconds}


def fused_against_pipeline(repeat: int, admissions: float = 3_000_000) -> dict[str, float]:
    """Cases/s of the fused reference kernel and of drgsim's full pipeline on the same city.

    The pipeline is `drgsim.run` of Shanwei scaled to `admissions`, one replication, every act
    of the `all_gaming` variant on (generate, behave, group, price, audit, settle); the fused
    kernel draws, groups, prices and bins the same city's year and nothing else.
    """
    from fused import fused_year, shanwei_city

    import drgsim
    from drgsim.scenario.loader import load_scenario, variant_scenario

    city = shanwei_city(admissions)
    fused_year(city, 1)  # compile / load the cache
    fused_s = median_seconds(lambda: fused_year(city, 1), repeat)
    acts = yaml.safe_load(SHANWEI.read_text())["variants"]["all_gaming"]
    scn = load_scenario(
        {
            "extends": "shanwei",
            "region": {"admissions": admissions},
            "variants": {"all_gaming": acts},
        }
    )
    gaming = variant_scenario(scn, "all_gaming")
    cases = 0

    def once() -> None:
        nonlocal cases
        result = drgsim.run(gaming, replications=1, variants=["baseline"])
        cases = int(result.region_year["cases"].sum())

    once()
    pipeline_s = median_seconds(once, max(1, repeat // 2))
    fused_rate, pipeline_rate = city.cases / fused_s, cases / pipeline_s
    return {
        "fused_cases_per_s": fused_rate,
        "pipeline_cases_per_s": pipeline_rate,
        "pipeline_to_fused_ratio": pipeline_rate / fused_rate,
    }


def whole_command(repeat: int) -> dict[str, float]:
    """`drgsim run scenarios/shanwei.yaml` as a user runs it, with the numba cache warm."""
    # warm includes Python's own bytecode cache, as on a user's machine: a sandbox that sets
    # PYTHONDONTWRITEBYTECODE recompiles every drgsim module on each run (~0.3 s of CPU)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [
            sys.executable,
            "-m",
            "drgsim.cli",
            "run",
            str(SHANWEI),
            "--out",
            str(Path(tmp) / "out"),
            "--force",
            "--quiet",
        ]
        subprocess.run(cmd, check=True, env=env)  # warm the cache
        seconds = median_seconds(lambda: subprocess.run(cmd, check=True, env=env), repeat)
    return {"whole_command_s": seconds}


def plots_and_report(repeat: int) -> dict[str, float]:
    """The phase of `drgsim run` after the Shanwei tables: the waterfall's data, every figure
    and report.html, from the tables in hand (as the command does)."""
    from test_bench_report import plots_and_report as phase

    import drgsim
    from drgsim.records import results

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "out"
        out.mkdir()
        result = drgsim.run(SHANWEI, workers=2)
        results.write_tables(result, out)
        tables = results.as_tables(result, out)
        seconds = median_seconds(lambda: phase(out, tables), repeat)
    return {"plots_report_s": seconds}


def baselines(repeat: int) -> dict[str, float]:
    """drgsim against plain pandas (a year's settlement) and per-patient SimPy (a year of
    50,000 patients beside a Shanwei year of drgsim's, in process, each round timing both in
    turn: the median of the rounds' ratios of cases/s, so that a change of the machine's speed
    falls on both alike)."""
    from baselines import City, drgsim_settle, pandas_settle, simpy_year
    from conftest import median_cpu_seconds, settlement_work

    import drgsim
    from drgsim.scenario.loader import load_scenario

    work, _ = settlement_work.__wrapped__()
    ours, theirs = median_cpu_seconds(
        [lambda: drgsim_settle(work), lambda: pandas_settle(work)], max(repeat, 5)
    )
    patients = 50_000
    city = City.shanwei(patients)
    scenario = load_scenario(SHANWEI)
    warm = drgsim.run(scenario, replications=1, variants=["baseline"])
    cases = int(warm.region_year["cases"].sum())
    ratios = []
    for _ in range(max(repeat, 3)):
        t0 = time.perf_counter()
        drgsim.run(scenario, replications=1, variants=["baseline"])
        t1 = time.perf_counter()
        simpy_year(city, patients)
        t2 = time.perf_counter()
        ratios.append((cases / (t1 - t0)) / (patients / (t2 - t1)))
    return {
        "settle_vs_pandas_x": theirs / ours,
        "pipeline_vs_simpy_x": statistics.median(ratios),
    }


#: A user's script: `drgsim.run` of n Shanwei replications on 2 workers, then reading the DRG
#: margins; prints its figures as JSON.
_REPLICATIONS = """
import json, sys, time
import drgsim
n, path = int(sys.argv[1]), sys.argv[2]
drgsim.run(path, replications=2, variants=["baseline"], workers=2)  # warm
t0 = time.perf_counter()
result = drgsim.run(path, replications=n, variants=["baseline"], workers=2)
t1 = time.perf_counter()
rows = len(result.drg_margin)  # assembled when first read: timed on its own
t2 = time.perf_counter()
print(json.dumps([t1 - t0, t2 - t1, rows]))
"""

#: Runs a command and prints its peak resident memory (KiB) as the last line: the peak of that
#: command alone (a child forked from this large process would count this one's pages too).
_PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def replications_on_two_workers(replications: int) -> dict[str, float]:
    """Shanwei's baseline for `replications` replications on 2 worker processes, scaled to 1,000,
    in a process of its own (as a user's script; this one has grown through the other figures);
    then the time to read the DRG margins, which `drgsim.run` assembles when first read."""
    cmd = [sys.executable, "-c", _REPLICATIONS, str(replications), str(SHANWEI)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    run_s, read_s, rows = json.loads(out.strip().splitlines()[-1])
    return {
        "replications_1000_s": run_s * 1000 / replications,
        "replications_1000_drg_margin_s": read_s * 1000 / replications,
        "replications_1000_drg_margin_rows": rows * 1000 / replications,
    }


def national_year() -> dict[str, float]:
    """`drgsim run scenarios/national.yaml --no-report` (300 M admissions) as a user runs it."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "drgsim.cli", "run", str(ROOT / "scenarios" / "national.yaml")]
        cmd += ["--out", str(Path(tmp) / "out"), "--no-report", "--quiet"]
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _PEAK, *cmd], check=True, capture_output=True, text=True
        ).stdout
        seconds = time.perf_counter() - t0
        cases = counted_cases(Path(tmp) / "out" / "region_year.parquet")
    peak_kib = int(out.strip().splitlines()[-1])
    return {
        "national_year_s": seconds,
        "national_cases_per_s": cases / seconds,
        "national_peak_gib": peak_kib / 2**20,
    }


def counted_cases(path: Path) -> int:
    """The cases a run's region_year table counts."""
    import pandas as pd

    return int(pd.read_parquet(path, columns=["cases"])["cases"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    parser.add_argument(
        "--long",
        action="store_true",
        help="also the national year and 1,000 replications on 2 workers (a minute each)",
    )
    args = parser.parse_args()
    figures: dict[str, float] = {}
    figures |= shanwei_years(max(args.repeat, 5), ("baseline", "all_gaming"))
    figures |= generate_kernel(args.repeat)
    figures |= fused_against_pipeline(args.repeat)
    figures |= plots_and_report(max(1, args.repeat // 2))
    figures |= whole_command(max(1, args.repeat // 2))
    figures |= baselines(args.repeat)
    if args.long:
        figures |= replications_on_two_workers(1000)  # the target's count: fixed costs once
        figures |= national_year()
    targets = {
        "baseline_year_s": ("<", 0.05),
        "whole_command_s": ("<", 3.0),
        "plots_report_s": ("<", 1.0),
        "gaming_throughput_ratio": (">", 0.667),
        "pipeline_to_fused_ratio": (">", 0.6),
        "settle_vs_pandas_x": (">", 50),
        "pipeline_vs_simpy_x": (">", 100),
        "replications_1000_s": ("<", 30),
        "national_year_s": ("<", 30),
        "national_cases_per_s": (">", 10e6),
        "national_peak_gib": ("<", 2),
    }
    for key, value in figures.items():
        target = targets.get(key)
        note = f"   target {target[0]} {target[1]}" if target else ""
        print(f"{key:28s} {value:14,.3f}{note}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")


if __name__ == "__main__":
    main()
