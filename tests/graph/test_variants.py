"""Variants of a design in one project: duplicate, edit, switch, rename, delete, diff, files."""

from __future__ import annotations

import json

import pytest

from designer.graph import variants
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs
from designer.graph.document import GraphDocument, GraphError
from designer.io.project import ProjectError, dumps, loads


def _card() -> GraphDocument:
    b = Builder("card")
    x = b.input(channels=192, height=28, width=28)
    b1 = b.conv(x, "b1", out_channels=64, kernel_size=1)
    r = b.conv(x, "b3_reduce", out_channels=16, kernel_size=1)
    b3 = b.conv(r, "b3_5x5", out_channels=32, kernel_size=5)
    cat = b.concat([b1, b3], "concat")
    b.output(b.node("global_avg_pool", cat, "gap"), num_classes=10)
    return b.done(layout=False)


def test_duplicate_then_edit_keeps_both_and_diff_names_the_change() -> None:
    doc = _card()
    original = doc.graph_data()
    name = variants.duplicate(doc, "no bottleneck")
    assert variants.names(doc) == ["main", "no bottleneck"] and doc.variant == "no bottleneck"
    # Without the 1x1 reduction: the 5x5 reads the input directly (192 in-channels).
    reduce_id, conv_id = doc.find("b3_reduce").id, doc.find("b3_5x5").id
    inp = doc.find("input").id
    doc.remove_node(reduce_id)
    doc.connect(inp, conv_id)
    d = variants.diff(original, doc.graph_data())
    assert d.removed == [reduce_id] and not d.added and not d.changed
    assert len(d.edges_added) == 1 and len(d.edges_removed) == 2
    macs_without = compute_costs(doc).total.macs
    variants.switch(doc, "main")
    assert doc.graph_data() == original and doc.variant == "main"
    assert compute_costs(doc).total.macs < macs_without  # the bottleneck saves MACs
    assert variants.names(doc) == ["main", name]
    variants.switch(doc, name)
    assert reduce_id not in doc.nodes


def test_a_parameter_change_shows_in_the_diff() -> None:
    doc = _card()
    variants.duplicate(doc)
    assert doc.variant == "main copy"
    doc.set_param(doc.find("b1").id, "out_channels", 96)
    d = variants.diff(variants.design_of(doc, "main").graph_data(), doc.graph_data())
    assert d.changed == {doc.find("b1").id: {"out_channels": (64, 96)}}


def test_rename_delete_and_their_errors() -> None:
    doc = _card()
    variants.duplicate(doc, "b")
    variants.duplicate(doc, "c")
    assert variants.names(doc) == ["main", "b", "c"]
    variants.rename(doc, "main", "baseline")
    with pytest.raises(GraphError, match="already a variant called 'b'"):
        variants.rename(doc, "c", "b")
    with pytest.raises(GraphError, match="switch to another variant"):
        variants.delete(doc, "c")
    variants.delete(doc, "b")
    assert variants.names(doc) == ["baseline", "c"]
    with pytest.raises(GraphError, match="no variant called 'b'"):
        variants.switch(doc, "b")


def test_state_and_restore_undo_every_edit_exactly() -> None:
    doc = _card()
    before = variants.state(doc)
    text = dumps(doc)
    variants.duplicate(doc, "wide")
    doc.set_param(doc.find("b1").id, "out_channels", 128)
    variants.switch(doc, "main")
    variants.restore(doc, before)
    assert dumps(doc) == text


def test_variants_round_trip_through_the_project_file() -> None:
    doc = _card()
    variants.duplicate(doc, "wide")
    doc.set_param(doc.find("b1").id, "out_channels", 128)
    variants.switch(doc, "main")
    text = dumps(doc)
    loaded = loads(text)
    assert dumps(loaded) == text
    assert variants.names(loaded) == ["main", "wide"]
    variants.switch(loaded, "wide")
    assert loaded.find("b1").params["out_channels"] == 128


def test_a_plain_design_writes_no_variant_fields() -> None:
    data = json.loads(dumps(_card()))
    assert "variants" not in data and "variant" not in data


def test_bad_variants_in_a_file_name_the_place() -> None:
    doc = _card()
    variants.duplicate(doc, "wide")
    data = json.loads(dumps(doc))
    data["variants"][0]["nodes"][1]["params"]["out_channels"] = -3
    with pytest.raises(ProjectError, match=r"variants\[0\] \(variant 'main'\)\.nodes\[1\] \(node 'b1'\)\.params"):
        loads(json.dumps(data))
    data = json.loads(dumps(doc))
    data["variants"][0]["name"] = "wide"
    with pytest.raises(ProjectError, match="two variants are called 'wide'"):
        loads(json.dumps(data))
