"""CPU runs under load: OpenMP's passive wait is set before torch loads, in designer and in
the exported train.py, and the default thread count leaves room on larger machines."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from designer.training.script import render_train_script
from designer.training.threads import default_cpu_threads, usable_cores

# Runs in a fresh interpreter: records OMP_WAIT_POLICY as it is when torch starts to load.
_PROBE = """
import importlib.abc, os, sys

seen = []

class Probe(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "torch" and not seen:
            seen.append(os.environ.get("OMP_WAIT_POLICY"))
        return None

sys.meta_path.insert(0, Probe())
import designer.cli
print("after designer.cli:", os.environ.get("OMP_WAIT_POLICY"), "torch" in sys.modules)
import designer.training.loop
print("when torch loaded:", seen[0] if seen else "torch not loaded")
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    env.pop("PYTEST_CURRENT_TEST", None)
    return {**env, **extra}


def test_designer_sets_the_passive_wait_before_torch_loads():
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "after designer.cli: PASSIVE False" in proc.stdout, proc.stdout
    assert "when torch loaded: PASSIVE" in proc.stdout, proc.stdout


def test_an_explicit_wait_policy_wins():
    code = "import os, designer; print(os.environ['OMP_WAIT_POLICY'])"
    proc = subprocess.run(
        [sys.executable, "-c", code], env=_env(OMP_WAIT_POLICY="ACTIVE"), capture_output=True, text=True, timeout=60
    )
    assert proc.stdout.strip() == "ACTIVE", proc.stderr


def _is_torch_import(node: ast.stmt) -> bool:
    if isinstance(node, ast.Import):
        return any(a.name == "torch" or a.name.startswith("torch.") for a in node.names)
    return isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "torch"


def _sets_passive_wait(node: ast.stmt) -> bool:
    if not (isinstance(node, ast.Expr) and isinstance(node.value, ast.Call)):
        return False
    call = node.value
    args = [ast.literal_eval(a) for a in call.args]
    return ast.unparse(call.func) == "os.environ.setdefault" and args == ["OMP_WAIT_POLICY", "PASSIVE"]


def test_the_train_script_sets_the_passive_wait_before_importing_torch(tmp_path):
    script = render_train_script("model", "Net")
    body = ast.parse(script).body
    first_torch = next(i for i, node in enumerate(body) if _is_torch_import(node))
    setters = [i for i, node in enumerate(body) if _sets_passive_wait(node)]
    assert setters and setters[0] < first_torch
    assert all(not _is_torch_import(node) for node in body[: setters[0]])
    ruff = Path(sys.executable).with_name("ruff")
    ruff_cmd = str(ruff) if ruff.exists() else shutil.which("ruff")
    if ruff_cmd is None:
        pytest.skip("ruff not installed")
    path = tmp_path / "train.py"
    path.write_text(script, encoding="utf-8")
    proc = subprocess.run(
        [ruff_cmd, "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM", "--line-length", "120", str(path)],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stdout


@pytest.mark.parametrize(("cores", "threads"), [(1, 1), (2, 1), (3, 2), (4, 3), (8, 7), (64, 16)])
def test_default_threads(cores, threads):
    assert default_cpu_threads(cores) == threads


def test_usable_cores_is_what_the_process_may_run_on():
    n = usable_cores()
    assert 1 <= n <= (os.cpu_count() or 1)
    if hasattr(os, "sched_getaffinity"):
        assert n <= len(os.sched_getaffinity(0))


def test_the_cli_uses_the_default_thread_count(tmp_path):
    import argparse

    from designer.training.cli_train import add_arguments, config_from_args

    p = argparse.ArgumentParser()
    add_arguments(p)
    assert config_from_args(p.parse_args(["x.json"]), "x").num_threads == default_cpu_threads()
    assert config_from_args(p.parse_args(["x.json", "--threads", "5"]), "x").num_threads == 5
