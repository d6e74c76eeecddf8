"""Project files: round trips, atomic saves, clear errors for damaged files, fuzzing, autosave."""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from designer.examples import EXAMPLES_DIR, example_path
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs
from designer.graph.document import GraphDocument
from designer.graph.validate import validate
from designer.io.autosave import Autosaver, data_dir, recoverable
from designer.io.project import FORMAT_VERSION, ProjectError, dumps, load, loads, save

EXAMPLE_FILES = sorted(EXAMPLES_DIR.glob("*.json"))
CARD = example_path("inception_module").read_text(encoding="utf-8")


def card_data() -> dict[str, Any]:
    return json.loads(CARD)


def rich_doc() -> GraphDocument:
    """Every kind of value a file holds: pairs, strings, floats, bools, groups, multi-input order."""
    b = Builder("rich é ✓", "a description\nwith two lines")
    x = b.input(channels=3, height=33, width=17)
    b.begin_group()
    a = b.conv(x, "a", out_channels=8, kernel_size=[1, 7], stride=[1, 2], padding=[0, 3], batch_norm=True, bn_eps=1e-3)
    c = b.conv(x, "c", out_channels=4, kernel_size=3, stride=[1, 2], activation="gelu")
    cat = b.concat([c, a], "cat")  # order c, a on purpose
    b.end_group("block", color="#ff8800")
    d = b.node("dropout", cat, "drop", p=0.25)
    b.output(d, num_classes=7)
    return b.done()


# --------------------------------------------------------------------------- round trips
def test_save_load_save_is_byte_identical(tmp_path: Path) -> None:
    doc = rich_doc()
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    save(doc, first)
    loaded = load(first)
    save(loaded, second)
    assert first.read_bytes() == second.read_bytes()
    assert loaded.to_dict() == doc.to_dict()
    cat = loaded.find("cat").id
    assert [loaded.nodes[e.src].name for e in loaded.in_edges(cat)] == ["c", "a"]


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.name)
def test_example_files_round_trip_byte_identical(path: Path, tmp_path: Path) -> None:
    target = tmp_path / path.name
    save(load(path), target)
    assert target.read_bytes() == path.read_bytes()


def test_file_carries_format_version_and_every_parameter() -> None:
    data = json.loads(dumps(rich_doc()))
    assert data["format_version"] == FORMAT_VERSION
    drop = next(n for n in data["nodes"] if n["name"] == "drop")
    assert drop["params"] == {"p": 0.25}
    conv = next(n for n in data["nodes"] if n["name"] == "c")
    assert set(conv["params"]) == {
        "out_channels", "kernel_size", "stride", "padding", "dilation", "groups",
        "bias", "batch_norm", "bn_eps", "activation",
    }  # fmt: skip


# --------------------------------------------------------------------------- atomic save
@pytest.mark.parametrize("breaks", ["replace", "fsync"])
def test_failed_save_keeps_the_old_file_and_leaves_no_temp(tmp_path: Path, monkeypatch, breaks: str) -> None:
    path = tmp_path / "design.json"
    save(rich_doc(), path)
    old = path.read_bytes()

    def boom(*args: Any) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, breaks, boom)
    changed = rich_doc()
    changed.name = "changed"
    with pytest.raises(OSError):
        save(changed, path)
    monkeypatch.undo()
    assert path.read_bytes() == old
    assert [p.name for p in tmp_path.iterdir()] == ["design.json"]


def test_save_creates_missing_folders(tmp_path: Path) -> None:
    path = tmp_path / "new" / "deeper" / "d.json"
    save(rich_doc(), path)
    assert load(path).name == "rich é ✓"


