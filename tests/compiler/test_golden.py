"""The export of every shipped example, diffed against the checked-in golden file.

A change to the generator then shows up in review as a change to the code people read.
Regenerate with ``python -m tests.compiler.regen_golden`` or ``UPDATE_GOLDEN=1 pytest ...``.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.compiler.regen_golden import GOLDEN, example_names, expected

NAMES = example_names()
RUFF = Path(sys.executable).with_name("ruff")
PYPROJECT = Path(__file__).parents[2] / "pyproject.toml"


@pytest.mark.parametrize("name", NAMES)
def test_export_matches_golden(name):
    path = GOLDEN / f"{name}.py"
    src = expected(name)
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(src)
    assert path.exists(), f"no golden file {path}: run `python -m tests.compiler.regen_golden`"
    want = path.read_text()
    if src != want:
        diff = "".join(
            difflib.unified_diff(
                want.splitlines(True), src.splitlines(True), f"golden/{name}.py", f"generate({name})", n=2
            )
        )
        pytest.fail(
            f"the generated code of {name!r} changed. If that is intended, run "
            f"`python -m tests.compiler.regen_golden` (or UPDATE_GOLDEN=1) and review the diff:\n{diff[:6000]}",
            pytrace=False,
        )


@pytest.mark.skipif(not RUFF.exists() and not shutil.which("ruff"), reason="ruff not installed")
def test_every_export_is_ruff_clean_with_the_projects_settings(tmp_path):
    """``ruff check`` and ``ruff format --check`` with pyproject.toml's [tool.ruff], on each example's model file."""
    ruff = str(RUFF) if RUFF.exists() else "ruff"
    paths = []
    for name in NAMES:
        path = tmp_path / f"{name}.py"
        path.write_text(expected(name))
        paths.append(str(path))
    for cmd in (["check"], ["format", "--check", "--diff"]):
        proc = subprocess.run(
            [ruff, *cmd, "--config", str(PYPROJECT), *paths], capture_output=True, text=True, cwd=tmp_path
        )
        assert proc.returncode == 0, f"ruff {' '.join(cmd)}:\n{proc.stdout}{proc.stderr}"
