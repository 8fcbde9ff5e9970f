"""Every refusal of the `drgsim` command is one line with one `drgsim: error:` prefix, exit 2."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from conftest import run_cli

from drgsim import cli

BAD_DIR = Path(__file__).resolve().parent / "bad_scenarios"
BAD = sorted(BAD_DIR.glob("*.yaml"))
PREFIX = "drgsim: error: "
SMALL = "extends: shanwei\nname: small\nyears: 1\nreplications: 1\nregion: {admissions: 2000}\n"


def refusal(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> str:
    """Run the command in this process; check it refused in one line, and return that line."""
    try:
        code = cli.main([str(a) for a in argv])
    except SystemExit as exc:  # argparse's own refusals
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2, (code, err)
    assert "Traceback" not in err
    lines = err.splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith(PREFIX), lines[0]
    rest = lines[0][len(PREFIX) :]
    assert "drgsim:" not in rest and "error:" not in rest, lines[0]  # one prefix, not two
    return rest


@pytest.fixture
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.yaml"
    path.write_text(SMALL, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", BAD, ids=[p.stem for p in BAD])
def test_a_bad_scenario_is_one_line_to_validate_and_to_run(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, path: Path
) -> None:
    assert path.name in refusal(capsys, "validate", path)
    out = tmp_path / "out"
    assert path.name in refusal(capsys, "run", path, "--out", out, "--quiet")
    assert not out.exists()


@pytest.mark.parametrize(
    ("argv", "starts"),
    [
        ([], "the following arguments are required: COMMAND"),
        (["bogus"], "argument COMMAND: invalid choice: 'bogus'"),
        (["run"], "run: the following arguments are required: scenario"),
        (["run", "x.yaml", "--replications", "0"], "run: argument --replications: got '0'"),
        (["run", "x.yaml", "--workers", "x"], "run: argument --workers: got 'x'"),
        (["run", "x.yaml", "--lang", "fr"], "run: argument --lang: invalid choice: 'fr'"),
        (["sweep", "x.yaml", "--replications", "-1"], "sweep: argument --replications"),
        (["calibrate", "h.csv"], "calibrate: the following arguments are required: --out"),
        (["calibrate", "h.csv", "--out", "o", "--min-cases", "0"], "calibrate: argument"),
        (["report"], "report: the following arguments are required: outdir"),
        (["validate"], "validate: the following arguments are required: scenarios"),
    ],
)
def test_a_bad_flag_is_one_line_with_one_prefix(
    capsys: pytest.CaptureFixture[str], argv: list[str], starts: str
) -> None:
    assert refusal(capsys, *argv).startswith(starts)


@pytest.mark.parametrize(
    ("pairs", "says"),
    [
        (["budget.annual=-5"], "--set budget.annual=-5: got -5; allowed: >= 0"),
        (["nokey=1"], "--set nokey=1: got 'nokey'; unknown key; allowed: "),
        (["hospitals.XX.tier=1"], "--set hospitals.XX.tier=1: got 'XX'; no such hospital"),
        (["budget.annual=[1,"], "--set budget.annual=[1,: got "),
        (["budget.annual"], "--set budget.annual: expected KEY=VALUE"),
        (["budget={annual: -5}"], "--set budget={annual: -5}: budget.annual: got -5"),
        (
            ["point_value.ceiling=0.9", "point_value.floor=1.1"],
            "--set point_value.floor=1.1: got 1.1; expected at most point_value.ceiling (0.9)",
        ),
    ],
)
def test_a_bad_set_names_the_flag_as_typed(
    capsys: pytest.CaptureFixture[str], small: Path, pairs: list[str], says: str
) -> None:
    flags = [arg for pair in pairs for arg in ("--set", pair)]
    rest = refusal(capsys, "run", small, "--out", small.parent / "out", *flags)
    assert rest.startswith(says), rest
    assert "<scenario>" not in rest


def test_files_and_directories_the_command_cannot_use_are_one_line(
    capsys: pytest.CaptureFixture[str], small: Path, tmp_path: Path
) -> None:
    assert "nope.yaml" in refusal(capsys, "run", tmp_path / "nope.yaml")
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("mine")
    assert "not empty" in refusal(capsys, "run", small, "--out", tmp_path / "full")
    assert "--variant nosuch" in refusal(capsys, "run", small, "--variant", "nosuch")
    assert "h.csv: file not found" in refusal(
        capsys, "calibrate", tmp_path / "h.csv", "--out", tmp_path / "c"
    )
    assert (tmp_path / "full" / "keep.txt").read_text() == "mine"


def test_the_console_script_refuses_in_one_line_too(tmp_path: Path) -> None:
    proc = run_cli("run", tmp_path / "x.yaml", "--replications", "0", cwd=tmp_path, timeout=60)
    assert proc.returncode == 2
    assert proc.stderr.splitlines() == [
        "drgsim: error: run: argument --replications: got '0'; allowed: at least 1 and at most "
        "100,000 (see drgsim run --help)"
    ]


def subcommands() -> dict[str, argparse.ArgumentParser]:
    """Every subcommand of `drgsim` and its parser, as argparse holds them."""
    parser = cli._parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


def test_every_subcommand_has_a_description_and_a_help_line() -> None:
    parser = cli._parser()
    (action,) = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {choice.dest: choice.help for choice in action._choices_actions}
    assert set(helps) == set(subcommands())
    for name, sub in subcommands().items():
        assert (sub.description or "").strip(), f"drgsim {name} --help has no description"
        assert (helps[name] or "").strip(), f"drgsim --help shows no line for {name}"
