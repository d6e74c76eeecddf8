"""Writes a design's export (PyTorch code, weights and training script, or ONNX) off the GUI thread.

:func:`export_files` does the work and knows nothing of Qt threads: it writes every file into a
hidden temporary folder inside the destination and moves them into place only at the end, so a
failed or cancelled export leaves the destination as it was. The exporters (and torch with
them) are imported there, when an export runs, never at the app's start-up.

:class:`ExportRunner` lives in the GUI thread. It runs one :class:`ExportWorker` at a time in a
``QThread``; the worker sends plain data (strings, lists of tuples) through signals that the
runner receives in its own slots, so they run in the GUI thread (queued connections), and
re-emits them. Every signal carries the job's number: after :meth:`ExportRunner.cancel`, the
cancelled job's late signals are dropped. A thread outlives the dialog that started it if it
must (torch cannot be interrupted in the middle of writing an ONNX file): it is kept in
``_ACTIVE`` until it ends, and waited for when the application quits.
"""

from __future__ import annotations

import atexit
import contextlib
import itertools
import keyword
import os
import re
import shutil
import sys
import tempfile
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, QThread, Signal, Slot

__all__ = [
    "FORMATS",
    "ExportCancelled",
    "ExportJob",
    "ExportRunner",
    "ExportWorker",
    "export_files",
    "file_size",
    "name_problem",
    "planned_files",
    "safe_stem",
    "user_message",
]

#: Format id -> what the dialog calls it.
FORMATS = {
    "python": "PyTorch code, weights and training script",
    "onnx": "ONNX model (inference graph, weights inside)",
}

#: Module names an exported ``NAME.py`` must not take: ``train_NAME.py`` imports these, and a file
#: of the same name next to it would be imported instead.
_SHADOWED = frozenset({"torch", "torchvision", "numpy", "onnx", "onnxruntime", "PIL"})


@dataclass(frozen=True)
class ExportJob:
    """What to export, as plain data (a snapshot: later edits to the design do not reach it)."""

    doc_data: dict[str, Any]
    fmt: str  # "python" or "onnx"
    folder: str
    stem: str
    seed: int = 0


class ExportCancelled(Exception):
    """The export was cancelled before its files were moved into place."""


def planned_files(fmt: str, stem: str) -> list[tuple[str, str]]:
    """The files an export writes, as (file name, what it is), in the order they are listed."""
    if fmt == "onnx":
        return [(f"{stem}.onnx", "ONNX model with its weights")]
    script = f"train_{stem}.py"  # as designer.training.script.script_name names it
    return [
        (f"{stem}.py", "PyTorch code (the model class)"),
        (f"{stem}.pt", "weights (state_dict)"),
        (script, "training script"),
    ]


def safe_stem(name: str) -> str:
    """A file stem that is also an importable module name: ``'Inception v3 (ours)' -> 'inception_v3_ours'``."""
    stem = re.sub(r"[^0-9a-zA-Z]+", "_", name.strip().lower()).strip("_") or "model"
    if stem[0].isdigit():
        stem = f"model_{stem}"
    if name_problem(stem, "python"):
        stem = f"{stem}_model"
    return stem


def name_problem(stem: str, fmt: str) -> str | None:
    """Why ``stem`` cannot name the export's files (one sentence), or None."""
    if not stem:
        return "Enter a name for the files."
    if fmt == "python":
        if not stem.isidentifier() or not stem.isascii():
            return "Use letters, digits and “_”, not a digit first: the training script imports the code by this name."
        if keyword.iskeyword(stem):
            return f"“{stem}” is a Python keyword; the training script could not import the code under that name."
        if stem in _SHADOWED or stem in getattr(sys, "stdlib_module_names", ()):
            return f"A file named {stem}.py would hide Python's “{stem}” module from the training script; choose another name."
        return None
    if not re.fullmatch(r"[0-9A-Za-z_][0-9A-Za-z_.-]*", stem) or stem.endswith("."):
        return "Use letters, digits, “_”, “-” and “.” only."
    return None


