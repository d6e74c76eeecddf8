"""Module files and the module library outside a project: round trips, strict checks that
name the place, the user's folder (a broken file is reported, not fatal), import with name
clashes, and the shipped classic blocks (files equal their builders; figures equal the blocks
of the example networks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from designer.examples import SHIPPED_MODULES, build, example_path, module_path, render_module
from designer.graph.builder import Builder
from designer.graph.cost import compute_costs
from designer.graph.document import MODULE_PREFIX, GraphDocument
from designer.graph.modules import ModuleLibrary
from designer.graph.validate import validate
from designer.io.library import (
    SHIPPED_DIR,
    dumps_module,
    import_module_file,
    load_module,
    loads_module,
    save_module,
    save_user_module,
    shipped_modules,
    user_library_dir,
    user_modules,
)
from designer.io.project import ProjectError, load


def _res(b: Builder, x: str, width: int = 8) -> str:
    y = b.conv(x, "a", out_channels=width, kernel_size=3)
    return b.node("add", [x, b.conv(y, "b", out_channels=8, kernel_size=3, activation="none")], "add")


def _pair(b: Builder, x: str, inner: int = 8) -> str:
    return b.instance("Res", b.instance("Res", x, "r1", width=inner), "r2")


def nested() -> GraphDocument:
    """``Pair`` holds two ``Res``: a module file of Pair carries Res too."""
    b = Builder("nested")
    b.define("Res", _res, {"x": (8, 16, 16)}, {"width": "a"}, "a residual block")
    b.define("Pair", _pair, {"x": (8, 16, 16)}, {"inner": "r1.width"})
    x = b.conv(b.input(channels=3, height=16, width=16), "stem", out_channels=8, kernel_size=3)
    b.output(b.instance("Pair", x, "pair", inner=4), num_classes=5)
    return b.done()


def _googlenet_library() -> tuple[ModuleLibrary, str]:
    lib = load(example_path("googlenet")).library
    return lib, lib.by_name("Inception").id


# --------------------------------------------------------------------------- round trips
def test_save_load_save_is_byte_identical(tmp_path: Path) -> None:
    pair = nested().library
    for lib, main in (_googlenet_library(), (pair, pair.by_name("Pair").id)):
        first, second = tmp_path / "a.json", tmp_path / "b.json"
        save_module(lib, main, first)
        loaded_main, items = load_module(first)
        assert loaded_main == main
        save_module(ModuleLibrary.from_list(items), loaded_main, second)
        assert first.read_bytes() == second.read_bytes()
    data = json.loads(first.read_text(encoding="utf-8"))
    assert (data["format_version"], data["app"], data["kind"]) == (2, "inception-designer", "module")
    assert [m["name"] for m in data["modules"]] == ["Res", "Pair"]  # the main one and what it uses


def test_a_file_holds_only_the_main_module_and_what_it_uses() -> None:
    lib = load(example_path("inception_v3")).library
    main, items = loads_module(dumps_module(lib, lib.by_name("InceptionC").id))
    assert [i["name"] for i in items] == ["InceptionC"] and items[0]["id"] == main


# --------------------------------------------------------------------------- damaged files
def _file(mutate: Any) -> str:
    lib, main = _googlenet_library()
    data = json.loads(dumps_module(lib, main))
    mutate(data)
    return json.dumps(data)


def _set(key: str, value: Any) -> Any:
    return lambda data: data.__setitem__(key, value)


def _param(data: dict[str, Any]) -> None:
    data["modules"][0]["nodes"][2]["params"]["out_channels"] = -3


def _exposed(data: dict[str, Any]) -> None:
    data["modules"][0]["exposed"][1]["node"] = "nowhere"


BAD = [
    (_set("format_version", 3), r"^src\.json: format_version: .*newer Inception Designer \(format 3"),
    (_set("format_version", 1), r"format_version: module files start at format version 2"),
    (_set("kind", "project"), r"^src\.json: kind: not a module file: kind 'project'"),
    (lambda data: (data.pop("kind"), data.setdefault("nodes", [])), r"not a module file: a project file"),
    (_set("app", "other"), r"app: written by 'other'"),
    (_set("module", "nope"), r"module: names a module the file does not define \('nope'\)"),
    (_set("module", 7), r"module: expected a string, got int 7"),
    (lambda data: data.pop("modules"), r"missing field 'modules'"),
    (_param, r"modules\[0\] \(module 'Inception'\)\.nodes\[2\] \(node '[a-z0-9_]+'\)\.params\.out_channels: "),
    (_exposed, r"modules\[0\] \(module 'Inception'\)\.exposed\[1\]: .*refers to a node the module does not have"),
]


@pytest.mark.parametrize(("mutate", "message"), BAD)
def test_damaged_module_file_names_the_place(mutate: Any, message: str) -> None:
    with pytest.raises(ProjectError, match=message):
        loads_module(_file(mutate), "src.json")


def test_unreadable_and_non_json_files(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match=r"missing\.json: cannot read the file"):
        load_module(tmp_path / "missing.json")
    path = tmp_path / "cut.json"
    path.write_text(_file(lambda data: None)[:200], encoding="utf-8")
    with pytest.raises(ProjectError, match=r"cut\.json: invalid JSON at line 1, column \d+: .*truncated"):
        load_module(path)
    with pytest.raises(ProjectError, match=r"NaN is not allowed"):
        loads_module('{"format_version": NaN}')


# --------------------------------------------------------------------------- the user's folder
@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv("INCEPTION_DESIGNER_HOME", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    return tmp_path / "data" / "inception-designer" / "modules"


def test_user_folder_lists_good_files_and_reports_broken_ones(user_dir: Path) -> None:
    assert user_library_dir() == user_dir
    assert user_modules() == ([], [])  # no folder yet
    lib, main = _googlenet_library()
    assert save_user_module(lib, main) == user_dir / "Inception.json"
    pair = nested().library
    save_user_module(pair, pair.by_name("Pair").id)
    (user_dir / "broken.json").write_text('{"format_version": 2, "kind": "module",', encoding="utf-8")
    (user_dir / "design.json").write_text(example_path("inception_module").read_text(encoding="utf-8"))
    (user_dir / "notes.txt").write_text("not a module")
    files, problems = user_modules()
    assert [(f.name, f.path.name, len(f.items)) for f in files] == [
        ("Inception", "Inception.json", 1),
        ("Pair", "Pair.json", 2),
    ]
    assert files[0].main == main and "GoogLeNet" in files[0].description
    assert len(problems) == 2
    assert problems[0].startswith(f"{user_dir / 'broken.json'}: invalid JSON at line 1")
    assert problems[1].startswith(f"{user_dir / 'design.json'}: not a module file: a project file")


# --------------------------------------------------------------------------- import
def test_import_gives_clashing_names_a_unique_name_and_reuses_identical_modules(tmp_path: Path) -> None:
    path = tmp_path / "pair.json"
    source = nested().library
    save_module(source, source.by_name("Pair").id, path)
    doc = Builder("target").done()
    doc.library.add(doc.library.new_def("Res", {"nodes": []}, description="another Res"))  # same name, other body
    main = import_module_file(doc.library, path)
    names = [d.name for d in doc.library.defs.values()]
    assert names == ["Res", "Res2", "Pair"]
    pair = doc.library.get(main)
    inner = {n.type_id for n in pair.body.nodes.values() if n.type_id.startswith(MODULE_PREFIX)}
    assert inner == {MODULE_PREFIX + doc.library.by_name("Res2").id}  # Pair uses the imported Res
    # The imported module works: an instance computes what it did in the design it came from.
    x = doc.add_node("input", "input", {"channels": 8, "height": 16, "width": 16}).id
    inst = doc.add_node(MODULE_PREFIX + main, "pair", {"inner": 4}).id
    doc.connect(x, inst)
    assert validate(doc).shapes[inst] == (8, 16, 16)
    theirs = nested()
    assert compute_costs(doc).nodes[inst].params == compute_costs(theirs).nodes[theirs.find("pair").id].params
    # Importing the same file again adds nothing: its modules are already there, identical.
    assert import_module_file(doc.library, path) == main
    assert len(doc.library.defs) == 3


def test_import_keeps_the_file_ids_when_they_are_free() -> None:
    lib = ModuleLibrary()
    main = import_module_file(lib, module_path("googlenet_inception"))
    assert main == _googlenet_library()[1]
    with pytest.raises(ProjectError, match="cannot read"):
        import_module_file(lib, SHIPPED_DIR / "nope.json")
    assert len(lib.defs) == 1


# --------------------------------------------------------------------------- shipped modules
def test_shipped_folder_is_exactly_the_registry() -> None:
    files, problems = shipped_modules()
    assert problems == []
    assert {f.path.stem for f in files} == set(SHIPPED_MODULES)
    assert {f.name for f in files} == {module for _, module in SHIPPED_MODULES.values()}
    assert {f.name for f in files} >= {"Inception", *(f"Inception{k}" for k in "ABCDE"), "Block35", "Block17", "Block8"}


@pytest.mark.parametrize("stem", sorted(SHIPPED_MODULES))
def test_shipped_file_is_what_the_builder_makes(stem: str) -> None:
    text = module_path(stem).read_text(encoding="utf-8")
    assert text == render_module(stem), f"{stem}.json is stale: run python -m designer.examples"
    main, items = loads_module(text, stem)
    assert dumps_module(ModuleLibrary.from_list(items), main) == text


@pytest.mark.parametrize("stem", sorted(SHIPPED_MODULES))
def test_shipped_module_has_the_figures_of_its_block_in_the_network(stem: str) -> None:
    example, name = SHIPPED_MODULES[stem]
    main, items = load_module(module_path(stem))
    lib = ModuleLibrary.from_list(items)
    d = lib.get(main)
    assert d.name == name and d.description
    assert validate(d.body).ok  # on its own, with the Module input's preview shape
    net = load(example_path(example))
    net_rep, net_costs = validate(net), compute_costs(net)
    uses = [n for n in net.instances() if n.type.display_name == name]
    assert uses
    for use in uses:
        # The same block on the same input, in a design of its own: the same shape and figures.
        src = net.in_edges(use.id)[0].src
        c, h, w = net_rep.shapes[src]
        b = Builder("one block")
        b.doc.library = lib
        x = b.input(channels=c, height=h, width=w)
        inst = b.node(MODULE_PREFIX + main, x, use.name, **{**use.params, "repeat": 1})
        b.output(inst, num_classes=10)
        rep = validate(b.doc)
        assert rep.ok, [e.message for e in rep.errors]
        costs = compute_costs(b.doc, rep).nodes[inst]
        repeat = use.params["repeat"]
        assert costs.params * repeat == net_costs.nodes[use.id].params, use.name
        assert costs.macs * repeat == net_costs.nodes[use.id].macs, use.name
        if repeat == 1:
            assert rep.shapes[inst] == net_rep.shapes[use.id], use.name


def test_shipped_inception_is_googlenet_3a_by_default() -> None:
    flat = build("googlenet", modules=False)
    block = next(g for g in flat.groups.values() if g.name == "inception3a")
    main, items = load_module(module_path("googlenet_inception"))
    lib = ModuleLibrary.from_list(items)
    b = Builder("3a")
    b.doc.library = lib
    inst = b.node(MODULE_PREFIX + main, b.input(channels=192, height=28, width=28), "inception3a")
    b.output(inst, num_classes=10)
    costs = compute_costs(b.doc).nodes[inst]
    assert (costs.params, costs.macs) == (compute_costs(flat).groups[block.id].params, 128_049_152)
