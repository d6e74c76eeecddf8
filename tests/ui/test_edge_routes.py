"""Edges are drawn around nodes: in the shipped designs, as the auto-layout places them,
no edge passes through a node other than its two ends."""

from __future__ import annotations

import pytest
from ui_helpers import open_example

EXAMPLES = [
    "inception_module",
    "inception_module_mismatch",
    "inception_v3_module_a",
    "inception_v3_module_c",
    "inception_v3_module_e",
    "inception_resnet_a",
    "googlenet",
    "inception_v3",
    "xception",
]


def crossings(window) -> list[tuple[str, str, str]]:
    """(source, destination, node crossed) for every edge that passes through a node."""
    scene, doc = window.scene, window.document
    boxes = {nid: item.sceneBoundingRect().adjusted(3, 3, -3, -3) for nid, item in scene.nodes.items()}
    found = []
    for eid, item in scene.edges.items():
        edge = doc.edges[eid]
        path = item.mapToScene(item._path)
        points = [path.pointAtPercent(i / 200) for i in range(201)]
        for nid, box in boxes.items():
            if nid not in (edge.src, edge.dst) and any(box.contains(p) for p in points):
                found.append((doc.nodes[edge.src].name, doc.nodes[edge.dst].name, doc.nodes[nid].name))
    return found


@pytest.mark.parametrize("name", EXAMPLES)
def test_no_edge_passes_through_a_node(window, name):
    open_example(window, name)
    assert crossings(window) == []
