"""Version-1 project files (before modules) load as before and save as version 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from designer.graph.cost import compute_costs
from designer.graph.validate import validate
from designer.io.project import FORMAT_VERSION, dumps, load, loads

V1 = Path(__file__).parent / "v1"


@pytest.mark.parametrize("name", ["googlenet_v1.json", "inception_module_mismatch_v1.json"])
def test_a_version_1_file_loads_as_before_and_saves_as_version_2(name: str, tmp_path: Path) -> None:
    raw = json.loads((V1 / name).read_text())
    assert raw["format_version"] == 1 and "modules" not in raw
    doc = load(V1 / name)
    # Every node, edge and group as the version-1 file has them.
    assert [n["id"] for n in raw["nodes"]] == list(doc.nodes)
    assert [(e["src"], e["dst"]) for e in raw["edges"]] == [(e["src"], e["dst"]) for e in doc.to_dict()["edges"]]
    assert [g["name"] for g in raw["groups"]] == [g.name for g in doc.groups.values()]
    saved = json.loads(dumps(doc))
    assert saved["format_version"] == FORMAT_VERSION == 2
    assert saved["modules"] == []
    assert {k: v for k, v in saved.items() if k not in ("format_version", "modules")} == {
        k: v for k, v in raw.items() if k != "format_version"
    }
    # ... and the version-2 file round-trips byte for byte.
    assert dumps(loads(dumps(doc))) == dumps(doc)


def test_the_flat_googlenet_of_version_1_keeps_its_figures() -> None:
    doc = load(V1 / "googlenet_v1.json")
    costs = compute_costs(doc, validate(doc))
    assert (costs.inference.params, costs.total.params) == (6_998_552, 13_378_280)


def test_the_mismatch_example_of_version_1_still_shows_its_error() -> None:
    doc = load(V1 / "inception_module_mismatch_v1.json")
    rep = validate(doc)
    assert [d.code for d in rep.errors] == ["merge-mismatch"]
    assert "padding 'valid'" in rep.errors[0].message
