"""Runs :func:`designer.training.train` off the GUI thread.

``TrainingRunner`` lives in the GUI thread and owns a ``QThread`` with a
``TrainingWorker`` moved into it. The worker iterates the training generator and emits
each record (a frozen dataclass) through a signal; the runner receives it in a slot of
its own, so the slot runs in the GUI thread (queued connection), and re-emits it as
:attr:`TrainingRunner.record`. Stop and pause go straight to the loop's
:class:`~designer.training.loop.RunControl` (thread-safe events checked before every
batch), because the worker thread is busy in the loop and runs no event loop.
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, QThread, Signal, Slot

from ..graph.document import GraphDocument
from ..training.records import ErrorRecord, RunFinished, TrainConfig

if TYPE_CHECKING:  # torch-heavy modules load when a run starts, never at the app's start-up
    from ..training.data import DataSource

__all__ = ["TrainingRunner", "TrainingWorker"]


class TrainingWorker(QObject):
    """Lives in the worker thread; :meth:`run` trains a snapshot of the design."""

    record = Signal(object)
    done = Signal()

    def __init__(self, doc_data: dict[str, Any], config: TrainConfig, source: DataSource | None = None):
        super().__init__()
        self._doc_data = doc_data
        self._config = config
        self._source = source
        from ..training.loop import RunControl

        self.control = RunControl()

    @Slot()
    def run(self) -> None:
        try:
            doc = GraphDocument.from_dict(self._doc_data)
            from ..training.loop import train

            for rec in train(doc, self._config, source=self._source, control=self.control):
                self.record.emit(rec)
        except Exception as exc:  # noqa: BLE001 - train() turns faults into records; this is the last net
            message = f"{type(exc).__name__}: {exc}"
            self.record.emit(ErrorRecord("exception", message, None, traceback.format_exc()))
            self.record.emit(RunFinished("failed", message, 0, 0, None, None, 0.0, self._config.out_dir, "", ""))
        finally:
            self.done.emit()


class TrainingRunner(QObject):
    """Starts, pauses, resumes and stops one training run at a time."""

    #: Every record of the run, delivered in the GUI thread.
    record = Signal(object)
    #: The worker thread has ended (after the run's last record).
    finished = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._thread: QThread | None = None
        self._worker: TrainingWorker | None = None

    @property
    def running(self) -> bool:
        return self._thread is not None

    @property
    def paused(self) -> bool:
        return self._worker is not None and self._worker.control.paused

    def start(self, doc: GraphDocument, config: TrainConfig, source: DataSource | None = None) -> None:
        """Train a snapshot of ``doc``: later edits to the document do not reach the run."""
        if self.running:
            raise RuntimeError("a training run is already in progress")
        worker = TrainingWorker(doc.to_dict(), config, source)
        thread = QThread()
        thread.setObjectName("training")
        worker.moveToThread(thread)
        thread.started.connect(worker.run)
        worker.record.connect(self._on_worker_record)
        # quit() is thread-safe; a direct call lets shutdown() wait without running the event loop
        worker.done.connect(thread.quit, Qt.ConnectionType.DirectConnection)
        thread.finished.connect(self._on_thread_finished)
        self._worker, self._thread = worker, thread
        thread.start()

    def pause(self) -> None:
        if self._worker is not None:
            self._worker.control.pause()

    def resume(self) -> None:
        if self._worker is not None:
            self._worker.control.resume()

    def stop(self) -> None:
        """Ask the run to stop; it does before its next batch."""
        if self._worker is not None:
            self._worker.control.stop()

    def shutdown(self, timeout_ms: int = 10_000) -> bool:
        """Stop and wait for the thread (on closing the window). True when it ended."""
        thread = self._thread
        if thread is None:
            return True
        self.stop()
        ended = thread.wait(timeout_ms)
        if ended:
            self._on_thread_finished()
        return ended

    @Slot(object)
    def _on_worker_record(self, rec: object) -> None:
        self.record.emit(rec)

    @Slot()
    def _on_thread_finished(self) -> None:
        if self._thread is None:
            return
        thread, worker = self._thread, self._worker
        self._thread = self._worker = None
        if worker is not None:
            worker.deleteLater()
        if thread is not None:
            thread.deleteLater()
        self.finished.emit()
