"""TensorBoard event logging: a no-op without the package, the expected scalars with it (faked)."""

from __future__ import annotations

import sys
import types

import pytest

from designer.training import tensorboard as tb
from designer.training.loop import train
from designer.training.records import EpochRecord, RunFinished, StepRecord, TrainConfig


def _block_tensorboard(monkeypatch):
    # None in sys.modules makes ``import tensorboard`` raise ImportError, installed or not.
    monkeypatch.setitem(sys.modules, "tensorboard", None)


def test_without_the_package_nothing_is_written_and_the_run_completes(tiny, cfg, small_source, monkeypatch, recwarn):
    _block_tensorboard(monkeypatch)
    assert not tb.available()
    recs = list(train(tiny, TrainConfig(**{**cfg.to_dict(), "epochs": 2}), source=small_source))
    fin = recs[-1]
    assert isinstance(fin, RunFinished) and fin.status == "completed"
    assert not (tmp := __import__("pathlib").Path(cfg.out_dir) / tb.SUBDIR).exists(), tmp
    assert not [w for w in recwarn if "tensorboard" in str(w.message).lower()]
    log = tb.TensorBoardLog(cfg.out_dir)
    assert not log.enabled
    log.close()  # harmless


class FakeWriter:
    instances: list[FakeWriter] = []

    def __init__(self, log_dir: str):
        self.log_dir = log_dir
        self.scalars: list[tuple[str, float, int]] = []
        self.flushes = 0
        self.closed = False
        FakeWriter.instances.append(self)

    def add_scalar(self, tag: str, value: float, step: int) -> None:
        assert not self.closed
        self.scalars.append((tag, value, step))

    def flush(self) -> None:
        self.flushes += 1

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_tensorboard(monkeypatch):
    FakeWriter.instances = []
    monkeypatch.setitem(sys.modules, "tensorboard", types.ModuleType("tensorboard"))
    fake = types.ModuleType("torch.utils.tensorboard")
    fake.SummaryWriter = FakeWriter
    monkeypatch.setitem(sys.modules, "torch.utils.tensorboard", fake)
    return FakeWriter


def test_with_the_package_the_loop_writes_the_scalars(tiny, cfg, small_source, fake_tensorboard, tmp_path):
    assert tb.available()
    recs = list(train(tiny, TrainConfig(**{**cfg.to_dict(), "epochs": 2}), source=small_source))
    assert isinstance(recs[-1], RunFinished) and recs[-1].status == "completed"
    (writer,) = fake_tensorboard.instances
    assert writer.log_dir == str(tmp_path / "run" / "tensorboard")
    assert writer.closed and writer.flushes == 2
    steps = [r for r in recs if isinstance(r, StepRecord)]
    epochs = [r for r in recs if isinstance(r, EpochRecord)]
    assert steps and len(epochs) == 2
    (aux,) = steps[0].aux_losses  # the tiny design has one aux head
    got: dict[str, list[tuple[int, float]]] = {}
    for tag, value, step in writer.scalars:
        got.setdefault(tag, []).append((step, value))
    step_tags = {
        "train/loss": "loss", "train/main_loss": "main_loss", "train/accuracy": "accuracy", "train/lr": "lr",
        "train/images_per_s": "images_per_s",
    }  # fmt: skip
    for tag, field in step_tags.items():
        assert got[tag] == [(r.step, pytest.approx(getattr(r, field))) for r in steps], tag
    assert got[f"train/aux_loss/{aux}"] == [(r.step, pytest.approx(r.aux_losses[aux])) for r in steps]
    epoch_tags = {
        "val/loss": "val_loss", "val/accuracy": "val_accuracy", "epoch/train_loss": "train_loss",
        "epoch/train_accuracy": "train_accuracy", "epoch/images_per_s": "images_per_s",
    }  # fmt: skip
    for tag, field in epoch_tags.items():
        assert got[tag] == [(r.step, pytest.approx(getattr(r, field))) for r in epochs], tag
    assert [s for s, _ in got[f"val/aux_accuracy/{aux}"]] == [r.step for r in epochs]
    assert set(got) == {*step_tags, *epoch_tags, f"train/aux_loss/{aux}", f"val/aux_accuracy/{aux}"}


def test_a_run_without_a_folder_writes_no_events(tiny, cfg, small_source, fake_tensorboard):
    recs = list(train(tiny, TrainConfig(**{**cfg.to_dict(), "out_dir": ""}), source=small_source))
    assert recs[-1].status == "completed"
    assert fake_tensorboard.instances == []


def test_a_failing_writer_is_turned_off_quietly(tiny, cfg, small_source, fake_tensorboard, monkeypatch):
    def boom(self, *a):
        raise OSError("disk full")

    monkeypatch.setattr(FakeWriter, "add_scalar", boom)
    recs = list(train(tiny, cfg, source=small_source))
    assert recs[-1].status == "completed"
    assert fake_tensorboard.instances[0].closed


def test_a_failed_run_closes_the_writer(tiny, cfg, small_source, fake_tensorboard):
    recs = list(train(tiny, TrainConfig(**{**cfg.to_dict(), "lr": 1e30}), source=small_source))
    assert recs[-1].status == "failed"
    assert fake_tensorboard.instances and all(w.closed for w in fake_tensorboard.instances)
