"""``inception-designer train``: output files and exit codes; ``export`` writes train_<name>.py too."""

from __future__ import annotations

import csv

import torch
from train_helpers import tiny_design

from designer.cli import main
from designer.io.project import save

QUICK = ["--data", "synthetic", "--epochs", "1", "--synthetic-train", "64", "--synthetic-val", "32",
         "--batch-size", "32", "--threads", "1", "--device", "cpu"]  # fmt: skip


def test_train_writes_checkpoints_and_metrics(tmp_path, capsys):
    save(tiny_design(), tmp_path / "tiny.json")
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "tiny.json"), *QUICK, "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "epoch   1/1" in text and "completed" in text
    data = torch.load(out / "last.pt", map_location="cpu", weights_only=True)
    assert data["epoch"] == 1
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert rows[0]["epoch"] == "1" and 0 <= float(rows[0]["val_accuracy"]) <= 1
    assert (out / "run.json").is_file() and (out / "best.pt").is_file()


def test_exit_codes(tmp_path, capsys):
    save(tiny_design(size=28), tmp_path / "small.json")
    assert main(["train", str(tmp_path / "small.json"), *QUICK, "--out", str(tmp_path / "a")]) == 1
    assert "set the Input to 3 x 32 x 32, or resize the data" in capsys.readouterr().err
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    assert main(["train", str(tmp_path / "bad.json"), *QUICK]) == 2
    save(tiny_design(), tmp_path / "tiny.json")
    args = ["train", str(tmp_path / "tiny.json"), *QUICK, "--out", str(tmp_path / "b"), "--lr", "1e38"]
    assert main([*args, "--schedule", "constant"]) == 3
    err = capsys.readouterr().err
    assert "lower learning rate" in err and "at step" in err


def test_export_writes_train_py_next_to_the_model(tmp_path, capsys):
    save(tiny_design(), tmp_path / "tiny.json")
    assert main(["export", str(tmp_path / "tiny.json"), "-o", str(tmp_path / "out" / "tiny_model.py")]) == 0
    script = (tmp_path / "out" / "train_tiny_model.py").read_text()
    assert "\nfrom tiny_model import " in script and "AUX_WEIGHTS = (0.3,)" in script
    assert "DEFAULT_WEIGHTS = 'tiny_model.pt'" in script or 'DEFAULT_WEIGHTS = "tiny_model.pt"' in script


def test_train_given_a_run_folder_continues_that_run(tmp_path, capsys):
    save(tiny_design(), tmp_path / "tiny.json")
    out = tmp_path / "run"
    assert main(["train", str(tmp_path / "tiny.json"), *QUICK, "--out", str(out)]) == 0
    capsys.readouterr()
    assert main(["train", str(out), "--epochs", "1"]) == 1
    assert "has trained 1 epochs already: continue it to more than 1 in total" in capsys.readouterr().err
    assert main(["train", str(out), "--epochs", "2", "--quiet"]) == 0
    text = capsys.readouterr().out
    assert "continuing run to 2 epochs" in text and "epoch   2/2" in text
    assert torch.load(out / "last.pt", map_location="cpu", weights_only=True)["epoch"] == 2
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert [r["epoch"] for r in rows] == ["1", "2"]
