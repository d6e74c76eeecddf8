"""The shipped example designs, built in Python and stored as JSON in resources/examples/.

``python -m designer.examples`` rewrites the JSON files; a test checks that the files
on disk equal what these builders produce, so the two never drift apart.

Each builder lives in its own module: :mod:`.modules` (single Inception modules),
:mod:`.googlenet`, :mod:`.inception_v3`, :mod:`.inception_resnet`, :mod:`.xception`.
``EXAMPLE_INFO`` gives the one-line description the Examples menu shows.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from importlib import import_module
from pathlib import Path

from ..graph.document import GraphDocument

__all__ = [
    "DEFAULT_EXAMPLE",
    "EXAMPLES",
    "EXAMPLES_DIR",
    "EXAMPLE_INFO",
    "build",
    "example_path",
    "main",
    "render",
]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "examples"
DEFAULT_EXAMPLE = "inception_module"


def _builder(module: str, function: str, *args: object) -> Callable[[], GraphDocument]:
    """``module.function(*args)``, imported when called: the app opens the JSON files and
    never needs the builders at start-up."""

    def build_example() -> GraphDocument:
        return getattr(import_module(f"{__name__}.{module}"), function)(*args)

    build_example.__qualname__ = f"{module}.{function}"
    return build_example


#: Menu order: the card's module first, then the module variants, then whole networks.
EXAMPLES: dict[str, Callable[[], GraphDocument]] = {
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


def example_path(name: str) -> Path:
    return EXAMPLES_DIR / f"{name}.json"


def build(name: str) -> GraphDocument:
    return EXAMPLES[name]()


def _stable(doc: GraphDocument, name: str) -> GraphDocument:
    """Give ids that do not change between runs, so regenerated files diff cleanly."""
    import hashlib

    def sid(kind: str, key: str) -> str:
        return hashlib.sha1(f"{name}/{kind}/{key}".encode()).hexdigest()[:32]

    data = doc.to_dict()
    ids = {n["id"]: sid("node", n["name"]) for n in data["nodes"]}
    if len(set(ids.values())) != len(ids):
        raise ValueError(f"example {name!r} has duplicate node names; stable ids need unique names")
    for n in data["nodes"]:
        n["id"] = ids[n["id"]]
    for i, e in enumerate(data["edges"]):
        e["id"], e["src"], e["dst"] = sid("edge", str(i)), ids[e["src"]], ids[e["dst"]]
    for g in data["groups"]:
        g["id"], g["nodes"] = sid("group", g["name"]), [ids[n] for n in g["nodes"]]
    return GraphDocument.from_dict(data)


def render(name: str) -> str:
    from ..io.project import dumps

    return dumps(_stable(build(name), name))


def main(argv: list[str] | None = None) -> int:
    """Rewrite the named example files (all by default); files that are up to date are left alone."""
    from ..io.project import atomic_write_text

    names = (argv if argv is not None else sys.argv[1:]) or list(EXAMPLES)
    for name in names:
        path, text = example_path(name), render(name)
        if path.exists() and path.read_text(encoding="utf-8") == text:
            print(f"up to date {path}")
            continue
        atomic_write_text(path, text)  # readers (tests running meanwhile) never see half a file
        print(f"wrote {path}")
    return 0