@pytest.fixture
def umask_022():
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")
def test_saved_files_get_the_permissions_open_would_give(tmp_path: Path, umask_022) -> None:
    """Not mkstemp's 0600: a new file gets 0666 & ~umask, a replaced one keeps its mode."""
    path = tmp_path / "design.json"
    save(rich_doc(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    saver = Autosaver("w", tmp_path)
    saver.save(rich_doc(), path)
    for p in (saver.path, saver.path.with_suffix(".meta.json")):
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, p
    path.chmod(0o640)
    save(rich_doc(), path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    os.umask(0o077)
    other = tmp_path / "private.json"
    save(rich_doc(), other)
    assert stat.S_IMODE(other.stat().st_mode) == 0o600


# --------------------------------------------------------------------------- clear errors
def mutated(change) -> str:
    data = card_data()
    change(data)
    return json.dumps(data)


def node_index(data: dict[str, Any], name: str) -> int:
    return next(i for i, n in enumerate(data["nodes"]) if n["name"] == name)


def set_in(path: tuple, value: Any):
    def change(data: dict[str, Any]) -> None:
        obj = data
        for key in path[:-1]:
            obj = obj[key] if not isinstance(key, str) or not key.startswith("@") else obj[node_index(data, key[1:])]
        obj[path[-1]] = value

    return change


def drop(path: tuple):
    def change(data: dict[str, Any]) -> None:
        obj = data
        for key in path[:-1]:
            obj = obj[key]
        del obj[path[-1]]

    return change


def dup_node_id(data: dict[str, Any]) -> None:
    data["nodes"][2]["id"] = data["nodes"][1]["id"]


def dup_edge_id(data: dict[str, Any]) -> None:
    data["edges"][1]["id"] = data["edges"][0]["id"]


ERRORS = [
    ("malformed", '{\n  "format_version": 1,\n  "nodes": [\n}\n', ["line 4, column 1", "invalid JSON"]),
    ("empty", "", ["line 1, column 1"]),
    ("top-level list", "[]", ["expected a JSON object", "list"]),
    ("NaN", CARD.replace('"bn_eps": 1e-05', '"bn_eps": NaN', 1), ["NaN is not allowed"]),
    ("Infinity", CARD.replace('"bn_eps": 1e-05', '"bn_eps": Infinity', 1), ["Infinity is not allowed"]),
    ("-Infinity", CARD.replace('"bn_eps": 1e-05', '"bn_eps": -Infinity', 1), ["-Infinity is not allowed"]),
    ("1e400", CARD.replace('"bn_eps": 1e-05', '"bn_eps": 1e400', 1), ["params.bn_eps", "finite"]),
    ("deep nesting", "[" * 100_000 + "]" * 100_000, ["invalid JSON"]),
    ("newer version", mutated(set_in(("format_version",), FORMAT_VERSION + 1)), ["format_version", "newer"]),
    ("version 0", mutated(set_in(("format_version",), 0)), ["format_version", "unknown format version 0"]),
    ("version as text", mutated(set_in(("format_version",), "1")), ["format_version", "a whole number", "str"]),
    ("no nodes", mutated(drop(("nodes",))), ["missing field 'nodes'"]),
    (
        "unknown type",
        mutated(set_in(("nodes", "@b2_3x3", "type"), "warp")),
        ["(node 'b2_3x3').type", 'unknown node type "warp"'],
    ),
    ("missing id", mutated(drop(("nodes", 3, "id"))), ["nodes[3]", "missing field 'id'"]),
    ("missing name", mutated(drop(("nodes", 3, "name"))), ["nodes[3]", "missing field 'name'"]),
    ("name as number", mutated(set_in(("nodes", 3, "name"), 5)), ["nodes[3].name", "a string", "int 5"]),
    ("empty name", mutated(set_in(("nodes", 3, "name"), "  ")), ["nodes[3]", "1 to 200 characters"]),
    ("bad id", mutated(set_in(("nodes", 3, "id"), "../x")), ["nodes[3].id", "not a valid id"]),
    ("params as list", mutated(set_in(("nodes", "@b1_1x1", "params"), [])), ["(node 'b1_1x1').params", "an object"]),
    (
        "channels as text",
        mutated(set_in(("nodes", "@b2_3x3", "params", "out_channels"), "128")),
        ["(node 'b2_3x3').params.out_channels", "whole number", "'128'"],
    ),
    (
        "a billion channels",
        mutated(set_in(("nodes", "@b2_3x3", "params", "out_channels"), 10**9)),
        ["(node 'b2_3x3').params.out_channels", "at most 65536", "1000000000"],
    ),
    (
        "a 400-digit float param",
        mutated(set_in(("nodes", "@b2_3x3", "params", "bn_eps"), 10**400)),
        ["params.bn_eps", "finite number"],
    ),
    ("unknown param", mutated(set_in(("nodes", "@b1_1x1", "params", "warp"), 1)), ["params.warp", "no parameter"]),
    ("kernel 0", mutated(set_in(("nodes", "@b1_1x1", "params", "kernel_size"), 0)), ["params.kernel_size"]),
    ("pos", mutated(set_in(("nodes", 0, "pos"), [1])), ["nodes[0]", ".pos", "[x, y]"]),
    ("huge pos", mutated(set_in(("nodes", 0, "pos"), [10**400, 0])), ["nodes[0]", ".pos"]),
    ("duplicate node id", mutated(dup_node_id), ["nodes[2]", "duplicate node id"]),
    ("duplicate edge id", mutated(dup_edge_id), ["edges[1].id", "duplicate edge id"]),
    ("edge to nowhere", mutated(set_in(("edges", 2, "src"), "deadbeef")), ["edges[2].src", "does not exist"]),
    ("edge without dst", mutated(drop(("edges", 2, "dst"))), ["edges[2]", "missing field 'dst'"]),
    ("unknown port", mutated(set_in(("edges", 2, "dst_port"), "side")), ["edges[2].dst_port", "no input port"]),
    ("edges as object", mutated(set_in(("edges",), {})), ["edges", "a list"]),
    ("group member", mutated(set_in(("groups", 0, "nodes", 1), "gone")), ["groups[0].nodes[1]", "does not exist"]),
    ("lone surrogate", CARD.replace('"name": "b1_1x1"', '"name": "b1\\ud800"', 1), ["name", "surrogate"]),
]


@pytest.mark.parametrize(("text", "words"), [(t, w) for _, t, w in ERRORS], ids=[e[0] for e in ERRORS])
def test_damaged_file_gives_a_clear_project_error(text: str, words: list[str]) -> None:
    with pytest.raises(ProjectError) as info:
        loads(text, "design.json")
    message = str(info.value)
    assert message.startswith("design.json: ")
    for word in words:
        assert word in message, message


@pytest.mark.parametrize("cut", [0.5, 0.9, 0.999])
def test_truncated_example_names_the_place_and_says_it_may_be_truncated(tmp_path: Path, cut: float) -> None:
    text = example_path("googlenet").read_text(encoding="utf-8")
    path = tmp_path / "design.json"
    path.write_text(text[: int(len(text) * cut)], encoding="utf-8")
    with pytest.raises(ProjectError) as info:
        load(path)
    message = str(info.value)
    assert re.fullmatch(
        rf"{re.escape(str(path))}: invalid JSON at line [0-9]+, column [0-9]+: .+ \(the file may be truncated\)",
        message,
    ), message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"name": "b1', "design.json: invalid JSON at line 1, column 10: unterminated string "),
        ('{\n  "nodes": [\n    {"id": 1,', "design.json: invalid JSON at line 3, column 14: "),
        ("", "design.json: invalid JSON at line 1, column 1: the file is empty"),
        ('{"a": 1} x', "design.json: invalid JSON at line 1, column 10: extra data after the JSON value"),
        ('{"a" 1}', "design.json: invalid JSON at line 1, column 6: expected ':' after a property name"),
        ('{"a": "x\ty"}', "design.json: invalid JSON at line 1, column 9: a control character (a tab or a line "),
    ],
)
def test_json_errors_are_whole_sentences(text: str, expected: str) -> None:
    with pytest.raises(ProjectError) as info:
        loads(text, "design.json")
    message = str(info.value)
    assert message.startswith(expected), message
    assert not message.endswith((" at", ":", "starting at")), message


def test_a_billion_channels_fails_fast_without_allocating() -> None:
    text = mutated(set_in(("nodes", "@b2_3x3", "params", "out_channels"), 10**9))
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(ProjectError):
            loads(text)
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 0.5
    assert peak < 5 * 2**20  # a tensor of a billion channels would be gigabytes


def test_huge_but_legal_sizes_validate_without_allocating() -> None:
    data = card_data()
    data["nodes"][node_index(data, "input")]["params"].update(channels=4096, height=16384, width=16384)
    doc = loads(json.dumps(data))
    tracemalloc.start()
    try:
        rep = validate(doc)
        costs = compute_costs(doc, rep)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert rep.ok and rep.shapes[doc.find("concat").id] == (256, 16384, 16384)
    assert costs.total.macs > 10**14
    assert peak < 5 * 2**20


def test_non_utf8_bytes(tmp_path: Path) -> None:
    path = tmp_path / "d.json"
    path.write_bytes(CARD.encode("utf-8")[:40] + b"\xff\xfe" + CARD.encode("utf-8")[40:])
    with pytest.raises(ProjectError, match=r"not a text file \(byte 40 is not UTF-8\)"):
        load(path)


def test_directory_and_missing_paths(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="cannot read the file"):
        load(tmp_path)
    with pytest.raises(ProjectError, match="cannot read the file"):
        load(tmp_path / "missing.json")


# --------------------------------------------------------------------------- fuzzing
def loads_or_error(text: str) -> GraphDocument | None:
    """ProjectError, or a document that validates, costs, and saves back to the same file."""
    try:
        doc = loads(text)
    except ProjectError:
        return None
    validate(doc)
    compute_costs(doc)
    out = dumps(doc)
    assert dumps(loads(out)) == out
    return doc


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
KEYS = st.sampled_from(["id", "type", "name", "params", "pos", "src", "dst", "src_port", "dst_port", "nodes", "color"])
LOOSE_OBJECTS = st.dictionaries(KEYS, JSON, max_size=6)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    value=JSON
    | st.fixed_dictionaries(
        {"format_version": st.just(1)},
        optional={"nodes": st.lists(LOOSE_OBJECTS, max_size=3), "edges": JSON, "groups": JSON, "name": JSON},
    )
)
def test_arbitrary_json_never_raises_anything_but_project_error(value: Any) -> None:
    loads_or_error(json.dumps(value))


def paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += paths(v, (*prefix, i))
    return out


CARD_PATHS = paths(card_data())
NODE_IDS = [n["id"] for n in card_data()["nodes"]]
SCALARS = st.one_of(
    st.sampled_from([None, True, 0, -1, 3, 2**40, 1.5, "", "same", "x", [], {}, [3, 3], [0, 1, 2]]),
    st.sampled_from(NODE_IDS),
    JSON,
)


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, tuple, Any]:
    return draw(st.sampled_from(["drop", "set", "swap", "dup"])), draw(st.sampled_from(CARD_PATHS)), draw(SCALARS)


def apply(data: dict[str, Any], op: str, path: tuple, value: Any) -> None:
    if op == "swap":  # swap two node ids everywhere they appear
        a, b = NODE_IDS[0], value if value in NODE_IDS and value != NODE_IDS[0] else NODE_IDS[-1]
        text = json.dumps(data).replace(a, "\0").replace(b, a).replace("\0", b)
        data.clear()
        data.update(json.loads(text))
        return
    mutate_at(data, op, path, value)


def mutate_at(data: dict[str, Any], op: str, path: tuple, value: Any) -> None:
    """At ``path`` in ``data``: drop the entry, set it to ``value``, or (``dup``) put a copy of
    a list element next to it; nothing when an earlier mutation removed or retyped the path."""
    parent: Any = data
    for key in path[:-1]:
        try:
            parent = parent[key]
        except (KeyError, IndexError, TypeError):
            return  # an earlier mutation removed or retyped this path
    key = path[-1]
    if isinstance(parent, dict):
        if key not in parent:
            return
    elif not isinstance(parent, list) or not isinstance(key, int) or key >= len(parent):
        return
    if op == "drop":
        del parent[key]
    elif op == "set":
        parent[key] = value
    elif isinstance(parent, list):  # dup: the same element twice (duplicate ids, edges, members)
        parent.insert(key, copy.deepcopy(parent[key]))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=st.lists(mutation(), min_size=1, max_size=3))
