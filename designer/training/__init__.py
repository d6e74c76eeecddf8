"""Training designs: data, the loop (a generator of plain records), checkpoints, the train script.

No Qt here: the UI runs :func:`train` in a worker thread and plots the records.
"""

from __future__ import annotations

from .data import DataError, DataSource, check_compatible, open_dataset
from .device import ConfigError
from .loop import RunControl, evaluate, lr_at, total_loss, train
from .records import (
    EpochRecord,
    ErrorRecord,
    Record,
    RunFinished,
    RunStarted,
    StatusRecord,
    StepRecord,
    TrainConfig,
)

__all__ = [
    "ConfigError",
    "DataError",
    "DataSource",
    "EpochRecord",
    "ErrorRecord",
    "Record",
    "RunControl",
    "RunFinished",
    "RunStarted",
    "StatusRecord",
    "StepRecord",
    "TrainConfig",
    "check_compatible",
    "evaluate",
    "lr_at",
    "open_dataset",
    "total_loss",
    "train",
]
