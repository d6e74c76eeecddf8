"""The node-graph canvas: a QGraphicsScene mirroring the document, and its view."""

from __future__ import annotations

from .scene import GraphScene
from .view import GraphView

__all__ = ["GraphScene", "GraphView"]
