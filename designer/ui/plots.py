"""Live training curves (pyqtgraph): loss, accuracy, learning rate and throughput.

Per-step values are drawn as thin lines, per-epoch validation values as lines with
markers at the step where the epoch ended; each aux head's loss is a curve of its own.
Each plot's title is also its legend (a line of coloured samples and names above the
plot, wrapping when narrow), so no legend ever sits on the curves. Colours come from the
widget palette, so the plots read well in dark and light themes; data arrive through
:meth:`TrainingPlots.add_step` / :meth:`add_epoch` and are drawn by a timer at most a few
times a second, however fast the records come.
"""

from __future__ import annotations

import html

import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QWidget

from ..training.records import EpochRecord, StepRecord

__all__ = ["TrainingPlots", "series_colours"]

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
        for key, curve in self._curves.items():
            index, style = self._styles[key]
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
        for name, colour, style in self._legend[index]:
            c = QColor(colours[colour % len(colours)])
            if style == "faint":  # as the faint curve looks: blended into the background
                c = _blend(c, self.palette().color(QPalette.ColorRole.Base), 0.45)
            sample = f'<span style="color:{c.name()}">{_SAMPLES[style]}</span>'
            parts.append(f"{sample}&nbsp;{html.escape(name).replace(' ', '&nbsp;')}")
        return f'<span style="color:{text.name()}">' + " &nbsp; ".join(parts) + "</span>"

    def legend_text(self, index: int) -> list[str]:
        """The names plot ``index``'s title gives its curves (tests)."""
        return [name for name, _, _ in self._legend[index]]
