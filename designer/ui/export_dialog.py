"""File > Export…: the design as PyTorch code + weights + training script, or as ONNX.

One dialog per window, not modal: choose the format, the folder and the files' name, see the
files that will be written (those that exist are marked), and Export. The export runs off the
GUI thread (:mod:`.export_worker`) with a busy bar naming the file being written; Cancel, Escape
or closing the dialog (or the app) cancels it and leaves the folder as it was. A design with
errors cannot be exported: the dialog says so and offers the Problems panel.

The weights are a fresh initialisation (seed 0), as ``inception-designer export`` writes them;
a training run's weights come from the Training panel's Export weights….

The message boxes and the file manager go through module-level functions
(:func:`ask_overwrite`, :func:`choose_folder`, :func:`open_folder`) that tests replace.
"""

from __future__ import annotations

import contextlib
import html
import os
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, Qt, QUrl, Slot
from PySide6.QtGui import QDesktopServices, QFontMetrics
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from .export_worker import FORMATS, ExportJob, ExportRunner, file_size, name_problem, planned_files, safe_stem
from .settings import app_settings

if TYPE_CHECKING:
    from .main_window import MainWindow
    from .session import Session

__all__ = ["ExportDialog", "ask_overwrite", "choose_folder", "open_folder", "show_export_dialog"]

SEED = 0
FOLDER_KEY, FORMAT_KEY = "export/folder", "export/format"
REPLACES = "(replaces the existing file)"


def ask_overwrite(parent: QWidget, names: list[str], folder: str) -> bool:
    """True to replace the files that exist (tests replace this)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle("Replace files?")
    many = len(names) != 1
    box.setText(f"Replace {len(names)} existing file{'s' * many} in “{Path(folder).name or folder}”?")
    box.setInformativeText(
        f"{_and(names)} already exist{'s' * (not many)} in {folder}. Exporting replaces "
        f"{'them' if many else 'it'}; this cannot be undone."
    )
    replace = box.addButton("Replace", QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    box.exec()
    return box.clickedButton() is replace


def choose_folder(parent: QWidget, start: str) -> str:
    """The folder picked in the system's dialog, or '' (tests replace this)."""
    return QFileDialog.getExistingDirectory(parent, "Export to folder", start)


def open_folder(path: str) -> bool:
    """Show ``path`` in the file manager (tests replace this)."""
    return QDesktopServices.openUrl(QUrl.fromLocalFile(path))


def show_export_dialog(window: MainWindow) -> ExportDialog:
    """Show the window's export dialog (made on first use), ready for its current design."""
    dialog = window.findChild(ExportDialog)
    if dialog is None:
        dialog = ExportDialog(window)
    dialog.prepare()
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + f" and {names[-1]}"


def default_stem(session: Session) -> str:
    """The file stem offered for a design: its file's name, else the design's name, made safe."""
    return safe_stem(session.path.stem if session.path else (session.doc.name or "model"))


