"""The shipped example designs, built in Python and stored as JSON in resources/examples/.

``python -m designer.examples`` rewrites the JSON files; a test checks that the files
on disk equal what these builders produce, so the two never drift apart.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

from .graph.builder import Builder
from .graph.document import GraphDocument

__all__ = ["EXAMPLES", "EXAMPLES_DIR", "example_path", "build"]

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "resources" / "examples"
DEFAULT_EXAMPLE = "inception_module"


def _card_module(mismatch: bool) -> GraphDocument:
    b = Builder(
        "Inception module" + (" (mismatch)" if mismatch else ""),
        "The Inception module from GoogLeNet (inception 3a) on a 192 x 28 x 28 input: four branches "
        "concatenated on channels. The 1x1 bottleneck before the 5x5 conv cuts that branch from "
        "120M to 12M multiply-adds."
        + (
            " Branch 1 is a 3x3 conv with 'valid' padding, so it comes out 26 x 26 and the concat "
            "cannot join it: open the Problems panel and press Fix."
            if mismatch
            else ""
        ),
    )
    x = b.input(channels=192, height=28, width=28)
    b.begin_group()
    if mismatch:
        b1 = b.conv(x, "b1", out_channels=64, kernel_size=3, padding="valid")
    else:
        b1 = b.conv(x, "b1_1x1", out_channels=64, kernel_size=1)
    b2 = b.conv(b.conv(x, "b2_reduce", out_channels=96, kernel_size=1), "b2_3x3", out_channels=128, kernel_size=3)
    b3 = b.conv(b.conv(x, "b3_reduce", out_channels=16, kernel_size=1), "b3_5x5", out_channels=32, kernel_size=5)
    p = b.pool(x, "b4_pool", mode="max", kernel_size=3, stride=1, padding="same")
    b4 = b.conv(p, "b4_proj", out_channels=32, kernel_size=1)
    b.concat([b1, b2, b3, b4], "concat")
    b.end_group("inception module")
    return b.done()


EXAMPLES: dict[str, Callable[[], GraphDocument]] = {
    "inception_module": lambda: _card_module(False),
    "inception_module_mismatch": lambda: _card_module(True),
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
    for n in data["nodes"]:
        n["id"] = ids[n["id"]]
    for i, e in enumerate(data["edges"]):
        e["id"], e["src"], e["dst"] = sid("edge", str(i)), ids[e["src"]], ids[e["dst"]]
    for g in data["groups"]:
        g["id"], g["nodes"] = sid("group", g["name"]), [ids[n] for n in g["nodes"]]
    return GraphDocument.from_dict(data)


def render(name: str) -> str:
    from .io.project import dumps

    return dumps(_stable(build(name), name))


def main(argv: list[str] | None = None) -> int:
    names = (argv if argv is not None else sys.argv[1:]) or list(EXAMPLES)
    for name in names:
        path = example_path(name)
        path.write_text(render(name), encoding="utf-8")
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
