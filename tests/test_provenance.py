"""A run and a sweep record the same software versions, read from one place."""

from __future__ import annotations

from pathlib import Path

import pytest

import drgsim
from drgsim.records import provenance
from drgsim.scale.sweep import read_sweep, sweep

TINY = {
    "name": "tiny",
    "region": {"admissions": 2000},
    "other_hospitals": {"count": {2: 1, 1: 1}},
    "replications": 1,
}


def test_a_run_and_a_sweep_record_the_installed_versions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = {"numpy": "1.0.test", "numba": "2.0.test", "pandas": "3.0.test"}

    def version(name: str) -> str:
        if name in installed:
            return installed[name]
        raise provenance.PackageNotFoundError(name)

    monkeypatch.setattr(provenance, "version", version)
    # looked up once per process: read them afresh while `version` is replaced
    monkeypatch.setattr(provenance, "_versions", provenance._versions.__wrapped__)
    manifest = drgsim.run(TINY).manifest
    sweep(TINY, {"settlement.prepay_share": [0.9]}, out=tmp_path, workers=0, plots=False)
    swept = read_sweep(tmp_path)["manifest"]["versions"]
    for name, number in installed.items():
        assert manifest[f"{name}_version"] == number
        assert swept[name] == number
    assert manifest["pyarrow_version"] == swept["pyarrow"] == "absent"
    assert manifest["drgsim_version"] == swept["drgsim"] == drgsim.__version__
    assert manifest["python_version"] == swept["python"]
