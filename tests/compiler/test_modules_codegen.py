"""Generated code for designs with modules: one class per definition, its exposed parameters as
constructor arguments, and the same model as the compiled one."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from compiler_helpers import load_source, model_class
from module_designs import googlenet_modules, module_net

from designer.compiler.build import compile_model
from designer.compiler.codegen import generate
from designer.compiler.codegen_modules import variant_names
from designer.graph.builder import Builder
from designer.graph.expand import ModuleUse
from designer.graph.modules import ExposedParam

RUFF = Path(sys.executable).with_name("ruff")
TORCHVISION_ARGS = ["ch1x1", "ch3x3red", "ch3x3", "ch5x5red", "ch5x5", "pool_proj"]


def _class(tree: ast.Module, name: str) -> ast.ClassDef:
    return next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)


def _init_args(cls: ast.ClassDef) -> list[str]:
    init = next(n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__")
    return [a.arg for a in init.args.args[1:]]


def _constructions(cls: ast.ClassDef) -> dict[str, ast.Call]:
    """``self.<attr> = Call(...)`` in ``__init__``."""
    out = {}
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            target = node.targets[0]
            if isinstance(target, ast.Attribute):
                out[target.attr] = node.value
    return out


def same_model(doc, batch: int = 2):
    """The compiled model, the generated source and the generated model, which loads the
    compiled one's state_dict strictly and computes the same."""
    model = compile_model(doc, seed=0)
    src = generate(doc)
    gen = model_class(load_source(src))()
    assert list(gen.state_dict()) == list(model.state_dict())
    gen.load_state_dict(model.state_dict(), strict=True)
    model.eval()
    gen.eval()
    x = torch.randn(batch, *model.input_shape)
    with torch.no_grad():
        torch.testing.assert_close(gen(x), model(x))
    return model, src, gen


def test_googlenet_instances_are_built_with_torchvisions_arguments():
    doc = googlenet_modules()
    model, src, _gen = same_model(doc, batch=1)
    tree = ast.parse(src)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert sorted(c for c in classes if c.startswith("Inception")) == ["Inception", "InceptionAux"]
    assert _init_args(_class(tree, "Inception")) == ["in_channels", *TORCHVISION_ARGS]
    calls = _constructions(_class(tree, "GoogLeNet"))
    first = calls["inception3a"]
    assert [ast.literal_eval(a) for a in first.args] == [192]
    assert [(k.arg, ast.literal_eval(k.value)) for k in first.keywords] == list(
        zip(TORCHVISION_ARGS, [64, 96, 128, 16, 32, 32], strict=True)
    )
    last = calls["inception5b"]
    assert [ast.literal_eval(a) for a in last.args] == [832]
    assert [ast.literal_eval(k.value) for k in last.keywords] == [384, 192, 384, 48, 128, 128]
    # Inside the class, a reduce's width feeds the conv after it through the same argument.
    inside = _constructions(_class(tree, "Inception"))
    assert ast.unparse(inside["b2_3x3"]).startswith("BasicConv2d(ch3x3red, ch3x3, ")
    assert ast.unparse(inside["b4_proj"]).startswith("BasicConv2d(in_channels, pool_proj, ")


def test_the_class_builds_any_widths_not_only_the_designs():
    """The arguments really determine the children: other widths give a working block whose
    output has ch1x1 + ch3x3 + ch5x5 + pool_proj channels."""
    module = load_source(generate(googlenet_modules()))
    block = module.Inception(100, ch1x1=3, ch3x3red=4, ch3x3=5, ch5x5red=6, ch5x5=7, pool_proj=8).eval()
    with torch.no_grad():
        assert block(torch.randn(1, 100, 9, 9)).shape == (1, 3 + 5 + 7 + 8, 9, 9)


def test_every_kind_of_use_gives_the_compiled_model():
    """A repeated module, a nested one (an outer parameter set through the inner's), and one whose
    exposed kernel size makes two classes."""
    model, src, _gen = same_model(module_net())
    tree = ast.parse(src)
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert {"Res", "Pair", "WideKernel3", "WideKernel5"} <= set(classes)
    assert classes.count("Res") == 1
    net = _constructions(_class(tree, "ModuleNet"))
    # Repeated x3: one class, one attribute per copy, named like the compiled model's.
    assert [ast.unparse(net[f"res_{k}"]) for k in (1, 2, 3)] == ["Res(8, width=6)"] * 3
    assert "res_3.b.bn.running_mean" in model.state_dict()
    # Nested: the inner instance is a child of the outer class, built with its own class (defined
    # before), the outer's exposed value passed on to it.
    assert ast.unparse(net["pair2"]) == "Pair(8, width=9, inner=4)"
    assert _init_args(_class(tree, "Pair")) == ["in_channels", "width", "inner"]
    assert ast.unparse(_constructions(_class(tree, "Pair"))["r1"]) == "Res(in_channels, width=inner)"
    assert classes.index("Res") < classes.index("Pair")
    assert "pair2.r1.a.conv.weight" in model.state_dict()
    # A kernel size is structure: two classes, named after it; the widths stay arguments.
    assert ast.unparse(net["wide3"]) == "WideKernel5(8, w1=2, w2=2)"
    assert "Module Wide with kernel=5, used as wide3." in src
    # A width made of two arguments is written as their sum.
    mix = _constructions(_class(tree, "WideKernel3"))["mix"]
    assert ast.unparse(mix.args[0]) == "w1 + w2"
    wide = load_source(src).WideKernel3(8, w1=1, w2=2).eval()
    with torch.no_grad():
        assert wide(torch.randn(1, 8, 5, 5)).shape == (1, 8, 5, 5)


