"""Module instances nested in another module's body: each its own submodule of its own class.

In the compiled model and in the generated code alike, a nested instance is a child of its outer
instance (``pair1.r1.a.conv.weight``), built in the outer class's ``__init__`` with its own class
(``self.r1 = Res(in_channels, width=width)``), its exposed values in terms of the outer class's
arguments; a repeated one is one child per copy (``r2_1``, ``r2_2``). The generated model loads the
compiled ``state_dict`` strictly and computes the same.
"""

from __future__ import annotations

import ast

import torch
from compiler_helpers import load_source, model_class
from test_modules_codegen import same_model

from designer.compiler.build import DesignBlock, compile_model
from designer.compiler.codegen import generate, generate_definition
from designer.compiler.plan import make_plan
from designer.graph.builder import Builder
from designer.graph.document import GraphDocument


def _res(b: Builder, x: str, width: int = 8) -> str:
    """A residual block: two 3x3 convs added to the input."""
    y = b.conv(x, "a", out_channels=width, kernel_size=3, batch_norm=True, bias=False)
    y = b.conv(y, "b", out_channels=8, kernel_size=3, activation="none", batch_norm=True, bias=False)
    return b.node("add", [x, y], "add", activation="relu")


def _pair(repeat: int):
    def body(b: Builder, x: str, width: int = 8) -> str:
        x = b.instance("Res", x, "r1", width=width)
        x = b.instance("Res", x, "r2", repeat=repeat, width=4)
        return b.conv(x, "proj", out_channels=8, kernel_size=1)

    return body


def _merge(b: Builder, x: str, y: str) -> str:
    """Two inputs: a nested block called with two arguments."""
    return b.conv(b.concat([x, y], "cat"), "fuse", out_channels=8, kernel_size=1)


def _quad(b: Builder, x: str, width: int = 8) -> str:
    y = b.instance("Pair", x, "p1", width=width)
    return b.instance("Merge", [x, y], "m")


def pair_net(repeat: int = 1, quad: bool = False) -> GraphDocument:
    """``Pair`` (two ``Res``, the second repeated ``repeat`` times) used twice with different
    widths; with ``quad``, a ``Quad`` holding a ``Pair`` and a two-input ``Merge`` as well."""
    b = Builder("pair net")
    b.define("Res", _res, inputs={"x": (8, 8, 8)}, exposed={"width": "a"})
    b.define("Pair", _pair(repeat), inputs={"x": (8, 8, 8)}, exposed={"width": "r1.width"})
    b.define("Merge", _merge, inputs={"x": (8, 8, 8), "y": (8, 8, 8)})
    b.define("Quad", _quad, inputs={"x": (8, 8, 8)}, exposed={"width": "p1.width"})
    x = b.input(channels=3, height=8, width=8)
    x = b.conv(x, "stem", out_channels=8, kernel_size=3)
    x = b.instance("Pair", x, "pair1", width=6)
    x = b.instance("Pair", x, "pair2", width=10)
    if quad:
        x = b.instance("Quad", x, "quad1", width=5)
        x = b.instance("Quad", x, "quad2", width=7)
    b.output(x, num_classes=4)
    return b.done(layout=False)


def _classes(tree: ast.Module) -> list[str]:
    return [n.name for n in tree.body if isinstance(n, ast.ClassDef)]


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def _init_args(cls: ast.ClassDef) -> list[str]:
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    return [a.arg for a in init.args.args[1:]]


def _constructions(cls: ast.ClassDef) -> dict[str, str]:
    """``self.<attr> = Call(...)`` in ``__init__``, as source."""
    return {
        node.targets[0].attr: ast.unparse(node.value)
        for node in ast.walk(cls)
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and isinstance(node.targets[0], ast.Attribute)
    }


