"""A node name is data, never code: hostile names become legal, unique identifiers."""

from __future__ import annotations

import ast
import keyword

import torch
from compiler_helpers import load_source, model_class

from designer.compiler.build import compile_model
from designer.compiler.codegen import generate
from designer.compiler.names import Namespace, sanitize
from designer.graph.builder import Builder

HOSTILE = [
    "x); import os #",
    "class",
    "__init__",
    "3a",
    "forward",
    "self",
    "x",
    "torch",
    "F",
    "nn",
    "Ünïcödé 名前",
    "名前",
    "dup",
    "dup",
    " ",
    "___",
    "!!!",
    'a"""; import os; """',
    "a\nimport os",
    "b\\x00'",
    "BasicConv2d",
    "init_weights",
    "GoogLeNetOutputs",
    "training",
    "lambda",
    "print",
]


def _hostile_design() -> object:
    b = Builder('evil"""\nimport os\n"""')
    x = b.input("import os", channels=3, height=8, width=8)
    outs = []
    b.begin_group()
    for i, name in enumerate(HOSTILE):
        outs.append(b.conv(x, name, out_channels=2 + i % 3, kernel_size=1 + 2 * (i % 2)))
    y = b.concat(outs, "x); import os #")
    b.end_group("x); import os #")
    b.begin_group()
    z = b.conv(y, "class", out_channels=4, kernel_size=1, batch_norm=True)
    z = b.node("add", [z, b.conv(y, "__init__", out_channels=4, kernel_size=1)], "forward")
    b.end_group("class")
    b.node("aux_head", y, "\nimport os", num_classes=3, conv_channels=4, hidden=8, pool_kernel=3, pool_stride=2)
    b.output(z, 'out"); import os; ("', num_classes=3)
    return b.done(layout=False)


def _imports(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add(node.module or "")
    return names


def test_hostile_names_generate_safe_running_code():
    doc = _hostile_design()
    src = generate(doc)
    tree = ast.parse(src)
    assert _imports(tree) <= {"warnings", "typing", "torch", "torch.nn.functional"}
    assert "os" not in _imports(tree)
    # No statement anywhere calls or names os.
    assert not any(isinstance(n, ast.Name) and n.id == "os" for n in ast.walk(tree))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            assert node.attr.isidentifier() and not keyword.iskeyword(node.attr)
    model = compile_model(doc, seed=0)
    gen = model_class(load_source(src))()
    gen.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 3, 8, 8)
    model.eval()
    gen.eval()
    with torch.no_grad():
        assert torch.allclose(model(x), gen(x), atol=1e-5)
    # The aux head's real name survives as data.
    assert gen.aux_names == ("\nimport os",) == model.aux_names


def test_sanitize_and_namespace():
    ns = Namespace()
    idents = [ns.add(n) for n in HOSTILE]
    assert len(set(idents)) == len(idents)
    for ident in idents:
        assert ident.isidentifier()
        assert ident.isascii()
        assert not keyword.iskeyword(ident) and not keyword.issoftkeyword(ident)
        assert not ident.startswith("__")
        assert ident not in {"forward", "self", "x", "torch", "F", "nn", "training", "print", "class"}
    assert sanitize("3a").startswith("node_")
    assert sanitize("x); import os #") == "x_import_os"
