"""Branch shares on the canvas (designer.ui.canvas.branch_bars): a thin stacked bar under each
Concat, and under each module instance holding one, fed by the Training dock's epoch records."""

from __future__ import annotations

import json

import pytest
from ui_helpers import open_example, painted_canvas

from designer.training.records import EpochRecord
from designer.ui.canvas.branch_bars import SETTING, BranchBarItem, branch_colour

FLAT = {"concat": (("b1_1x1", 0.50, 0.40), ("b2_3x3", 0.30, 0.35), ("b3_5x5", 0.021, 0.04), ("b4_proj", 0.179, 0.21))}


def _epoch(branches, epoch: int = 7) -> EpochRecord:
    return EpochRecord(epoch, epoch * 100, 1.0, 0.5, 1.1, 0.45, 0.05, 900.0, 12.0, True, branches=branches)


def _googlenet_shares(low: str = "inception4c") -> dict:
    """Shares for every concat of GoogLeNet, as the training names them (``<instance>_concat``)."""
    out = {}
    for i, inst in enumerate(["inception3a", "inception3b", "inception4a", "inception4b", "inception4c"]):
        first, third = 0.1 + 0.04 * i, 0.02 if inst == low else 0.2
        rest = (1 - first - third) / 2
        acts = (first, rest, third, rest)
        names = ("b1_1x1", "b2_3x3", "b3_5x5", "b4_proj")
        out[f"{inst}_concat"] = tuple((f"{inst}_{n}", a, 0.25) for n, a in zip(names, acts, strict=True))
    return out


def _widths(bar: BranchBarItem, row: int = 0) -> list[float]:
    return [rect.width() for r, _s, rect in bar.segments if r == row]


def _centre(bar: BranchBarItem, row: int, index: int):
    return next(rect.center() for r, s, rect in bar.segments if (r, s) == (row, index))


def _bar_items(scene) -> list[BranchBarItem]:
    return [i for i in scene.items() if isinstance(i, BranchBarItem)]


def test_a_flat_design_shows_a_bar_under_its_concat_as_the_epoch_records_arrive(window, qtbot):
    doc = open_example(window, "inception_module")
    concat = doc.find("concat").id
    bars = window.branch_bars
    assert bars.action.isChecked(), "on by default"
    assert bars.bars() == {}, "no run, no bars"
    window.training_dock._on_runner_record(_epoch(FLAT))
    shown = bars.bars()
    assert list(shown) == [concat]
    bar = shown[concat]
    node = window.scene.nodes[concat]
    assert bar.parentItem() is node
    # under the concat, below its output port, within its width
    node_box = node.mapRectToScene(node.rect)
    for _r, _s, rect in bar.segments:
        box = bar.mapRectToScene(rect)
        assert box.top() > node_box.bottom() + 5.5 and box.left() >= node_box.left() and box.right() <= node_box.right()
    # each segment as wide as its branch's share of the activation, in input order
    widths = _widths(bar)
    total = sum(widths)
    for w, (_name, act, _grad) in zip(widths, FLAT["concat"], strict=True):
        assert w / total == pytest.approx(act, abs=1e-6)
    assert bar.tooltip_at(_centre(bar, 0, 2)) == "b3_5x5: 2.1% of the activation, 4.0% of the gradient (epoch 7)"
    assert bar.tooltip_at(_centre(bar, 0, 0)) == "b1_1x1: 50.0% of the activation, 40.0% of the gradient (epoch 7)"
    assert "concat · share of each branch" in bar.toolTip()
    assert "b3_5x5: 2.1% of the activation" in bar.toolTip()
    # painted: the branch colours of the Branches tab, the low branch in the warning colour and named
    painted_canvas(window)
    assert bar.painted is not None
    rows, note = bar.painted
    assert [(name, low) for name, _w, _c, low in rows[0]] == [
        ("b1_1x1", False), ("b2_3x3", False), ("b3_5x5", True), ("b4_proj", False),
    ]  # fmt: skip
    colours = [c for _n, _w, c, _l in rows[0]]
    assert colours[0] == branch_colour(0, True).name() and colours[1] == branch_colour(1, True).name()
    assert colours[2] == window.theme.error.lower()
    assert note == "⚠ b3_5x5 2%"
    assert bar.mapRectToScene(bar.note_rect).right() < node_box.left(), "the warning pill sits left of the node"
    # the light theme: its colours
    window.set_theme_mode("light")
    painted_canvas(window)
    colours = [c for _n, _w, c, _l in bar.painted[0][0]]
    assert colours[:2] == [branch_colour(0, False).name(), branch_colour(1, False).name()]
    assert colours[2] == window.theme.error.lower()
    # the next epoch replaces the shares (live)
    later = {
        "concat": (("b1_1x1", 0.25, 0.25), ("b2_3x3", 0.25, 0.25), ("b3_5x5", 0.25, 0.25), ("b4_proj", 0.25, 0.25))
    }
    window.training_dock._on_runner_record(_epoch(later, 8))
    assert bars.bars()[concat] is bar
    assert _widths(bar) == pytest.approx([total / 4] * 4)
    assert bar.note == "" and "(epoch 8)" in bar.tooltip_at(_centre(bar, 0, 1))


