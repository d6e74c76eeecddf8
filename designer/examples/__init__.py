"""The shipped example designs, built in Python and stored as JSON in resources/examples/.

``python -m designer.examples`` rewrites the JSON files, and the shipped module files in
resources/modules/ (the classic blocks, taken from the example networks' definitions); a
test checks that the files on disk equal what these builders produce, so the two never
drift apart.

Each builder lives in its own module: :mod:`.modules` (single Inception modules),
:mod:`.googlenet`, :mod:`.inception_v3`, :mod:`.inception_resnet`, :mod:`.xception`.
``EXAMPLE_INFO`` gives the one-line description the Examples menu shows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from ..graph.document import MODULE_PREFIX, GraphDocument

__all__ = [
    "DEFAULT_EXAMPLE",
    "EXAMPLES",
    "EXAMPLES_DIR",
    "EXAMPLE_INFO",
    "MODULAR",
    "SHIPPED_MODULES",
    "build",
    "example_path",
    "main",
    "module_path",
    "render",
    "render_module",
]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "examples"
DEFAULT_EXAMPLE = "inception_module"


def _builder(module: str, function: str, *args: object) -> Callable[..., GraphDocument]:
    """``module.function(*args, **kwargs)``, imported when called: the app opens the JSON files
    and never needs the builders at start-up."""

    def build_example(**kwargs: object) -> GraphDocument:
        return getattr(import_module(f"{__name__}.{module}"), function)(*args, **kwargs)

    build_example.__qualname__ = f"{module}.{function}"
    return build_example


#: Menu order: the card's module first, then the module variants, then whole networks.
EXAMPLES: dict[str, Callable[..., GraphDocument]] = {
    "inception_module": _builder("modules", "card_module", False),
    "inception_module_mismatch": _builder("modules", "card_module", True),
    "inception_v3_module_a": _builder("modules", "inception_v3_module", "a"),
    "inception_v3_module_c": _builder("modules", "inception_v3_module", "c"),
    "inception_v3_module_e": _builder("modules", "inception_v3_module", "e"),
    "inception_resnet_a": _builder("modules", "inception_resnet_a_module"),
    "googlenet": _builder("googlenet", "googlenet"),
    "inception_v3": _builder("inception_v3", "inception_v3"),
    "inception_resnet": _builder("inception_resnet", "inception_resnet_v2"),
    "xception": _builder("xception", "xception"),
    "mini_inception": _builder("mini", "mini_inception"),
}

#: One line per example for menus and tooltips (the documents carry the long description).
EXAMPLE_INFO: dict[str, str] = {
    "inception_module": "The Inception module (GoogLeNet 3a) on 192 x 28 x 28: four branches, 1x1 bottlenecks",
    "inception_module_mismatch": "The same module with a 'valid' 3x3 branch: the concat rejects it (try Fix)",
    "inception_v3_module_a": "Inception v3 module A (figure 5): the 5x5 factorized into two 3x3 (Mixed_5d)",
    "inception_v3_module_c": "Inception v3 module C (figure 6): 7x7 factorized into 1x7 and 7x1 (Mixed_6b)",
    "inception_v3_module_e": "Inception v3 module E (figure 7): expanded filter bank, 1x3 | 3x1 (Mixed_7b)",
    "inception_resnet_a": "Inception-ResNet-v2 block35: branches, 1x1 up-projection, residual sum x 0.17",
    "googlenet": "GoogLeNet (Inception v1, paper Table 1) with two aux heads: 7.0M params, 1.58G MACs",
    "inception_v3": "Inception v3 (torchvision layout, 299 x 299) with its aux head: 23.8M params, 5.71G MACs",
    "inception_resnet": "Inception-ResNet-v2 (Keras layout, 299 x 299): 40 residual blocks, 55.8M params",
    "xception": "Xception (Keras layout, 299 x 299): separable convs with residual shortcuts, 22.9M params",
    "mini_inception": "A small Inception net for 3 x 32 x 32, 10 classes: trains to 90 %+ on the synthetic data in minutes",
}


#: The shipped module files (resources/modules/<stem>.json): the example network and the
#: definition in it that each one holds.
SHIPPED_MODULES: dict[str, tuple[str, str]] = {
    "googlenet_inception": ("googlenet", "Inception"),
    "inception_v3_a": ("inception_v3", "InceptionA"),
    "inception_v3_b": ("inception_v3", "InceptionB"),
    "inception_v3_c": ("inception_v3", "InceptionC"),
    "inception_v3_d": ("inception_v3", "InceptionD"),
    "inception_v3_e": ("inception_v3", "InceptionE"),
    "inception_resnet_block35": ("inception_resnet", "Block35"),
    "inception_resnet_block17": ("inception_resnet", "Block17"),
    "inception_resnet_block8": ("inception_resnet", "Block8"),
    "xception_entry": ("xception", "EntryBlock"),
    "xception_middle": ("xception", "MiddleBlock"),
    "xception_exit": ("xception", "ExitBlock"),
}


def example_path(name: str) -> Path:
    return EXAMPLES_DIR / f"{name}.json"


#: The networks drawn with modules (one definition per kind of block, instances of it).
MODULAR = ("googlenet", "inception_v3", "inception_resnet", "xception")


def build(name: str, modules: bool = True) -> GraphDocument:
    """The example ``name``; ``modules=False`` draws a modular network's blocks as plain nodes in
    groups (``inception3a_b1_1x1``), the flat design its instances expand to."""
    return EXAMPLES[name]() if modules or name not in MODULAR else EXAMPLES[name](modules=False)


def _stable(doc: GraphDocument, name: str) -> GraphDocument:
    """Give ids that do not change between runs, so regenerated files diff cleanly."""
    import hashlib

    def sid(kind: str, key: str) -> str:
        return hashlib.sha1(f"{name}/{kind}/{key}".encode()).hexdigest()[:32]

    data = doc.to_dict()
    module_ids = {m["id"]: sid("module", m["name"]) for m in data["modules"]}

    def restamp(graph: dict, scope: str) -> dict[str, str]:
        ids = {n["id"]: sid(f"{scope}node", n["name"]) for n in graph["nodes"]}
        if len(set(ids.values())) != len(ids):
            raise ValueError(f"example {name!r} has duplicate node names{scope and ' in ' + scope}")
        for n in graph["nodes"]:
            n["id"] = ids[n["id"]]
            if n["type"].startswith(MODULE_PREFIX):
                n["type"] = MODULE_PREFIX + module_ids[n["type"][len(MODULE_PREFIX) :]]
        for i, e in enumerate(graph["edges"]):
            e["id"], e["src"], e["dst"] = sid(f"{scope}edge", str(i)), ids[e["src"]], ids[e["dst"]]
        for g in graph["groups"]:
            g["id"], g["nodes"] = sid(f"{scope}group", g["name"]), [ids[n] for n in g["nodes"]]
        return ids

    restamp(data, "")
    for m in data["modules"]:
        inner = restamp(m, f"module {m['name']}/")
        m["id"] = module_ids[m["id"]]
        for e in m["exposed"]:
            e["node"] = inner[e["node"]]
    return GraphDocument.from_dict(data)


def render(name: str) -> str:
    from ..io.project import dumps

    return dumps(_stable(build(name), name))


def module_path(stem: str) -> Path:
    from ..io.library import SHIPPED_DIR

    return SHIPPED_DIR / f"{stem}.json"


def render_module(stem: str) -> str:
    """The module file ``stem``: the definition from its example network (the same stable ids)."""
    from ..io.library import dumps_module

    example, module = SHIPPED_MODULES[stem]
    library = _stable(build(example), example).library
    return dumps_module(library, library.by_name(module).id)


def main(argv: list[str] | None = None) -> int:
    """Rewrite the named example files and the module files taken from them (all by default);
    files that are up to date are left alone."""
    from ..io.project import atomic_write_text

    names = (argv if argv is not None else sys.argv[1:]) or list(EXAMPLES)
    jobs = [(example_path(name), lambda name=name: render(name)) for name in names]
    stems = [stem for stem, (example, _module) in SHIPPED_MODULES.items() if example in names]
    jobs += [(module_path(stem), lambda stem=stem: render_module(stem)) for stem in stems]
    for path, make in jobs:
        text = make()
        if path.exists() and path.read_text(encoding="utf-8") == text:
            print(f"up to date {path}")
            continue
        atomic_write_text(path, text)  # readers (tests running meanwhile) never see half a file
        print(f"wrote {path}")
    return 0
