"""A fixed scenario's tables hash to the stored value, on one worker process and on two.

Speed work must change no result: this holds every table of a small city with every act on,
over two years and two funds, its case rows included, to the sha256 of its CSV text (floats written to 17 digits).
When a change is meant to move results, regenerate the hashes with
`python tests/test_stored_hash.py --update` and say why in the commit.
"""

from __future__ import annotations

import hashlib
import json
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


@pytest.mark.parametrize("workers", [1, 2])
def test_tables_hash_to_the_stored_value(workers: int) -> None:
    stored = json.loads(STORED.read_text())
    got = table_hashes(drgsim.run(CITY, cases=True, workers=workers))
    changed = [name for name in TABLES if got[name] != stored[name]]
    assert not changed, (
        f"tables {changed} changed; if that is meant, run `python tests/test_stored_hash.py "
        "--update` and say why in the commit"
    )


if __name__ == "__main__":
    if sys.argv[1:] != ["--update"]:
        sys.exit("usage: python tests/test_stored_hash.py --update")
    STORED.write_text(json.dumps(table_hashes(drgsim.run(CITY, cases=True)), indent=2) + "\n")
    print(f"wrote {STORED}")
