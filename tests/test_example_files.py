"""The shipped example files never drift from the Python builders that made them."""

from __future__ import annotations

import pytest

from designer import examples
from designer.graph.validate import validate
from designer.io.project import loads

FILES = sorted(p.stem for p in examples.EXAMPLES_DIR.glob("*.json"))


def test_every_example_has_a_file_and_every_file_a_builder() -> None:
    assert FILES, f"no example files in {examples.EXAMPLES_DIR}"
    assert set(FILES) == set(examples.EXAMPLES)


@pytest.mark.parametrize("name", sorted(examples.EXAMPLES))
def test_file_equals_its_builder_and_loads(name: str) -> None:
    path = examples.example_path(name)
    text = path.read_text(encoding="utf-8")
    assert text == examples.render(name), f"{path.name} is stale: run python -m designer.examples {name}"
    doc = loads(text, str(path))
    rep = validate(doc)
    if name.endswith("_mismatch"):
        assert not rep.ok  # shipped broken on purpose, to show the Problems panel and its fix
    else:
        assert rep.ok, [d.message for d in rep.errors]