def test_a_nested_instance_is_a_child_of_its_own_class():
    model, src, gen = same_model(pair_net())
    tree = ast.parse(src)
    classes = _classes(tree)
    assert classes.count("Res") == 1 and classes.count("Pair") == 1
    assert classes.index("Res") < classes.index("Pair"), "a class comes before the classes using it"
    assert _init_args(_class(tree, "Pair")) == ["in_channels", "width"]
    pair = _constructions(_class(tree, "Pair"))
    assert pair["r1"] == "Res(in_channels, width=width)"  # the outer argument passed on
    assert pair["r2"] == "Res(in_channels, width=4)"  # fixed in Pair's body: a literal
    net = _constructions(_class(tree, "PairNet"))
    assert net["pair1"] == "Pair(8, width=6)" and net["pair2"] == "Pair(8, width=10)"
    keys = list(model.state_dict())
    assert "pair1.r1.a.conv.weight" in keys and "pair2.r2.b.bn.running_mean" in keys
    assert not [k for k in keys if "r1_" in k or "r2_" in k], "no inlined nested nodes"
    assert model.pair1.r1.a.conv.weight.shape == (6, 8, 3, 3)
    assert model.pair2.r1.a.conv.weight.shape == (10, 8, 3, 3)
    # The same module tree: blocks in the compiled model, the classes in the generated one.
    assert isinstance(model.pair1.r1, DesignBlock)
    assert type(gen.pair1.r1).__name__ == "Res" and type(gen.pair2).__name__ == "Pair"
    # (The compiled model's merges are modules too, for forward hooks; the code writes them inline.)
    assert {n for n, _ in gen.named_modules()} <= {n for n, _ in model.named_modules()}


def test_the_outer_class_builds_other_widths():
    module = load_source(generate(pair_net()))
    pair = module.Pair(8, width=3).eval()
    assert pair.r1.a.conv.out_channels == 3
    with torch.no_grad():
        assert pair(torch.randn(1, 8, 5, 5)).shape == (1, 8, 5, 5)


def test_a_repeated_nested_instance_is_one_child_per_copy():
    model, src, _gen = same_model(pair_net(repeat=2))
    keys = list(model.state_dict())
    assert {"pair1.r2_1.a.conv.weight", "pair1.r2_2.a.conv.weight", "pair2.r2_2.b.bn.weight"} <= set(keys)
    assert "pair1.r2.a.conv.weight" not in keys
    pair = _constructions(_class(ast.parse(src), "Pair"))
    assert pair["r2_1"] == pair["r2_2"] == "Res(in_channels, width=4)"
    assert "x = self.r2_1(x)" in src and "x = self.r2_2(x)" in src
    plan = make_plan(pair_net(repeat=2))
    paths = [b.path for b in plan.blocks]
    assert paths == ["pair1", "pair1.r1", "pair1.r2_1", "pair1.r2_2", "pair2", "pair2.r1", "pair2.r2_1", "pair2.r2_2"]
    assert [b.parent for b in plan.blocks] == [None, 0, 0, 0, None, 4, 4, 4]


def test_modules_nested_two_deep_and_a_nested_block_with_two_inputs():
    model, src, gen = same_model(pair_net(quad=True))
    tree = ast.parse(src)
    classes = _classes(tree)
    for inner, outer in (("Res", "Pair"), ("Pair", "Quad"), ("Merge", "Quad")):
        assert classes.index(inner) < classes.index(outer)
    quad = _constructions(_class(tree, "Quad"))
    assert quad["p1"] == "Pair(in_channels, width=width)"
    assert quad["m"] == "Merge()"  # no argument varies
    assert "quad2.p1.r1.a.conv.weight" in model.state_dict()
    assert model.quad2.p1.r1.a.conv.weight.shape == (7, 8, 3, 3)
    assert "self.m(x, " in src  # called with both inputs
    assert type(gen.quad1.p1.r2).__name__ == "Res"


def test_a_definitions_own_code_holds_its_nested_classes():
    doc = pair_net()
    src = generate_definition(doc.library.by_name("Pair"), values={"width": 5})
    classes = _classes(ast.parse(src))
    assert classes.index("Res") < classes.index("Pair")
    load_source(src)


def test_models_with_nested_modules_train_the_same():
    """Training mode (BatchNorm statistics) and gradients agree as well."""
    doc = pair_net(repeat=2, quad=True)
    model = compile_model(doc, seed=1)
    gen = model_class(load_source(generate(doc)))()
    gen.load_state_dict(model.state_dict(), strict=True)
    torch.manual_seed(1)
    x = torch.randn(3, *model.input_shape)
    model.train()
    gen.train()
    out, ref = gen(x), model(x)
    torch.testing.assert_close(out, ref)
    out.sum().backward()
    ref.sum().backward()
    grads = dict(model.named_parameters())
    for name, p in gen.named_parameters():
        torch.testing.assert_close(p.grad, grads[name].grad, msg=name)
    torch.testing.assert_close(
        gen.state_dict()["pair1.r1.a.bn.running_mean"], model.state_dict()["pair1.r1.a.bn.running_mean"]
    )
