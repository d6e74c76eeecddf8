"""Live training curves (pyqtgraph): loss, accuracy, learning rate and throughput.

Per-step values are drawn as thin lines, per-epoch validation values as lines with
markers at the step where the epoch ended; each aux head's loss is a curve of its own.
Each plot's title is also its legend (a line of coloured samples and names above the
plot, wrapping when narrow), so no legend ever sits on the curves. Colours come from the
widget palette, so the plots read well in dark and light themes; data arrive through
:meth:`TrainingPlots.add_step` / :meth:`add_epoch` and are drawn by a timer at most a few
times a second, however fast the records come.

:class:`ResultsView` shows an epoch's validation results: the heads' accuracies, the
confusion matrix as a heat map (:class:`ConfusionMatrixView`, painted from the palette) and
the worst-classified images.
"""

from __future__ import annotations

import csv
import html
import os
from collections.abc import Sequence
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import QEvent, QPoint, QRect, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QFontMetrics, QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from ..training.records import EpochRecord, StepRecord

__all__ = [
    "BranchesView",
    "ConfusionMatrixView",
    "ResultsView",
    "TrainingPlots",
    "read_epoch_metrics",
    "series_colours",
]

#: Hues of the series, in order: train, validation, then aux heads, lr, throughput.
_HUES = (210, 25, 130, 285, 50, 330, 175)


def series_colours(palette: QPalette, n: int = len(_HUES)) -> list[QColor]:
    """Distinct colours with enough contrast against the palette's base colour."""
    dark = palette.color(QPalette.ColorRole.Base).lightness() < 128
    sat, val = (150, 250) if dark else (230, 185)
    return [QColor.fromHsv(_HUES[i % len(_HUES)], sat, val) for i in range(n)]


def _aux_label(name: str) -> str:
    return name if "aux" in name.lower() else f"{name} (aux)"


def _blend(a: QColor, b: QColor, t: float) -> QColor:
    """``t`` of ``a`` over ``1 - t`` of ``b``."""
    return QColor.fromRgbF(*(t * x + (1 - t) * y for x, y in zip(a.getRgbF()[:3], b.getRgbF()[:3], strict=True)))


class _Series:
    def __init__(self) -> None:
        self.x: list[float] = []
        self.y: list[float] = []

    def add(self, x: float, y: float) -> None:
        self.x.append(x)
        self.y.append(y)


#: The least height one plot (axes and a curve, below its title line) needs to be readable.
PLOT_MIN_HEIGHT = 100

#: How each style's sample is written in a title: a line, a dashed line, a line with a marker.
_SAMPLES = {"": "\u2501\u2501", "faint": "\u2501\u2501", "dash": "\u254d\u254d", "markers": "\u2501\u25cf\u2501"}