def test_the_bars_move_with_their_node_and_go_when_turned_off_or_another_design_opens(window, qtbot):
    from designer.ui import operations

    doc = open_example(window, "inception_module")
    concat = doc.find("concat").id
    window.training_dock._on_runner_record(_epoch(FLAT))
    bar = window.branch_bars.bars()[concat]
    before = bar.mapRectToScene(bar.segments[0][2])
    x, y = doc.nodes[concat].pos
    operations.move(window.session, {concat: (x + 300, y + 120)})
    moved = bar.mapRectToScene(bar.segments[0][2])
    assert (moved.left() - before.left(), moved.top() - before.top()) == pytest.approx((300, 120))
    window.session.undo_stack.undo()
    assert bar.mapRectToScene(bar.segments[0][2]) == before
    window.session.undo_stack.redo()
    assert bar.mapRectToScene(bar.segments[0][2]).topLeft() == moved.topLeft()
    # View > Branch Shares on Canvas: off takes them away (and is remembered), on brings them back
    view_menu = window.actions.view_menu
    assert window.branch_bars.action in view_menu.actions()
    window.branch_bars.action.setChecked(False)
    assert window.branch_bars.bars() == {} and _bar_items(window.scene) == []
    assert window.settings.value(SETTING) in (False, "false")
    window.branch_bars.action.setChecked(True)
    assert list(window.branch_bars.bars()) == [concat]
    # a renamed concat is no longer the one the record names; undone, it is again
    assert operations.rename(window.session, concat, "joined")
    qtbot.waitUntil(lambda: window.branch_bars.bars() == {})
    window.session.undo_stack.undo()
    qtbot.waitUntil(lambda: list(window.branch_bars.bars()) == [concat])
    # another design: the shares belonged to the old one
    open_example(window, "mini_inception")
    assert window.branch_bars.bars() == {} and _bar_items(window.scene) == []
    window.training_dock._on_runner_record(_epoch(FLAT))
    assert window.branch_bars.bars() == {}, "no node of this design is called 'concat'"


def test_module_instances_show_their_concats_bar_on_the_design_and_in_the_definition_tab(window, qtbot):
    doc = open_example(window, "googlenet")
    shares = _googlenet_shares()
    window.training_dock._on_runner_record(_epoch(shares))
    bars = window.branch_bars.bars()
    names = {doc.nodes[nid].name for nid in bars}
    assert names == {"inception3a", "inception3b", "inception4a", "inception4b", "inception4c"}
    for nid, bar in bars.items():
        assert window.scene.nodes[nid].is_instance and bar.parentItem() is window.scene.nodes[nid]
    c4 = doc.find("inception4c").id
    bar = bars[c4]
    assert [s.name for s in bar.rows[0].segments] == ["b1_1x1", "b2_3x3", "b3_5x5", "b4_proj"]
    widths, acts = _widths(bar), [a for _n, a, _g in shares["inception4c_concat"]]
    assert [w / sum(widths) for w in widths] == pytest.approx(acts)
    assert bar.tooltip_at(_centre(bar, 0, 2)) == "b3_5x5: 2.0% of the activation, 25.0% of the gradient (epoch 7)"
    assert bar.toolTip().startswith("inception4c: concat · share of each branch")
    assert bar.note == "⚠ b3_5x5 2%"
    assert bars[doc.find("inception4b").id].note == ""
    painted_canvas(window)
    assert bar.painted is not None and [low for *_x, low in bar.painted[0][0]] == [False, False, True, False]
    # the definition's tab, shown as inception4c: the bar under the body's concat, with 4c's shares
    tab = window.open_module(c4)
    qtbot.waitUntil(lambda: bool(window.branch_bars.bars(tab.editor.scene)))
    inner = window.branch_bars.bars(tab.editor.scene)
    body_concat = tab.document.find("concat").id
    assert list(inner) == [body_concat]
    assert inner[body_concat].parentItem() is tab.editor.scene.nodes[body_concat]
    assert [s.act for s in inner[body_concat].rows[0].segments] == pytest.approx(acts)
    assert inner[body_concat].tooltip_at(_centre(inner[body_concat], 0, 2)).startswith("b3_5x5: 2.0% of the activation")
    # "Shapes as inception3b": 3b's shares; the preview (no instance): none
    tab.choose(doc, doc.find("inception3b").id)
    qtbot.waitUntil(
        lambda: (
            [s.act for b in window.branch_bars.bars(tab.editor.scene).values() for s in b.rows[0].segments]
            == pytest.approx([a for _n, a, _g in shares["inception3b_concat"]])
        )
    )
    tab.choose(None)
    qtbot.waitUntil(lambda: window.branch_bars.bars(tab.editor.scene) == {})
    # the design's bars stay; another design takes them all away
    assert len(window.branch_bars.bars()) == 5
    open_example(window, "inception_module")
    assert window.branch_bars.bars() == {} and _bar_items(window.scene) == []


