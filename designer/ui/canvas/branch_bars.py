"""Branch shares on the canvas: under each Concat a thin stacked bar, one segment per input
branch as wide as its share of the concat's output activation, in input order (the order its
edges enter the concat, left to right); under a module instance, a row for each Concat its
body holds. A branch under :data:`~designer.training.branches.LOW_SHARE` of the activation
is painted in the warning colour, ringed, and named beside the bar.

:class:`BranchBars` (one per window) takes the shares of the latest epoch record
(``EpochRecord.branches``, through the Training dock's ``branch_shares`` signal: the live
run's at each epoch, or those of the run selected under Runs) and keeps a
:class:`BranchBarItem` under each node of every open canvas they concern: the design's, and
each definition tab's for its "Shapes as" instance.

Names: a record names each concat and branch by its node's name in the flat design the
compiler builds (:func:`designer.graph.expand.expand`): a design without modules keeps its
names (``concat``, ``b3_5x5``); a node inside a module instance is called
``<instance>_<inner name>`` (GoogLeNet's ``inception4c`` holds ``inception4c_concat`` fed by
``inception4c_b1_1x1`` ...), a copy of a repeated instance ``<instance>_<k>_<inner name>``
(``block35_3_mixed``), a nested instance's node ``<outer>_<inner instance>_<name>``. The
flat node ids say where each came from (``<instance id>[#k]/<inner id>``), so the bars are
placed by id, whatever the names are.

A bar is a child of its node's item: it moves with the node (dragged, or moved by the undo
stack) and goes with it. The bars go when a new design is shown and when View > Branch
Shares on Canvas is off (a setting kept with the app's).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import QObject, QPointF, QRectF, Qt, QTimer
from PySide6.QtGui import QAction, QColor, QFont, QFontMetricsF, QPainter, QPen
from PySide6.QtWidgets import QGraphicsItem, QGraphicsSceneHoverEvent

from ...graph.document import (
    DocumentReset,
    ModuleChanged,
    NodeAdded,
    NodeRemoved,
    NodeRenamed,
    ParamChanged,
)
from ..theme import Theme

if TYPE_CHECKING:
    from ...graph.document import GraphDocument
    from ..main_window import MainWindow
    from .scene import GraphScene

__all__ = ["BranchBarItem", "BranchBars", "Row", "Segment", "flat_names", "last_run_shares"]

#: A branch under this share of its concat's activation is pointed out: the training's
#: ``designer.training.branches.LOW_SHARE`` (not imported: that module loads torch, which the
#: app's start-up must not).
LOW_SHARE = 0.03
#: Hues of the branches, in input order: those of the Branches tab (``plots.series_colours``).
HUES = (210, 25, 130, 285, 50, 330, 175)
#: The settings key of View > Branch Shares on Canvas.
SETTING = "canvas/branch_shares"

#: Where the bars sit under their node (item coordinates): in from its sides, below its output
#: port (radius 5.5) and above the shape label of its outgoing edge (from 14 px down, with
#: the layout's 56 px between levels); how thick they are, the gap between the bars of an
#: instance holding several concats, and between the warning pill and the node's left side.
MARGIN_X, TOP, BAR_H, BAR_GAP, NOTE_GAP = 12.0, 7.5, 4.5, 6.0, 6.0
#: Zoomed out (the edges' labels no longer drawn) the bars thicken to stay this many pixels
#: on screen, up to ``FAR_H`` in scene units.
FAR_LOD, FAR_PX, FAR_H = 0.55, 3.0, 18.0
#: A node shows at most this many bars (an instance holding more concats: the first ones;
#: the tooltip lists them all).
MAX_ROWS = 4

Shares = dict[str, Sequence[Sequence[Any]]]


def branch_colour(index: int, dark: bool) -> QColor:
    """The colour of the ``index``-th branch, as the Branches tab draws it."""
    sat, val = (150, 250) if dark else (230, 185)
    return QColor.fromHsv(HUES[index % len(HUES)], sat, val)


def low_colour(theme: Theme) -> QColor:
    return QColor(theme.error)


# --------------------------------------------------------------------------- the data
@dataclass(frozen=True)
class Segment:
    """One branch of a row: its name as the canvas shows it, its shares (the mean over the
    copies of a repeated instance) and the tooltip line."""

    name: str
    act: float
    grad: float
    tip: str

    @property
    def low(self) -> bool:
        return self.act < LOW_SHARE


@dataclass(frozen=True)
class Row:
    """One Concat's branches (``title``: the concat's name as seen from the node)."""

    title: str
    segments: tuple[Segment, ...]
    #: Branches under the threshold in one of the averaged copies (or instances), where the
    #: mean is not: "b2_3 2% in block35_3".
    low_somewhere: tuple[str, ...] = ()


@dataclass(frozen=True)
class FlatNames:
    """What the compiler's flat design calls things: concat name -> flat node id, and each run
    of a module (flat id prefix ``<id>[#k]/``) -> its name prefix (``inception4c``)."""

    concats: dict[str, str]
    runs: dict[str, str]
    #: (the run's flat id prefix, definition id, whether the instance is in the design itself)
    uses: tuple[tuple[str, str, str, bool], ...]


def flat_names(doc: GraphDocument) -> FlatNames:
    """The flat design's concat names and module runs (see the module's docstring)."""
    from ...graph.expand import ModuleUse, expand

    uses: list[ModuleUse] = []
    try:
        flat = expand(doc, uses)
    except Exception:  # noqa: BLE001 - a design that cannot be expanded shows no bars
        return FlatNames({}, {}, ())
    concats = {n.name: fid for fid, n in flat.nodes.items() if n.type_id == "concat"}
    prefixes: list[str] = []
    for u in uses:
        own = u.node_id + (f"#{u.copy}" if u.copies > 1 else "") + "/"
        prefixes.append((prefixes[u.parent] if u.parent is not None else "") + own)
    runs = {p: u.name for p, u in zip(prefixes, uses, strict=True)}
    listed = tuple((p, u.module_id, u.node_id, u.parent is None) for p, u in zip(prefixes, uses, strict=True))
    return FlatNames(concats, runs, listed)


def _strip(name: str, prefix: str) -> str:
    return name[len(prefix) :] if prefix and name.startswith(prefix) and len(name) > len(prefix) else name


def _line(name: str, act: float, grad: float, where: str) -> str:
    return f"{name}: {act:.1%} of the activation, {grad:.1%} of the gradient ({where})"


def last_run_shares(run_dir: str | Path) -> tuple[Shares, str] | None:
    """The branch shares of the last epoch of a run (its run.json) that has them, and what
    they are of ("run NAME, epoch 7"); None when it has none."""
    try:
        data = json.loads((Path(run_dir) / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    epochs = data.get("epochs") if isinstance(data, dict) else None
    for e in reversed(epochs if isinstance(epochs, list) else []):
        branches = e.get("branches") if isinstance(e, dict) else None
        if isinstance(branches, dict) and branches:
            return branches, f"run {Path(run_dir).name}, epoch {e.get('epoch', '?')}"
    return None


def rows_for(
    shares: Shares, names: FlatNames, scene_nodes: dict[str, Any], prefixes: Sequence[str], caption: str
) -> dict[str, tuple[str, list[Row]]]:
    """For each node of a canvas: (its name for the tooltip's head, its rows).

    ``prefixes`` are the flat id prefixes of what the canvas shows: ``[""]`` for the design,
    the chosen instance's runs (one per copy) for a definition tab. A concat the canvas shows
    gets its own row; an instance the canvas shows gets a row per concat inside it. The rows
    of the copies of a repeated instance are averaged (a branch under the threshold in any
    copy is named)."""
    # (node id, inner path) -> [(run name prefix, concat name, rows)]
    found: dict[tuple[str, str], list[tuple[str, str, Sequence[Sequence[Any]]]]] = {}
    heads: dict[str, str] = {}
    #: the flat ids each (node, inner path) was found at: copies of one repeated instance differ
    #: only in their ``#k``; else they are several instances (a definition used in two others)
    where_found: dict[tuple[str, str], set[str]] = {}
    for cname, rows in shares.items():
        fid = names.concats.get(cname)
        if fid is None:
            continue
        for pid in prefixes:
            if not fid.startswith(pid):
                continue
            head, sep, inner = fid[len(pid) :].partition("/")
            nid = head.partition("#")[0]
            if nid not in scene_nodes:
                continue
            run = names.runs.get(pid + head + "/", "") if sep else names.runs.get(pid, "")
            found.setdefault((nid, inner), []).append((f"{run}_" if run else "", cname, rows))
            where_found.setdefault((nid, inner), set()).add(re.sub(r"#\d+/", "/", fid))
            if sep:  # an instance: the tooltip's rows say which (its name on the canvas)
                heads.setdefault(
                    nid, str(getattr(scene_nodes[nid], "name", "") or names.runs.get(pid + head + "/", nid))
                )
    out: dict[str, tuple[str, list[Row]]] = {}
    for (nid, inner), copies in found.items():
        kind = "copies" if len(where_found[(nid, inner)]) == 1 else "instances"
        strip, cname, first = copies[0]
        count = len(first)
        copies = [c for c in copies if len(c[2]) == count]
        n = len(copies)
        segs = []
        low_runs: list[str] = []
        for i, b in enumerate(first):
            name = _strip(str(b[0]), strip)
            acts = [float(c[2][i][1]) for c in copies]
            grads = [float(c[2][i][2]) for c in copies]
            act, grad = sum(acts) / n, sum(grads) / n
            where = caption if n == 1 else f"mean of {n} {kind}, {caption}"
            tip = _line(name, act, grad, where)
            if n > 1:
                k = min(range(n), key=lambda j: acts[j])
                tip += f"; lowest {acts[k]:.1%} in {copies[k][0].rstrip('_') or copies[k][1]}"
                if acts[k] < LOW_SHARE <= act:
                    low_runs.append(f"{name} {acts[k]:.0%} in {copies[k][0].rstrip('_')}")
            segs.append(Segment(name, act, grad, tip))
        title = _strip(cname, strip)
        out.setdefault(nid, (heads.get(nid, ""), []))[1].append(Row(title, tuple(segs), tuple(low_runs)))
    return out


# --------------------------------------------------------------------------- the item
class BranchBarItem(QGraphicsItem):
    """The branch bars under one node (a child of its item, so it moves with it): one stacked
    bar per Concat, side by side, in the band between the node's output port and its edge's
    shape label; a branch under the threshold is ringed, and named in a pill left of the bar."""

    _font: QFont | None = None

    def __init__(self, node_item: QGraphicsItem):
        super().__init__(node_item)
        self.rows: list[Row] = []
        self.caption = ""
        self.head = ""
        #: (row, segment index, rect in item coordinates) of every segment drawn.
        self.segments: list[tuple[int, int, QRectF]] = []
        #: What the last paint drew: per row, (name, width, colour name, low) per segment; and
        #: the warning pill's text ("": none).
        self.painted: tuple[tuple[tuple[tuple[str, float, str, bool], ...], ...], str] | None = None
        #: The warning pill's text ("": no branch under the threshold) and where it goes.
        self.note = ""
        self.note_rect = QRectF()
        self._bounds = QRectF()
        self._tip = ""
        self.setAcceptedMouseButtons(Qt.MouseButton.NoButton)  # clicks go to what lies beneath
        self.setAcceptHoverEvents(True)

    @classmethod
    def font(cls) -> QFont:
        if cls._font is None:
            cls._font = QFont()
            cls._font.setPointSizeF(7.5)
            cls._font.setWeight(QFont.Weight.DemiBold)
        return cls._font

    def node_rect(self) -> QRectF:
        parent = self.parentItem()
        return QRectF(getattr(parent, "rect", QRectF(0, 0, 200, 84)))

    def set_rows(self, head: str, rows: list[Row], caption: str) -> None:
        if (head, rows, caption) == (self.head, self.rows, self.caption):
            return
        self.prepareGeometryChange()
        self.head, self.rows, self.caption = head, rows, caption
        r = self.node_rect()
        shown = rows[:MAX_ROWS]
        x0, span = r.left() + MARGIN_X, r.width() - 2 * MARGIN_X
        w = (span - BAR_GAP * (len(shown) - 1)) / max(1, len(shown))
        y = r.bottom() + TOP
        self.segments = []
        for ri, row in enumerate(shown):
            left = x0 + ri * (w + BAR_GAP)
            x = left
            total = sum(max(0.0, s.act) for s in row.segments) or 1.0
            for si, s in enumerate(row.segments):
                seg = w * max(0.0, s.act) / total if si < len(row.segments) - 1 else left + w - x
                self.segments.append((ri, si, QRectF(x, y, max(0.0, seg), BAR_H)))
                x += seg
        lows = [f"{s.name} {s.act:.0%}" for row in rows for s in row.segments if s.low]
        lows += [n for row in rows for n in row.low_somewhere]
        self.note = ("⚠ " + ", ".join(lows[:2]) + (f" +{len(lows) - 2}" if len(lows) > 2 else "")) if lows else ""
        bounds = QRectF(x0 - 4, y - 4, span + 8, FAR_H + 8)
        if self.note:
            fm = QFontMetricsF(self.font())
            nw, nh = fm.horizontalAdvance(self.note) + 12, fm.height() + 3
            self.note_rect = QRectF(r.left() - NOTE_GAP - nw, y + BAR_H / 2 - nh / 2, nw, nh)
            bounds = bounds.united(self.note_rect.adjusted(-1, -1, 1, 1))
        else:
            self.note_rect = QRectF()
        self._bounds = bounds
        self._tip = self._full_tip()
        self.setToolTip(self._tip)
        self.update()

    def _full_tip(self) -> str:
        lines = []
        for row in self.rows:
            title = f"{self.head}: {row.title}" if self.head else row.title
            lines.append(f"{title} · share of each branch")
            lines += [s.tip + ("  ⚠ under 3%: try it narrower or drop it" if s.low else "") for s in row.segments]
            lines += [f"⚠ {n} (under 3% there)" for n in row.low_somewhere]
        if len(self.rows) > MAX_ROWS:
            lines.append(f"(the canvas shows the first {MAX_ROWS} of {len(self.rows)} concats)")
        return "\n".join(lines)

    def segment_at(self, pos: QPointF) -> Segment | None:
        """The segment under ``pos`` (item coordinates); a sliver is hit from 4 px around it."""
        best, dist = None, 4.0
        for ri, si, rect in self.segments:
            if rect.top() - 3 <= pos.y() <= rect.bottom() + 3:
                inside = rect.left() <= pos.x() <= rect.right()
                d = 0.0 if inside else min(abs(pos.x() - rect.left()), abs(pos.x() - rect.right()))
                if d < dist or (d == dist == 0.0):
                    best, dist = self.rows[ri].segments[si], d
        return best

    def tooltip_at(self, pos: QPointF) -> str:
        """What the tooltip says with the pointer at ``pos`` (item coordinates)."""
        seg = self.segment_at(pos)
        return seg.tip if seg is not None else self._tip

    def hoverMoveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setToolTip(self.tooltip_at(event.pos()))

    def hoverLeaveEvent(self, event: QGraphicsSceneHoverEvent) -> None:
        self.setToolTip(self._tip)

    def boundingRect(self) -> QRectF:
        return self._bounds

    def paint(self, painter: QPainter, option, widget=None) -> None:
        theme: Theme | None = getattr(self.scene(), "theme", None)
        if theme is None:
            return
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        warn = low_colour(theme)
        lod = option.levelOfDetailFromTransform(painter.worldTransform())
        far = lod < FAR_LOD
        grow = min(FAR_H, max(BAR_H, FAR_PX / max(lod, 0.01))) - BAR_H if far else 0.0
        drawn: list[list[tuple[str, float, str, bool]]] = [[] for _ in self.rows[:MAX_ROWS]]
        segments = [(ri, si, rect.adjusted(0, 0, 0, grow)) for ri, si, rect in self.segments]
        bars: dict[int, QRectF] = {}
        for ri, _si, rect in segments:
            bars[ri] = bars.get(ri, rect).united(rect)
        for rect in bars.values():  # a frame in the canvas colour: the bar stands off edges under it
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(theme.canvas))
            painter.drawRoundedRect(rect.adjusted(-1.5, -1.5, 1.5, 1.5), 2.5, 2.5)
        for ri, si, rect in segments:
            s = self.rows[ri].segments[si]
            colour = warn if s.low else branch_colour(si, theme.dark)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(colour)
            painter.drawRect(rect)
            drawn[ri].append((s.name, rect.width(), colour.name(), s.low))
        for ri, si, rect in segments:  # rings last, over the neighbours
            if self.rows[ri].segments[si].low and not far:
                painter.setPen(QPen(warn, 1.4))
                painter.setBrush(Qt.BrushStyle.NoBrush)
                c, half = rect.center(), max(4.0, rect.width() / 2 + 2.5)
                painter.drawRoundedRect(QRectF(c.x() - half, rect.top() - 2.5, 2 * half, rect.height() + 5), 3, 3)
        if self.note and far:  # too small to read: a warning tag where the pill is
            rect = self.note_rect.adjusted(0, 0, 0, grow)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(warn)
            painter.drawRoundedRect(rect, min(rect.height(), rect.width()) / 2, min(rect.height(), rect.width()) / 2)
        elif self.note:
            rect = self.note_rect
            painter.setPen(QPen(warn, 1.0))
            painter.setBrush(QColor(theme.label_bg))
            painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
            painter.setFont(self.font())
            painter.setPen(warn)
            painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, self.note)
        self.painted = (tuple(tuple(r) for r in drawn), self.note)


# --------------------------------------------------------------------------- the controller
class BranchBars(QObject):
    """Keeps the branch bars of every open canvas in line with the latest shares."""

    def __init__(self, window: MainWindow):
        super().__init__(window)
        self.window = window
        #: The shares shown (``EpochRecord.branches``) and what they are of ("epoch 7").
        self.shares: Shares = {}
        self.caption = ""
        #: scene -> {node id: bar}
        self._bars: dict[int, tuple[GraphScene, dict[str, BranchBarItem]]] = {}
        self._watched: dict[tuple[int, str], QObject] = {}
        self._names: tuple[Any, FlatNames] | None = None
        self._pending = False
        self.action = QAction("&Branch Shares on Canvas", window, checkable=True)
        self.action.setStatusTip(
            "Under each Concat (and each module instance holding one), a bar of its branches' shares of the "
            "activation in the latest epoch; a branch under 3% is pointed out"
        )
        self.action.setChecked(_as_bool(window.settings.value(SETTING, True)))
        self.action.toggled.connect(self._on_action_toggled)
        window.document_replaced.connect(self._on_window_document_replaced)
        window.tabs.current_changed.connect(self.schedule)
        dock = getattr(window, "training_dock", None)
        signal = getattr(dock, "branch_shares", None)
        if signal is not None:
            signal.connect(self.set_shares)

    # ------------------------------------------------------------------ input
    @property
    def shown(self) -> bool:
        return self.action.isChecked()

    def set_shares(self, shares: Shares, caption: str = "") -> None:
        """Show these shares (an epoch record's ``branches``) from now on."""
        self.shares = dict(shares or {})
        self.caption = caption or "latest epoch"
        self.refresh()

    def show_run(self, run_dir: str | Path) -> bool:
        """Show the last measured shares of a past run (its folder). False when it has none."""
        found = last_run_shares(run_dir)
        if found is None:
            return False
        self.set_shares(*found)
        return True

    def clear(self) -> None:
        self.shares, self.caption = {}, ""
        self.refresh()

    def _on_window_document_replaced(self) -> None:
        self._names = None
        self.clear()

    def _on_action_toggled(self, on: bool) -> None:
        self.window.settings.setValue(SETTING, on)
        self.refresh()

    # ---------------------------------------------------------------- placing
    def schedule(self, *_args: Any) -> None:
        """Refresh once the event loop is back (after the scenes have taken the change)."""
        if not self._pending and (self.shares or any(bars for _s, bars in self._bars.values())):
            self._pending = True
            QTimer.singleShot(0, self, self._run_pending)

    def _run_pending(self) -> None:
        self._pending = False
        self.refresh()

    def _on_session_changed(self, event: Any) -> None:
        if self.shares and isinstance(
            event, (NodeAdded, NodeRemoved, NodeRenamed, ParamChanged, ModuleChanged, DocumentReset)
        ):
            self.schedule()

    def _watch(self, obj: QObject, signal_name: str, slot) -> None:
        """Connect ``obj.signal_name`` to ``slot`` once (the object is kept until it is deleted)."""
        key = (id(obj), signal_name)
        if self._watched.get(key) is obj:
            return
        self._watched[key] = obj
        getattr(obj, signal_name).connect(slot)

    def _canvases(self, names: FlatNames | None) -> list[tuple[GraphScene, list[str]]]:
        """Every open canvas with the flat id prefixes of what it shows (a definition tab's: its
        "Shapes as" instance's runs, one per copy; none without ``names``)."""
        w = self.window
        out: list[tuple[GraphScene, list[str]]] = []
        if w.editor.scene is not None:
            out.append((w.editor.scene, [""]))
        for tab in list(getattr(w.tabs, "tabs", {}).values()):
            if not shiboken6.isValid(tab) or tab.editor.scene is None:
                continue
            self._watch(tab.instance_box, "currentIndexChanged", self.schedule)
            self._watch(tab.session, "report_changed", self.schedule)
            prefixes: list[str] = []
            if names is not None and tab.choice is not None:
                doc, node_id = tab.choice
                top = doc is w.document
                prefixes = [p for p, mid, nid, is_top in names.uses
                            if mid == tab.definition.id and nid == node_id and is_top == top]  # fmt: skip
            out.append((tab.editor.scene, prefixes))
        return out

    def _flat_names(self) -> FlatNames:
        doc = self.window.document
        lib = doc.library if doc.has_library else None
        key = (
            id(doc),
            doc.revision,
            tuple((m, d.version, d.body.revision) for m, d in lib.defs.items()) if lib else (),
        )
        if self._names is None or self._names[0] != key:
            self._names = (key, flat_names(doc))
        return self._names[1]

    def refresh(self) -> None:
        """Place, update or remove the bars of every open canvas."""
        for key, (scene, _bars) in list(self._bars.items()):
            if not shiboken6.isValid(scene):
                del self._bars[key]
        for key, obj in list(self._watched.items()):
            if not shiboken6.isValid(obj):
                del self._watched[key]
        names = self._flat_names() if self.shown and self.shares else None
        canvases = self._canvases(names)
        live = {id(s) for s, _ in canvases}
        for key in [k for k in self._bars if k not in live]:
            self._drop_scene(key)
        for scene, prefixes in canvases:
            self._watch(scene.session, "changed", self._on_session_changed)
            wanted = rows_for(self.shares, names, scene.nodes, prefixes, self.caption) if names is not None else {}
            _, bars = self._bars.setdefault(id(scene), (scene, {}))
            for nid in list(bars):
                bar = bars[nid]
                item = scene.nodes.get(nid)
                if nid not in wanted or not shiboken6.isValid(bar) or bar.parentItem() is not item:
                    self._remove(scene, bars.pop(nid))
            for nid, (head, rows) in wanted.items():
                bar = bars.get(nid)
                if bar is None:
                    bar = bars[nid] = BranchBarItem(scene.nodes[nid])
                bar.set_rows(head, rows, self.caption)

    def _remove(self, scene: GraphScene, bar: BranchBarItem) -> None:
        if shiboken6.isValid(bar):
            bar.setParentItem(None)
            if bar.scene() is not None:
                bar.scene().removeItem(bar)

    def _drop_scene(self, key: int) -> None:
        scene, bars = self._bars.pop(key)
        if shiboken6.isValid(scene):
            for bar in bars.values():
                self._remove(scene, bar)

    # ------------------------------------------------------------------ tests
    def bars(self, scene: GraphScene | None = None) -> dict[str, BranchBarItem]:
        """The bars on a canvas (default: the design's), by node id."""
        scene = scene if scene is not None else self.window.editor.scene
        entry = self._bars.get(id(scene))
        return {k: b for k, b in entry[1].items() if shiboken6.isValid(b)} if entry and entry[0] is scene else {}


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.lower() not in ("false", "0", "no", "")
    return bool(value)
