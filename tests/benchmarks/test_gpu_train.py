"""benchmarks/gpu_train.py: its CPU smoke mode runs both loops and reports real figures, and
without a GPU (and no --device) it says so in one line and exits 0. No GPU is needed here,
and nothing here depends on the figures' size (the benchmark is never pass/fail)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[2]
SMOKE = ["--device", "cpu", "--batch", "2", "--warmup", "1", "--steps", "1", "--models", "googlenet"]


@pytest.fixture(scope="module")
def bench():
    name = "benchmarks_gpu_train"
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / "gpu_train.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.modules.pop(name, None)


@pytest.fixture(autouse=True)
def keep_threads():
    """The benchmark (and the app's loop) set torch's thread count: give it back."""
    n = torch.get_num_threads()
    yield
    torch.set_num_threads(n)


def table_rows(out: str) -> list[str]:
    lines = out.splitlines()
    start = next(i for i, s in enumerate(lines) if s.startswith("model "))
    return [s for s in lines[start + 1 :] if s.startswith("googlenet ")]


def test_cpu_smoke_measures_both_loops(bench, tmp_path, capsys) -> None:
    path = tmp_path / "out" / "rows.json"
    argv = [*SMOKE, "--size", "96", "--formats", "contiguous", "channels_last", "--json", str(path)]
    assert bench.main(argv) == 0
    out = capsys.readouterr().out
    assert out.startswith("device: cpu")
    assert f"torch {torch.__version__}" in out
    rows = table_rows(out)
    assert len(rows) == 2, out  # one per configuration asked: fp32 x (contiguous, channels_last), no compile
    for text, fmt in zip(rows, ("contiguous", "channels_last"), strict=True):
        cols = text.split()
        assert cols[:4] == ["googlenet", "fp32", fmt, "off"], text
        assert "error" not in text
        assert float(cols[4]) > 0 and float(cols[5]) > 0  # app and bare images/s
        assert float(cols[6]) == pytest.approx(float(cols[4]) / float(cols[5]), rel=0.01, abs=0.002)
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["torch"] == torch.__version__ and data["batch"] == 2 and data["steps"] == 1
    assert [(r["model"], r["precision"], r["memory_format"], r["compile"]) for r in data["rows"]] == [
        ("googlenet", "fp32", "contiguous", False),
        ("googlenet", "fp32", "channels_last", False),
    ]
    for r in data["rows"]:
        assert r["error"] == ""
        assert r["app_images_per_s"] > 0 and r["bare_images_per_s"] > 0
        assert r["ratio"] == pytest.approx(r["app_images_per_s"] / r["bare_images_per_s"])
        assert r["size"] == "96 x 96" and r["app_precision"] == "fp32"
        assert r["app_peak_gib"] is None and r["bare_peak_gib"] is None  # no device memory on the CPU


def test_a_size_the_design_rejects_is_a_row_with_the_reason(bench, capsys) -> None:
    assert bench.main([*SMOKE, "--size", "64"]) == 0
    out = capsys.readouterr().out
    (row,) = table_rows(out)
    assert "error: ValueError: googlenet does not work at 64 x 64" in row
    assert "the smallest input it accepts is 79 x 79" in row


def test_without_cuda_and_no_device_it_says_so_and_exits_0(bench, monkeypatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bench.main([]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    (line,) = out.splitlines()
    assert line.startswith("no CUDA GPU here")
    assert "--device cpu" in line


def test_cuda_asked_for_without_cuda_is_a_one_line_refusal(bench, monkeypatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert bench.main(["--device", "cuda"]) == 2
    (line,) = capsys.readouterr().out.splitlines()
    assert "no CUDA GPU here" in line


def test_past_the_budget_configurations_are_skipped_rows(bench, tmp_path, capsys) -> None:
    path = tmp_path / "rows.json"
    assert bench.main([*SMOKE, "--size", "96", "--budget-s", "1e-9", "--json", str(path)]) == 0
    (row,) = table_rows(capsys.readouterr().out)
    assert "skipped: the run is past --budget-s" in row
    data = json.loads(path.read_text(encoding="utf-8"))
    assert data["complete"] is True and data["rows"][0]["app_images_per_s"] is None
