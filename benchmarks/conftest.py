"""Shared fixtures of the benchmark suite: the Shanwei scenario, a settlement workload, timers."""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHANWEI = ROOT / "scenarios" / "shanwei.yaml"
sys.path.insert(0, str(Path(__file__).parent))  # `import baselines` from the test modules


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--run-slow", action="store_true", help="also run benchmarks marked slow")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-slow"):
        return
    skip = pytest.mark.skip(reason="slow benchmark; pass --run-slow")
    for item in items:
        if "slow" in item.keywords:
            item.add_marker(skip)


def median_seconds(fn: Callable[[], Any], repeat: int) -> float:
    """Median wall time of `fn()` over `repeat` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def median_cpu_seconds(fns: Sequence[Callable[[], Any]], repeat: int) -> list[float]:
    """Median CPU time of each of `fns` over `repeat` rounds that call them in turn, after one
    warm-up call each: a busy machine slows both alike and does not bill one for the other's
    waits, as wall time on a shared machine does (CPU time counts every thread of the process)."""
    for fn in fns:
        fn()
    times: list[list[float]] = [[] for _ in fns]
    for r in range(repeat):
        order = range(len(fns)) if r % 2 == 0 else reversed(range(len(fns)))  # none always first
        for i in order:
            t0 = time.process_time()
            fns[i]()
            times[i].append(time.process_time() - t0)
    return [statistics.median(seconds) for seconds in times]


@pytest.fixture(scope="session")
def shanwei() -> Any:
    """The Shanwei scenario, loaded once."""
    from drgsim.scenario.loader import load_scenario

    return load_scenario(SHANWEI)


@pytest.fixture(scope="session")
def settlement_work() -> Any:
    """A Shanwei year with every act on, its claims ready to settle (readmission factor 1, so the
    case table's points are exactly what the engine settled each month)."""
    from baselines import SettlementInput

    import drgsim
    from drgsim.scenario.loader import load_scenario, variant_scenario, with_overrides

    # the baselines settle the v1 year end: the reserve kept by the fund, one fund (one pool),
    # each case's points in its own month
    scn = with_overrides(
        load_scenario(SHANWEI),
        {
            "readmission.factor": 1.0,
            "budget.reserve_use": "keep",
            "funds": {"all": {"share": 1.0}},
            # a quarter's inspection books its corrections in a later month than the case's
            "audit.targeted.count": 0,
        },
    )
    result = drgsim.run(
        variant_scenario(scn, "all_gaming"), cases=True, replications=1, variants=["baseline"]
    )
    return SettlementInput.from_run(result), result.settlement["final_fen"].to_numpy()