class TrainingPlots(QWidget):
    """Four plots in a grid: loss, accuracy, learning rate, images per second, each under its
    title line, which names and colours its curves (the legend)."""

    TITLES = ("Loss", "Accuracy", "Learning rate", "Images / s")

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(6)
        grid.setVerticalSpacing(0)
        self.widgets: list[pg.PlotWidget] = []
        #: One title line per plot: the plot's name and its curves' samples (the legend).
        self.titles: list[QLabel] = []
        for i, title in enumerate(self.TITLES):
            row, col = divmod(i, 2)
            label = QLabel(title)
            label.setObjectName(f"plotTitle{i}")
            label.setWordWrap(True)
            label.setTextFormat(Qt.TextFormat.RichText)
            label.setAlignment(Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignBottom)
            label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
            label.setContentsMargins(4, 2, 4, 0)
            widget = pg.PlotWidget()
            widget.setMinimumHeight(PLOT_MIN_HEIGHT)
            grid.addWidget(label, 2 * row, col)
            grid.addWidget(widget, 2 * row + 1, col)
            self.titles.append(label)
            self.widgets.append(widget)
        grid.setRowStretch(1, 3)
        grid.setRowStretch(3, 2)
        self.loss, self.acc, self.lr, self.speed = (w.getPlotItem() for w in self.widgets)
        for plot in self.plots:
            plot.showGrid(x=True, y=True, alpha=0.15)
        for plot in (self.lr, self.speed):  # the bottom row names the shared x axis for both rows
            plot.setLabel("bottom", "step")
        for plot in self.plots:
            plot.setMenuEnabled(False)
            plot.getViewBox().setMouseEnabled(x=True, y=False)
        self.acc.setYRange(0, 1, padding=0.02)
        self.acc.getAxis("left").setTickSpacing(0.2, 0.1)
        self._aux_names: tuple[str, ...] = ()
        self._series: dict[str, _Series] = {}
        self._curves: dict[str, pg.PlotDataItem] = {}
        self._dirty = False
        self._timer = QTimer(self)
        self._timer.setInterval(250)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._timer.start()
        self.reset(())

    @property
    def plots(self) -> tuple[pg.PlotItem, ...]:
        return (self.loss, self.acc, self.lr, self.speed)

    # ------------------------------------------------------------------ data
    def reset(self, aux_names: tuple[str, ...]) -> None:
        """Clear every curve; set up one loss curve per aux head."""
        self._aux_names = tuple(aux_names)
        for plot in self.plots:
            plot.clear()
        self._overlay: dict[str, tuple[pg.PlotDataItem, int, str]] = {}
        self._overlay_legend: dict[int, list[tuple[str, int, str]]] = {}
        self._series.clear()
        self._curves.clear()
        keys = [
            (self.loss, "loss", "train (total)", 0, "faint"),
            (self.loss, "main", "train (main head)", 0, ""),
            (self.loss, "val_loss", "validation", 1, "markers"),
            *[(self.loss, f"aux:{n}", _aux_label(n), 2 + i, "dash") for i, n in enumerate(self._aux_names)],
            (self.acc, "acc", "train", 0, ""),
            (self.acc, "ep_acc", "", 0, "markers"),
            (self.acc, "val_acc", "validation", 1, "markers"),
            (self.lr, "lr", "", 4, ""),
            (self.speed, "ips", "", 6, ""),
        ]
        self._styles = {key: (colour, style) for _, key, _, colour, style in keys}
        #: Per plot, the curves its title names: (label, colour index, style).
        self._legend: list[list[tuple[str, int, str]]] = [[] for _ in self.plots]
        for plot, key, label, colour, style in keys:
            self._curves[key] = plot.plot([], [])
            self._series[key] = _Series()
            if label:
                self._legend[self.plots.index(plot)].append((label, colour, style))
        self.reset_colours()
        self._dirty = False

    def add_step(self, rec: StepRecord) -> None:
        s = self._series
        s["loss"].add(rec.step, rec.loss)
        s["main"].add(rec.step, rec.main_loss)
        for name, value in rec.aux_losses.items():
            if f"aux:{name}" in s:
                s[f"aux:{name}"].add(rec.step, value)
        s["acc"].add(rec.step, rec.accuracy)
        s["lr"].add(rec.step, rec.lr)
        s["ips"].add(rec.step, rec.images_per_s)
        self._dirty = True

    def add_epoch(self, rec: EpochRecord) -> None:
        self._series["ep_acc"].add(rec.step, rec.train_accuracy)
        self._series["val_loss"].add(rec.step, rec.val_loss)
        self._series["val_acc"].add(rec.step, rec.val_accuracy)
        self._dirty = True

    def point_count(self, key: str) -> int:
        """How many points a series holds (tests and the status line)."""
        return len(self._series[key].x) if key in self._series else 0

    def flush(self) -> None:
        """Draw pending data now (the timer does this every 250 ms)."""
        if not self._dirty:
            return
        self._dirty = False
        for key, series in self._series.items():
            self._curves[key].setData(series.x, series.y)

    def _on_timer_timeout(self) -> None:
        if self.isVisible():
            self.flush()

    # ---------------------------------------------------------------- colours
    def changeEvent(self, event: QEvent) -> None:
        if hasattr(self, "_styles") and event.type() in (
            QEvent.Type.PaletteChange,
            QEvent.Type.ApplicationPaletteChange,
        ):
            self.reset_colours()
        super().changeEvent(event)

    def reset_colours(self) -> None:
        """Re-derive every pen from the current palette (called on a theme change)."""
        colours = series_colours(self.palette())
        pens = [(curve, *self._styles[key]) for key, curve in self._curves.items()]
        for curve, index, style in pens + list(self._overlay.values()):
            c = QColor(colours[index % len(colours)])
            if style == "faint":
                c.setAlpha(90)
            pen = pg.mkPen(c, width=2.2 if style == "markers" else 1.4)
            if style == "dash":
                pen.setStyle(Qt.PenStyle.DashLine)
            curve.setPen(pen)
            if style == "markers":
                curve.setSymbol("o")
                curve.setSymbolSize(7)
                curve.setSymbolBrush(c)
                curve.setSymbolPen(None)
        self._apply_palette()

    def _apply_palette(self) -> None:
        pal = self.palette()
        base = pal.color(QPalette.ColorRole.Base)
        text = pal.color(QPalette.ColorRole.Text)
        muted = QColor(text)
        muted.setAlpha(170)
        for widget, plot in zip(self.widgets, self.plots, strict=True):
            widget.setBackground(base)
            for side in ("left", "bottom"):
                axis = plot.getAxis(side)
                axis.setPen(pg.mkPen(muted))
                axis.setTextPen(pg.mkPen(text))
        colours = series_colours(pal)
        for i, label in enumerate(self.titles):
            # On the plot's own background: the title line and the plot read as one panel.
            label.setStyleSheet(f"QLabel {{ background: {base.name()}; font-size: 9pt; }}")
            label.setText(self.title_html(i, colours, text))

    def title_html(self, index: int, colours: list[QColor], text: QColor) -> str:
        """Plot ``index``'s title line: its name in bold, then a coloured sample and the name of
        each curve. Non-breaking spaces inside an entry, so a narrow plot wraps between entries."""
        parts = [f'<b style="color:{text.name()}">{html.escape(self.TITLES[index])}</b>']
        for name, colour, style in self._overlay_legend.get(index, self._legend[index]):
            c = QColor(colours[colour % len(colours)])
            if style == "faint":  # as the faint curve looks: blended into the background
                c = _blend(c, self.palette().color(QPalette.ColorRole.Base), 0.45)
            sample = f'<span style="color:{c.name()}">{_SAMPLES[style]}</span>'
            parts.append(f"{sample}&nbsp;{html.escape(name).replace(' ', '&nbsp;')}")
        return f'<span style="color:{text.name()}">' + " &nbsp; ".join(parts) + "</span>"

    def legend_text(self, index: int) -> list[str]:
        """The names plot ``index``'s title gives its curves (tests)."""
        return [name for name, _, _ in self._overlay_legend.get(index, self._legend[index])]

    # ---------------------------------------------------------------- compare runs
    def show_runs(self, runs: Sequence[tuple[str, dict[str, list[float]]]]) -> None:
        """Overlay past runs' per-epoch curves in the loss and accuracy plots, in place of the
        live ones: each run ``(name, columns of its metrics.csv)`` gets a colour of its own, its
        validation loss and accuracy as lines with markers and its training loss dashed, named
        in the title lines. No runs: the live (or last) run's curves again."""
        for curve, _, _ in self._overlay.values():
            for plot in (self.loss, self.acc):
                if curve in plot.listDataItems():
                    plot.removeItem(curve)
        self._overlay = {}
        self._overlay_legend = {}
        live = not runs
        for plot in (self.loss, self.acc):
            for item in plot.listDataItems():
                item.setVisible(live)
        for i, (name, cols) in enumerate(runs):
            x = cols.get("step") or []
            for plot, col, label, style in (
                (self.loss, "val_loss", f"{name} validation", "markers"),
                (self.loss, "train_loss", f"{name} train", "dash"),
                (self.acc, "val_accuracy", f"{name} validation", "markers"),
            ):
                ys = cols.get(col) or []
                pts = [(a, b) for a, b in zip(x, ys, strict=False) if a == a and b == b]  # no NaN (empty cells)
                curve = plot.plot([a for a, _ in pts], [b for _, b in pts])
                self._overlay[f"{i}:{col}"] = (curve, i, style)
                self._overlay_legend.setdefault(self.plots.index(plot), []).append((label, i, style))
        self.reset_colours()

    @property
    def overlaid(self) -> dict[str, pg.PlotDataItem]:
        """The overlaid runs' curves by ``"RUN_INDEX:COLUMN"`` (tests)."""
        return {key: curve for key, (curve, _, _) in self._overlay.items()}


