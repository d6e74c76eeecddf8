"""Training designs: data, the loop (a generator of plain records), checkpoints, the train script.

No Qt here: the UI runs :func:`train` in a worker thread and plots the records. The names
below load lazily, so that the CLI can build its ``train`` arguments without importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_WHERE = {
    "ConfigError": "device",
    "DataError": "data",
    "DataSource": "data",
    "check_compatible": "data",
    "open_dataset": "data",
    "RunControl": "loop",
    "evaluate": "loop",
    "train": "loop",
    "lr_at": "optim",
    "total_loss": "optim",
    "EpochRecord": "records",
    "ErrorRecord": "records",
    "Record": "records",
    "RunFinished": "records",
    "RunStarted": "records",
    "StatusRecord": "records",
    "StepRecord": "records",
    "TrainConfig": "records",
}

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        value = getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_WHERE))
