"""Project files with modules, damaged: a missing definition, a module that contains itself, a bad
exposed parameter, wrong ports, wrong types. Loading either succeeds (and the design validates,
costs, saves back to the same text and compiles or says why not) or raises ProjectError naming
the place; never another exception."""

from __future__ import annotations

import contextlib
import copy
import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_project import mutate_at

from designer.compiler.codegen import generate
from designer.compiler.plan import CompileError
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs
from designer.graph.document import GraphDocument
from designer.graph.validate import validate
from designer.io.project import ProjectError, dumps, loads


def _res(b: Builder, x: str, width: int = 8) -> str:
    y = b.conv(x, "a", out_channels=width, kernel_size=3)
    return b.node("add", [x, b.conv(y, "b", out_channels=8, kernel_size=3, activation="none")], "add")


def _pair(b: Builder, x: str, inner: int = 8) -> str:
    return b.instance("Res", b.instance("Res", x, "r1", width=inner), "r2")


def _mix(b: Builder, x: str, y: str, w: int = 4) -> str:
    return b.concat([b.conv(x, "p", out_channels=w, kernel_size=1), y], "cat")


def module_file() -> dict[str, Any]:
    """A design with three definitions: Res (exposes width), Pair (two Res; exposes inner through
    the first's width) and Mix (two inputs); a repeated instance, a nested one, a two-port one."""
    b = Builder("modules")
    b.define("Res", _res, inputs={"x": (8, 8, 8)}, exposed={"width": "a"})
    b.define("Pair", _pair, inputs={"x": (8, 8, 8)}, exposed={"inner": "r1.width"})
    b.define("Mix", _mix, inputs={"x": (8, 8, 8), "y": (8, 8, 8)}, exposed={"w": "p"})
    x = b.conv(b.input(channels=3, height=8, width=8), "stem", out_channels=8, kernel_size=3)
    r = b.instance("Res", x, "res", repeat=2, width=6)
    p = b.instance("Pair", r, "pair", inner=5)
    mix = b.instance("Mix", p, "mix", w=3)
    b.doc.connect(x, mix, "out", "in2")  # the Builder wires every input to the first port
    b.output(mix, num_classes=4)
    return json.loads(dumps(b.done(layout=False)))


BASE = module_file()
NAMES = {m["name"]: i for i, m in enumerate(BASE["modules"])}


def _module(data: dict[str, Any], name: str) -> dict[str, Any]:
    return data["modules"][NAMES[name]]


def _node(graph: dict[str, Any], name: str) -> dict[str, Any]:
    return next(n for n in graph["nodes"] if n["name"] == name)


def _id(graph: dict[str, Any], name: str) -> str:
    return _node(graph, name)["id"]


def _self_reference(d: dict[str, Any]) -> None:
    res = _module(d, "Res")
    res["nodes"].append({"id": "me", "type": "module:" + res["id"], "name": "me", "params": {}, "pos": [0, 0]})


def _cycle(d: dict[str, Any]) -> None:  # Res uses Pair, which uses Res
    res, pair = _module(d, "Res"), _module(d, "Pair")
    res["nodes"].append({"id": "up", "type": "module:" + pair["id"], "name": "up", "params": {}, "pos": [0, 0]})


def _drop_definition(name: str):
    def change(d: dict[str, Any]) -> None:
        del d["modules"][NAMES[name]]

    return change


def _set(path: tuple, value: Any):
    """``path`` through dicts and lists; ``#Name`` is the module called so, ``@name`` the node."""

    def change(d: dict[str, Any]) -> None:
        obj: Any = d
        for key in path[:-1]:
            if isinstance(key, str) and key[:1] == "#":
                obj = _module(d, key[1:])
            elif isinstance(key, str) and key[:1] == "@":
                obj = next(n for n in obj if n["name"] == key[1:])
            else:
                obj = obj[key]
        obj[path[-1]] = value

    return change


def _edge_to(graph: dict[str, Any], name: str) -> dict[str, Any]:
    return next(e for e in graph["edges"] if e["dst"] == _id(graph, name))


def _port(d: dict[str, Any], port: str) -> None:
    _edge_to(d, "res")["dst_port"] = port


def _second_output(d: dict[str, Any]) -> None:
    res = _module(d, "Res")
    res["nodes"].append({"id": "out2", "type": "module_output", "name": "out2", "params": {}, "pos": [0, 0]})


def _no_input(d: dict[str, Any]) -> None:
    res = _module(d, "Res")
    port = _id(res, "x")
    res["nodes"] = [n for n in res["nodes"] if n["id"] != port]
    res["edges"] = [e for e in res["edges"] if port not in (e["src"], e["dst"])]


def _exposed(field: str, value: Any):
    def change(d: dict[str, Any]) -> None:
        _module(d, "Res")["exposed"][0][field] = value

    return change


def _expose_also(name: str, node: str, param: str):
    def change(d: dict[str, Any]) -> None:
        res = _module(d, "Res")
        res["exposed"].append({"name": name, "node": _id(res, node), "param": param})

    return change


