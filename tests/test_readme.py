"""The README's examples run as written (with one replication, to keep the suite fast)."""

from __future__ import annotations

import glob
import re
import shlex
from pathlib import Path
from typing import Any

import matplotlib
import pytest

import drgsim
from drgsim import cli

REPO = Path(__file__).resolve().parents[1]
README = (REPO / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    """The README's fenced code blocks of one language, in order."""
    return re.findall(rf"^```{language}\n(.*?)^```", README, flags=re.M | re.S)


def test_the_python_examples_run(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Every ```python block runs in one namespace, in order, in a folder like the repository's
    root (its scenarios/ linked in), so that what the examples write lands in a temporary one."""
    import matplotlib.pyplot as plt

    (tmp_path / "scenarios").symlink_to(REPO / "scenarios")
    monkeypatch.chdir(tmp_path)
    real_run = drgsim.run

    def one_replication(scenario: Any, **kw: Any) -> Any:
        return real_run(scenario, **{"replications": 1, **kw})

    monkeypatch.setattr(drgsim, "run", one_replication)
    code = blocks("python")
    assert len(code) >= 2
    namespace: dict[str, Any] = {}
    with matplotlib.rc_context():
        for block in code:
            exec(compile(block, "README.md", "exec"), namespace)
        plt.close("all")
    result = namespace["result"]
    assert len(result.settlement) > 0
    assert sorted(result.region_year["variant"].unique()) == ["baseline", "upcoding"]
    assert (tmp_path / "out" / "upcoding" / "settlement.parquet").is_file()
    assert any((tmp_path / "out" / "upcoding").glob("report*.html"))
    assert any((tmp_path / "out" / "figures" / "plots").glob("*.png"))


def command_blocks() -> list[list[list[str]]]:
    """The `drgsim …` lines of each ```bash block, as words (continuations joined, comments cut,
    `pip … &&` prefixes dropped)."""
    found = []
    for block in blocks("bash"):
        lines = []
        for line in block.replace("\\\n", " ").splitlines():
            words = shlex.split(line.split(" #")[0].split("&&")[-1].strip())
            if words[:1] == ["drgsim"]:
                lines.append(words[1:])
        if lines:
            found.append(lines)
    return found


def test_the_readme_names_its_main_commands() -> None:
    commands = [line[0] for block in command_blocks() for line in block]
    assert commands.count("run") >= 3 and {"validate", "sweep"} <= set(commands)


def _place(word: str, root: Path) -> str:
    """A README path in the test's world: shipped scenarios from the repository, outputs
    (`out/`, `sweep/`) under `root`; other words unchanged."""
    if word.startswith("scenarios/"):
        return str(REPO / word)
    return str(root / word) if word.endswith("/") else word


def _quick(words: list[str], root: Path) -> list[str] | None:
    """A README line made quick for the suite: outputs under `root`, one replication, sweeps in
    this process and without figures; None for a line that needs the reader's own files."""
    if any(not (REPO / w).exists() for w in words if w.endswith((".yaml", ".csv", ".parquet"))):
        return None  # my_city.yaml, history2019.parquet: the reader's own files
    args: list[str] = []
    skip = False
    for w in words:
        if skip:
            skip = False
            continue
        if w == "--replications":
            skip = True
        elif "*" in w:
            args += sorted(glob.glob(str(REPO / w)))
        else:
            args.append(_place(w, root))
    if args[0] == "run":
        args += ["--replications", "1", "--no-report", "--quiet"]
    if args[0] == "sweep":
        args += ["--replications", "1", "--no-plots", "--workers", "0", "--quiet"]
    return args


@pytest.mark.parametrize("lines", command_blocks(), ids=lambda b: " · ".join(w[0] for w in b))
def test_the_drgsim_command_lines_run(lines: list[list[str]], tmp_path: Path) -> None:
    """Each ```bash block's `drgsim` lines run in order and exit 0 (so `explain out/` reads the
    `out/` the block's run wrote), with outputs under a temporary folder and one replication."""
    ran = 0
    for words in lines:
        args = _quick(words, tmp_path)
        if args is None:
            continue
        assert cli.main(args) == 0, " ".join(words)
        ran += 1
    if ran == 0:
        pytest.skip("every line of this block needs the reader's own files")


#: The worked example's command, run as written but for the variants (the pinned lines name
#: only these two; the others are elided with … and do not change them: every variant sees the
#: same patients and is budgeted as the baseline) and without drawing the report.
WORKED = ["--variant", "upcoding", "--variant", "underservice", "--no-report"]


def worked_example() -> tuple[list[str], list[list[str]]]:
    """The worked example's command and its printed lines, as segments between `…` lines."""
    block = re.search(r"^```console\n\$ drgsim (run [^\n]*)\n(.*?)^```", README, re.M | re.S)
    assert block is not None, "README.md: the worked example's ```console block is gone"
    segments: list[list[str]] = [[]]
    for line in block.group(2).splitlines():
        if line.strip() == "…":
            segments.append([])
        elif not line.startswith("wrote "):  # the files written: checked by the run tests
            segments[-1].append(" ".join(line.split()))
    return shlex.split(block.group(1)), [s for s in segments if s]


def test_the_worked_example_prints_what_the_readme_shows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The worked example's summary, pinned as SimPy pins its examples' output: every line the
    README shows is printed, in order (`…` stands for lines left out; spacing is not compared).
    Seeded, so it changes only when results do: then paste the printed output into README.md."""
    words, segments = worked_example()
    assert sum(map(len, segments)) >= 10  # the baseline's table, the budget, who gains and pays
    assert cli.main([_place(w, tmp_path) for w in words] + WORKED) == 0
    printed = [" ".join(line.split()) for line in capsys.readouterr().out.splitlines()]
    missing = first_missing(segments, printed)
    if missing is not None:
        pytest.fail(
            "README.md's worked example no longer matches what `drgsim "
            + " ".join(words)
            + "` prints. If results changed on purpose, paste this output into the "
            + "```console block of README.md (keep the … lines for the variants left out) "
            + "and explain the change in CHANGELOG.md.\nmissing:\n"
            + "\n".join(missing)
            + "\nprinted:\n"
            + "\n".join(printed)
        )


def first_missing(segments: list[list[str]], printed: list[str]) -> list[str] | None:
    """The first segment that is not printed as consecutive lines after the one before it."""
    at = 0
    for segment in segments:
        starts = range(at, len(printed) - len(segment) + 1)
        found = next((i for i in starts if printed[i : i + len(segment)] == segment), None)
        if found is None:
            return segment
        at = found + len(segment)
    return None


def test_the_pin_catches_a_changed_digit_a_lost_line_and_a_wrong_order() -> None:
    printed = ["title", "a 1.0", "b 2.0", "x", "c 3.0"]
    assert first_missing([["title", "a 1.0"], ["c 3.0"]], printed) is None
    assert first_missing([["title", "a 1.1"]], printed) == ["title", "a 1.1"]
    assert first_missing([["a 1.0", "c 3.0"]], printed) == ["a 1.0", "c 3.0"]  # not consecutive
    assert first_missing([["c 3.0"], ["a 1.0"]], printed) == ["a 1.0"]  # order
