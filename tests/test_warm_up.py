"""A first run's kernels compiled in shares by several processes: the list, the split, a share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drgsim.kernels import jit
from drgsim.scale import warm_up

#: A fresh process runs `drgsim run` of each shipped scenario the list is recorded from, every
#: variant and the report, on one worker and prints the kernels and signatures they called
#: (nothing preloaded: one worker forks no pool).
_CALLED = """
import json, sys
from pathlib import Path
from drgsim import cli
from drgsim.scale.kernel_list import SHIPPED
from drgsim.scale.preload import cached_kernels
from drgsim.scale.warm_up import kernel_name
for i, scenario in enumerate(SHIPPED):
    out = str(Path(sys.argv[1]) / str(i))
    code = cli.main(["run", scenario, "--replications", "1", "--workers", "1", "--quiet", "--out", out])
    if code:
        sys.exit(f"drgsim run {scenario} failed ({code})")
print(json.dumps(sorted([kernel_name(k), repr(s)] for k in cached_kernels() for s in k.signatures)))
"""


def test_the_list_holds_what_the_shipped_scenarios_call(tmp_path: Path) -> None:
    """Every kernel and signature `drgsim run` of the shipped scenarios calls (their reports'
    too) is listed, and every listed kernel is one: a kernel renamed or a signature changed
    without `python -m drgsim.scale.kernel_list` fails here. (The list also holds kernels that
    only other kernels call: compiled with their callers when it was recorded, loaded inside
    them from a warm cache.)"""
    proc = subprocess.run(
        [sys.executable, "-c", _CALLED, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
        cwd=Path(__file__).parents[1],
    )
    called = {tuple(pair) for pair in json.loads(proc.stdout.splitlines()[-1])}
    listed = {(e["kernel"], sig) for e in warm_up.listed() for sig in e["signatures"]}
    assert called <= listed
    assert all(warm_up._dispatcher(name) is not None for name, _ in listed)


def test_the_list_is_recorded_from_every_shipped_scenario_but_the_national_year() -> None:
    """A scenario shipped later is recorded too (the national year, 300 million admissions, is
    left out: its kernels are Shanwei's)."""
    from drgsim.scale.kernel_list import SHIPPED

    root = Path(__file__).parents[1]
    shipped = {p.name for p in (root / "scenarios").glob("*.yaml")} - {"national.yaml"}
    assert {Path(s).name for s in SHIPPED} == shipped
    assert all((root / s).is_file() for s in SHIPPED)


def test_a_list_that_cannot_be_read_is_refused_in_one_way(tmp_path: Path, monkeypatch) -> None:
    """A missing, unparsable or misshapen list: `listed` raises ValueError or OSError (so a
    first run compiles on use and the preload loads every cached overload), never another
    error."""
    cases = {
        "missing.json": None,
        "broken.json": "{",
        "a list.json": "[1]",
        "no kernels.json": '{"scenarios": []}',
        "kernels null.json": '{"kernels": null}',
        "kernels a dict.json": '{"kernels": {"a": 1}}',
        "an entry null.json": '{"kernels": [null]}',
        "seconds text.json": '{"kernels": [{"kernel": "m:k", "seconds": "1", "signatures": []}]}',
        "signature a number.json": '{"kernels": [{"kernel": "m:k", "seconds": 1, "signatures": [1]}]}',
    }
    for name, text in cases.items():
        path = tmp_path / name
        if text is not None:
            path.write_text(text)
        monkeypatch.setattr(warm_up, "SIGNATURES", path)
        with pytest.raises((ValueError, OSError)):
            warm_up.listed()
        assert warm_up.listed_signatures() is None, name
    good = tmp_path / "good.json"
    good.write_text('{"kernels": [{"kernel": "m:k", "seconds": 1.5, "signatures": ["(int64,)"]}]}')
    monkeypatch.setattr(warm_up, "SIGNATURES", good)
    assert warm_up.listed_signatures() == {"m:k": {"(int64,)"}}


def test_every_listed_signature_reads_back_as_the_types_it_was_written_from() -> None:
    """A listed signature's repr read back is the signature (a literal argument too)."""
    from numba.core import types

    for entry in warm_up.listed():
        for text in entry["signatures"]:
            assert repr(warm_up.signature(text)) == text
    assert warm_up.signature("(Literal[int](0), bool)") == (types.literal(0), types.boolean)


def test_a_share_asks_numba_for_every_listed_signature_read_back(monkeypatch) -> None:
    """`compile_share` compiles each listed signature of its kernels, literal ones too (read
    through `signature`), and no other kernel's."""
    asked: list[tuple[str, tuple[object, ...]]] = []

    class Recording:
        def __init__(self, name: str) -> None:
            self.name = name

        def compile(self, sig: tuple[object, ...]) -> None:
            asked.append((self.name, sig))

    monkeypatch.setattr(warm_up, "_dispatcher", Recording)
    entries = warm_up.listed()
    names = [e["kernel"] for e in entries if any("Literal" in t for t in e["signatures"])]
    names.append(entries[0]["kernel"])
    assert warm_up.compile_share(names) == len(asked)
    want = [
        (e["kernel"], warm_up.signature(t))
        for e in entries
        if e["kernel"] in names
        for t in e["signatures"]
    ]
    assert asked == want and any("Literal" in repr(sig) for _, sig in asked)


def test_no_more_shares_than_can_finish_sooner() -> None:
    """Seconds 5, 2, 2, 1 (10 in all): one share must take the 5 whole, so 2 shares; one
    kernel, one share; the recorded list, its seconds over its longest kernel's, rounded up."""
    kernels = [
        {"kernel": str(i), "seconds": s, "signatures": []} for i, s in enumerate([5, 2, 2, 1])
    ]
    assert warm_up.useful_processes(kernels) == 2
    assert warm_up.useful_processes(kernels[:1]) == 1
    assert warm_up.useful_processes([]) == 1
    seconds = [e["seconds"] for e in warm_up.listed()]
    assert warm_up.useful_processes(warm_up.listed()) == -(-sum(seconds) // max(seconds))


def test_a_cache_folder_that_cannot_be_written_starts_no_share(tmp_path, monkeypatch) -> None:
    """Shares compiling into a folder they cannot write would compile for nothing, and again in
    every later process: none is started."""
    started: list[object] = []
    monkeypatch.setattr(warm_up, "_run_shares", lambda split: started.append(split))
    monkeypatch.setattr(warm_up, "_DONE", [])
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("DRGSIM_CACHE_DIR", str(blocked))
    monkeypatch.setattr(jit, "CACHE", True)
    assert warm_up.compile_ahead(2) is False and started == []
    monkeypatch.setattr(warm_up, "_DONE", [])
    monkeypatch.setenv("DRGSIM_CACHE_DIR", str(tmp_path / "cache"))
    assert warm_up.compile_ahead(2) is True and len(started) == 1


def test_shares_split_the_seconds_longest_first_to_the_lightest_share() -> None:
    """Worked by hand: 5 → A, 4 → B, 3 → B (4 < 5: 7), 3 → A (5 < 7: 8), 1 → B (7 < 8: 8)."""
    kernels = [
        {"kernel": name, "seconds": s, "signatures": []}
        for name, s in (("m:e", 1.0), ("m:a", 5.0), ("m:c", 3.0), ("m:b", 4.0), ("m:d", 3.0))
    ]
    split = warm_up.shares(kernels, 2)
    assert [[e["kernel"] for e in share] for share in split] == [
        ["m:a", "m:d"],
        ["m:b", "m:c", "m:e"],
    ]
    assert [[e["kernel"] for e in share] for share in warm_up.shares(kernels, 1)] == [
        ["m:a", "m:b", "m:c", "m:d", "m:e"]
    ]
    assert warm_up.shares(kernels[:1], 3)[1:] == [[], []]


def test_a_share_compiles_its_kernels_into_an_empty_cache(tmp_path: Path) -> None:
    """The process of a share writes its kernels' cache entries, and no other kernel's."""
    listed = {e["kernel"] for e in warm_up.listed()}
    share = ["drgsim.kernels.group:group_cases", "drgsim.kernels.rng:uniforms"]
    assert set(share) <= listed
    env = {**os.environ, "DRGSIM_CACHE_DIR": str(tmp_path)}
    env.pop("DRGSIM_NUMBA_CACHE", None)
    command = [sys.executable, "-m", "drgsim.scale.warm_up", "compile", json.dumps(share)]
    subprocess.run(command, env=env, timeout=600, check=True)
    index = sorted(p.name for p in (tmp_path / jit.cache_dir().name).glob("*.nbi"))
    assert [name.split("-")[0] for name in index] == ["group.group_cases", "rng.uniforms"]


def test_the_commands_say_how_they_are_used(capsys: pytest.CaptureFixture[str]) -> None:
    """A wrong call of `python -m drgsim.scale.warm_up` or `kernel_list` is one usage line
    and status 2."""
    from drgsim.scale import kernel_list

    for main, argv in (
        (warm_up.main, ["compile"]),
        (warm_up.main, ["what"]),
        (kernel_list.main, ["--here", "list.json"]),
        (kernel_list.main, ["--what"]),
    ):
        assert main(argv) == 2
        (line,) = capsys.readouterr().err.splitlines()
        assert line.startswith("usage: python -m drgsim.scale.")


def test_a_scenario_that_cannot_run_is_an_error_line_and_the_list_is_kept(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Recording from a scenario file that is not there: status 1, only lines that begin
    "error:" (the run's, then the recording's), and the list as it was."""
    from drgsim.scale import kernel_list

    before = warm_up.SIGNATURES.read_bytes()
    assert kernel_list.main([str(tmp_path / "none.yaml")]) == 1
    lines = capfd.readouterr().err.splitlines()
    assert lines and all(line.startswith("error: ") for line in lines)
    assert any("does not exist" in line for line in lines)
    assert warm_up.SIGNATURES.read_bytes() == before


def test_a_process_finding_the_shares_being_compiled_waits_for_them(tmp_path: Path) -> None:
    """The cache folder's compiling lock: a second holder (another process, here another
    open of the lock on a thread) goes on only once the first has let go."""
    import threading
    import time

    order: list[str] = []
    first_in = threading.Event()

    def first() -> None:
        with warm_up._compiling(tmp_path):
            first_in.set()
            time.sleep(0.3)
            order.append("first done")

    def second() -> None:
        first_in.wait()
        with warm_up._compiling(tmp_path):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first done", "second in"]


def test_compiling_seconds_count_no_thread_s_wait_for_another(monkeypatch) -> None:
    """Two threads compiling at once (numba lets one at a time): each kernel is counted the
    0.2 s its own compiling took, not the wait for the other's, so the two add up to no more
    than the time both took; a kernel compiled inside another's counts to itself only."""
    import threading
    import time

    from numba.core.compiler_lock import global_compiler_lock
    from numba.core.dispatcher import Dispatcher

    from drgsim.scale import kernel_list

    class Kernel:
        def __init__(self, inside: Kernel | None = None) -> None:
            self.inside = inside

    def slow_compile(self: Kernel, sig: object) -> None:  # as numba: under its lock
        with global_compiler_lock:
            time.sleep(0.2)
            if self.inside is not None:
                Dispatcher.compile(self.inside, sig)

    monkeypatch.setattr(Dispatcher, "compile", slow_compile)
    a, b, helper = Kernel(), Kernel(), Kernel()
    caller = Kernel(inside=helper)
    kernels = {id(k): k for k in (a, b, caller, helper)}
    seconds: dict[int, float] = {}
    with kernel_list._timed_compiles(kernels, seconds):
        start = time.perf_counter()
        threads = [threading.Thread(target=Dispatcher.compile, args=(k, None)) for k in (a, b)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        both = time.perf_counter() - start
        Dispatcher.compile(caller, None)
    assert 0.2 <= seconds[id(a)] < 0.35 and 0.2 <= seconds[id(b)] < 0.35
    assert seconds[id(a)] + seconds[id(b)] <= both + 0.01
    assert 0.2 <= seconds[id(caller)] < 0.35 and 0.2 <= seconds[id(helper)] < 0.35
