"""Checkpoints and run history.

A checkpoint is a dict of tensors and plain Python values only (the config as a dict,
the design as the project file's dict), so it loads with ``torch.load(weights_only=True)``:
loading never runs code from the file. A run directory holds::

    last.pt, best.pt      model + optimizer state, epoch, step, config, design
    run.json              config, device, design figures, every epoch's metrics, outcome
    metrics.csv           one row per epoch (with each aux head's and each class's validation accuracy)
    steps.csv             one row per logged training step
    confusion.json        the latest validation's confusion matrix, per-class and aux accuracy,
    worst.png             and its worst-classified images (see results.py)
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

from .records import EpochRecord, StepRecord, TrainConfig

__all__ = [
    "CHECKPOINT_FORMAT",
    "DESIGN_FILE",
    "RunLog",
    "atomic_write_text",
    "continue_run",
    "epoch_entry",
    "export_weights",
    "list_runs",
    "load_checkpoint",
    "save_checkpoint",
]

CHECKPOINT_FORMAT = "inception-designer-checkpoint/1"
#: The per-epoch figures metrics.csv has a column for (then one per aux head, one per class).
EPOCH_FIELDS = [
    f.name
    for f in dataclasses.fields(EpochRecord)
    if f.name not in ("class_accuracy", "aux_accuracy", "confusion", "worst", "worst_image", "branches", "branch_notes")
]
STEP_FIELDS = ["step", "epoch", "loss", "main_loss", "accuracy", "lr", "images_per_s", "elapsed_s"]


def _temp_beside(path: Path) -> tuple[int, Path]:
    """A new, uniquely named file next to ``path``, open for writing, to be renamed over it.

    Created with mode 0666 so that the umask applies, as for any file the user writes
    (``tempfile.mkstemp`` makes it 0600, which the rename would carry over to the run's files).
    """
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path}")


def _atomic_write(path: str | os.PathLike[str], write: Any) -> None:
    """Call ``write(binary_file)`` on a temporary file, then rename it over ``path``
    (a crash leaves the old or the new file). New folders and files honour the umask."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _temp_beside(path)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically, with the umask's permissions."""
    _atomic_write(path, lambda fh: fh.write(text.encode("utf-8")))


def save_checkpoint(path: str | os.PathLike[str], state: dict[str, Any]) -> None:
    """Write ``state`` atomically (a crash leaves the previous checkpoint intact)."""
    import torch  # here, not at import: the app's start-up must not load torch

    _atomic_write(path, lambda fh: torch.save({"format": CHECKPOINT_FORMAT, **state}, fh))


def load_checkpoint(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Load a checkpoint with ``weights_only=True`` onto the CPU. Raises ValueError when unusable."""
    import torch  # here, not at import: the app's start-up must not load torch

    try:
        data = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"no checkpoint at {path}") from None
    except Exception as exc:  # noqa: BLE001 - unpickling errors of every kind
        raise ValueError(f"cannot read the checkpoint {path}: {exc}") from None
    if not isinstance(data, dict) or data.get("format") != CHECKPOINT_FORMAT:
        raise ValueError(f"{path} is not an Inception Designer checkpoint")
    return data


def export_weights(checkpoint: str | os.PathLike[str], dest: str | os.PathLike[str]) -> None:
    """Write the model's ``state_dict`` alone (loadable into the compiled or exported model)."""
    data = load_checkpoint(checkpoint)
    save_checkpoint_plain(dest, data["model"])


def save_checkpoint_plain(dest: str | os.PathLike[str], obj: Any) -> None:
    import torch  # here, not at import: the app's start-up must not load torch

    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    torch.save(obj, dest)


def epoch_entry(rec: EpochRecord) -> dict[str, Any]:
    """An epoch as run.json and the checkpoint's history keep it: the record less its
    confusion matrix (K x K; the latest is in confusion.json)."""
    entry = dataclasses.asdict(rec)
    del entry["confusion"]
    return entry


def _branch_cells(entry: dict[str, Any], cols: list[tuple[str, str]]) -> list[Any]:
    got = {(c, b[0]): b for c, rows in (entry.get("branches") or {}).items() for b in rows}
    cells: list[Any] = []
    for col in cols:
        b = got.get(col)
        cells += [b[1], b[2]] if b is not None else ["", ""]
    return cells


def _finite(obj: Any) -> Any:
    """JSON has no NaN or infinity: write them as null."""
    if isinstance(obj, float):
        return obj if obj == obj and abs(obj) != float("inf") else None
    if isinstance(obj, dict):
        return {k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_finite(v) for v in obj]
    return obj


#: The design a run trained, as a project file, kept in the run's folder.
DESIGN_FILE = "design.json"


class RunLog:
    """The record of one run on disk: ``run.json`` plus CSVs, rewritten as the run goes."""

    def __init__(self, out_dir: str | os.PathLike[str], info: dict[str, Any], resume_step: int | None = None):
        self.dir = Path(out_dir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.info = {"status": "running", "epochs": [], **info}
        self.epochs: list[dict[str, Any]] = list(self.info["epochs"])
        self._steps_path = self.dir / "steps.csv"
        kept: list[list[str]] = []
        if resume_step is not None and self._steps_path.is_file():
            with self._steps_path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.reader(fh))[1:]
            kept = [r for r in rows if r and r[0].isdigit() and int(r[0]) <= resume_step]
        with self._steps_path.open("w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(STEP_FIELDS)
            w.writerows(kept)
        self.write()

    def add_step(self, rec: StepRecord) -> None:
        with self._steps_path.open("a", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerow([getattr(rec, k) for k in STEP_FIELDS])

    def add_note(self, note: str) -> None:
        """A note for the user (e.g. a skipped image), kept in run.json's ``notes``."""
        notes = self.info.setdefault("notes", [])
        if note not in notes:
            notes.append(note)
            self.write()

    def add_epoch(self, rec: EpochRecord) -> None:
        self.epochs.append(epoch_entry(rec))
        self.write()

    def finish(self, **fields: Any) -> None:
        self.info.update(fields)
        self.write()

    def write(self) -> None:
        self.info["epochs"] = self.epochs
        atomic_write_text(
            self.dir / "run.json", json.dumps(_finite(self.info), indent=2, allow_nan=False, default=str) + "\n"
        )
        aux = [str(a) for a in self.info.get("aux_names") or ()]
        classes = [str(c) for c in self.info.get("class_names") or ()]
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        # One activation and one gradient column per concat branch met in any epoch.
        branch_cols = list(
            dict.fromkeys((c, b[0]) for e in self.epochs for c, rows in (e.get("branches") or {}).items() for b in rows)
        )
        w.writerow(
            EPOCH_FIELDS
            + [f"val_accuracy.aux.{a}" for a in aux]
            + [f"val_accuracy.class.{c}" for c in classes]
            + [f"branch.{c}.{b}.{k}" for c, b in branch_cols for k in ("activation", "gradient")]
        )
        for e in self.epochs:
            by_aux = e.get("aux_accuracy") or {}
            by_class = list(e.get("class_accuracy") or ())
            by_class += [None] * (len(classes) - len(by_class))  # epochs from before these were kept
            w.writerow(
                [e.get(k, "") for k in EPOCH_FIELDS]
                + [by_aux.get(a, "") for a in aux]
                + ["" if v is None else v for v in by_class[: len(classes)]]
                + _branch_cells(e, branch_cols)
            )
        atomic_write_text(self.dir / "metrics.csv", buf.getvalue())


def list_runs(base: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every ``run.json`` directly under ``base`` or one level down, oldest first."""
    base = Path(base)
    if not base.is_dir():
        return []
    found = []
    for path in [base / "run.json", *sorted(base.glob("*/run.json"))]:
        if path.is_file():
            try:
                data = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                continue
            if isinstance(data, dict):
                data["dir"] = str(path.parent)
                found.append(data)
    found.sort(key=lambda d: str(d.get("started_at", "")))
    return found


def continue_run(run_dir: str | os.PathLike[str], epochs: int) -> tuple[Any, TrainConfig]:
    """The design and settings that continue the run in ``run_dir`` from its ``last.pt`` up to
    ``epochs`` in total, with the run's own settings and into the same folder.

    Returns ``(GraphDocument, TrainConfig)``; raises ``ValueError`` with a message that says
    what is missing. The design comes from the run's ``design.json`` (read as data).
    """
    from ..io.project import ProjectError, load

    run_dir = Path(run_dir)
    name = run_dir.name
    try:
        info = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ValueError(f"{run_dir} is not a readable training run (run.json: {exc})") from None
    last = run_dir / "last.pt"
    if not last.is_file():
        raise ValueError(f"run {name} saved no checkpoint to continue from: it ended before its first epoch did")
    if not (run_dir / DESIGN_FILE).is_file():
        raise ValueError(f"run {name} did not keep its design ({DESIGN_FILE}), so it cannot be continued")
    try:
        doc = load(run_dir / DESIGN_FILE)
    except ProjectError as exc:
        raise ValueError(f"run {name}: {exc}") from None
    done = len(info.get("epochs") or [])
    if epochs <= done:
        raise ValueError(f"run {name} has trained {done} epochs already: continue it to more than {done} in total")
    config = dict(info.get("config") or {}, epochs=epochs, resume=str(last), out_dir=str(run_dir))
    return doc, TrainConfig.from_dict(config)
