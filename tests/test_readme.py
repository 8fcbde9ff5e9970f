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


def drgsim_commands() -> list[list[str]]:
    """The `drgsim run` and `drgsim validate` lines of the README's ```bash blocks."""
    found = []
    for block in blocks("bash"):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split("#")[0].split("&&")[-1].strip()
            words = shlex.split(line)
            if words[:1] == ["drgsim"] and words[1] in ("run", "validate"):
                found.append(words[1:])
    return found


def test_the_readme_names_its_main_commands() -> None:
    commands = [c[0] for c in drgsim_commands()]
    assert commands.count("run") >= 3 and "validate" in commands


@pytest.mark.parametrize("words", drgsim_commands(), ids=" ".join)
def test_the_drgsim_command_lines_run(
    words: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each `drgsim run|validate` line exits 0 (output under a temporary folder, one replication)."""
    monkeypatch.chdir(REPO)
    if any(not (REPO / w).exists() for w in words if w.endswith(".yaml") and "*" not in w):
        pytest.skip("an example of the user's own file (my_city.yaml)")
    args: list[str] = []
    skip = False
    for i, w in enumerate(words):
        if skip:
            skip = False
            continue
        if w == "--out":
            args += ["--out", str(tmp_path / words[i + 1])]
            skip = True
        elif w == "--replications":
            skip = True
        elif "*" in w:
            args += sorted(glob.glob(w))
        else:
            args.append(w)
    if args[0] == "run":
        args += ["--replications", "1", "--no-report"]
    assert cli.main(args) == 0
