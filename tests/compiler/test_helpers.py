"""Helper code exists once: the compiled model runs the text the exported file carries.

``BasicConv2d``, ``make_activation`` and ``init_weights`` are each one source text
(:mod:`designer.compiler.helpers`); a layer can bring a helper of its own through its call
record, and both the compiled model and the generated code pick it up. The compiler works on
call records, not on source text: nothing in it parses Python.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import re
from pathlib import Path

import torch
from compiler_designs import card_module, googlenet, mixed_design
from compiler_helpers import load_source

from designer.compiler import build, codegen, helpers, modules
from designer.compiler.build import DesignModel
from designer.compiler.codegen import GeneratedCode, generate, generate_plan
from designer.compiler.plan import make_plan
from designer.compiler.units import Unit
from designer.graph.builder import Builder
from designer.graph.layers import ACTIVATIONS, Act, Arg, Call, Helper, format_call, instantiate

COMPILER = Path(codegen.__file__).parent


def test_the_runtime_helpers_are_made_from_the_emitted_text():
    assert modules.BasicConv2d is helpers.BASIC_CONV2D.runtime()
    assert build.init_weights is helpers.INIT_WEIGHTS.runtime()
    src = generate(card_module())
    for h in (helpers.MAKE_ACTIVATION, helpers.BASIC_CONV2D, helpers.INIT_WEIGHTS):
        assert h.render() in src or h.defaults, h.name  # templated defaults may differ per design
    # Rendered with a design's own defaults, the text is still the helper's text.
    template = re.escape(helpers.BASIC_CONV2D.source).replace(r"\$", "$")
    pattern = re.sub(r"\$(bias|batch_norm|eps|activation)", r"[^,]+", template)
    for doc in (card_module(), googlenet(bn=True), mixed_design()):
        assert re.search(pattern, generate(doc)), "BasicConv2d in the file is not the helper's text"
    assert inspect.getsource(build).count("nn.init.kaiming_normal_") == 0  # not a second copy
    for path in COMPILER.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if path.name != "helpers.py":
            assert "class BasicConv2d" not in text and "def init_weights" not in text, path.name


def test_make_activation_builds_what_an_activation_layer_builds():
    make = helpers.MAKE_ACTIVATION.runtime()
    for kind in ACTIVATIONS:
        if kind == "none":
            assert make(kind) is None
            continue
        a, b = make(kind), Act(kind).build()
        assert type(a) is type(b) and getattr(a, "inplace", None) == getattr(b, "inplace", None), kind


def test_runtime_helpers_resolve_by_module_name():
    cls = helpers.BASIC_CONV2D.runtime()
    assert cls.__module__ == "designer.compiler.modules"
    assert getattr(modules, cls.__name__) is cls  # so pickle finds it
    assert modules.make_activation is helpers.MAKE_ACTIVATION.runtime()


def test_the_compiler_parses_no_source():
    """Only names.py reads source with ast (torch's own nn.Module, for the reserved names)."""
    for path in COMPILER.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        uses_ast = re.search(r"^\s*(import ast|from ast )", text, re.M) is not None
        assert uses_ast == (path.name == "names.py"), path.name


# --------------------------------------------------------------------------- a layer's own helper
SCALE = Helper(
    "ChannelScale",
    '''\
class ChannelScale(nn.Module):
    """Multiplies each channel by a learned factor (a stand-in for a squeeze-excite block)."""

    def __init__(self, channels: int, init: float = $init) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.full((channels, 1, 1), init))

    def forward(self, x: Tensor) -> Tensor:
        return x * self.scale
''',
    defaults=(("init", 1.0),),
)


def test_a_layer_can_bring_a_helper_class_of_its_own():
    b = Builder("scaled")
    x = b.input(channels=3, height=8, width=8)
    y = b.conv(x, "c", out_channels=4, kernel_size=3)
    b.output(y, num_classes=2)
    plan = make_plan(b.done(layout=False))
    pn = next(p for p in plan.nodes if p.ident == "c")
    call = Call("ChannelScale", (Arg("channels", 4, positional=True, channels=True), Arg("init", 0.5)), SCALE)
    units = (*pn.units, Unit("scale", call, pn.out_shape))
    plan.nodes[pn.index] = dataclasses.replace(pn, units=units, module_class="ScaledConv")

    model = DesignModel(plan)
    assert isinstance(model.c.scale, SCALE.runtime())
    assert instantiate(call).scale.flatten().tolist() == [0.5] * 4
    src = generate_plan(plan)
    assert "ChannelScale" in src.helpers and "class ChannelScale(nn.Module):" in src
    assert "init: float = 0.5" in src  # the design's commonest value is the emitted default ...
    assert "ChannelScale(4)" in src  # ... so the call leaves it out
    gen = getattr(load_source(src), src.class_name)()
    gen.load_state_dict(model.state_dict(), strict=True)
    model.eval()
    gen.eval()
    x = torch.randn(2, 3, 8, 8)
    with torch.no_grad():
        assert torch.equal(model(x), gen(x))


# --------------------------------------------------------------------------- what generate returns
def test_generate_returns_the_source_with_what_it_defines():
    src = generate(googlenet(size=96, classes=10, width=0.125))
    assert isinstance(src, str) and isinstance(src, GeneratedCode)
    assert str(src) == src.source and type(src.source) is str
    assert src.class_name == "GoogLeNet" and src.outputs_class == "GoogLeNetOutputs"
    assert src.helpers == ("make_activation", "BasicConv2d", "init_weights")
    assert src.classes[0] == "BasicConv2d" and src.classes[-1] == "GoogLeNet"
    assert "InceptionAux" in src.classes  # the two aux heads share one class
    assert src.count("self.aux1 = InceptionAux(") == 1 and src.count("self.aux2 = InceptionAux(") == 1
    module = load_source(src)
    assert all(isinstance(getattr(module, name), type) for name in src.classes)
    for again in (copy.copy(src), copy.deepcopy(src), pickle.loads(pickle.dumps(src))):
        assert again == src and again.class_name == src.class_name and again.helpers == src.helpers


def test_format_call_leaves_out_defaults_and_writes_every_literal():
    call = Call(
        "nn.Thing",
        (
            Arg("n", 3, positional=True),
            Arg("stride", 1, default=1),
            Arg("pad", (0, 1, 0, 1), default=None),
            Arg("value", float("-inf")),
            Arg("kind", "relu"),
            Arg("flag", True, default=1),  # True is not the default 1: written
        ),
    )
    assert format_call(call) == 'nn.Thing(3, pad=(0, 1, 0, 1), value=float("-inf"), kind="relu", flag=True)'
