"""The Code and Summary docks on a design with modules: the code has one class per definition
(a definition's tab shows that class run alone on the shown instance's input), and the summary
has each definition's totals over the network with its instances under it."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from designer.examples import build
from designer.graph.validate import validate
from designer.ui.code_view import CodeDock
from designer.ui.session import Session
from designer.ui.summary import NODE_ROLE, SHARE_COL, SHARE_ROLE, SummaryDock
from designer.ui.theme import resolve


@pytest.fixture
def googlenet():
    doc = build("googlenet")
    assert len(doc.instances()) == 9
    return doc


def _rows(item) -> list[list[str]]:
    return [[item.child(i).text(c) for c in range(5)] for i in range(item.childCount())]


def test_code_dock_shows_the_module_class_and_its_instances(qtbot, googlenet) -> None:
    dock = CodeDock(resolve("dark"))
    qtbot.addWidget(dock)
    dock.set_session(Session(googlenet))
    text = dock.generate()
    assert text.count("class Inception(nn.Module):") == 1
    assert "self.inception3a = Inception(\n            192, ch1x1=64, ch3x3red=96, ch3x3=128," in text
    assert "self.b2_3x3 = BasicConv2d(ch3x3red, ch3x3, " in text


def test_a_definition_tab_shows_its_class_for_the_chosen_instance(qtbot, googlenet) -> None:
    d = googlenet.library.by_name("Inception")
    inst = googlenet.find("inception4e")
    ins = validate(googlenet).in_shapes[inst.id]
    session = Session(d.body, bindings=lambda: d.bindings(inst.params, ins))
    session.bindings_for = "inception4e"
    dock = CodeDock(resolve("light"))
    qtbot.addWidget(dock)
    dock.set_session(session)
    text = dock.generate()
    assert text.startswith("# Module Inception, alone on the input of inception4e.")
    assert "class Inception(nn.Module):" in text and "class InceptionModel(nn.Module):" in text
    assert "Inception(\n            528, ch1x1=256, ch3x3red=160, ch3x3=320," in text
    preview = Session(d.body)  # no instance chosen: the Module input's preview shape, the defaults
    dock.set_session(preview)
    assert (
        "alone on its preview input" in dock.generate() and "Inception(\n            192, ch1x1=64" in dock.generate()
    )


def test_summary_dock_has_each_definitions_totals_and_instances(qtbot, googlenet) -> None:
    dock = SummaryDock(resolve("dark"))
    qtbot.addWidget(dock)
    session = Session(googlenet)
    dock.set_session(session)
    root = dock.tree.topLevelItem(0)
    assert (root.text(0), root.text(1)) == ("Modules", "1 definition")
    inception = root.child(0)
    assert [inception.text(c) for c in (0, 1, 3)] == ["Inception", "module × 9", "5,849,136"]
    rows = _rows(inception)
    assert [r[0] for r in rows][:2] == ["inception3a", "inception3b"] and len(rows) == 9
    assert rows[0][1:4] == ["instance", "256 × 28 × 28", "163,696"]
    costs = session.costs
    ids = [inception.child(i).data(0, NODE_ROLE) for i in range(9)]
    assert sum(costs.nodes[i].macs for i in ids) / costs.inference.macs == pytest.approx(
        inception.data(SHARE_COL, SHARE_ROLE)
    )
    with qtbot.waitSignal(dock.node_requested) as signal:
        dock.tree.itemClicked.emit(inception.child(2), 0)
    assert signal.args == [googlenet.find("inception4a").id]


def test_summary_of_a_design_without_modules_has_no_modules_row(qtbot) -> None:
    dock = SummaryDock(resolve("light"))
    qtbot.addWidget(dock)
    dock.set_session(Session(build("inception_module")))
    assert all(dock.tree.topLevelItem(i).text(0) != "Modules" for i in range(dock.tree.topLevelItemCount()))
    assert dock.tree.topLevelItem(0).data(0, Qt.ItemDataRole.DisplayRole)