def file_size(n: int) -> str:
    """``815 -> '815 bytes'``, ``15_532 -> '15.2 KiB'``, ``55_639_681 -> '53.1 MiB'``."""
    if n < 1024:
        return f"{n} byte{'s' * (n != 1)}"
    size = float(n)
    for unit in ("KiB", "MiB", "GiB"):
        size /= 1024
        if size < 1024 or unit == "GiB":
            break
    return f"{size:.1f} {unit}"


def user_message(exc: BaseException, folder: str | Path) -> str:
    """One clear sentence for the dialog (the traceback goes to stderr)."""
    from_compiler = type(exc).__name__ == "CompileError"
    first = (str(exc).strip().splitlines() or [""])[0].strip().rstrip(".")
    if len(first) > 240:
        first = first[:237] + "…"
    if from_compiler:
        return f"The design cannot be compiled: {first}."
    if isinstance(exc, OSError):
        return f"Could not write to {folder}: {exc.strerror or first}."
    if isinstance(exc, ModuleNotFoundError):
        missing = exc.name or first
        if missing.split(".")[0] in ("onnx", "onnxscript", "onnxruntime"):
            return f"ONNX export needs the “{missing}” package: pip install 'inception-designer[onnx]'."
        return f"The export needs the “{missing}” package, which is not installed."
    return f"The export failed ({type(exc).__name__}: {first})."


def export_files(
    job: ExportJob,
    progress: Callable[[str], None] = lambda text: None,
    commit: Callable[[], bool] = lambda: True,
) -> list[tuple[str, int]]:
    """Write ``job``'s files; returns (path, size in bytes) of each file written.

    ``progress`` is told which file is being written. Everything is written into a hidden
    temporary folder inside ``job.folder`` first; ``commit()`` is asked just before the files
    are moved into place: False raises :class:`ExportCancelled` and leaves the folder as it was.
    """
    from ..graph.document import GraphDocument

    folder = Path(job.folder)
    doc = GraphDocument.from_dict(job.doc_data)
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{job.stem}.export-", dir=folder))
    try:
        if job.fmt == "python":
            progress(f"Writing {job.stem}.py and {job.stem}.pt…")
            from ..compiler.export import export_python
            from ..training.script import write_train_script

            code, weights = export_python(doc, staging / f"{job.stem}.py", seed=job.seed)
            progress(f"Writing {planned_files('python', job.stem)[2][0]}…")
            written = [code, weights, write_train_script(doc, code, weights)]
        elif job.fmt == "onnx":
            progress(f"Writing {job.stem}.onnx (this can take a few seconds)…")
            from ..compiler.onnx import export_onnx

            written = [export_onnx(doc, staging / f"{job.stem}.onnx", seed=job.seed)]
        else:
            raise ValueError(f"unknown export format {job.fmt!r}")
        if not commit():
            raise ExportCancelled
        out = []
        for path in written:
            dest = folder / path.name
            os.replace(path, dest)
            out.append((str(dest), dest.stat().st_size))
        return out
    finally:
        shutil.rmtree(staging, ignore_errors=True)


class ExportWorker(QObject):
    """Lives in the worker thread; :meth:`run` exports one job."""

    progress = Signal(int, str)  # job number, what is being written
    succeeded = Signal(int, list)  # job number, [(path, size)]
    failed = Signal(int, str)  # job number, one sentence
    done = Signal(int)

    def __init__(self, number: int, job: ExportJob):
        super().__init__()
        self.number = number
        self.job = job
        self._lock = threading.Lock()
        self._cancelled = self._committed = False

    def cancel(self) -> bool:
        """Thread-safe. True when the export will write nothing; False when its files are
        already being moved into place (its results still come)."""
        with self._lock:
            if not self._committed:
                self._cancelled = True
            return self._cancelled

    def _commit(self) -> bool:
        with self._lock:
            self._committed = not self._cancelled
            return self._committed

    @Slot()
    def run(self) -> None:
        n = self.number
        try:
            files = export_files(self.job, lambda text: self.progress.emit(n, text), self._commit)
        except ExportCancelled:
            pass
        except BaseException as exc:  # noqa: BLE001 - every failure is reported, none is lost
            print(f"inception-designer: export to {self.job.folder} failed:", file=sys.stderr)
            traceback.print_exc(file=sys.stderr)
            self.failed.emit(n, user_message(exc, self.job.folder))
        else:
            self.succeeded.emit(n, files)
        finally:
            app = QCoreApplication.instance()
            if app is not None:  # back to the GUI thread, where it is deleted
                self.moveToThread(app.thread())
            self.done.emit(n)