class ExportDialog(QDialog):
    """Format, folder and name; the files to be written; Export, its progress and result."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.main_window = window
        self.setObjectName("ExportDialog")
        self.setWindowTitle("Export")
        self.setMinimumWidth(620)
        self.session: Session | None = None
        self._styled_for = ""
        #: "idle", "running", "done" (``written`` holds the files) or "failed" (``error``).
        self.state = "idle"
        self.written: list[tuple[str, int]] = []
        self.error = ""
        self.progress_text = ""
        #: A line shown while idle (after a cancel); cleared by the next change.
        self.note = ""
        self.runner = ExportRunner(self)
        self.runner.progress.connect(self._on_runner_progress)
        self.runner.succeeded.connect(self._on_runner_succeeded)
        self.runner.failed.connect(self._on_runner_failed)
        self.runner.finished.connect(self._on_runner_finished)
        self._build()
        window.document_replaced.connect(self._on_window_document_replaced)
        app = self._app()
        if app is not None:  # quitting cancels an export (its thread is then waited for)
            app.aboutToQuit.connect(self._on_app_about_to_quit)

    @staticmethod
    def _app():
        from PySide6.QtWidgets import QApplication

        return QApplication.instance()

    # ------------------------------------------------------------------ build
    def _build(self) -> None:
        self.heading = QLabel()
        self.heading.setObjectName("nodeTitle")
        self.format_buttons: dict[str, QRadioButton] = {}
        self.format_group = QButtonGroup(self)
        formats = QVBoxLayout()
        formats.setSpacing(4)
        for fmt, text in FORMATS.items():
            button = QRadioButton(text)
            button.setObjectName(f"format_{fmt}")
            self.format_group.addButton(button)
            self.format_buttons[fmt] = button
            formats.addWidget(button)
            button.toggled.connect(self._on_field_changed)
        self.folder_edit = QLineEdit()
        self.folder_edit.setObjectName("exportFolder")
        self.folder_edit.setPlaceholderText("The folder the files go to")
        self.folder_edit.textChanged.connect(self._on_field_changed)
        self.browse_button = QPushButton("Browse…")
        self.browse_button.clicked.connect(self._on_browse_button_clicked)
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder_edit, 1)
        folder_row.addWidget(self.browse_button)
        self.folder_error = self._error_label()
        self.name_edit = QLineEdit()
        self.name_edit.setObjectName("exportName")
        self.name_edit.setPlaceholderText("net")
        self.name_edit.textChanged.connect(self._on_field_changed)
        self.name_error = self._error_label()
        self.weights_label = QLabel()
        self.weights_label.setObjectName("muted")
        self.weights_label.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(8)
        form.addRow("Format:", formats)
        form.addRow("Folder:", self._stacked(folder_row, self.folder_error))
        form.addRow("Name:", self._stacked(self.name_edit, self.name_error))
        form.addRow("Weights:", self.weights_label)

        self.files_title = QLabel()
        self.files_title.setObjectName("sectionTitle")
        self.files_label = QLabel()
        self.files_label.setObjectName("exportFiles")
        self.files_label.setTextFormat(Qt.TextFormat.RichText)
        self.files_label.setWordWrap(True)  # the table's cells wrap rather than widen the dialog
        self.files_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.files_label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.files_label.setMinimumHeight(self.fontMetrics().height() * 3 + 12)
        self.status_label = QLabel()
        self.status_label.setObjectName("exportStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setTextFormat(Qt.TextFormat.PlainText)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the exporters report no fraction
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        self.progress.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.problems_button = QPushButton("Show Problems")
        self.problems_button.clicked.connect(self._on_problems_button_clicked)
        self.open_folder_button = QPushButton("Open Folder")
        self.open_folder_button.clicked.connect(self._on_open_folder_button_clicked)
        self.export_button = QPushButton("Export")
        self.export_button.setObjectName("exportPrimary")
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.close_button = QPushButton("Close")
        self.close_button.clicked.connect(self._on_close_button_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.problems_button)
        buttons.addWidget(self.open_folder_button)
        buttons.addStretch(1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(8)
        layout.addWidget(self.heading)
        layout.addSpacing(4)
        layout.addLayout(form)
        layout.addWidget(self.files_title)
        layout.addWidget(self.files_label)
        layout.addWidget(self.status_label)
        layout.addWidget(self.progress)
        layout.addStretch(1)
        layout.addSpacing(4)
        layout.addLayout(buttons)

    @staticmethod
    def _error_label() -> QLabel:
        label = QLabel()
        label.setObjectName("fieldError")
        label.setWordWrap(True)
        label.hide()
        return label

    @staticmethod
    def _stacked(top, bottom: QLabel) -> QWidget:
        box = QWidget()
        box.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)  # room goes below
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        if isinstance(top, QWidget):
            column.addWidget(top)
        else:
            column.addLayout(top)
        column.addWidget(bottom)
        return box

    # ----------------------------------------------------------------- values
    @property
    def fmt(self) -> str:
        return next((f for f, b in self.format_buttons.items() if b.isChecked()), "python")

    def set_format(self, fmt: str) -> None:
        self.format_buttons[fmt if fmt in self.format_buttons else "python"].setChecked(True)

    @property
    def folder(self) -> Path | None:
        text = self.folder_edit.text().strip()
        return Path(text).expanduser() if text else None

    @property
    def stem(self) -> str:
        return self.name_edit.text().strip()

    def planned(self) -> list[tuple[str, bool]]:
        """The files Export writes, each with whether it exists in the folder now."""
        folder = self.folder
        return [
            (name, folder is not None and (folder / name).exists()) for name, _ in planned_files(self.fmt, self.stem)
        ]

    def folder_problem(self) -> str | None:
        folder = self.folder
        if folder is None:
            return "Choose the folder the files go to."
        if not folder.is_absolute():
            return "Enter a full path (or choose the folder with Browse…)."
        if folder.exists() and not folder.is_dir():
            return "This is a file, not a folder."
        if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
            return "You cannot write to this folder."
        return None

    def design_problem(self) -> str | None:
        """Why the design cannot be exported (one sentence), or None."""
        if self.session is None:
            return "There is no design to export."
        n = len(self.session.report.errors)
        if n:
            return f"The design has {n} error{'s' * (n != 1)}: fix {'them' if n != 1 else 'it'} first."
        if not self.session.doc.nodes:
            return "The design is empty: add nodes from the Palette first."
        return None

    # --------------------------------------------------------------- session
    def prepare(self) -> None:
        """Before showing: follow the window's current design; a finished export's result
        gives way to the plan (now with its files marked as existing)."""
        self._bind(self.main_window.session)
        settings = app_settings()
        if not self.format_group.checkedButton():
            self.set_format(str(settings.value(FORMAT_KEY, "python")))
        if not self.folder_edit.text().strip():
            self.folder_edit.setText(self._default_folder())
        if self.state in ("done", "failed"):
            self.state = "idle"
        self.note = ""
        self.refresh()

    def _default_folder(self) -> str:
        saved = app_settings().value(FOLDER_KEY)
        if saved and Path(str(saved)).is_dir():
            return str(saved)
        if self.session is not None and self.session.path is not None:
            return str(self.session.path.parent)
        return str(Path.home())

    def _bind(self, session: Session | None) -> None:
        if session is self.session:
            return
        if self.session is not None:
            with contextlib.suppress(RuntimeError, TypeError):  # already gone with its session
                self.session.report_changed.disconnect(self._on_session_report_changed)
        self.session = session
        if session is None:
            return
        session.report_changed.connect(self._on_session_report_changed)
        self.name_edit.setText(default_stem(session))
        if self.state != "running":
            self.state = "idle"

    @Slot()
    def _on_window_document_replaced(self) -> None:
        self._bind(self.main_window.session)
        self.refresh()

    @Slot(object)
    def _on_session_report_changed(self, report) -> None:
        self.refresh()

    # ---------------------------------------------------------------- display
    def refresh(self) -> None:
        """Show the current state: problems, the files (planned or written), progress, buttons."""
        running = self.state == "running"
        theme = self.main_window.theme
        self._apply_theme(theme)
        session = self.session
        self.heading.setText(f"Export “{session.doc.name or session.title}”" if session else "Export")
        for widget in (*self.format_buttons.values(), self.folder_edit, self.browse_button, self.name_edit):
            widget.setEnabled(not running)
        fmt, stem = self.fmt, self.stem
        name_problem_ = name_problem(stem, fmt)
        folder_problem = self.folder_problem()
        self._show_error(self.name_error, name_problem_)
        self._show_error(self.folder_error, folder_problem)
        self.weights_label.setText(self._weights_text())
        design_problem = self.design_problem()

        created = False
        if self.state == "done":
            self.files_title.setText("Files written")
            rows = [(Path(p).name, file_size(size), "") for p, size in self.written]
        else:
            self.files_title.setText("Files to write")
            where = self.folder
            created = where is not None and folder_problem is None and not where.exists()
            if name_problem_:
                rows = []
            else:
                existing = dict(self.planned())
                rows = [(name, what, REPLACES if existing[name] else "") for name, what in planned_files(fmt, stem)]
        self.files_label.setText(self._files_html(rows, theme))

        tip = ""
        if running:
            status, color = self.progress_text or "Starting…", theme.subtext
        elif self.state == "failed":
            status, color = self.error, theme.error
        elif self.state == "done":
            n, tip = len(self.written), self.written_folder
            status, color = f"Exported {n} file{'s' * (n != 1)} to {self._elide(tip, 440)}", theme.ok
        elif design_problem:
            status, color = design_problem, theme.error
        elif self.note:
            status, color = self.note, theme.subtext
        elif created:
            status, color = "The folder does not exist yet: Export creates it.", theme.subtext
        else:
            status, color = "", theme.subtext
        self.status_label.setToolTip(tip)
        self.status_label.setText(status)
        self._set_color(self.status_label, color)
        self.status_label.setVisible(bool(status))
        self.progress.setVisible(running)
        self.problems_button.setVisible(bool(design_problem) and not running)
        self.open_folder_button.setVisible(self.state == "done")
        self.export_button.setEnabled(
            not running and design_problem is None and name_problem_ is None and folder_problem is None
        )
        self.close_button.setText("Cancel" if running else "Close")

    @property
    def written_folder(self) -> str:
        """The folder of the last export's files ('' before one)."""
        return str(Path(self.written[0][0]).parent) if self.written else ""

    def _apply_theme(self, t) -> None:
        """The radio buttons' indicators in the theme's colours (Fusion's barely show on dark)."""
        if self._styled_for == t.name:
            return
        self._styled_for = t.name
        self.setStyleSheet(
            f"QRadioButton {{ color: {t.text}; spacing: 8px; }}"
            f"QRadioButton::indicator {{ width: 12px; height: 12px; border-radius: 7px;"
            f" border: 1px solid {t.subtext}; background: {t.base}; }}"
            f"QRadioButton::indicator:hover {{ border-color: {t.accent}; }}"
            f"QRadioButton::indicator:checked {{ border-color: {t.accent}; background: qradialgradient("
            f"cx:0.5, cy:0.5, radius:0.5, fx:0.5, fy:0.5, stop:0 {t.accent}, stop:0.5 {t.accent},"
            f" stop:0.62 {t.base}, stop:1 {t.base}); }}"
            f"QRadioButton:disabled {{ color: {t.subtext}; }}"
            f"QRadioButton::indicator:disabled {{ border-color: {t.border}; }}"
            f"QPushButton:disabled {{ color: {t.subtext}; border-color: {t.border}; }}"
            f"QPushButton#exportPrimary {{ background: {t.accent}; color: {t.accent_text}; border: 1px solid {t.accent};"
            " font-weight: 600; padding: 4px 16px; }"
            f"QPushButton#exportPrimary:hover {{ background: {t.info}; border-color: {t.info}; }}"
            f"QPushButton#exportPrimary:disabled {{ background: {t.alt_base}; color: {t.subtext}; border-color: {t.border}; }}"
        )

    @staticmethod
    def _set_color(label: QLabel, color: str) -> None:
        style = f"color: {color};"
        if label.styleSheet() != style:
            label.setStyleSheet(style)

    def _show_error(self, label: QLabel, text: str | None) -> None:
        label.setText(text or "")
        self._set_color(label, self.main_window.theme.error)
        label.setVisible(bool(text))

    def _weights_text(self) -> str:
        where = "Inside the .onnx file: a" if self.fmt == "onnx" else "A"
        text = f"{where} fresh initialisation (seed {SEED}), not trained weights."
        dock = getattr(self.main_window, "training_dock", None)
        fin = getattr(dock, "last_finished", None)
        if fin is not None and (getattr(fin, "best_checkpoint", None) or getattr(fin, "last_checkpoint", None)):
            text += " The last training run's weights: Export weights… in the Training panel."
        return text

    def _files_html(self, rows: list[tuple[str, str, str]], theme) -> str:
        if not rows:
            return f"<span style='color:{theme.subtext}'>–</span>"
        cells = []
        bold = self.font()
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        for name, what, note in rows:
            shown = metrics.elidedText(name, Qt.TextElideMode.ElideMiddle, 240)  # a long name stays in the dialog
            cells.append(
                "<tr>"
                f"<td style='padding:2px 18px 2px 4px; white-space:nowrap'><b>{html.escape(shown)}</b></td>"
                f"<td style='padding:2px 14px 2px 0; color:{theme.subtext}'>{html.escape(what)}</td>"
                f"<td style='padding:2px 0; color:{theme.warning}'>{html.escape(note)}</td>"
                "</tr>"
            )
        return f"<table cellspacing='0' cellpadding='0'>{''.join(cells)}</table>"

    def _elide(self, text: str, width: int) -> str:
        return self.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, width)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            if self.session is not None:
                self.refresh()  # the theme's colours
        elif event.type() == QEvent.Type.ActivationChange and self.isActiveWindow() and self.state == "idle":
            self.refresh()  # files may have appeared or gone meanwhile

    # ---------------------------------------------------------------- actions
    @Slot()
    def _on_field_changed(self, *args) -> None:
        if self.state in ("done", "failed"):
            self.state = "idle"
        self.note = ""
        self.refresh()

    @Slot()
    def _on_browse_button_clicked(self) -> None:
        folder = self.folder
        start = str(folder) if folder is not None and folder.is_dir() else self._default_folder()
        chosen = choose_folder(self, start)
        if chosen:
            self.folder_edit.setText(chosen)

    @Slot()
    def _on_problems_button_clicked(self) -> None:
        dock = self.main_window.problems_dock
        dock.show()
        dock.raise_()
        self.close()

    @Slot()
    def _on_open_folder_button_clicked(self) -> None:
        if self.written:
            open_folder(self.written_folder)

    @Slot()
    def _on_export_button_clicked(self) -> None:
        self.export()

    def export(self) -> bool:
        """Start exporting (after asking before replacing files). False when nothing started."""
        if self.state == "running" or self.session is None:
            return False
        self.session.flush()
        self.refresh()
        if not self.export_button.isEnabled():
            return False
        folder, fmt, stem = self.folder, self.fmt, self.stem
        assert folder is not None
        existing = [name for name, exists in self.planned() if exists]
        if existing and not ask_overwrite(self, existing, str(folder)):
            return False
        job = ExportJob(self.session.doc.to_dict(), fmt, str(folder), stem, SEED)
        self.state, self.progress_text, self.written, self.error, self.note = "running", "", [], "", ""
        self.runner.start(job)
        self.refresh()
        return True

    @Slot()
    def _on_close_button_clicked(self) -> None:
        if self.state == "running":
            self.cancel()
        else:
            self.close()

    def cancel(self) -> None:
        """Cancel a running export: nothing is written (unless its files are already being
        moved into place, a moment before it ends: then its result is shown)."""
        if self.state == "running" and self.runner.cancel():
            self.state, self.note = "idle", "Cancelled: nothing was written."
            self.refresh()

    def reject(self) -> None:
        """Escape or the window's close button: cancels a running export, then closes."""
        self.cancel()
        super().reject()

    @Slot()
    def _on_app_about_to_quit(self) -> None:
        self.cancel()

    # ----------------------------------------------------------- the worker
    @Slot(str)
    def _on_runner_progress(self, text: str) -> None:
        self.progress_text = text
        self.refresh()

    @Slot(list)
    def _on_runner_succeeded(self, files: list) -> None:
        self.state, self.written = "done", [(str(p), int(n)) for p, n in files]
        folder = self.written_folder or str(self.folder)
        settings = app_settings()
        settings.setValue(FOLDER_KEY, folder)
        settings.setValue(FORMAT_KEY, self.fmt)
        n = len(self.written)
        self.main_window.statusBar().showMessage(f"Exported {n} file{'s' * (n != 1)} to {folder}", 8000)
        self.refresh()

    @Slot(str)
    def _on_runner_failed(self, message: str) -> None:
        self.state, self.error = "failed", message
        self.main_window.statusBar().showMessage(f"Export failed: {message}", 10_000)
        self.refresh()

    @Slot()
    def _on_runner_finished(self) -> None:
        if self.state == "running":  # ended without a result (cancelled)
            self.state = "idle"
        self.refresh()
