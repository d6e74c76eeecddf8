"""Edit operations on a bare session, without a window: each pushes one undo step, returns
the ids it made, and undo gives the document back byte for byte."""

from __future__ import annotations

import pytest

from designer.examples import example_path
from designer.io.project import dumps, load
from designer.ui import operations
from designer.ui.session import Session


@pytest.fixture
def session(qapp):
    s = Session(load(example_path("inception_module")))
    yield s
    s.close()


def one_step(session, fn):
    """Run an operation; check it was one undo step that undoes to the same file."""
    before, count = dumps(session.doc), session.undo_stack.count()
    result = fn()
    assert session.undo_stack.count() == count + 1
    after = dumps(session.doc)
    session.undo_stack.undo()
    assert dumps(session.doc) == before
    session.undo_stack.redo()
    assert dumps(session.doc) == after
    return result


def test_add_after_connects_below_and_is_analysed_at_once(session):
    doc = session.doc
    concat = doc.find("concat").id
    nid = one_step(session, lambda: operations.add_node(session, "pool", (0, 0), after=concat))
    assert doc.in_edges(nid)[0].src == concat
    assert doc.nodes[nid].pos[1] > doc.nodes[concat].pos[1]
    from designer.graph.validate import validate

    shape = validate(doc).shapes[nid]
    assert shape is not None and session.report.shapes[nid] == shape, (
        "the report is current as soon as the step returns"
    )


def test_connect_replaces_a_taken_single_input_in_one_step(session):
    doc = session.doc
    b2 = doc.find("b2_3x3").id
    old = doc.in_edges(b2)[0].id
    eid = one_step(session, lambda: operations.connect(session, doc.find("input").id, "out", b2, "in"))
    assert [e.id for e in doc.in_edges(b2)] == [eid] and old not in doc.edges


def test_delete_and_undo_put_nodes_edges_and_groups_back_in_place(session):
    doc = session.doc
    ids = [doc.find("b2_reduce").id, doc.find("b1_1x1").id]
    assert one_step(session, lambda: operations.delete(session, ids)) is True
    assert operations.delete(session, []) is False, "nothing selected: no step"


def test_insert_on_edge_keeps_the_concat_order(session):
    doc = session.doc
    concat = doc.find("concat").id
    order = [doc.nodes[e.src].name for e in doc.in_edges(concat)]
    edge = doc.in_edges(concat)[1]
    nid = one_step(session, lambda: operations.insert_on_edge(session, "batch_norm", edge.id))
    after = [doc.nodes[e.src].name for e in doc.in_edges(concat)]
    assert after[1] == doc.nodes[nid].name and after[:1] + after[2:] == order[:1] + order[2:]


def test_param_fix_nudge_layout_duplicate(session):
    doc = session.doc
    ids = [doc.find("b3_reduce").id, doc.find("b3_5x5").id]
    one_step(session, lambda: operations.set_param(session, ids[1], "padding", "valid"))
    (fix,) = [d.fix for d in session.report.errors if d.fix is not None]
    one_step(session, lambda: operations.apply_fix(session, fix))
    assert not session.report.errors
    one_step(session, lambda: operations.nudge(session, ids, 10, 0))
    one_step(session, lambda: operations.auto_layout(session))
    new = one_step(session, lambda: operations.duplicate(session, ids))
    assert len(new) == 2 and not set(new) & set(ids)


def test_a_refused_value_changes_nothing(session):
    from designer.graph.params import ParamError

    conv = session.doc.find("b2_3x3").id
    before = dumps(session.doc)
    with pytest.raises(ParamError):
        operations.set_param(session, conv, "out_channels", 99999999999)
    assert dumps(session.doc) == before and session.undo_stack.count() == 0