class _Reaper(QObject):
    """Deletes finished export threads (its slot runs in the GUI thread)."""

    @Slot()
    def reap(self) -> None:
        for key, (thread, worker) in list(_ACTIVE.items()):
            if thread.isFinished():
                del _ACTIVE[key]
                worker.deleteLater()
                thread.deleteLater()


_ACTIVE: dict[int, tuple[QThread, ExportWorker]] = {}
_REAPER: _Reaper | None = None
_NUMBERS = itertools.count(1)


def wait_for_exports(timeout_ms: int = 120_000) -> bool:
    """Wait for running exports (the app is quitting); True when none is left."""
    ended = True
    for thread, _ in list(_ACTIVE.values()):
        with contextlib.suppress(RuntimeError):  # its C++ object is already gone (interpreter exit)
            ended = thread.wait(timeout_ms) and ended
    return ended


atexit.register(wait_for_exports)


class ExportRunner(QObject):
    """Runs one export at a time; its signals are delivered in the GUI thread."""

    progress = Signal(str)
    succeeded = Signal(list)  # [(path, size)]
    failed = Signal(str)
    #: The export ended (after succeeded or failed), or was cancelled.
    finished = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._worker: ExportWorker | None = None

    @property
    def running(self) -> bool:
        return self._worker is not None

    def start(self, job: ExportJob) -> None:
        global _REAPER
        if self.running:
            raise RuntimeError("an export is already running")
        if _REAPER is None:
            _REAPER = _Reaper()
            app = QCoreApplication.instance()
            if app is not None:
                app.aboutToQuit.connect(wait_for_exports)
        worker = ExportWorker(next(_NUMBERS), job)
        thread = QThread()
        thread.setObjectName("export")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.progress.connect(self._on_worker_progress)
        worker.succeeded.connect(self._on_worker_succeeded)
        worker.failed.connect(self._on_worker_failed)
        worker.done.connect(self._on_worker_done)
        # quit() is thread-safe; a direct call ends the thread without waiting for this one
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(_REAPER.reap)
        _ACTIVE[worker.number] = (thread, worker)
        self._worker = worker
        thread.start()

    def cancel(self) -> bool:
        """Cancel the running export. True when it will write nothing (its thread may run on
        for a while, unseen); False when it is already moving its files into place."""
        worker = self._worker
        if worker is None:
            return True
        if not worker.cancel():
            return False
        self._worker = None
        self.finished.emit()
        return True

    def wait(self, timeout_ms: int = 120_000) -> bool:
        """Wait for the running export's thread (tests; quitting)."""
        worker = self._worker
        entry = _ACTIVE.get(worker.number) if worker is not None else None
        return entry is None or entry[0].wait(timeout_ms)

    def _current(self, number: int) -> bool:
        return self._worker is not None and self._worker.number == number

    @Slot(int, str)
    def _on_worker_progress(self, number: int, text: str) -> None:
        if self._current(number):
            self.progress.emit(text)

    @Slot(int, list)
    def _on_worker_succeeded(self, number: int, files: list) -> None:
        if self._current(number):
            self.succeeded.emit(files)

    @Slot(int, str)
    def _on_worker_failed(self, number: int, message: str) -> None:
        if self._current(number):
            self.failed.emit(message)

    @Slot(int)
    def _on_worker_done(self, number: int) -> None:
        if self._current(number):
            self._worker = None
            self.finished.emit()
