"""Edges are drawn around nodes: in the shipped designs, as the auto-layout places them,
no edge passes through a node other than its two ends."""

from __future__ import annotations

from pathlib import Path

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


def test_zoomed_out_blocks_are_named_beside_their_frames_and_fit_ignores_that_room(window):
    from PySide6.QtCore import QRectF
    from PySide6.QtGui import QColor, QImage, QPainter

    # The flat GoogLeNet of version 1: nine blocks drawn as framed groups.
    assert window.open_example(Path(__file__).parent.parent / "io" / "v1" / "googlenet_v1.json")
    window.session.revalidate()
    window.resize(1400, 900)
    window.show()
    window.view.fit()
    scene, view = window.scene, window.view
    frames = [g.mapRectToScene(g.frame) for g in scene.groups.values()]
    design = QRectF(frames[0])
    for item in [*scene.nodes.values()]:
        design = design.united(item.sceneBoundingRect())
    for f in frames:
        design = design.united(f)
    centre = view.mapToScene(view.viewport().rect().center())
    assert abs(centre.x() - design.center().x()) < 2 / view.zoom, "fit centres the design, not the title room"

    group = next(g for g in scene.groups.values() if g.name == "inception4a")
    frame = group.mapRectToScene(group.frame)
    beside = QRectF(frame.left() - 1500, frame.top(), 1400, frame.height())  # free canvas left of the block

    def ink(scale: float) -> int:
        """Pixels that are not the canvas background when ``beside`` is drawn at ``scale``."""
        image = QImage(round(beside.width() * scale), round(beside.height() * scale), QImage.Format.Format_RGB32)
        image.fill(QColor(window.theme.canvas))
        painter = QPainter(image)
        scene.render(painter, QRectF(image.rect()), beside)
        painter.end()
        bg = QColor(window.theme.canvas).rgb()
        grid = {QColor(window.theme.grid_minor).rgb(), QColor(window.theme.grid_major).rgb()}
        return sum(
            image.pixel(x, y) not in grid | {bg}
            for x in range(0, image.width(), 2)
            for y in range(0, image.height(), 2)
        )

    assert ink(0.1) > 20, "at 10% the block's name is written beside it"
    assert ink(1.0) == 0, "at 100% the name is in the frame's title band, nothing beside it"
