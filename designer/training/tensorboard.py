"""A run's metrics in TensorBoard's event format, when the ``tensorboard`` package is installed.

``pip install "inception-designer[tensorboard]"`` (or ``pip install tensorboard``) and every
run with a folder also writes ``<run>/tensorboard/`` (view it with
``tensorboard --logdir RUNS_DIR``): per logged step ``train/loss``, ``train/main_loss``,
``train/aux_loss/<head>``, ``train/accuracy``, ``train/lr``, ``train/images_per_s``; per
epoch (at the epoch's last step) ``val/loss``, ``val/accuracy``, ``val/aux_accuracy/<head>``,
``epoch/train_loss``, ``epoch/train_accuracy``, ``epoch/images_per_s``. Without the package
nothing is written and nothing is said: the run is the same. A failure of the writer (a full
disk) turns it off for the rest of the run, quietly; run.json and the CSVs stay the record.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

from .records import EpochRecord, StepRecord

__all__ = ["SUBDIR", "TensorBoardLog", "available"]

#: The folder in a run's folder that the event files go to.
SUBDIR = "tensorboard"


def available() -> bool:
    """Whether the ``tensorboard`` package can be imported."""
    try:
        import tensorboard  # noqa: F401
    except Exception:  # noqa: BLE001 - a broken install counts as none
        return False
    return True


class TensorBoardLog:
    """Writes a run's scalars to ``out_dir/tensorboard/``; does nothing when TensorBoard is missing."""

    def __init__(self, out_dir: str | os.PathLike[str]):
        self.writer: Any = None
        if not out_dir or not available():
            return
        try:
            from torch.utils.tensorboard import SummaryWriter

            self.writer = SummaryWriter(log_dir=str(Path(out_dir) / SUBDIR))
        except Exception:  # noqa: BLE001 - optional: never the reason a run fails
            self.writer = None

    @property
    def enabled(self) -> bool:
        return self.writer is not None

    def _scalars(self, values: dict[str, float], step: int) -> None:
        if self.writer is None:
            return
        try:
            for tag, value in values.items():
                if value is not None:
                    self.writer.add_scalar(tag, float(value), step)
        except Exception:  # noqa: BLE001
            self.close()

    def add_step(self, rec: StepRecord) -> None:
        values = {
            "train/loss": rec.loss,
            "train/main_loss": rec.main_loss,
            **{f"train/aux_loss/{name}": v for name, v in rec.aux_losses.items()},
            "train/accuracy": rec.accuracy,
            "train/lr": rec.lr,
            "train/images_per_s": rec.images_per_s,
        }
        self._scalars(values, rec.step)

    def add_epoch(self, rec: EpochRecord) -> None:
        values = {
            "val/loss": rec.val_loss,
            "val/accuracy": rec.val_accuracy,
            **{f"val/aux_accuracy/{name}": v for name, v in (rec.aux_accuracy or {}).items()},
            "epoch/train_loss": rec.train_loss,
            "epoch/train_accuracy": rec.train_accuracy,
            "epoch/images_per_s": rec.images_per_s,
        }
        self._scalars(values, rec.step)
        if self.writer is not None:
            try:
                self.writer.flush()  # an epoch's figures are on disk as soon as run.json's are
            except Exception:  # noqa: BLE001
                self.close()

    def close(self) -> None:
        writer, self.writer = self.writer, None
        if writer is not None:
            with contextlib.suppress(Exception):
                writer.close()
