"""Small helpers shared by the UI tests."""

from __future__ import annotations

from designer.examples import example_path


def open_example(window, name: str):
    """Open a shipped example as an untitled design (so no test can overwrite it)."""
    assert window.open_example(example_path(name))
    assert window.session.path is None
    window.session.revalidate()
    return window.document


def node_item(window, name: str):
    return window.scene.nodes[window.document.find(name).id]


def painted_canvas(window) -> None:
    """Paint the whole design as the user would see it: fit it into the view and grab the
    viewport, so that every item draws itself (or shows what its cache still holds)."""
    window.view.fit()
    window.view.viewport().grab()


def assert_canvas_shows_the_truth(window) -> None:
    """Every node and edge item, as last painted, shows what a fresh validation of the
    document says: output shape, error state, and the problem in its tooltip; a module
    instance also its definition's name, its "× N" badge and the block's totals."""
    from designer.graph.cost import compute_costs
    from designer.graph.module_type import REPEAT
    from designer.graph.validate import validate
    from designer.ui.format import compact, shape_text

    doc, scene = window.document, window.scene
    fresh = validate(doc)
    costs = compute_costs(doc, fresh)
    assert set(scene.nodes) == set(doc.nodes)
    assert set(scene.edges) == set(doc.edges)
    painted_canvas(window)
    errors_at: dict[str, list[str]] = {}
    bad_edges: dict[str, str] = {}
    for d in fresh.diagnostics:
        if d.is_error:
            for nid in {d.node_id, d.cause_id} - {None}:
                errors_at.setdefault(nid, []).append(d.message)
            for eid in d.edge_ids:
                bad_edges[eid] = d.message
    for nid, item in scene.nodes.items():
        node = doc.nodes[nid]
        assert item.painted is not None, f"{node.name} was never painted"
        name, summary, shape, severity, _short = item.painted
        assert (name, summary) == (node.name, node.type.summary(node.params)), node.name
        assert shape == shape_text(fresh.shapes.get(nid)), f"{node.name} shows {shape}"
        assert (severity == "error") == (nid in errors_at), f"{node.name} painted as {severity!r}"
        for message in errors_at.get(nid, []):
            assert message in item.toolTip(), f"{node.name}'s tooltip lacks {message!r}"
        is_instance = node.type_id.startswith("module:")
        assert item.is_instance == is_instance, (
            f"{node.name} drawn as {'an instance' if item.is_instance else 'a node'}"
        )
        if is_instance:
            repeat = node.params[REPEAT]
            cost = costs.nodes.get(nid)
            totals = f"{compact(cost.params)} params · {compact(cost.macs)} MACs" if cost is not None else ""
            want = (node.type.display_name, f"× {repeat}" if repeat > 1 else "", totals)
            assert item.painted_module == want, f"{node.name} shows {item.painted_module}, the design says {want}"
    for eid, item in scene.edges.items():
        edge = doc.edges[eid]
        src = fresh.shapes.get(edge.src)
        want_label = shape_text(src) if src is not None else ""
        where = f"edge {doc.nodes[edge.src].name} -> {doc.nodes[edge.dst].name}"
        assert item.painted is not None, f"{where} was never painted"
        label, error = item.painted
        assert label == want_label, f"{where} shows {label!r}, the design says {want_label!r}"
        assert bool(error) == (eid in bad_edges), f"{where} painted {'red' if error else 'grey'}"
        assert item.toolTip() == bad_edges.get(eid, f"tensor {want_label}" if want_label else "")
