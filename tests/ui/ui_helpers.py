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