DAMAGE = [
    ("missing definition", _drop_definition("Mix"), [r"nodes\[\d+\] \(node 'mix'\)\.type", "unknown node type"]),
    (
        "missing nested definition",
        _drop_definition("Res"),
        [r"modules\[\d+\] \(module 'Pair'\)\.nodes\[\d+\]\.type", "does not define"],
    ),
    ("self-reference", _self_reference, [r"modules\[0\] \(module 'Res'\)", r"contains itself \('Res' -> 'Res'\)"]),
    ("cycle through another", _cycle, [r"module '(Res|Pair)'", "contains itself", "'Pair'", "'Res'"]),
    ("exposed: no such parameter", _exposed("param", "colour"), [r"module 'Res'\)\.exposed\[0\]", "'colour'"]),
    ("exposed: no such node", _exposed("node", "nowhere"), [r"\.exposed\[0\]", "a node the module does not have"]),
    ("exposed: not a name", _exposed("name", "1st"), [r"\.exposed\[0\]", "not a parameter name"]),
    ("exposed: repeat", _exposed("name", "repeat"), [r"\.exposed\[0\]", "copy count"]),
    ("exposed: a number", _exposed("param", 3), [r"\.exposed\[0\]\.param", "expected a string"]),
    (
        "exposed: one place twice",
        _expose_also("w2", "a", "out_channels"),
        [r"\.exposed\[1\]", "a.out_channels is exposed twice"],
    ),
    ("exposed: two kinds", _expose_also("width", "a", "kernel_size"), [r"\.exposed\[1\]", "different kinds"]),
    ("exposed: not a list", _set(("#Res", "exposed"), {}), [r"module 'Res'\)\.exposed", "expected a list"]),
    ("port that is not there", lambda d: _port(d, "in2"), [r"edges\[\d+\]\.dst_port", "no input port .in2."]),
    ("two module outputs", _second_output, [r"module 'Res'\)", "exactly one Module output node", "has 2"]),
    ("no module input", _no_input, [r"module 'Res'\)", "no Module input node"]),
    ("module port in the design", _set(("nodes", 1, "type"), "module_output"), ["belongs inside a module"]),
    ("modules not a list", _set(("modules",), {}), [r"^<project>: modules: expected a list"]),
    ("module not an object", _set(("modules", 0), "Res"), [r"modules\[0\]: expected an object"]),
    ("module name a number", _set(("#Res", "name"), 7), [r"modules\[0\]\.name", "expected a string"]),
    ("module name not a name", _set(("#Res", "name"), "my res"), [r"modules\[0\]\.name", "not a module name"]),
    ("module id", _set(("#Res", "id"), "../x"), [r"modules\[0\]\.id", "not a valid id"]),
    ("two modules, one name", _set(("#Mix", "name"), "Res"), [r"module 'Res'\)\.name", "two modules are called"]),
    ("body nodes as object", _set(("#Res", "nodes"), {}), [r"module 'Res'\)\.nodes", "expected a list"]),
    ("repeat as text", _set(("nodes", "@res", "params", "repeat"), "2"), [r"\(node 'res'\)\.params\.repeat"]),
    ("repeat 0", _set(("nodes", "@res", "params", "repeat"), 0), [r"params\.repeat", "at least 1"]),
    ("exposed value", _set(("nodes", "@res", "params", "width"), [1]), [r"\(node 'res'\)\.params\.width"]),
    ("not exposed", _set(("nodes", "@res", "params", "kernel_size"), 3), [r"params\.kernel_size", "no parameter"]),
]


@pytest.mark.parametrize(("change", "words"), [(c, w) for _, c, w in DAMAGE], ids=[d[0] for d in DAMAGE])
def test_damaged_module_sections_name_the_place(change, words: list[str]) -> None:
    data = copy.deepcopy(BASE)
    change(data)
    with pytest.raises(ProjectError) as info:
        loads(json.dumps(data))
    for pattern in words:
        assert re.search(pattern, str(info.value)), (pattern, str(info.value))


def test_the_undamaged_file_loads_and_compiles() -> None:
    doc = loads(json.dumps(BASE))
    assert validate(doc).ok and [d.name for d in doc.library.defs.values()] == ["Res", "Pair", "Mix"]
    assert "class Pair(nn.Module):" in generate(doc)


# --------------------------------------------------------------------------- fuzzing
def loads_or_error(text: str) -> GraphDocument | None:
    """ProjectError naming a place, or a document that validates, costs, saves back to the same
    file, and generates code or says why it cannot (CompileError)."""
    try:
        doc = loads(text)
    except ProjectError as exc:
        assert re.match(r"<project>: (\S+: )?\S", str(exc)), str(exc)
        return None
    validate(doc)
    compute_costs(doc)
    out = dumps(doc)
    assert dumps(loads(out)) == out
    with contextlib.suppress(CompileError):  # a design with errors says so; anything else is a bug
        generate(doc)
    return doc


def _paths(obj: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(obj, dict):
        for k, v in obj.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out += _paths(v, (*prefix, i))
    return out


MODULE_PATHS = [p for p in _paths(BASE) if p[0] == "modules" or p[-1] in ("type", "params", "dst_port")]
TYPES = ["module:" + m["id"] for m in BASE["modules"]] + ["module_input", "module_output", "conv", "module:nope"]
IDS = [n["id"] for m in BASE["modules"] for n in m["nodes"]] + [m["id"] for m in BASE["modules"]]
VALUES = st.one_of(
    st.sampled_from([None, True, 0, -1, 2, 3, 2**40, 1.5, "", "x", "in2", "repeat", "width", [], {}, [3, 3]]),
    st.sampled_from(TYPES),
    st.sampled_from(IDS),
)


@st.composite
def mutation(draw: st.DrawFn) -> tuple[str, tuple, Any]:
    return draw(st.sampled_from(["drop", "set", "dup"])), draw(st.sampled_from(MODULE_PATHS)), draw(VALUES)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
@given(ops=st.lists(mutation(), min_size=1, max_size=3))
def test_mutated_module_files_give_project_error_or_a_working_document(ops: list) -> None:
    data = copy.deepcopy(BASE)
    for op in ops:
        mutate_at(data, *op)
    loads_or_error(json.dumps(data))