def test_a_repeated_instance_shows_the_mean_of_its_copies_and_names_a_low_copy(window, qtbot):
    doc = open_example(window, "inception_resnet")
    block = doc.find("block35")
    copies = block.params["repeat"]
    shares = {}
    for k in range(1, copies + 1):
        acts = (0.4, 0.4, 0.2) if k != 3 else (0.49, 0.49, 0.02)
        shares[f"block35_{k}_mixed"] = tuple(
            (f"block35_{k}_{n}", a, 1 / 3) for n, a in zip(("b0", "b1_2", "b2_3"), acts, strict=True)
        )
    window.training_dock._on_runner_record(_epoch(shares, 2))
    bar = window.branch_bars.bars()[block.id]
    assert len(bar.rows) == 1, "the copies are averaged into one bar"
    segs = bar.rows[0].segments
    assert [s.name for s in segs] == ["b0", "b1_2", "b2_3"]
    mean = (0.2 * (copies - 1) + 0.02) / copies
    assert segs[2].act == pytest.approx(mean)
    assert f"mean of {copies} copies, epoch 2" in segs[2].tip and "lowest 2.0% in block35_3" in segs[2].tip
    assert "b2_3 2% in block35_3" in bar.note


def test_the_run_selected_under_runs_shows_its_last_shares(window, qtbot, tmp_path):
    doc = open_example(window, "inception_module")
    dock = window.training_dock
    dock.runs_dir_override = tmp_path / "runs"
    run = tmp_path / "runs" / "20250101-120000"
    run.mkdir(parents=True)
    epochs = [
        {"epoch": 1, "branches": {}},
        {"epoch": 2, "branches": {k: [list(b) for b in v] for k, v in FLAT.items()}},
        {"epoch": 3, "branches": {}},
    ]
    info = {"design": "Inception module", "status": "completed", "started_at": "2025-01-01", "epochs": epochs}
    (run / "run.json").write_text(json.dumps(info), encoding="utf-8")
    dock.refresh_history()
    assert dock.history.rowCount() == 1
    dock.history.selectRow(0)
    bar = window.branch_bars.bars()[doc.find("concat").id]
    assert bar.tooltip_at(_centre(bar, 0, 2)) == (
        "b3_5x5: 2.1% of the activation, 4.0% of the gradient (run 20250101-120000, epoch 2)"
    )


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_screenshot_with_branch_bars(make_window, qtbot, theme, tmp_path):
    """The GoogLeNet canvas with shares, fitted and at 100%, grabbed and painted without error;
    the low branch's pill is drawn zoomed in."""
    window = make_window(theme=theme)
    window.resize(1400, 900)
    window.show()
    doc = open_example(window, "googlenet")
    window.training_dock._on_runner_record(_epoch(_googlenet_shares("inception3b")))
    qtbot.wait(50)  # (the view fits a new design from the event loop)
    assert window.grab().save(str(tmp_path / f"branch_bars_{theme}_fit.png"))
    window.view.set_zoom(1.0)
    window.view.centerOn(window.scene.nodes[doc.find("inception3b").id])
    qtbot.wait(20)
    image = window.grab()
    assert image.save(str(tmp_path / f"branch_bars_{theme}.png"))
    bar = window.branch_bars.bars()[doc.find("inception3b").id]
    assert bar.painted is not None and bar.painted[1] == "⚠ b3_5x5 2%"