def read_epoch_metrics(run_dir: str | os.PathLike[str]) -> dict[str, list[float]]:
    """The numeric columns of a run's ``metrics.csv`` (one row per epoch); an empty cell is NaN.
    Empty when the run has no such file (yet)."""
    cols: dict[str, list[float]] = {}
    try:
        with (Path(run_dir) / "metrics.csv").open(encoding="utf-8", newline="") as fh:
            rows = list(csv.DictReader(fh))
    except (OSError, csv.Error, UnicodeDecodeError):
        return cols
    for row in rows:
        for key, text in row.items():
            if key is None:
                continue
            try:
                value = float(text) if text not in ("", None) else float("nan")
            except ValueError:
                continue
            cols.setdefault(key, []).append(value)
    return cols


# --------------------------------------------------------------------------- results
def _luma(c: QColor) -> float:
    return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()


def _on(c: QColor) -> QColor:
    """Black or white, whichever reads better on ``c``."""
    return QColor(20, 20, 20) if _luma(c) > 0.45 else QColor(245, 245, 245)


class ConfusionMatrixView(QWidget):
    """The confusion matrix as a heat map: true classes down the left, predicted classes across
    the top (names written upwards), the count in each cell, and each row's accuracy and image
    count at its right. A cell's colour is its share of the row: the diagonal in the first
    series colour, confusions in the second (their square root, so that a few stand out).
    Hovering a cell says what it counts."""

    MAX_LABEL = 150  # px: longer class names are elided

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.matrix: list[list[int]] = []
        self.class_names: list[str] = []
        self.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.setMouseTracking(True)

    def set_data(self, matrix: list[list[int]], class_names: list[str]) -> None:
        self.matrix = [list(map(int, row)) for row in matrix]
        k = len(self.matrix)
        names = [str(n) for n in class_names][:k]
        self.class_names = names + [str(i) for i in range(len(names), k)]
        self.updateGeometry()
        self.update()

    # ---------------------------------------------------------------- geometry
    def _geometry(self) -> dict[str, int]:
        fm = self.fontMetrics()
        k = len(self.matrix)
        big = max((v for row in self.matrix for v in row), default=0)
        totals = [sum(row) for row in self.matrix]
        text = k <= 40
        cell = max(fm.height() + 5, fm.horizontalAdvance(f"{big:,}") + 8) if text else max(6, min(16, 640 // max(1, k)))
        label = min(self.MAX_LABEL, max((fm.horizontalAdvance(n) for n in self.class_names), default=0)) + 10
        bold = self.font()
        bold.setBold(True)
        corner = (
            max(
                QFontMetrics(bold).horizontalAdvance("Confusion matrix"),
                *(fm.horizontalAdvance(t) for t in ("predicted →", "true ↓")),
            )
            + 10
        )
        head = max(label, 4 * fm.height() + 10)
        acc_w = max(fm.horizontalAdvance("100.0%"), fm.horizontalAdvance("accuracy")) + 12
        n_w = max(fm.horizontalAdvance("images"), fm.horizontalAdvance(f"{max(totals, default=0):,}")) + 12
        left = max(label, corner)
        return {
            "k": k, "cell": cell, "left": left, "top": head + 4, "gap": 8, "acc_w": acc_w, "n_w": n_w,
            "text": int(text), "label": label,
        }  # fmt: skip

    def sizeHint(self) -> QSize:
        g = self._geometry()
        w = g["left"] + g["k"] * g["cell"] + g["gap"] + g["acc_w"] + g["n_w"] + 4
        return QSize(w, g["top"] + g["k"] * g["cell"] + 4)

    def minimumSizeHint(self) -> QSize:
        return self.sizeHint()

    def cell_at(self, pos: QPoint) -> tuple[int, int] | None:
        """(true, predicted) of the cell under ``pos`` (widget coordinates), or None."""
        g = self._geometry()
        c, r = (pos.x() - g["left"]) // g["cell"], (pos.y() - g["top"]) // g["cell"]
        if pos.x() >= g["left"] and pos.y() >= g["top"] and 0 <= r < g["k"] and 0 <= c < g["k"]:
            return int(r), int(c)
        return None

    def cell_rect(self, true: int, predicted: int) -> QRect:
        g = self._geometry()
        return QRect(g["left"] + predicted * g["cell"], g["top"] + true * g["cell"], g["cell"], g["cell"])

    # ---------------------------------------------------------------- painting
    def colours(self) -> tuple[QColor, QColor, QColor, QColor]:
        """Base, text, the diagonal's colour and the confusions' colour (from the palette)."""
        pal = self.palette()
        series = series_colours(pal)
        return pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text), series[0], series[1]

    def cell_colour(self, true: int, predicted: int) -> QColor:
        base, _, good, bad = self.colours()
        row = self.matrix[true]
        total = sum(row)
        v = row[predicted] / total if total else 0.0
        if true == predicted:
            return _blend(good, base, 0.08 + 0.92 * v) if total else base
        return _blend(bad, base, min(1.0, v**0.5)) if v else base

    def paintEvent(self, event: QEvent) -> None:
        from PySide6.QtGui import QPainter, QPen

        g = self._geometry()
        k, cell, left, top = g["k"], g["cell"], g["left"], g["top"]
        base, text, good, _ = self.colours()
        muted = QColor(text)
        muted.setAlpha(150)
        faint = QColor(text)
        faint.setAlpha(70)
        p = QPainter(self)
        p.fillRect(self.rect(), base)
        fm = self.fontMetrics()
        align_right = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        centre = Qt.AlignmentFlag.AlignCenter
        # The corner: what this is, and which way is which.
        p.setPen(text)
        bold = p.font()
        bold.setBold(True)
        p.setFont(bold)
        p.drawText(QRect(0, 0, left - 6, top // 2 - fm.height()),
                   Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, "Confusion matrix")  # fmt: skip
        p.setFont(self.font())
        p.setPen(muted)
        p.drawText(QRect(0, 0, left - 6, top // 2), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                   "predicted →")  # fmt: skip
        p.drawText(QRect(0, top // 2, left - 6, top // 2 - 2), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                   "true ↓")  # fmt: skip
        p.setPen(text)
        # With many classes the cells are smaller than a line of text: every step-th class is named.
        step = max(1, -(-fm.height() // cell))
        for i, name in enumerate(self.class_names):
            if i % step:
                continue
            shown = fm.elidedText(name, Qt.TextElideMode.ElideRight, g["label"] - 6)
            # Row label (true class), right-aligned against the matrix.
            y = top + i * cell + (cell - fm.height()) // 2
            p.drawText(QRect(0, y, left - 6, fm.height()), align_right, shown)
            # Column label (predicted class), written upwards, ending just above the matrix.
            p.save()
            p.translate(left + i * cell + cell / 2 + fm.ascent() / 2 - fm.descent() / 2, top - 6)
            p.rotate(-90)
            p.drawText(0, 0, shown)
            p.restore()
        for r in range(k):
            total = sum(self.matrix[r])
            for c in range(k):
                rect = self.cell_rect(r, c)
                colour = self.cell_colour(r, c)
                p.fillRect(rect, colour)
                if g["text"]:
                    v = self.matrix[r][c]
                    p.setPen(_on(colour) if colour != base else (text if v else faint))
                    p.drawText(rect, centre, f"{v:,}")
            # Accuracy and images of the row.
            x = left + k * cell + g["gap"]
            acc = self.matrix[r][r] / total if total else None
            rect = QRect(x, top + r * cell, g["acc_w"], cell)
            if acc is not None:
                bar = QRect(rect.x(), rect.y() + 2, round((rect.width() - 2) * acc), rect.height() - 4)
                p.fillRect(bar, _blend(good, base, 0.35))
            if step == 1:  # room for the figures (else the bars alone; the tooltip has them)
                p.setPen(text if acc is not None else muted)
                p.drawText(rect.adjusted(0, 0, -6, 0), align_right, f"{acc:.1%}" if acc is not None else "–")
                p.setPen(muted)
                p.drawText(QRect(x + g["acc_w"], top + r * cell, g["n_w"] - 4, cell), align_right, f"{total:,}")
        # Grid lines, and the headings of the two columns at the right.
        p.setPen(QPen(faint, 1))
        for i in range(k + 1 if g["text"] else 0):
            p.drawLine(left, top + i * cell, left + k * cell, top + i * cell)
            p.drawLine(left + i * cell, top, left + i * cell, top + k * cell)
        p.setPen(muted)
        x = left + k * cell + g["gap"]
        p.drawText(QRect(x, 0, g["acc_w"] - 6, top - 4), Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
                   "accuracy")  # fmt: skip
        if step == 1:
            p.drawText(QRect(x + g["acc_w"], 0, g["n_w"] - 4, top - 4),
                       Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom, "images")  # fmt: skip
        p.end()

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            from PySide6.QtWidgets import QToolTip

            at = self.cell_at(event.pos())
            row = self.row_at(event.pos())
            if at is not None:
                QToolTip.showText(event.globalPos(), self.cell_text(*at), self)
            elif row is not None:  # a row's name, accuracy or image count
                QToolTip.showText(event.globalPos(), self.row_text(row), self)
            else:
                return super().event(event)
            return True
        return super().event(event)

    def row_at(self, pos: QPoint) -> int | None:
        """The true class whose row is at ``pos`` (matrix, label or figures), or None."""
        g = self._geometry()
        r = (pos.y() - g["top"]) // g["cell"]
        return int(r) if pos.y() >= g["top"] and 0 <= r < g["k"] else None

    def row_text(self, true: int) -> str:
        row = self.matrix[true]
        total = sum(row)
        acc = f"{row[true] / total:.1%}" if total else "–"
        return f"{self.class_names[true]}: accuracy {acc} ({row[true]:,} of {total:,} validation images)"

    def cell_text(self, true: int, predicted: int) -> str:
        """What the cell counts, in words (its tooltip)."""
        v, total = self.matrix[true][predicted], sum(self.matrix[true])
        share = f" ({v / total:.1%} of them)" if total else ""
        names = self.class_names
        if true == predicted:
            return f"{names[true]}: {v:,} of {total:,} validation images classified correctly{share}"
        return f"{names[true]} classified as {names[predicted]}: {v:,} of {total:,} validation images{share}"


class _ScaledImage(QWidget):
    """A picture drawn at ``scale`` (set by its owner) times its own size."""

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from PySide6.QtGui import QPixmap

        self.pixmap = QPixmap()
        self.scale = 1.0

    def set_pixmap(self, pixmap: object, scale: float = 1.0) -> None:
        self.pixmap = pixmap
        self.set_scale(scale)
        self.update()

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        size = self.pixmap.size() * scale if not self.pixmap.isNull() else QSize(0, 0)
        if size != self.minimumSize() or size != self.maximumSize():
            self.setFixedSize(size)

    def paintEvent(self, event: QEvent) -> None:
        from PySide6.QtGui import QPainter

        if self.pixmap.isNull():
            return
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        p.drawPixmap(self.rect(), self.pixmap)
        p.end()


class ResultsView(QWidget):
    """An epoch's validation results: each head's accuracy, the confusion matrix with each
    class's accuracy, and the worst-classified images (the run's ``worst.png``), from a dict
    as :func:`designer.training.results.results_dict` makes it (``confusion.json``).

    The picture of the worst images goes beside the matrix where it fits at its own size,
    else below it, as wide as the view (down to :attr:`MIN_SCALE` of its size; narrower, the
    view scrolls): its labels stay readable. Put the view in a QScrollArea (widgetResizable).
    """

    PLACEHOLDER = (
        "The results of the latest validation appear here after a run's first epoch: each head's accuracy, "
        "the confusion matrix with each class's accuracy, and the validation images with the highest loss. "
        "Select a run under Runs to see its results."
    )
    #: The worst images are never drawn smaller than this (their labels would not read).
    MIN_SCALE = 0.7
    SPACING = 16

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        from PySide6.QtWidgets import QBoxLayout, QVBoxLayout

        self.data: dict | None = None
        self._viewport: QWidget | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(6, 6, 6, 6)
        self.heads_label = QLabel()
        self.heads_label.setWordWrap(True)
        self.heads_label.setTextFormat(Qt.TextFormat.RichText)
        self.heads_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        outer.addWidget(self.heads_label)
        self.row = QBoxLayout(QBoxLayout.Direction.LeftToRight)
        self.row.setSpacing(self.SPACING)
        self.matrix = ConfusionMatrixView()
        self.matrix.setToolTip("Validation images by true class (rows) and the main head's prediction (columns)")
        self.row.addWidget(self.matrix, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        right = QVBoxLayout()
        self.worst_caption = QLabel()
        self.worst_caption.setWordWrap(True)
        self.worst = _ScaledImage()
        right.addWidget(self.worst_caption)
        right.addWidget(self.worst, 0, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        right.addStretch(1)
        self.row.addLayout(right, 1)
        outer.addLayout(self.row)
        outer.addStretch(1)
        self.show_results(None)

    # ------------------------------------------------------------------ layout
    def showEvent(self, event: QEvent) -> None:
        parent = self.parentWidget()
        if parent is not self._viewport:  # the scroll area's viewport: its width is what there is
            if self._viewport is not None:
                self._viewport.removeEventFilter(self)
            self._viewport = parent
            if parent is not None:
                parent.installEventFilter(self)
        self.arrange()
        super().showEvent(event)

    def eventFilter(self, watched: object, event: QEvent) -> bool:
        if watched is self._viewport and event.type() == QEvent.Type.Resize:
            self.arrange()
        return False

    def resizeEvent(self, event: QEvent) -> None:
        if self._viewport is None:
            self.arrange()
        super().resizeEvent(event)

    def arrange(self, width: int | None = None) -> None:
        """Beside or below, and the picture's scale, for ``width`` (default: the viewport's)."""
        from PySide6.QtWidgets import QBoxLayout

        if width is None:
            width = (self._viewport or self).width()
        pix = self.worst.pixmap
        if pix.isNull():
            self.row.setDirection(QBoxLayout.Direction.LeftToRight)
            self.worst.set_scale(1.0)
            return
        m = self.layout().contentsMargins()
        inner = width - m.left() - m.right()
        side = inner - self.matrix.sizeHint().width() - self.SPACING
        if side >= pix.width():
            self.row.setDirection(QBoxLayout.Direction.LeftToRight)
            self.worst.set_scale(1.0)
        else:
            self.row.setDirection(QBoxLayout.Direction.TopToBottom)
            self.worst.set_scale(max(self.MIN_SCALE, min(1.0, inner / pix.width())))

    def show_results(self, data: dict | None, where: str = "") -> None:
        """Show ``data`` (None: the placeholder); ``where`` names the run (e.g. its folder's name)."""
        from PySide6.QtGui import QPixmap

        self.data = data
        shown = data is not None
        for w in (self.matrix, self.worst_caption, self.worst):
            w.setVisible(shown)
        if data is None:
            self.heads_label.setText(html.escape(self.PLACEHOLDER, quote=False))
            self.matrix.set_data([], [])
            self.worst.set_pixmap(QPixmap())
            return
        self.heads_label.setText(self.heads_html(data, where))
        self.matrix.set_data(data.get("confusion") or [], data.get("classes") or [])
        pixmap = QPixmap(data["worst_image"]) if data.get("worst_image") else QPixmap()
        self.worst.set_pixmap(pixmap)
        self.arrange()
        n = len(data.get("worst") or [])
        if pixmap.isNull():
            self.worst_caption.setText("No picture of the worst images (the run keeps them in its folder's worst.png).")
        else:
            self.worst_caption.setText(
                f"The {n} validation images with the highest loss, worst first: true class, prediction "
                "(red when wrong), index in the validation set and confidence"
            )
        self.worst.setToolTip(self.worst_text(data))

    @staticmethod
    def heads_html(data: dict, where: str = "") -> str:
        """The heads line: the epoch, the main head's validation accuracy, then each aux head's."""

        def pct(v: object) -> str:
            return f"{v:.1%}" if isinstance(v, (int, float)) else "–"

        parts = [f"main head <b>{pct(data.get('val_accuracy'))}</b>"]
        aux = data.get("aux_accuracy") or {}
        parts += [f"{html.escape(_aux_label(str(k)))} <b>{pct(v)}</b>" for k, v in aux.items()]
        if not aux:
            parts.append("no aux heads")
        head = f"<b>Epoch {data.get('epoch', '?')}</b>" + (f" of {html.escape(where)}" if where else "")
        return f"{head} · validation accuracy: " + " · ".join(parts)

    @staticmethod
    def worst_text(data: dict) -> str:
        """The worst images as lines of text (the picture's tooltip)."""
        classes = data.get("classes") or []

        def name(i: object) -> str:
            return str(classes[i]) if isinstance(i, int) and 0 <= i < len(classes) else str(i)

        lines = []
        for w in data.get("worst") or []:
            line = (
                f"#{w.get('index')}: {name(w.get('true'))} → {name(w.get('predicted'))} "
                f"({w.get('confidence', 0):.0%}), loss {w.get('loss', 0):.2f}"
            )
            if w.get("file"):
                line += f" — {w['file']}"
            lines.append(line)
        return "\n".join(lines)


def _short_branch(concat: str, name: str) -> str:
    """A branch's name less what it shares with its concat's up to an underscore
    (``inception_3a_1x1`` of ``inception_3a_concat``: ``1x1``)."""
    common = os.path.commonprefix([concat, name])
    cut = common.rfind("_") + 1
    return name[cut:] if 0 < cut < len(name) else name


class BranchesView(QWidget):
    """What the branches do: one stacked horizontal bar per Concat, each input branch a segment
    as wide as its share of the concat's output activation (``sum |y|`` over its channels, see
    :mod:`designer.training.branches`), labelled with its name and share where it fits, the
    gradient shares written under the bar; then the advice for branches under 3%.
    :meth:`set_branches` takes an epoch record's ``branches`` and ``branch_notes``."""

    BAR_HEIGHT = 22

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.branches: dict[str, list[tuple[str, float, float]]] = {}
        self.notes: list[str] = []
        self.caption = ""
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

    def set_branches(self, branches: dict, notes: Sequence[str] = (), caption: str = "") -> None:
        self.branches = {str(k): [(str(b[0]), float(b[1]), float(b[2])) for b in rows] for k, rows in branches.items()}
        self.notes = [str(n) for n in notes]
        self.caption = caption
        self.setToolTip("\n".join(
            f"{c}: " + ", ".join(f"{b} {a:.1%} act / {g:.1%} grad" for b, a, g in rows)
            for c, rows in self.branches.items()
        ))  # fmt: skip
        self.updateGeometry()
        self.update()

    def _row_height(self) -> int:
        return self.fontMetrics().height() * 2 + self.BAR_HEIGHT + 14

    def sizeHint(self) -> QSize:
        fm = self.fontMetrics()
        lines = 1 + len(self.notes) + (0 if self.branches else 1)
        return QSize(480, 8 + lines * (fm.height() + 4) + len(self.branches) * self._row_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(200, self.sizeHint().height())

    def paintEvent(self, event: QEvent) -> None:
        from PySide6.QtGui import QPainter

        pal = self.palette()
        base, text = pal.color(QPalette.ColorRole.Base), pal.color(QPalette.ColorRole.Text)
        muted = QColor(text)
        muted.setAlpha(160)
        p = QPainter(self)
        p.fillRect(self.rect(), base)
        fm = self.fontMetrics()
        lh = fm.height()
        x0, w = 8, max(50, self.width() - 16)
        y = 6
        bold = p.font()
        bold.setBold(True)
        p.setFont(bold)
        p.setPen(text)
        head = "Branch shares of each Concat's activation" + (f" · {self.caption}" if self.caption else "")
        p.drawText(QRect(x0, y, w, lh), Qt.AlignmentFlag.AlignLeft, fm.elidedText(head, Qt.TextElideMode.ElideRight, w))
        y += lh + 4
        if not self.branches:
            p.setFont(self.font())
            p.setPen(muted)
            p.drawText(QRect(x0, y, w, lh), Qt.AlignmentFlag.AlignLeft,
                       "No Concat measured yet (shown after each epoch; a design without concats has none).")  # fmt: skip
        colours = series_colours(pal, 8)
        for concat, rows in self.branches.items():
            p.setFont(bold)
            p.setPen(text)
            p.drawText(QRect(x0, y, w, lh), Qt.AlignmentFlag.AlignLeft, concat)
            y += lh + 2
            p.setFont(self.font())
            bx = x0
            for i, (name, act, _g) in enumerate(rows):
                seg = round(w * act) if i < len(rows) - 1 else x0 + w - bx
                seg = max(0, min(seg, x0 + w - bx))
                colour = colours[i % len(colours)]
                if act < 0.03:
                    colour = QColor(220, 50, 50)
                r = QRect(bx, y, seg, self.BAR_HEIGHT)
                p.fillRect(r, colour)
                p.setPen(base)
                p.drawLine(r.topRight(), r.bottomRight())
                short = _short_branch(concat, name)
                for label in (f"{short} {act:.0%}", f"{act:.0%}"):
                    if fm.horizontalAdvance(label) + 6 <= seg:
                        p.setPen(_on(colour))
                        p.drawText(r, Qt.AlignmentFlag.AlignCenter, label)
                        break
                bx += seg
            y += self.BAR_HEIGHT + 2
            p.setPen(muted)
            grads = "gradient: " + " · ".join(f"{_short_branch(concat, b)} {g:.0%}" for b, _a, g in rows)
            p.drawText(QRect(x0, y, w, lh), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText(grads, Qt.TextElideMode.ElideRight, w))  # fmt: skip
            y += lh + 10
        warn = QColor(220, 60, 60) if base.lightness() > 128 else QColor(255, 120, 110)
        p.setPen(warn)
        for note in self.notes:
            p.drawText(QRect(x0, y, w, lh), Qt.AlignmentFlag.AlignLeft,
                       fm.elidedText("⚠ " + note, Qt.TextElideMode.ElideRight, w))  # fmt: skip
            y += lh + 4
        p.end()
