"""Plain data that crosses from the training loop to its consumers (UI, CLI, tests).

Everything here is a frozen dataclass of numbers, strings, tuples and dicts: safe to send
through a Qt signal to another thread, to print, or to write as JSON.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "TrainConfig",
    "RunStarted",
    "StepRecord",
    "EpochRecord",
    "StatusRecord",
    "ErrorRecord",
    "RunFinished",
    "Record",
    "OPTIMIZERS",
    "SCHEDULES",
    "DEVICES",
]

OPTIMIZERS = ("sgd", "adamw")
SCHEDULES = ("cosine", "step", "onecycle", "constant")
DEVICES = ("auto", "cpu", "cuda", "mps")


@dataclass
class TrainConfig:
    """Everything that defines a training run (stored as a plain dict in checkpoints).

    Attributes
    ----------
    data : str
        ``"synthetic"`` (built in, generated in memory) or a folder: image folders (one
        sub-folder per class, optionally under ``train/`` and ``val/``), MNIST IDX files
        or CIFAR-10 binary batches.
    device : str
        ``auto`` picks CUDA, then MPS, then the CPU.
    amp, channels_last : bool or None
        ``None`` means automatic: on for CUDA, off elsewhere. Mixed precision uses bf16
        where the GPU supports it, else fp16 with a gradient scaler.
    warmup_epochs : float
        Linear warm-up from 0 to ``lr`` (ignored by ``onecycle``, which has its own).
    num_threads : int
        torch CPU threads for the run; 0 leaves torch's setting as it is.
    log_every : int
        A :class:`StepRecord` every this many steps (and at the end of each epoch).
    log_interval_s : float
        Also a record when this many seconds have passed since the last one (0: off);
        the app uses it so that slow and fast models both update the display smoothly.
    max_steps : int
        Stop after this many optimizer steps in total (0: no limit); for tests and benchmarks.
    branch_every : int
        Measure the branches' shares (:mod:`.branches`) on one training step in this many
        (0: not at all).
    resume : str
        A checkpoint (``last.pt``) to continue from; ``epochs`` is then the total to reach.
    """

    epochs: int = 6
    batch_size: int = 128
    lr: float = 0.1
    optimizer: str = "sgd"
    momentum: float = 0.9
    nesterov: bool = True
    weight_decay: float = 5e-4
    schedule: str = "onecycle"
    step_epochs: int = 0
    step_gamma: float = 0.1
    warmup_epochs: float = 0.0
    label_smoothing: float = 0.0
    seed: int = 0
    device: str = "auto"
    amp: bool | None = None
    channels_last: bool | None = None
    compile: bool = False
    num_threads: int = 0
    out_dir: str = ""
    data: str = "synthetic"
    synthetic_train: int = 10_000
    synthetic_val: int = 2_000
    val_fraction: float = 0.1
    resize: bool = False
    augment: bool = True
    data_workers: int = 0
    log_every: int = 10
    log_interval_s: float = 0.0
    max_steps: int = 0
    resume: str = ""
    branch_every: int = 4

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TrainConfig:
        """Build from a dict, ignoring keys this version does not know."""
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in names})

    def check(self) -> list[str]:
        """Problems with the values, as messages (empty when the config is usable)."""
        problems = []
        if self.epochs < 1:
            problems.append("epochs must be at least 1")
        if self.batch_size < 1:
            problems.append("the batch size must be at least 1")
        if not self.lr > 0:
            problems.append("the learning rate must be positive")
        if self.optimizer not in OPTIMIZERS:
            problems.append(f"unknown optimizer {self.optimizer!r} (choose {', '.join(OPTIMIZERS)})")
        if self.schedule not in SCHEDULES:
            problems.append(f"unknown schedule {self.schedule!r} (choose {', '.join(SCHEDULES)})")
        if self.device not in DEVICES:
            problems.append(f"unknown device {self.device!r} (choose {', '.join(DEVICES)})")
        if not 0 <= self.label_smoothing < 1:
            problems.append("label smoothing must be in [0, 1)")
        if not 0 < self.val_fraction < 1:
            problems.append("the validation fraction must be between 0 and 1")
        return problems


@dataclass(frozen=True)
class RunStarted:
    """The run is set up: model compiled, data loaded, device chosen."""

    run_id: str
    design: str
    device: str
    precision: str
    params: int
    macs: int
    train_size: int
    val_size: int
    steps_per_epoch: int
    total_steps: int
    start_epoch: int
    class_names: tuple[str, ...]
    aux_names: tuple[str, ...]
    aux_weights: tuple[float, ...]
    out_dir: str
    config: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StepRecord:
    """Training metrics averaged over the last ``log_every`` steps.

    ``loss`` is the total (main plus weighted aux losses); ``main_loss`` and ``aux_losses``
    (by aux head name, unweighted) are its parts. ``device_memory`` is the peak allocated
    bytes on CUDA/MPS and ``None`` on the CPU.
    """

    step: int
    epoch: int
    loss: float
    main_loss: float
    aux_losses: dict[str, float]
    accuracy: float
    lr: float
    images_per_s: float
    device_memory: int | None
    progress: float
    elapsed_s: float
    eta_s: float


@dataclass(frozen=True)
class EpochRecord:
    """End of an epoch: training averages and validation on the main head (eval mode).

    The rest comes from the same validation pass (see :mod:`.results`):
    ``confusion[t][p]`` counts the validation images of class ``t`` predicted as ``p``
    (rows: true class, in the order of ``RunStarted.class_names``); ``class_accuracy`` is
    each class's share of correct predictions (``None`` for a class with no validation
    image); ``aux_accuracy`` each aux head's validation accuracy (eval mode, as the main
    head's); ``worst`` the validation images with the highest loss, worst first, each a
    dict ``{"index", "true", "predicted", "confidence", "loss", "file"}`` (``index``: the
    image's place in the validation set; ``true``/``predicted``: class indices;
    ``confidence``: the predicted class's probability; ``file``: the image's file, where
    the data has files); ``worst_image`` the PNG of those images in the run's folder ("":
    none written).

    ``branches`` (see :mod:`.branches`): for every Concat, by its name, its inputs in
    order as ``(branch name, activation share, gradient share)``, measured over the
    epoch's (sampled) training steps; each share column sums to 1 per concat.
    ``branch_notes``: advice for each branch under 3% of its concat's activation.
    """

    epoch: int
    step: int
    train_loss: float
    train_accuracy: float
    val_loss: float
    val_accuracy: float
    lr: float
    images_per_s: float
    elapsed_s: float
    is_best: bool
    class_accuracy: tuple[float | None, ...] = ()
    aux_accuracy: dict[str, float] = field(default_factory=dict)
    confusion: tuple[tuple[int, ...], ...] = ()
    worst: tuple[dict[str, Any], ...] = ()
    worst_image: str = ""
    branches: dict[str, tuple[tuple[str, float, float], ...]] = field(default_factory=dict)
    branch_notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class StatusRecord:
    """A change of state: ``paused``, ``resumed``, ``evaluating``, or a note (e.g. skipped images)."""

    state: str
    message: str = ""


@dataclass(frozen=True)
class ErrorRecord:
    """A fault that ended the run. ``kind``: design, data, config, nan, oom, or exception."""

    kind: str
    message: str
    step: int | None = None
    details: str = ""


@dataclass(frozen=True)
class RunFinished:
    """Always the last record. ``status``: completed, stopped, or failed."""

    status: str
    message: str
    epochs_done: int
    steps: int
    final_val_accuracy: float | None
    best_val_accuracy: float | None
    elapsed_s: float
    out_dir: str
    last_checkpoint: str
    best_checkpoint: str


Record = RunStarted | StepRecord | EpochRecord | StatusRecord | ErrorRecord | RunFinished