def test_the_colours_and_threshold_are_those_of_the_branches_tab_and_the_training():
    pytest.importorskip("pyqtgraph")
    from designer.ui import theme as themes
    from designer.ui.canvas import branch_bars
    from designer.ui.plots import series_colours

    for t in (themes.DARK, themes.LIGHT):
        want = [c.name() for c in series_colours(themes.palette(t), 8)]
        assert [branch_colour(i, t.dark).name() for i in range(8)] == want
    pytest.importorskip("torch")
    from designer.training.branches import LOW_SHARE

    assert branch_bars.LOW_SHARE == LOW_SHARE


def _nested_doc():
    """``Outer`` holds two ``Split`` instances (one repeated twice), each a two-branch concat; the
    design uses ``Outer`` twice."""
    from designer.graph.builder import Builder

    def split(b, x):
        left = b.conv(x, "left", out_channels=4, kernel_size=1)
        right = b.conv(x, "right", out_channels=4, kernel_size=3)
        return b.concat([left, right], "cat")

    def outer(b, x):
        x = b.instance("Split", x, "s1")
        return b.instance("Split", x, "s2", repeat=2)

    b = Builder("nested")
    b.define("Split", split, inputs={"x": (8, 8, 8)})
    b.define("Outer", outer, inputs={"x": (8, 8, 8)})
    x = b.input(channels=3, height=8, width=8)
    x = b.conv(x, "stem", out_channels=8, kernel_size=3)
    x = b.instance("Outer", x, "o1")
    x = b.instance("Outer", x, "o2")
    b.output(x, num_classes=4)
    return b.done()


def test_nested_instances_map_the_compilers_names_to_their_nodes(window, qtbot):
    """The shares are named as the compiler's plan names the concats (what the training
    measures); each reaches the instance on the design and the body shown in a tab."""
    from designer.compiler.plan import make_plan

    window.set_session(type(window.session)(_nested_doc()))
    doc = window.document
    plan = make_plan(doc)
    shares = {}
    for pn in plan.nodes:
        if pn.type_id == "concat":
            left = 0.01 if pn.name == "o2_s2_2_cat" else 0.6
            a, c = (plan.nodes[i].name for i in pn.inputs)
            shares[pn.name] = ((a, left, 0.5), (c, 1 - left, 0.5))
    assert sorted(shares) == ["o1_s1_cat", "o1_s2_1_cat", "o1_s2_2_cat", "o2_s1_cat", "o2_s2_1_cat", "o2_s2_2_cat"]
    window.training_dock._on_runner_record(_epoch(shares, 3))
    bars = window.branch_bars.bars()
    assert {doc.nodes[n].name for n in bars} == {"o1", "o2"}
    o2 = bars[doc.find("o2").id]
    assert [r.title for r in o2.rows] == ["s1_cat", "s2_1_cat", "s2_2_cat"], "one bar per concat inside"
    assert [s.name for s in o2.rows[2].segments] == ["s2_2_left", "s2_2_right"]
    assert o2.rows[2].segments[0].low and o2.note == "⚠ s2_2_left 1%"
    # Outer's tab as o2: s2 (× 2) shows the mean of its copies, naming the low one
    tab = window.open_module(doc.find("o2").id)
    qtbot.waitUntil(lambda: len(window.branch_bars.bars(tab.editor.scene)) == 2)
    inner = window.branch_bars.bars(tab.editor.scene)
    s2 = inner[tab.document.find("s2").id]
    seg = s2.rows[0].segments[0]
    assert seg.name == "left" and seg.act == pytest.approx((0.6 + 0.01) / 2)
    assert "mean of 2 copies, epoch 3" in seg.tip and "lowest 1.0% in o2_s2_2" in seg.tip
    assert s2.note == "⚠ left 1% in o2_s2_2"
    # Split's tab as s1 in Outer: s1 of o1 and of o2, averaged (two instances, not copies)
    outer_body = tab.document
    split_tab = window.open_module(outer_body.find("s1").id, outer_body)
    qtbot.waitUntil(lambda: bool(window.branch_bars.bars(split_tab.editor.scene)))
    cat = window.branch_bars.bars(split_tab.editor.scene)[split_tab.document.find("cat").id]
    assert [s.name for s in cat.rows[0].segments] == ["left", "right"]
    assert "mean of 2 instances, epoch 3" in cat.rows[0].segments[0].tip
