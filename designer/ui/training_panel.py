"""The Training dock: settings, Start / Pause / Stop, progress, live curves and past runs.

``TrainingDock(parent)`` is told what to train with :meth:`TrainingDock.set_session` (the
open design and its file: runs go to ``<file>.runs/``) and how to save it first with its
``save_for_run`` attribute (a callable returning False when the user cancels; None: no
saving). It says what the status bar should show through its ``message(text, timeout_ms)``
signal. Start saves, takes a snapshot of the design and trains it in a worker thread
(:mod:`.training_worker`); editing the design meanwhile does not touch the running model.
Every record arrives in the GUI thread; faults and notes are shown in the dock, and so is
the folder of the current (or selected) run.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal, Slot
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDockWidget,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)  # fmt: skip

from ..training.checkpoint import continue_run, export_weights, list_runs
from ..training.records import (
    EpochRecord,
    ErrorRecord,
    RunFinished,
    RunStarted,
    StatusRecord,
    StepRecord,
    TrainConfig,
)  # fmt: skip
from ..training.results import load_results, results_dict
from ..training.threads import default_cpu_threads
from .training_worker import TrainingRunner

if TYPE_CHECKING:
    from .plots import BranchesView, ResultsView, TrainingPlots
    from .session import Session

__all__ = ["TrainingDock"]

HISTORY_COLUMNS = ("Run", "Design", "Status", "Epochs", "Val acc", "Best", "Params", "MACs", "Time", "Device")
#: Notes (e.g. skipped images) shown in the dock at most; run.json keeps them all.
SHOWN_NOTES = 4


def _fmt_time(s: float) -> str:
    s = int(max(0, s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def _spin(lo: float, hi: float, value: float, decimals: int = 0, step: float = 1) -> QSpinBox | QDoubleSpinBox:
    box: QSpinBox | QDoubleSpinBox = QSpinBox() if decimals == 0 else QDoubleSpinBox()
    if isinstance(box, QDoubleSpinBox):
        box.setDecimals(decimals)
    box.setRange(lo, hi)  # type: ignore[arg-type]
    box.setSingleStep(step)  # type: ignore[arg-type]
    box.setValue(value)  # type: ignore[arg-type]
    return box


class TrainingDock(QDockWidget):
    """Train the open design. ``set_session`` says which; ``save_for_run`` saves it first."""

    #: Text for the window's status bar and how long to show it (ms).
    message = Signal(str, int)
    #: Branch shares to show on the canvas (``EpochRecord.branches``) and what they are of:
    #: each epoch of the live run ("epoch 7"), and the run selected under Runs ("run NAME,
    #: epoch 7": its last epoch that has them).
    branch_shares = Signal(object, str)

    def __init__(self, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("TrainingDock")
        self.session: Session | None = None
        #: Saves the design before a run; returns False when the user cancelled (None: no saving).
        self.save_for_run: Callable[[], bool] | None = None
        self.runner = TrainingRunner(self)
        self.runner.record.connect(self._on_runner_record)
        self.runner.finished.connect(self._on_runner_finished)
        #: Where run folders go; by default next to the project file (``NAME.runs/``).
        self.runs_dir_override: Path | None = None
        self.source_override: Any = None  # tests: a DataSource instead of the setting
        #: TrainConfig fields that the settings do not show, e.g. ``{"max_steps": 10}``.
        self.config_overrides: dict[str, Any] = {}
        self.started: RunStarted | None = None
        self.last_finished: RunFinished | None = None
        self.records: list[object] = []
        self.notes: list[str] = []
        self._build()
        self._set_running(False)
        self.refresh_history()

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        body = QWidget()
        outer = QVBoxLayout(body)
        outer.setContentsMargins(6, 4, 6, 4)
        bar = QHBoxLayout()
        self.start_button = QPushButton("Start")
        self.start_button.setToolTip("Save the design and train a snapshot of it")
        self.pause_button = QPushButton("Pause")
        self.pause_button.setCheckable(True)
        self.stop_button = QPushButton("Stop")
        self.stop_button.setToolTip("Stop after the current batch (the last finished epoch stays saved)")
        self.continue_button = QPushButton("Continue run")
        self.continue_button.setToolTip(
            "Continue the run selected under Runs from its last saved epoch, up to Epochs in total,\n"
            "with that run's own design and settings, into the same folder"
        )
        self.export_button = QToolButton()
        self.export_button.setText("Export weights…")
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(True)
        self.progress.setFormat("")
        self.status_label = QLabel("Ready")
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        for w in (self.start_button, self.pause_button, self.stop_button, self.continue_button, self.export_button):
            bar.addWidget(w)
        bar.addWidget(self.progress, 1)
        bar.addWidget(self.status_label, 2)
        outer.addLayout(bar)
        #: Errors and notes of the run (a skipped image, why a run did not start).
        self.notice = QLabel()
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice.hide()
        outer.addWidget(self.notice)
        # The run's folder sits in the tab bar's free corner (no height taken from the curves).
        folder = QWidget()
        folder_row = QHBoxLayout(folder)
        folder_row.setContentsMargins(8, 0, 2, 0)
        self.folder_caption = QLabel("Run folder:")
        #: The current run's folder, or the one selected under Runs (selectable, to copy).
        # A read-only line: selectable and copyable whole, and scrolled to its end (the run's
        # name) when the corner is narrower than the path.
        self.folder_label = QLineEdit()
        self.folder_label.setReadOnly(True)
        self.folder_label.setFrame(False)
        self.folder_label.setStyleSheet("QLineEdit { background: transparent; border: none; }")
        self.folder_label.setMinimumWidth(120)
        self.open_folder_button = QToolButton()
        self.open_folder_button.setText("Open folder")
        self.open_folder_button.setToolTip("Show the run's folder (checkpoints, run.json, metrics.csv)")
        folder_row.addWidget(self.folder_caption)
        folder_row.addWidget(self.folder_label, 1)
        folder_row.addWidget(self.open_folder_button)
        self.run_folder: Path | None = None
        self._show_run_folder(None)
        row = QHBoxLayout()
        row.addWidget(self._build_settings())
        self.tabs = QTabWidget()
        self.tabs.setCornerWidget(folder, Qt.Corner.TopRightCorner)
        # The plots (pyqtgraph, numpy: about half a second to import) are made when the dock is
        # first shown or a run starts, not while the app opens.
        self._plots: TrainingPlots | None = None
        self._curves = QWidget()
        self._curves_layout = QVBoxLayout(self._curves)
        self._curves_layout.setContentsMargins(0, 0, 0, 0)
        self.tabs.addTab(self._curves, "Curves")
        # The latest validation's results (confusion matrix, per-class and aux accuracy, worst
        # images), or those of the run selected under Runs; made on first use, as the curves.
        self._results: ResultsView | None = None
        self.results_tab = QScrollArea()
        self.results_tab.setWidgetResizable(True)
        self.results_tab.setFrameShape(QScrollArea.Shape.NoFrame)
        self.tabs.addTab(self.results_tab, "Results")
        # Each Concat's branch shares of the activation (stacked bars, with low-share advice),
        # updated at each epoch; made on first use.
        self._branches: BranchesView | None = None
        self.branches_tab = QScrollArea()
        self.branches_tab.setWidgetResizable(True)
        self.branches_tab.setFrameShape(QScrollArea.Shape.NoFrame)
        self.tabs.addTab(self.branches_tab, "Branches")
        self.history = QTableWidget(0, len(HISTORY_COLUMNS))
        self.history.setHorizontalHeaderLabels(HISTORY_COLUMNS)
        self.history.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        # Two or more selected runs (Ctrl/Shift-click) are compared under Curves.
        self.history.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.history.setToolTip("Select two or more runs (Ctrl- or Shift-click) to overlay their curves under Curves")
        self.history.verticalHeader().hide()
        self.history.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tabs.addTab(self.history, "Runs")
        row.addWidget(self.tabs, 1)
        outer.addLayout(row, 1)
        self.setWidget(body)
        self.start_button.clicked.connect(self._on_start_button_clicked)
        self.pause_button.toggled.connect(self._on_pause_button_toggled)
        self.stop_button.clicked.connect(self._on_stop_button_clicked)
        self.continue_button.clicked.connect(self._on_continue_button_clicked)
        self.history.itemSelectionChanged.connect(self._on_history_item_selection_changed)
        self.open_folder_button.clicked.connect(self._on_open_folder_button_clicked)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.tabs.currentChanged.connect(self._on_tabs_current_changed)
        self.visibilityChanged.connect(self._on_self_visibility_changed)

    @property
    def plots(self) -> TrainingPlots:
        """The live curves, created on first use."""
        if self._plots is None:
            from .plots import TrainingPlots

            self._plots = TrainingPlots()
            self._curves_layout.addWidget(self._plots)
        return self._plots

    @property
    def results(self) -> ResultsView:
        """The Results tab's view, created on first use."""
        if self._results is None:
            from .plots import ResultsView

            self._results = ResultsView()
            self.results_tab.setWidget(self._results)
        return self._results

    @property
    def branches(self) -> BranchesView:
        """The Branches tab's view, created on first use."""
        if self._branches is None:
            from .plots import BranchesView

            self._branches = BranchesView()
            self.branches_tab.setWidget(self._branches)
        return self._branches

    def _on_tabs_current_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.results_tab:
            self.results  # noqa: B018 - build the view the first time its tab is opened
        if self.tabs.widget(index) is self.branches_tab:
            self.branches  # noqa: B018
        self.refresh_history()

    def _on_self_visibility_changed(self, visible: bool) -> None:
        if visible and self._plots is None:
            # From the event loop: restoring a layout shows and hides docks in passing, and the
            # curves (pyqtgraph and numpy, about 0.5 s) are built only for a dock really seen.
            QTimer.singleShot(0, self, self._on_shown)

    def _on_shown(self) -> None:
        if self.isVisible() and not self.visibleRegion().isEmpty():
            self.plots  # noqa: B018 - build the curves the first time the dock is seen

    def _build_settings(self) -> QScrollArea:
        d = TrainConfig()
        form_widget = QWidget()
        form = QFormLayout(form_widget)
        form.setContentsMargins(2, 2, 2, 2)
        self.data_combo = QComboBox()
        self.data_combo.addItems(["Synthetic (built in)", "Folder…"])
        self.data_combo.setToolTip("Synthetic: 10 classes of textured shapes, 3 x 32 x 32, made in memory")
        self.data_path = QLineEdit()
        self.data_path.setPlaceholderText("image folder, MNIST or CIFAR-10 files")
        browse = QToolButton()
        browse.setText("…")
        browse.clicked.connect(self._on_browse_clicked)
        path_row = QHBoxLayout()
        path_row.addWidget(self.data_path, 1)
        path_row.addWidget(browse)
        self.data_combo.currentIndexChanged.connect(lambda i: self.data_path.setEnabled(i == 1))
        self.data_path.setEnabled(False)
        self.resize_check = QCheckBox("Resize to the Input")
        self.device_combo = QComboBox()
        self.device_combo.addItems(["auto", "cpu", "cuda", "mps"])
        self.epochs = _spin(1, 10_000, d.epochs)
        self.batch = _spin(1, 65_536, d.batch_size)
        self.lr = _spin(1e-6, 10.0, d.lr, 5, 0.01)
        self.optimizer = QComboBox()
        self.optimizer.addItems(["sgd", "adamw"])
        self.momentum = _spin(0.0, 0.999, d.momentum, 3, 0.05)
        self.weight_decay = _spin(0.0, 1.0, d.weight_decay, 5, 1e-4)
        self.schedule = QComboBox()
        self.schedule.addItems(["onecycle", "cosine", "step", "constant"])
        self.warmup = _spin(0.0, 100.0, d.warmup_epochs, 1, 0.5)
        self.smoothing = _spin(0.0, 0.5, d.label_smoothing, 2, 0.05)
        self.seed = _spin(0, 2**31 - 1, d.seed)
        self.threads = _spin(1, 256, default_cpu_threads())
        self.threads.setToolTip(
            "torch CPU threads for the run (by default one core is left to the app and to other programs)"
        )
        self.amp = QComboBox()
        self.amp.addItems(["auto", "on", "off"])
        self.amp.setToolTip("Mixed precision: auto means on with CUDA (bf16, or fp16 with a grad scaler)")
        rows = [
            ("Data", self.data_combo), ("", path_row), ("", self.resize_check), ("Device", self.device_combo),
            ("Epochs", self.epochs), ("Batch size", self.batch), ("Learning rate", self.lr),
            ("Optimizer", self.optimizer), ("Momentum", self.momentum), ("Weight decay", self.weight_decay),
            ("Schedule", self.schedule), ("Warm-up epochs", self.warmup), ("Label smoothing", self.smoothing),
            ("Seed", self.seed), ("CPU threads", self.threads), ("Mixed precision", self.amp),
        ]  # fmt: skip
        for label, w in rows:
            form.addRow(label, w)
        scroll = QScrollArea()
        scroll.setWidget(form_widget)
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        scroll.setMinimumWidth(form_widget.sizeHint().width() + 24)
        scroll.setMaximumWidth(form_widget.sizeHint().width() + 60)
        self.settings_widget = form_widget
        return scroll

    # ----------------------------------------------------------------- config
    def config(self, out_dir: str = "") -> TrainConfig:
        """The settings as a :class:`TrainConfig`."""
        amp = {"auto": None, "on": True, "off": False}[self.amp.currentText()]
        cfg = TrainConfig(
            epochs=self.epochs.value(), batch_size=self.batch.value(), lr=self.lr.value(),
            optimizer=self.optimizer.currentText(), momentum=self.momentum.value(),
            weight_decay=self.weight_decay.value(), schedule=self.schedule.currentText(),
            warmup_epochs=self.warmup.value(), label_smoothing=self.smoothing.value(), seed=self.seed.value(),
            device=self.device_combo.currentText(), amp=amp, num_threads=self.threads.value(), out_dir=out_dir,
            data="synthetic" if self.data_combo.currentIndex() == 0 else self.data_path.text().strip(),
            resize=self.resize_check.isChecked(), log_every=50, log_interval_s=0.3,
        )  # fmt: skip
        return dataclasses.replace(cfg, **self.config_overrides)

    def runs_dir(self) -> Path:
        """``<project>.runs/`` beside a saved project, else ``runs/`` in the app's data folder."""
        if self.runs_dir_override is not None:
            return Path(self.runs_dir_override)
        path = self.session.path if self.session is not None else None
        if path:
            return Path(path).with_suffix(".runs")
        from ..io.autosave import data_dir

        return data_dir() / "runs"

    # ---------------------------------------------------------------- session
    def set_session(self, session: Session | None) -> None:
        """Train ``session``'s design from now on (a running run keeps its own snapshot)."""
        self.session = session
        self.refresh_history()

    # ---------------------------------------------------------------- actions
    def start(self) -> bool:
        """Save the design, then train a snapshot of it. False when nothing started."""
        if self.runner.running:
            return False
        if self.session is None:
            self._show_message("No design is open.", error=True)
            return False
        if self.save_for_run is not None and not self.save_for_run():
            self._show_message("The design was not saved, so the run did not start.", error=False)
            return False
        doc = self.session.doc  # after saving: Save As may have given it a file (and a runs folder)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        out = self.runs_dir() / stamp
        n = 1
        while out.exists():
            n += 1
            out = self.runs_dir() / f"{stamp}-{n}"
        cfg = self.config(str(out))
        if cfg.data == "":
            self._show_message("Choose a data folder, or the synthetic data.", error=True)
            return False
        self._launch(doc, cfg)
        return True

    def selected_run(self) -> Path | None:
        """The folder of the run selected under Runs."""
        rows = {i.row() for i in self.history.selectedItems()}
        if len(rows) != 1:
            return None
        item = self.history.item(rows.pop(), 0)
        return Path(item.data(Qt.ItemDataRole.UserRole)) if item is not None else None

    def continue_selected(self) -> bool:
        """Continue the selected run up to the Epochs setting in total. False when nothing started."""
        run_dir = self.selected_run()
        if self.runner.running or run_dir is None:
            return False
        try:
            doc, cfg = continue_run(run_dir, self.epochs.value())
        except ValueError as exc:
            self._show_message(str(exc), error=True)
            return False
        self._launch(doc, dataclasses.replace(cfg, **self.config_overrides))
        return True

    def _launch(self, doc, cfg) -> None:
        self.records.clear()
        self.notes.clear()
        self.started = self.last_finished = None
        self.notice.hide()
        self._show_run_folder(Path(cfg.out_dir) if cfg.out_dir else None)
        self.plots.reset(())
        # A continued run shows its results so far; a new one none yet.
        if self._results is not None and not (cfg.out_dir and self.show_run_results(Path(cfg.out_dir))):
            self.results.show_results(None)
        self.progress.setValue(0)
        self.progress.setFormat("")
        self.status_label.setText("Starting…")
        self.runner.start(doc, cfg, self.source_override)
        self._set_running(True)
        self._make_room()

    def _make_room(self) -> None:
        """Show the dock and give it enough height that the curves are readable."""
        self.show()
        self.raise_()
        want = self.minimumSizeHint().height() + 40
        window = self.parentWidget()
        if self.height() < want and isinstance(window, QMainWindow) and not self.isFloating():
            window.resizeDocks([self], [want], Qt.Orientation.Vertical)

    def export_weights(self, dest: str | os.PathLike[str]) -> Path:
        """Write the last run's best (else last) weights as a plain ``state_dict``."""
        fin = self.last_finished
        ckpt = fin and (fin.best_checkpoint or fin.last_checkpoint)
        if not ckpt:
            raise ValueError("no finished run with saved weights")
        export_weights(ckpt, dest)
        return Path(dest)

    def shutdown(self) -> None:
        """Stop a run and wait for it (the window is closing)."""
        self.runner.shutdown()

    def refresh_history(self) -> None:
        runs = list(reversed(list_runs(self.runs_dir())))
        self.history.setRowCount(len(runs))
        for r, run in enumerate(runs):

            def pct(v: Any) -> str:
                return f"{v:.1%}" if isinstance(v, (int, float)) else "–"

            values = [
                Path(run.get("dir", "")).name, run.get("design", ""), run.get("status", ""), str(len(run["epochs"])),
                pct(run.get("final_val_accuracy")), pct(run.get("best_val_accuracy")), f"{run.get('params', 0):,}",
                f"{run.get('macs', 0):,}", _fmt_time(float(run.get("elapsed_s") or 0)), run.get("device", ""),
            ]  # fmt: skip
            tip = f"Folder: {run.get('dir', '')}"
            notes = [str(n) for n in run.get("notes") or []]
            tip += "".join(f"\n{n}" for n in notes[:SHOWN_NOTES])
            if len(notes) > SHOWN_NOTES:
                tip += f"\n… and {len(notes) - SHOWN_NOTES} more notes"
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                item.setToolTip(tip)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, str(run.get("dir", "")))
                if c >= 3:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
                self.history.setItem(r, c, item)

    # ------------------------------------------------------------------ slots
    @Slot()
    def _on_start_button_clicked(self) -> None:
        self.start()

    @Slot()
    def _on_continue_button_clicked(self) -> None:
        self.continue_selected()

    def _update_continue_button(self) -> None:
        self.continue_button.setEnabled(not self.runner.running and self.selected_run() is not None)

    @Slot()
    def _on_history_item_selection_changed(self) -> None:
        self._update_continue_button()
        run_dir = self.selected_run()
        if run_dir is not None:
            self._show_run_folder(run_dir)
            self.show_run_results(run_dir)
            from .canvas.branch_bars import last_run_shares

            shares = last_run_shares(run_dir)
            if shares is not None:
                self.branch_shares.emit(*shares)
        self.compare_selected_runs()

    def selected_runs(self) -> list[Path]:
        """The folders of the runs selected under Runs, in the list's order."""
        items = [self.history.item(r, 0) for r in sorted({i.row() for i in self.history.selectedItems()})]
        return [Path(i.data(Qt.ItemDataRole.UserRole)) for i in items if i is not None]

    def compare_selected_runs(self) -> bool:
        """With two or more runs selected under Runs, overlay their loss and accuracy curves (from
        their metrics.csv) under Curves; otherwise show the live (or last) run's. True when overlaid."""
        runs = self.selected_runs()
        runs = runs if len(runs) >= 2 else []
        if runs or self._plots is not None:
            from .plots import read_epoch_metrics

            self.plots.show_runs([(r.name, read_epoch_metrics(r)) for r in runs])
        index = self.tabs.indexOf(self._curves)
        self.tabs.setTabText(index, f"Curves ({len(runs)} runs)" if runs else "Curves")
        return bool(runs)

    def show_run_results(self, run_dir: Path) -> bool:
        """Show the results a run's folder keeps (confusion.json, worst.png). False when it has none."""
        data = load_results(run_dir)
        if data is None:
            self.results.show_results(None)
            self.results.heads_label.setText(
                f"Run {run_dir.name} has no results: it ended before its first validation, "
                "or was made by a version that did not keep them."
            )
            return False
        self.results.show_results(data, f"run {run_dir.name}")
        return True

    @Slot()
    def _on_open_folder_button_clicked(self) -> None:
        self.open_run_folder()

    def open_run_folder(self) -> bool:
        """Show the run's folder in the system's file manager. False when there is none."""
        folder = self.run_folder
        if folder is None:
            return False
        if not folder.is_dir():
            self._show_message(f"The run folder {folder} does not exist (yet).", error=True)
            return False
        if not QDesktopServices.openUrl(QUrl.fromLocalFile(str(folder))):
            QMessageBox.information(self, "Open folder", f"No file manager could open\n{folder}")
            return False
        return True

    @Slot(bool)
    def _on_pause_button_toggled(self, checked: bool) -> None:
        if checked:
            self.runner.pause()
            self.pause_button.setText("Resume")
        else:
            self.runner.resume()
            self.pause_button.setText("Pause")

    @Slot()
    def _on_stop_button_clicked(self) -> None:
        self.runner.stop()
        self.stop_button.setEnabled(False)
        self.status_label.setText("Stopping after this batch…")

    @Slot()
    def _on_export_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "Export weights", "weights.pt", "PyTorch weights (*.pt)")
        if path:
            try:
                self.export_weights(path)
                self.message.emit(f"Weights written to {path}", 5000)
            except (OSError, ValueError) as exc:
                self._show_message(f"Could not export the weights: {exc}", error=True)

    @Slot()
    def _on_browse_clicked(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Data folder", self.data_path.text())
        if path:
            self.data_path.setText(path)
            self.data_combo.setCurrentIndex(1)

    @Slot(object)
    def _on_runner_record(self, rec: object) -> None:
        self.records.append(rec)
        if isinstance(rec, StepRecord):
            self.plots.add_step(rec)
            self.progress.setValue(int(rec.progress * 1000))
            self.progress.setFormat(f"{rec.progress:.0%}")
            total = self.started.total_steps if self.started else 0
            self.status_label.setText(
                f"epoch {rec.epoch}/{self.epochs.value()} · step {rec.step}/{total} · loss {rec.loss:.3f} · "
                f"{rec.images_per_s:.0f} img/s · ETA {_fmt_time(rec.eta_s)}"
            )
        elif isinstance(rec, EpochRecord):
            self.plots.add_epoch(rec)
            if rec.branches or self._branches is not None:
                self.branches.set_branches(rec.branches, rec.branch_notes, f"epoch {rec.epoch}")
            if rec.branches:
                self.branch_shares.emit(rec.branches, f"epoch {rec.epoch}")
            if rec.confusion:
                started = self.started
                names = started.class_names if started else ()
                where = f"run {Path(started.out_dir).name}" if started and started.out_dir else ""
                data = results_dict(rec, names, started.aux_names if started else ())
                data["worst_image"] = rec.worst_image  # the full path (the file keeps the name alone)
                self.results.show_results(data, where)
        elif isinstance(rec, RunStarted):
            self.started = rec
            self._show_run_folder(Path(rec.out_dir) if rec.out_dir else None)
            self.plots.reset(rec.aux_names)
            self.status_label.setText(f"{rec.device}, {rec.precision}: {rec.train_size} training images")
        elif isinstance(rec, StatusRecord):
            if rec.state == "paused":
                self.status_label.setText("Paused")
            elif rec.message:
                self._add_note(rec.message)
        elif isinstance(rec, ErrorRecord):
            self._show_message(rec.message, error=True)
            self.message.emit(f"Training failed: {rec.message}", 10_000)
        elif isinstance(rec, RunFinished):
            self.last_finished = rec
            self.plots.flush()
            acc = f", validation accuracy {rec.final_val_accuracy:.1%}" if rec.final_val_accuracy is not None else ""
            self.status_label.setText(f"{rec.status.capitalize()} after {_fmt_time(rec.elapsed_s)}{acc}")
            if rec.status == "completed":
                self.message.emit(f"Training completed{acc}", 10_000)

    @Slot()
    def _on_runner_finished(self) -> None:
        self._set_running(False)
        self.refresh_history()

    # ---------------------------------------------------------------- helpers
    def _set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.pause_button.setEnabled(running)
        self.stop_button.setEnabled(running)
        if not running:
            self.pause_button.blockSignals(True)
            self.pause_button.setChecked(False)
            self.pause_button.setText("Pause")
            self.pause_button.blockSignals(False)
        fin = self.last_finished
        self.export_button.setEnabled(not running and bool(fin and (fin.best_checkpoint or fin.last_checkpoint)))
        self.settings_widget.setEnabled(not running)
        self._update_continue_button()

    def _show_message(self, text: str, error: bool) -> None:
        pal = self.palette()
        colour = "#d9534f" if error else pal.color(pal.ColorRole.Text).name()
        self.notice.setStyleSheet(f"color: {colour};")
        self.notice.setTextFormat(Qt.TextFormat.PlainText)
        self.notice.setText(("⚠ " if error else "") + text)
        self.notice.show()

    def _add_note(self, note: str) -> None:
        """A note of this run (e.g. a skipped image): the notes so far are listed, the latest last."""
        self.notes.append(note)
        n = len(self.notes)
        if n == 1:
            head = ""
        elif n <= SHOWN_NOTES:
            head = f"{n} notes:\n"
        else:
            head = f"{n} notes (all in the run's run.json), the latest {SHOWN_NOTES}:\n"
        self._show_message(head + "\n".join(self.notes[-SHOWN_NOTES:]), error=False)

    def _show_run_folder(self, folder: Path | None) -> None:
        """Show ``folder`` as the run's folder (None: no run yet)."""
        self.run_folder = folder
        text = str(folder) if folder is not None else "– (no run yet)"
        self.folder_label.setText(text)
        # As wide as the path, up to a limit: beyond it the line shows the path's end (the run's name).
        width = self.folder_label.fontMetrics().horizontalAdvance(text) + 24
        self.folder_label.setMinimumWidth(max(120, min(width, 480)))
        self.folder_label.end(False)
        self.folder_label.setToolTip(str(folder) if folder is not None else "")
        self.open_folder_button.setEnabled(folder is not None)
