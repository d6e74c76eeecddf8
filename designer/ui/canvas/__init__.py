"""The node-graph canvas: a QGraphicsScene mirroring the document, and its view."""

from __future__ import annotations

from .edge_item import EdgeItem
from .node_item import NodeItem
from .port_item import PortItem
from .scene import GraphScene
from .view import GraphView

__all__ = ["EdgeItem", "GraphScene", "GraphView", "NodeItem", "PortItem"]
