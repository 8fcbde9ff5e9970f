"""The engine-level property test of tests/ with 10⁴ random cities instead of 300 (`--run-slow`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LONG = 10_000


@pytest.mark.slow
def test_ten_thousand_random_cities_follow_the_settlement_rules_to_the_fen() -> None:
    env = {**os.environ, "DRGSIM_ENGINE_EXAMPLES": str(LONG)}
    test = ROOT / "tests" / "test_engine_properties.py"
    cmd = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test)]
    assert subprocess.run(cmd, env=env, cwd=ROOT).returncode == 0
