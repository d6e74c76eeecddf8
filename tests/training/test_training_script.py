"""The standalone train.py: renders, compiles, and trains with torchrun (2 CPU processes, gloo)."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from train_helpers import tiny_design

from designer.compiler.build import compile_model
from designer.compiler.codegen import generate
from designer.training.script import model_class_name, render_train_script


def _write(tmp_path: Path) -> Path:
    doc = tiny_design()
    code = generate(doc)
    (tmp_path / "model.py").write_text(code, encoding="utf-8")
    cls = model_class_name(code)
    script = render_train_script("model", cls, input_shape=(3, 32, 32), num_classes=10, aux_weights=(0.3,))
    ast.parse(script)
    assert "import designer" not in script and "from designer" not in script
    (tmp_path / "train.py").write_text(script, encoding="utf-8")
    return tmp_path / "train.py"


def _env() -> dict[str, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": ""}
    env.pop("PYTEST_CURRENT_TEST", None)
    return env


def test_model_class_name_finds_the_outer_module():
    code = generate(tiny_design())
    name = model_class_name(code)
    ns: dict = {}
    exec(compile(code, "model.py", "exec"), ns)  # our own generated code
    model = ns[name]()
    model.load_state_dict(compile_model(tiny_design()).state_dict())


def test_render_rejects_names_that_are_not_identifiers():
    with pytest.raises(ValueError):
        render_train_script("model", "Net; import os")


def test_torchrun_with_two_cpu_processes_trains_one_epoch(tmp_path):
    _write(tmp_path)
    torchrun = Path(sys.executable).with_name("torchrun")
    cmd = [
        str(torchrun), "--standalone", "--nproc_per_node=2", "train.py", "--data", "synthetic", "--epochs", "1",
        "--synthetic-train", "256", "--synthetic-val", "64", "--batch-size", "32", "--threads", "1", "--out", "out",
    ]  # fmt: skip
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "x 2 process(es)" in proc.stdout and "epoch 1/1" in proc.stdout
    state = torch.load(tmp_path / "out" / "last.pt", map_location="cpu", weights_only=True)
    compile_model(tiny_design()).load_state_dict(state)


def test_single_process_on_an_image_folder(tmp_path):
    from PIL import Image

    _write(tmp_path)
    g = torch.Generator().manual_seed(0)
    for k in range(10):
        folder = tmp_path / "images" / f"class{k}"
        folder.mkdir(parents=True)
        for i in range(3):
            arr = (torch.rand(20, 24, 3, generator=g) * 255).to(torch.uint8).numpy()
            Image.fromarray(arr).save(folder / f"{i}.png")
    cmd = [sys.executable, "train.py", "--data", "images", "--epochs", "1", "--batch-size", "8", "--threads", "1"]
    proc = subprocess.run(cmd, cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "epoch 1/1" in proc.stdout
