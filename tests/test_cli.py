"""The `drgsim` command: small runs end to end, the files they write, and refusals of bad flags."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import run_cli

REPO = Path(__file__).resolve().parents[1]
SCENARIO = """\
extends: shanwei
name: small
seed: 7
years: 1
replications: 2
region: {admissions: 3000}
other_hospitals:
  count: {2: 1, 1: 1}
variants:
  repricing: {settlement.mode: repricing}
"""
TABLES = ["catalogue", "hospital_month", "settlement", "region_year", "audit", "drg_margin"]
LISTED = {
    "SW01": "汕尾市人民医院",
    "SW02": "汕尾市第二人民医院",
    "SW03": "海丰县彭湃纪念医院",
    "SW04": "陆丰市人民医院",
    "SW05": "陆河县人民医院",
}


def drgsim(*args: str | Path, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run the drgsim command line in a fresh interpreter."""
    return run_cli(*args, cwd=cwd, timeout=120)


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a folder with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture(scope="module")
def scenario_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scenario") / "small.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def first_run(
    scenario_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[subprocess.CompletedProcess[str], Path]:
    out = tmp_path_factory.mktemp("runs") / "out"
    proc = drgsim("run", scenario_file, "--out", out, "--cases", cwd=scenario_file.parent)
    return proc, out


def test_a_run_exits_0_and_writes_the_manifest_and_every_table(first_run) -> None:
    proc, out = first_run
    assert proc.returncode == 0, proc.stderr
    assert "Traceback" not in proc.stderr
    names = sorted(p.name for p in out.iterdir())
    expected = ["manifest.json", "cases.parquet", "comparison.parquet", "plots", "report.html"]
    expected.append("fund_settlement.parquet")  # Shanwei settles two funds
    expected.append("explain.json")  # the report's waterfall (drgsim explain --hospital)
    assert names == sorted([*expected, *(f"{t}.parquet" for t in TABLES)])


def test_the_summary_names_every_listed_hospital_and_the_point_value(first_run) -> None:
    proc, _ = first_run
    for hid, name in LISTED.items():
        assert hid in proc.stdout
        assert name in proc.stdout
    assert "point value" in proc.stdout


@pytest.mark.parametrize("table", [*TABLES, "cases", "fund_settlement"])
def test_every_table_is_keyed_by_variant_replication_and_year(first_run, table: str) -> None:
    _, out = first_run
    df = pd.read_parquet(out / f"{table}.parquet")
    assert list(df.columns[:3]) == ["variant", "replication", "year"]
    assert set(df["variant"]) == {"baseline", "repricing"}
    assert set(df["replication"]) == {0, 1}
    assert set(df["year"]) == {2021}


@pytest.mark.parametrize("table", [*TABLES, "cases", "fund_settlement"])
def test_money_in_fen_is_int64(first_run, table: str) -> None:
    _, out = first_run
    df = pd.read_parquet(out / f"{table}.parquet")
    fen = [c for c in df.columns if c.endswith("_fen")]
    assert all(df[c].dtype == "int64" for c in fen), df[fen].dtypes.to_dict()
    if table in ("hospital_month", "settlement", "region_year", "audit", "fund_settlement"):
        assert fen


def test_the_manifest_records_what_was_run(first_run, scenario_file: Path) -> None:
    _, out = first_run
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["scenario"] == "small"
    assert m["scenario_sha256"] == hashlib.sha256(scenario_file.read_bytes()).hexdigest()
    assert m["seed"] == 7
    assert m["drgsim_version"] == __import__("drgsim").__version__
    assert m["numba_version"] == __import__("numba").__version__
    assert m["variants"] == ["baseline", "repricing"]
    assert m["replications"] == 2
    assert m["years"] == 1
    assert m["started"]
    assert m["wall_seconds"] > 0
    assert m["cpu_count"] >= 1


def test_a_second_run_into_a_non_empty_directory_is_refused_and_changes_nothing(
    first_run, scenario_file: Path
) -> None:
    _, out = first_run
    before = snapshot(out)
    proc = drgsim("run", scenario_file, "--out", out, "--no-report")
    assert proc.returncode != 0
    assert proc.stderr.splitlines() == [
        f"drgsim: error: --out {out}: directory exists and is not empty; "
        "pass --force to replace it or choose another --out"
    ]
    assert snapshot(out) == before
    assert sorted(p.name for p in out.parent.iterdir()) == ["out"]


def test_force_replaces_the_output_directory_and_seed_overrides_the_scenario(
    first_run, scenario_file: Path, tmp_path: Path
) -> None:
    _, first = first_run
    out = tmp_path / "out"
    out.mkdir()
    for name, data in snapshot(first).items():
        (out / name).parent.mkdir(parents=True, exist_ok=True)
        (out / name).write_bytes(data)
    proc = drgsim(
        "run", scenario_file, "--out", out, "--force", "--seed", "99", "--quiet", "--no-report"
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["manifest.json", "comparison.parquet", "fund_settlement.parquet"]
        + [f"{t}.parquet" for t in TABLES]
    )
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8"))["seed"] == 99
    new = pd.read_parquet(out / "settlement.parquet")
    old = pd.read_parquet(first / "settlement.parquet")
    assert not new["final_fen"].equals(old["final_fen"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_set_overrides_a_scenario_key(first_run, scenario_file: Path, tmp_path: Path) -> None:
    _, first = first_run
    out = tmp_path / "out"
    proc = drgsim(
        "run",
        scenario_file,
        "--out",
        out,
        "--set",
        "settlement.mode=repricing",
        "--quiet",
        "--no-report",
    )
    assert proc.returncode == 0, proc.stderr
    keys = ["replication", "year", "hospital"]
    new = pd.read_parquet(out / "settlement.parquet")
    old = pd.read_parquet(first / "settlement.parquet")
    new_base = new[new["variant"] == "baseline"].set_index(keys)["final_fen"]
    old_base = old[old["variant"] == "baseline"].set_index(keys)["final_fen"]
    old_repricing = old[old["variant"] == "repricing"].set_index(keys)["final_fen"]
    assert not new_base.equals(old_base)
    pd.testing.assert_series_equal(new_base, old_repricing)


ARGPARSE_USAGE = "argparse prints its usage text before the error: more than one line"


@pytest.mark.parametrize(
    ("flags", "fragments"),
    [
        pytest.param(
            ["--replications", "0"],
            ["--replications", "'0'", "allowed: at least 1"],
            id="replications-0",
        ),
        pytest.param(
            ["--replications", "x"],
            ["--replications", "'x'", "whole number"],
            id="replications-x",
        ),
        pytest.param(
            ["--variant", "nosuch"],
            ["--variant nosuch", "known: baseline, repricing"],
            id="variant-nosuch",
        ),
        pytest.param(
            ["--set", "nokey=1"],
            ["--set", "nokey", "unknown key", "allowed:"],
            id="set-unknown-key",
        ),
        pytest.param(
            ["--set", "settlement.prepay_share=2"],
            ["--set", "settlement.prepay_share", "got 2", "allowed: >= 0 and <= 1"],
            id="set-out-of-range",
        ),
    ],
)
def test_a_bad_flag_is_refused_with_one_line_and_writes_nothing(
    scenario_file: Path, tmp_path: Path, flags: list[str], fragments: list[str]
) -> None:
    out = tmp_path / "out"
    proc = drgsim("run", scenario_file, "--out", out, *flags, cwd=tmp_path)
    assert proc.returncode != 0
    assert "Traceback" not in proc.stderr
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("drgsim")
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.mark.parametrize("args", [["--help"], ["run", "--help"], ["validate", "--help"]])
def test_help_is_shown(args: list[str]) -> None:
    proc = drgsim(*args)
    assert proc.returncode == 0
    assert proc.stdout.startswith("usage: drgsim")
    assert proc.stderr == ""


def test_run_help_lists_its_flags() -> None:
    text = drgsim("run", "--help").stdout
    for flag in ("--out", "--force", "--cases", "--replications", "--seed", "--variant", "--set"):
        assert flag in text


def test_validating_imports_neither_numba_nor_pandas() -> None:
    code = (
        "import sys, drgsim.cli\n"
        f"rc = drgsim.cli.main(['validate', {str(REPO / 'scenarios' / 'shanwei.yaml')!r}])\n"
        "heavy = sorted(m for m in ('numba', 'pandas', 'numpy', 'pyarrow') if m in sys.modules)\n"
        "print(rc, heavy)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "0 []"


class DiskFull(OSError):
    """Raised by the patched Parquet writer on its third table."""


@pytest.fixture(scope="module")
def result(scenario_file: Path):
    from drgsim.scale.runner import run

    return run(scenario_file)


def fail_on_third_table(monkeypatch: pytest.MonkeyPatch, exc: type[BaseException]) -> list[str]:
    """Make results._parquet raise `exc` on the third table; returns the names it was asked for."""
    from drgsim.records import results

    real = results._parquet
    calls: list[str] = []

    def flaky(frame: pd.DataFrame, path: Path) -> None:
        calls.append(path.name)
        if len(calls) == 3:
            raise exc(f"interrupted writing {path.name}")
        real(frame, path)

    monkeypatch.setattr(results, "_parquet", flaky)
    return calls


@pytest.mark.parametrize("exc", [DiskFull, KeyboardInterrupt])
def test_an_interrupted_write_leaves_no_directory_behind(
    result, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exc: type[BaseException]
) -> None:
    from drgsim.records import results

    calls = fail_on_third_table(monkeypatch, exc)
    with pytest.raises(exc):
        results.write(result, tmp_path / "out")
    assert calls == ["catalogue.parquet", "hospital_month.parquet", "settlement.parquet"]
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("exc", [DiskFull, KeyboardInterrupt])
def test_an_interrupted_forced_write_keeps_the_existing_directory(
    result, monkeypatch: pytest.MonkeyPatch, tmp_path: Path, exc: type[BaseException]
) -> None:
    from drgsim.records import results

    out = tmp_path / "out"
    out.mkdir()
    (out / "manifest.json").write_text('{"seed": 1}\n', encoding="utf-8")
    (out / "settlement.parquet").write_bytes(b"old table")
    before = snapshot(out)
    calls = fail_on_third_table(monkeypatch, exc)
    with pytest.raises(exc):
        results.write(result, out, force=True)
    assert len(calls) == 3
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_the_console_script_runs_the_same_command() -> None:
    script = Path(sys.executable).parent / "drgsim"
    if not script.is_file():
        pytest.skip("the drgsim console script is not installed next to this interpreter")
    proc = subprocess.run(
        [script, "validate", REPO / "scenarios" / "shanwei.yaml"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "shanwei.yaml: ok" in proc.stdout


def test_report_in_english_keeps_the_chinese_report(first_run, tmp_path: Path) -> None:
    _, out = first_run
    mine = tmp_path / "out"
    shutil.copytree(out, mine)
    zh = (mine / "report.html").read_bytes()
    proc = drgsim("report", mine, "--lang", "en")
    assert proc.returncode == 0, proc.stderr
    assert (mine / "report.html").read_bytes() == zh
    assert "<html lang='en'>" in (mine / "report.en.html").read_text(encoding="utf-8")
    assert sorted(p.name for p in (mine / "plots" / "en").glob("*.png"))