def test_mutated_valid_files_give_project_error_or_a_valid_document(ops: list) -> None:
    data = card_data()
    for op in ops:
        apply(data, *op)
    loads_or_error(json.dumps(data))


# --------------------------------------------------------------------------- autosave
def test_autosave_and_recovery(tmp_path: Path) -> None:
    doc = rich_doc()
    saver = Autosaver("window1", tmp_path)
    assert saver.save(doc, "/home/me/design.json")
    assert not saver.save(doc)  # unchanged since the last autosave
    doc.rename(doc.find("a").id, "renamed")
    assert saver.save(doc, "/home/me/design.json")
    assert saver.save(doc, force=True) is True

    (found,) = recoverable(tmp_path)
    assert found.path == tmp_path / "autosave" / "window1.json"
    assert found.original is None  # the forced save had no original path
    assert abs(found.saved_at - time.time()) < 60
    assert found.load().to_dict() == doc.to_dict()

    found.discard()
    assert recoverable(tmp_path) == []
    assert list((tmp_path / "autosave").iterdir()) == []


def test_recovery_lists_newest_first_and_survives_a_broken_meta_file(tmp_path: Path) -> None:
    Autosaver("old", tmp_path).save(rich_doc(), "old.json")
    Autosaver("new", tmp_path).save(rich_doc(), "new.json")
    meta = tmp_path / "autosave" / "old.meta.json"
    data = json.loads(meta.read_text())
    meta.write_text(json.dumps({**data, "saved_at": data["saved_at"] - 100}))
    assert [r.original for r in recoverable(tmp_path)] == ["new.json", "old.json"]

    meta.write_text("{broken")
    names = {r.path.name: r for r in recoverable(tmp_path)}
    assert set(names) == {"old.json", "new.json"} and names["old.json"].original is None


def test_damaged_autosave_gives_project_error(tmp_path: Path) -> None:
    saver = Autosaver("w", tmp_path)
    saver.save(rich_doc())
    saver.path.write_text('{"format_version": 1')
    (found,) = recoverable(tmp_path)
    with pytest.raises(ProjectError):
        found.load()


def test_clean_close_discards(tmp_path: Path) -> None:
    saver = Autosaver("w", tmp_path)
    saver.save(rich_doc())
    saver.discard()
    assert recoverable(tmp_path) == []
    assert saver.save(rich_doc())  # after a discard, the next call writes again


def test_data_dir_override(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("INCEPTION_DESIGNER_HOME", str(tmp_path))
    assert data_dir() == tmp_path
    assert Autosaver("k").path == tmp_path / "autosave" / "k.json"