def _odd_names_design():
    """A module whose exposed names are a keyword, a name the code uses and the input width's."""

    def body(b, x, **kw):
        y = b.conv(x, "a", out_channels=kw.get("class", 4), kernel_size=1)
        return b.conv(y, "b", out_channels=kw.get("in_channels", 5), kernel_size=1)

    b = Builder("odd names")
    b.define("Odd", body, inputs={"x": (3, 8, 8)})
    d = b.doc.library.by_name("Odd")
    d.exposed = [ExposedParam("class", d.body.find("a").id, "out_channels")]
    d.exposed.append(ExposedParam("in_channels", d.body.find("b").id, "out_channels"))
    x = b.input(channels=3, height=8, width=8)
    x = b.instance("Odd", x, "odd1", **{"class": 6, "in_channels": 7})
    x = b.instance("Odd", x, "odd2", **{"class": 2, "in_channels": 3})
    b.output(x, num_classes=2)
    return b.done(layout=False)


def test_exposed_names_are_made_legal_identifiers():
    model, src, _gen = same_model(_odd_names_design())
    args = _init_args(_class(ast.parse(src), "Odd"))
    assert args[0] == "in_channels" and len(set(args)) == 3
    assert "class" not in args and all(a.isidentifier() for a in args)


@pytest.mark.skipif(not RUFF.exists() and not shutil.which("ruff"), reason="ruff not installed")
def test_generated_module_code_is_ruff_clean(tmp_path):
    ruff = str(RUFF) if RUFF.exists() else "ruff"
    for i, doc in enumerate([googlenet_modules(), module_net(), _odd_names_design()]):
        path = tmp_path / f"m{i}.py"
        path.write_text(generate(doc))
        for cmd in (["check", "--select", "E,F,W,I,B,UP,SIM"], ["format", "--check"]):
            proc = subprocess.run(
                [ruff, *cmd, "--isolated", "--line-length", "120", str(path)], capture_output=True, text=True
            )
            assert proc.returncode == 0, proc.stdout + proc.stderr + path.read_text()


def _use(name: str, **values) -> ModuleUse:
    return ModuleUse("m", "Wide", name, name, values=values)


def test_classes_of_one_definition_are_named_after_what_tells_them_apart():
    three = [_use("a", w=1, kernel=3), _use("b", w=2, kernel=3)]
    five = [_use("c", w=1, kernel=5)]
    assert variant_names("Wide", [three, five]) == ["WideKernel3", "WideKernel5"]
    assert variant_names("Wide", [[*three, *five]]) == ["Wide"]
    # No exposed value tells them apart (their inputs do): the family used most keeps the name.
    same = [_use("d", w=1, kernel=3)]
    assert variant_names("Wide", [same, three]) == ["WideVariant2", "Wide"]
    assert variant_names("Wide", [[_use("e", act="relu")], [_use("f", act="gelu")]]) == ["WideActRelu", "WideActGelu"]


def test_one_exposed_name_that_sets_two_widths_is_one_argument():
    """``w`` sets both branches' widths: one argument, and the conv after the concat takes ``2 * w``."""

    def body(b, x, w=4):
        cat = b.concat([b.conv(x, "p", out_channels=w, kernel_size=1), b.conv(x, "q", out_channels=w, kernel_size=3)])
        return b.conv(cat, "mix", out_channels=6, kernel_size=1)

    b = Builder("twins")
    b.define("Twin", body, inputs={"x": (3, 8, 8)}, exposed={"w": ("p", "q")})
    x = b.input(channels=3, height=8, width=8)
    x = b.instance("Twin", x, "t1", w=2)
    x = b.instance("Twin", x, "t2", w=5)
    b.output(x, num_classes=2)
    model, src, _gen = same_model(b.done(layout=False))
    tree = ast.parse(src)
    assert _init_args(_class(tree, "Twin")) == ["in_channels", "w"]
    assert ast.unparse(_constructions(_class(tree, "Twin"))["mix"]).startswith("BasicConv2d(2 * w, 6, ")
    assert ast.unparse(_constructions(_class(tree, "Twins"))["t2"]) == "Twin(6, w=5)"
