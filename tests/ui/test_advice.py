"""Design advice (graph/lint.py) reaches the Problems dock, and its Fix is one undo step."""

from __future__ import annotations

from designer.graph.builder import Builder
from designer.graph.diagnostics import Severity


def _bare_5x5_branch():
    b = Builder("advice")
    x = b.input(channels=192, height=28, width=28)
    b.node("branch", x, "b3", out_channels=32, kernel_size=5)
    return b.done()


def test_bottleneck_advice_is_listed_with_figures_and_fix_applies_and_undoes(make_window):
    window = make_window(_bare_5x5_branch())
    session = window.session
    session.revalidate()
    node_id = window.document.find("b3").id
    advice = [d for d in window.problems_dock.diagnostics if d.code == "bottleneck"]
    assert len(advice) == 1 and advice[0].severity == Severity.INFO
    assert "120M" in advice[0].message and "12.4M" in advice[0].message
    assert session.costs.nodes[node_id].macs == 120_422_400

    index = window.problems_dock.diagnostics.index(advice[0])
    buttons = window.problems_dock.fix_buttons()
    labels = [b.toolTip() for b in buttons]
    buttons[labels.index(advice[0].fix.label)].click()
    session.revalidate()
    assert window.document.nodes[node_id].params["reduce_channels"] == 16
    assert session.costs.nodes[node_id].macs == 2_408_448 + 10_035_200
    assert not [d for d in window.problems_dock.diagnostics if d.code == "bottleneck"]

    session.undo_stack.undo()
    session.revalidate()
    assert window.document.nodes[node_id].params["reduce_channels"] == 0
    assert index < len(window.problems_dock.diagnostics)
