"""drgsim caches its compiled kernels in its own folder and leaves numba's settings alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

SCRIPT = textwrap.dedent(
    """
    import json, sys
    import numba
    before = numba.config.CACHE_DIR
    sys.path.insert(0, sys.argv[1])
    import drgsim
    import drgsim.cli
    from drgsim.kernels.group import group_cases
    from drgsim.kernels.jit import cache_dir
    import numpy as np
    import other_library
    group_cases(np.zeros(3, np.int16), np.zeros(3, np.int8), np.zeros(3, np.bool_),
                np.zeros((1, 3), np.int32))
    other_library.double(2.0)
    print(json.dumps({"before": before, "after": numba.config.CACHE_DIR,
                      "kernels": str(cache_dir()), "hits": len(group_cases.compiled.stats.cache_hits)}))
    """
)


def test_importing_drgsim_leaves_numbas_cache_folder_to_other_libraries(tmp_path: Path) -> None:
    """numba.config.CACHE_DIR is unchanged, drgsim's kernels are cached in its folder and
    reused, and another library's kernel is cached where numba puts it by default."""
    library = tmp_path / "lib"
    library.mkdir()
    (library / "other_library.py").write_text(
        "import numba\n\n@numba.njit(cache=True)\ndef double(x):\n    return 2 * x\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    env["DRGSIM_CACHE_DIR"] = str(tmp_path / "drgsim-cache")
    env.pop("DRGSIM_NUMBA_CACHE", None)
    runs = []
    for _ in range(2):
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, str(library)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    first, seen = runs
    assert seen["after"] == seen["before"]
    assert first["hits"] == 0 and seen["hits"] == 1  # compiled once, then loaded from the cache
    kernels = Path(seen["kernels"])
    assert kernels.parent == tmp_path / "drgsim-cache"
    assert any(p.name.startswith("group.group_cases") for p in kernels.iterdir())
    assert not any("other_library" in p.name for p in kernels.rglob("*"))
    # the other library's kernel is cached by numba's default rule, beside its own source
    assert any(
        p.name.startswith("other_library.double") for p in (library / "__pycache__").iterdir()
    )
