"""Export: python code + weights, ONNX against onnxruntime, the CLI, torchinfo's summary."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from compiler_designs import card_module, googlenet, mixed_design
from compiler_helpers import model_class

from designer.cli import main
from designer.compiler.build import compile_model
from designer.compiler.export import export_python
from designer.graph.builder import Builder
from designer.io.project import save

ROOT = Path(__file__).resolve().parents[2]


def _small():
    return googlenet(size=96, classes=7, width=0.125, bn=True)


def _import_path(path):
    spec = importlib.util.spec_from_file_location(f"exported_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_export_python_writes_code_and_weights(tmp_path):
    doc = _small()
    model = compile_model(doc, seed=3)
    code, weights = export_python(doc, tmp_path / "net.py", model=model)
    assert code.name == "net.py" and weights.name == "net.pt"
    net = model_class(_import_path(code))()
    net.load_state_dict(torch.load(weights, weights_only=True), strict=True)
    x = torch.randn(2, *model.input_shape)
    model.eval()
    net.eval()
    with torch.no_grad():
        assert torch.allclose(model(x), net(x), atol=1e-5)


def _bad_design():
    b = Builder("bad")
    x = b.input(channels=3, height=8, width=8)
    y = b.conv(x, "too_big", out_channels=4, kernel_size=11, padding="valid")
    b.output(y, num_classes=2)
    return b.done(layout=False)


def test_cli_export_python(tmp_path, capsys):
    design = tmp_path / "design.json"
    save(_small(), design)
    assert main(["export", str(design), "--format", "python", "-o", str(tmp_path / "out" / "model.py")]) == 0
    assert (tmp_path / "out" / "model.py").exists() and (tmp_path / "out" / "model.pt").exists()
    net = model_class(_import_path(tmp_path / "out" / "model.py"))()
    net.load_state_dict(torch.load(tmp_path / "out" / "model.pt", weights_only=True), strict=True)


def test_cli_export_errors(tmp_path, capsys):
    assert main(["export", str(tmp_path / "missing.json"), "-o", str(tmp_path / "m.py")]) == 2
    bad = tmp_path / "bad.json"
    save(_bad_design(), bad)
    assert main(["export", str(bad), "-o", str(tmp_path / "m.py")]) == 1
    err = capsys.readouterr().err
    assert "too_big" in err and "kernel" in err
    assert not (tmp_path / "m.py").exists()
    assert main(["summary", str(bad), "--torchinfo"]) == 1


def test_cli_summary_torchinfo(tmp_path, capsys):
    design = tmp_path / "card.json"
    save(card_module(), design)
    assert main(["summary", str(design), "--torchinfo"]) == 0
    out = capsys.readouterr().out
    assert "Total params: 163,696" in out
    assert "b3_5x5" in out
    # torchinfo 1.8 on Python >= 3.11 prints its unit enum as "Units.MEGABYTES": we print exact counts.
    assert "Units." not in out
    (macs,) = [line for line in out.splitlines() if line.startswith("Total mult-adds")]
    assert re.fullmatch(r"Total mult-adds: [0-9,]+", macs), macs


def test_onnx_matches_onnxruntime(tmp_path):
    pytest.importorskip("onnxscript")
    ort = pytest.importorskip("onnxruntime")
    from designer.compiler.onnx import export_onnx

    doc = mixed_design()
    model = compile_model(doc, seed=1)
    path = export_onnx(doc, tmp_path / "net.onnx", model=model)
    assert model.training  # the mode is restored
    model.eval()
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    assert [i.name for i in session.get_inputs()] == ["input"]
    assert not (tmp_path / "net.onnx.data").exists()  # one self-contained file
    for batch in (1, 3):  # dynamic batch
        x = torch.randn(batch, *model.input_shape)
        (got,) = session.run(None, {"input": x.numpy()})
        with torch.no_grad():
            want = model(x).numpy()
        assert got.shape == want.shape == (batch, 3)
        assert np.allclose(got, want, rtol=1e-4, atol=1e-5)


def test_cli_export_onnx_prints_where_it_wrote_and_no_warnings(tmp_path):
    pytest.importorskip("onnxscript")
    design = tmp_path / "card.json"
    save(card_module(), design)
    out = tmp_path / "card.onnx"
    proc = subprocess.run(
        [sys.executable, "-m", "designer", "export", str(design), "--format", "onnx", "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONWARNINGS": "default"},  # whatever a user's environment shows
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == ""  # torch's exporter logs "torchvision is not installed" and warns FutureWarning
    assert re.fullmatch(rf"wrote {re.escape(str(out))} \([0-9.]+ KiB\)\n", proc.stdout), proc.stdout
    import onnx

    onnx.checker.check_model(onnx.load(str(out)))
