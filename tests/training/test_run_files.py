"""What a user sees of a run on disk and in its records: the run's id, file permissions,
unreadable validation images and empty class folders."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from train_helpers import tiny_design

from designer.cli import main
from designer.io.project import save
from designer.training.data import DataError, check_compatible, open_dataset
from designer.training.loop import train
from designer.training.records import EpochRecord, RunFinished, RunStarted, StatusRecord, TrainConfig


def _images(root: Path, classes: int = 10, per_class: int = 3, size: tuple[int, int] = (20, 24)) -> None:
    from PIL import Image

    for k in range(classes):
        folder = root / f"class{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            Image.new("RGB", size, (25 * k, 10 * i, 128)).save(folder / f"{i}.png")


def test_the_run_id_is_the_folder_name(tiny, cfg, small_source, tmp_path):
    out = tmp_path / "runs" / "tiny-20250101-120000-2"
    recs = list(train(tiny, TrainConfig(**{**cfg.to_dict(), "out_dir": str(out)}), source=small_source))
    started = next(r for r in recs if isinstance(r, RunStarted))
    assert started.run_id == out.name
    assert json.loads((out / "run.json").read_text())["run_id"] == out.name


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o002])
def test_run_folders_and_files_honour_the_umask(tiny, cfg, small_source, tmp_path, mask):
    out = tmp_path / "runs" / "a" / "run"
    old = os.umask(mask)
    try:
        recs = list(train(tiny, TrainConfig(**{**cfg.to_dict(), "out_dir": str(out)}), source=small_source))
    finally:
        os.umask(old)
    assert isinstance(recs[-1], RunFinished) and recs[-1].status == "completed", recs[-1]
    names = {p.name for p in out.iterdir()}
    assert {"run.json", "metrics.csv", "steps.csv", "design.json", "last.pt", "best.pt"} <= names, names
    assert not [n for n in names if n.endswith(".tmp")]
    for path in [tmp_path / "runs" / "a", out, *out.iterdir()]:
        want = (0o777 if path.is_dir() else 0o666) & ~mask
        assert stat.S_IMODE(path.stat().st_mode) == want, f"{path.name}: {oct(path.stat().st_mode)} != {oct(want)}"


def test_an_unreadable_validation_image_is_reported_in_a_one_epoch_run(tiny, tmp_path):
    data = tmp_path / "data"
    _images(data / "train")
    _images(data / "val", per_class=1)
    (data / "val" / "class3" / "broken.png").write_bytes(b"not an image")
    cfg = TrainConfig(epochs=1, batch_size=8, lr=0.05, num_threads=1, device="cpu", data=str(data),
                      out_dir=str(tmp_path / "run"), log_every=1)  # fmt: skip
    recs = list(train(tiny, cfg))
    assert isinstance(recs[-1], RunFinished) and recs[-1].status == "completed", recs[-1]
    notes = [i for i, r in enumerate(recs) if isinstance(r, StatusRecord) and "broken.png" in r.message]
    assert len(notes) == 1, "told once, in this run"
    epoch = next(i for i, r in enumerate(recs) if isinstance(r, EpochRecord))
    assert notes[0] < epoch, "with the epoch whose validation met it"
    info = json.loads((tmp_path / "run" / "run.json").read_text())
    assert any("broken.png" in n for n in info["notes"])


def test_the_cli_prints_an_unreadable_validation_image(tmp_path, capsys):
    data = tmp_path / "data"
    _images(data / "train")
    _images(data / "val", per_class=1)
    (data / "val" / "class0" / "broken.png").write_bytes(b"not an image")
    save(tiny_design(), tmp_path / "tiny.json")
    args = ["train", str(tmp_path / "tiny.json"), "--data", str(data), "--epochs", "1", "--batch-size", "8",
            "--threads", "1", "--device", "cpu", "--out", str(tmp_path / "run")]  # fmt: skip
    assert main(args) == 0
    err = capsys.readouterr().err
    assert "note: skipped an unreadable image" in err and "broken.png" in err


@pytest.mark.parametrize("layout", ["flat", "train_val"])
def test_an_empty_class_folder_is_named_not_taken_for_a_class_count_mismatch(tmp_path, layout):
    root = tmp_path / "data"
    base = root / "train" if layout == "train_val" else root
    _images(base)
    if layout == "train_val":
        _images(root / "val", per_class=1)
        (root / "val" / "zebra").mkdir()
    (base / "zebra").mkdir()  # an eleventh class folder, with nothing in it
    with pytest.raises(DataError) as info:
        open_dataset(str(root), input_shape=(3, 32, 32))
    message = str(info.value)
    assert str(base / "zebra") in message and "has no images" in message, message
    assert "classes" not in message.split("has no images")[0]


def test_an_empty_validation_class_folder_is_a_note(tmp_path):
    root = tmp_path / "data"
    _images(root / "train")
    _images(root / "val", per_class=1)
    for f in (root / "val" / "class7").iterdir():
        f.unlink()
    src = open_dataset(str(root), input_shape=(3, 32, 32))
    check_compatible(src, (3, 32, 32), {"classifier": 10})
    assert len(src.notes) == 1 and str(root / "val" / "class7") in src.notes[0]


def test_the_run_reports_the_empty_folder_not_the_class_count(tiny, tmp_path):
    root = tmp_path / "data"
    _images(root)
    (root / "unused").mkdir()
    cfg = TrainConfig(epochs=1, batch_size=8, num_threads=1, device="cpu", data=str(root))
    errors = [r for r in train(tiny, cfg) if type(r).__name__ == "ErrorRecord"]
    assert len(errors) == 1 and errors[0].kind == "data"
    assert str(root / "unused") in errors[0].message and "predicts" not in errors[0].message
