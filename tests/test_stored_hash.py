"""A fixed scenario's tables hash to the stored value, on one worker process and on two.

Speed work must change no result: this holds every table of a small city with every act on,
over two years and two funds, its case rows included, to the sha256 of its CSV text (floats
written to 17 digits). The last bits of the tables depend on the platform: numpy's SIMD paths
(its array exp and log differ on AVX-512) and the OpenBLAS kernels numpy picks for the CPU (the
generator's fits and the catalogue's weights use np.dot and @: SkylakeX's kernels add in
another order than Haswell's). The stored file holds one complete set per platform it was
recorded on and a run must equal one of them in full. On an x86_64 platform not recorded, the
city is run again in a new process with numpy's AVX-512 paths off and OpenBLAS on its Haswell
kernels (PINNED), which gives the first set's platform's tables on any x86_64 machine with
AVX2, and that run must equal a stored set. To record a new platform's own set,
run `python tests/test_stored_hash.py --add "<platform>"` from a tree whose results are known to
be unchanged (say which in the commit); when a change is meant to move results, replace every
set with `python tests/test_stored_hash.py --update` and say why.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import drgsim
from drgsim.records.results import Result

STORED = Path(__file__).resolve().parent / "golden" / "hashes.json"
CITY = {
    "extends": "shanwei",
    "region": {"admissions": 6000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 2,
    "years": 2,
    "variants": {
        "all_gaming": {
            "hospitals.SW01.upcoding.rate": 0.15,
            "tiers.3.shifting.rate": 0.3,
            "hospitals.SW03.splitting.rate": 0.1,
            "tiers.1.induced.rate": 0.1,
            "hospitals.SW05.phantom.rate": 0.03,
            "hospitals.SW04.underservice.cut": 0.15,
        },
        "referral_down": {"tiers.3.referral_down.rate": 0.3},
    },
}
TABLES = (
    "settlement",
    "fund_settlement",
    "hospital_month",
    "region_year",
    "comparison",
    "audit",
    "catalogue",
    "drg_margin",
    "cases",
)


def table_hashes(result: Result) -> dict[str, str]:
    """The sha256 of each table's CSV text, floats to 17 significant digits."""
    out = {}
    for name in TABLES:
        frame: pd.DataFrame = getattr(result, name)
        text = frame.to_csv(index=False, float_format="%.17g", lineterminator="\n")
        out[name] = hashlib.sha256(text.encode()).hexdigest()
    return out


#: numpy's SIMD paths whose exp and log give other last bits than its AVX2 ones (x86_64), off,
#: and OpenBLAS on the kernels it picks for an AVX2 CPU (on AVX-512 it picks SkylakeX's, whose
#: dot products add in another order), as on the first set's platform.
PINNED = {
    "NPY_DISABLE_CPU_FEATURES": "X86_V4 AVX512_ICL AVX512_SPR",
    "OPENBLAS_CORETYPE": "Haswell",
}
X86 = platform.machine().lower() in ("x86_64", "amd64")


def pinned_hashes(workers: int) -> dict[str, str]:
    """`table_hashes` of the city run with `workers` in a new process with PINNED set."""
    code = (
        "import json, sys; sys.path.insert(0, sys.argv[1]); import drgsim; "
        "from test_stored_hash import CITY, table_hashes; "
        "print(json.dumps(table_hashes(drgsim.run(CITY, cases=True, workers=int(sys.argv[2])))))"
    )
    here = str(Path(__file__).resolve().parent)
    done = subprocess.run(
        [sys.executable, "-c", code, here, str(workers)],
        env=os.environ | PINNED,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(done.stdout.splitlines()[-1])


def stored_sets() -> list[dict[str, str]]:
    """The stored hash sets, one per platform."""
    return [entry["hashes"] for entry in json.loads(STORED.read_text())["platforms"]]


def nearest_differences(got: dict[str, str], sets: list[dict[str, str]]) -> list[str]:
    """The tables that differ from the stored set that differs in the fewest tables."""
    return min(([n for n in TABLES if got[n] != one[n]] for one in sets), key=len)


def test_each_stored_set_holds_every_table() -> None:
    sets = stored_sets()
    assert sets and all(sorted(one) == sorted(TABLES) for one in sets)


@pytest.mark.parametrize("workers", [1, 2])
def test_tables_hash_to_the_stored_value(workers: int) -> None:
    got = table_hashes(drgsim.run(CITY, cases=True, workers=workers))
    sets = stored_sets()
    if got not in sets and X86:  # a platform not recorded: numpy's AVX2 paths, as on the first
        got = pinned_hashes(workers)
    assert got in sets, (
        f"tables {nearest_differences(got, sets)} changed; if that is meant, run "
        "`python tests/test_stored_hash.py --update` and say why in the commit. On a platform "
        "not recorded yet, first check that with numpy's AVX-512 paths off and OpenBLAS on its "
        "Haswell kernels (PINNED, on x86_64) the first set is matched, "
        "then record this platform's with --add (see this file's docstring)"
    )


@pytest.mark.skipif(not X86, reason="numpy's AVX-512 paths are x86_64's")
def test_numpy_on_its_avx2_paths_gives_the_first_stored_set() -> None:
    """The fallback of an unrecorded platform holds: with PINNED, this machine's tables are
    those of the first stored set's (AVX2) platform, whatever its own numpy and OpenBLAS
    dispatch."""
    assert pinned_hashes(1) == stored_sets()[0]


def test_a_changed_table_matches_no_stored_set() -> None:
    one = dict(stored_sets()[0])
    one["audit"] = hashlib.sha256(b"other").hexdigest()
    assert one not in stored_sets() and nearest_differences(one, stored_sets()) == ["audit"]


if __name__ == "__main__":
    usage = 'usage: python tests/test_stored_hash.py --update | --add "<platform>"'
    if not sys.argv[1:] or sys.argv[1] not in ("--update", "--add") or len(sys.argv) > 3:
        sys.exit(usage)
    hashes = table_hashes(drgsim.run(CITY, cases=True))
    doc = json.loads(STORED.read_text())
    if sys.argv[1] == "--add":
        if len(sys.argv) != 3:
            sys.exit(usage)
        doc["platforms"].append({"platform": sys.argv[2], "hashes": hashes})
    else:
        doc["platforms"] = [{"platform": "recorded by --update", "hashes": hashes}]
    STORED.write_text(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
    print(f"wrote {STORED}")
