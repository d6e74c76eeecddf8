"""The one rule between the layers: graph, io and the CLI's headless commands load neither
PySide6 nor torch; compiler and training load no PySide6. Checked in fresh interpreters."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

#: Modules of designer.graph that exist to hold torch code; only NodeType.build imports them.
TORCH_SIDE = {"designer.graph.nn_modules"}

PROBE = r"""
import importlib, json, pkgutil, sys
packages, extra, exclude = sys.argv[1].split(","), [m for m in sys.argv[2].split(",") if m], set(sys.argv[3].split(","))
names, skipped = [], []
for pkg in packages:
    try:
        module = importlib.import_module(pkg)
    except ModuleNotFoundError as exc:
        if exc.name == pkg:
            continue  # the package does not exist (yet)
        raise
    names.append(pkg)
    for info in pkgutil.walk_packages(getattr(module, "__path__", []), pkg + "."):
        if info.name not in exclude:
            names.append(info.name)
for name in names + extra:
    try:
        importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name and exc.name.split(".")[0] == "designer":
            raise
        skipped.append(f"{name} (needs {exc.name})")  # an optional third-party dependency
exec(sys.argv[4])
print(json.dumps({"imported": names + extra, "skipped": skipped,
                  "loaded": sorted({m.split(".")[0] for m in sys.modules} & {"PySide6", "torch", "shiboken6"})}))
"""


def probe(packages: list[str], extra: list[str] = (), then: str = "") -> dict:
    cmd = [sys.executable, "-c", PROBE, ",".join(packages), ",".join(extra), ",".join(TORCH_SIDE), then]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_graph_io_and_cli_load_neither_qt_nor_torch() -> None:
    # Run the headless commands too: validating and summarising a design needs no torch.
    example = ROOT / "resources" / "examples" / "inception_module.json"
    then = (
        "import contextlib, io\n"
        "from designer.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        f"    assert main(['validate', {str(example)!r}]) == 0\n"
        f"    assert main(['summary', '--json', {str(example)!r}]) == 0\n"
    )
    result = probe(["designer.graph", "designer.io"], ["designer.cli"], then)
    for name in (
        "designer.graph.nodes",
        "designer.graph.validate",
        "designer.graph.cost",
        "designer.graph.layout",
        "designer.graph.builder",
        "designer.io.project",
        "designer.io.autosave",
        "designer.cli",
    ):
        assert name in result["imported"]
    assert result["skipped"] == []
    assert result["loaded"] == []


@pytest.mark.parametrize("package", ["designer.compiler", "designer.training"])
def test_compiler_and_training_load_no_qt(package: str) -> None:
    result = probe([package], ["designer.compiler.build"])
    assert "designer.compiler.build" in result["imported"]
    assert "PySide6" not in result["loaded"] and "shiboken6" not in result["loaded"]
