"""`make test` works on a fresh clone of the committed tree, with nothing installed by hand.

The clone gets its own `.venv` (pip's download cache is reused, the environment is not) and a
`shared` folder beside it, as CI has, and runs `make test`: the install from the lock files, ruff,
mypy and pytest. Its pytest run is limited to the unit and database tests (the whole suite runs once
already, here, and CI runs it on a fresh clone of every submission); the inner run skips this test,
so it cannot recurse. It is slow (a whole install, over a minute) and repeats what CI does on every
submission, so it runs with `make test-slow`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
INNER = "SMARTAP_INNER_FRESH_CLONE"


@pytest.mark.slow
@pytest.mark.skipif(os.environ.get(INNER) == "1", reason="already inside a fresh-clone run")
@pytest.mark.skipif(not (REPO / ".git").exists(), reason="not a git checkout")
def test_make_test_passes_on_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "main"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True, timeout=120)
    shared = REPO.parent / "shared"
    if shared.exists():
        (tmp_path / "shared").symlink_to(shared)
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "PYTEST_"))}
    environment.pop("CI", None)
    environment["PATH"] = os.pathsep.join(
        p for p in environment.get("PATH", "").split(os.pathsep) if ".venv" not in p
    )
    environment[INNER] = "1"
    environment["PYTEST_ADDOPTS"] = "tests/unit tests/db"
    make = shutil.which("make") or "make"

    result = subprocess.run(
        [make, "test"], cwd=clone, env=environment, capture_output=True, text=True, timeout=900, check=False
    )

    tail = (result.stdout + result.stderr)[-3000:]
    assert result.returncode == 0, tail
    assert (clone / ".venv" / "bin" / "smartap-erp").exists()
    assert " passed" in result.stdout
