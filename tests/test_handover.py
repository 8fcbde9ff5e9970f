"""Worker processes hand their tables over in files in shared memory, read back whole and then
removed; without a folder, or when a file cannot be written, the value goes as it is."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from drgsim.scale import handover


def test_a_value_left_in_a_file_is_taken_back_whole_and_the_file_removed(tmp_path: Path) -> None:
    value = {"drg_margin": [{"cost_yuan": np.arange(5.0) / 3, "drg": np.array(["A", "B"])}]}
    with handover.folder(tmp_path) as where:
        assert where is not None and Path(where).parent == tmp_path
        left = handover.leave(value, where)
        assert isinstance(left, handover.Left) and Path(left.path).is_file()
        back = handover.take(left)
        assert not Path(left.path).exists()
        assert back.keys() == value.keys()
        for name in ("cost_yuan", "drg"):
            assert np.array_equal(back["drg_margin"][0][name], value["drg_margin"][0][name])
    assert not Path(where).exists()  # the folder goes with the run


def test_without_a_folder_or_a_writable_one_the_value_goes_as_it_is(tmp_path: Path) -> None:
    value = [1, 2, 3]
    assert handover.leave(value, None) is value
    assert handover.leave(value, str(tmp_path / "missing")) is value
    assert handover.take(value) is value
    with handover.folder(tmp_path / "no-such-root") as where:
        assert where is None


def test_folders_of_runs_whose_process_is_gone_are_removed(tmp_path: Path) -> None:
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    dead = tmp_path / f"{handover.PREFIX}{int(gone.stdout)}-abc"
    recent = tmp_path / f"{handover.PREFIX}{int(gone.stdout)}-ghi"  # maybe another namespace's
    live = tmp_path / f"{handover.PREFIX}{os.getpid()}-def"
    other = tmp_path / "something-else"
    old = time.time() - handover.STALE_SECONDS - 60
    for folder in (dead, recent, live, other):
        folder.mkdir()
        (folder / "x.pickle").write_bytes(b"x")
        if folder != recent:
            os.utime(folder, (old, old))
    with handover.folder(tmp_path) as where:
        assert where is not None
        assert not dead.exists() and recent.exists() and live.exists() and other.exists()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="shared memory is Linux's")
def test_the_default_folder_is_in_shared_memory() -> None:
    if not (handover.ROOT.is_dir() and os.access(handover.ROOT, os.W_OK)):
        pytest.skip("no writable /dev/shm")
    with handover.folder() as where:
        assert where is not None and Path(where).parent == handover.ROOT
