"""Generated models work with torch.export (a few small examples), torch.compile (slow: the card
module) and torch.jit.script (with and without aux heads)."""

from __future__ import annotations

import ast
import copy
import importlib
import types
import warnings

import pytest
import torch
from compiler_designs import googlenet
from compiler_helpers import load_source, model_class
from torch import Tensor

from designer.compiler.build import compile_model
from designer.compiler.codegen import generate
from designer.graph.builder import Builder
from designer.graph.document import GraphDocument

examples = pytest.importorskip("designer.examples")
SMALL = ["inception_module", "inception_v3_module_e", "inception_resnet_a", "mini_inception"]


def _model(name: str) -> torch.nn.Module:
    return model_class(load_source(generate(examples.build(name)), f"gen_{name}"))().eval()


@pytest.mark.parametrize("name", SMALL)
def test_torch_export(name):
    net = _model(name)
    x = torch.randn(2, *net.input_shape)
    exported = torch.export.export(net, (x,))
    with torch.no_grad():
        assert torch.allclose(exported.module()(x), net(x), atol=1e-5, rtol=1e-4)


def test_torch_export_of_a_model_built_without_aux_heads_in_training_mode():
    cls = model_class(load_source(generate(examples.build("mini_inception"))))
    net = cls(aux_logits=False).train()
    x = torch.randn(2, *net.input_shape)
    exported = torch.export.export(net, (x,))
    assert exported.module()(x).shape == (2, 10)


@pytest.mark.slow
def test_torch_compile_card_module():
    net = _model("inception_module")
    x = torch.randn(2, *net.input_shape)
    compiled = torch.compile(net)
    with torch.no_grad():
        assert torch.allclose(compiled(x), net(x), atol=1e-4, rtol=1e-3)


def _import_export(src: str, tmp_path, monkeypatch, stem: str) -> types.ModuleType:
    """The export imported from a file: TorchScript reads the source."""
    (tmp_path / f"{stem}.py").write_text(src)
    monkeypatch.syspath_prepend(str(tmp_path))
    return importlib.import_module(stem)


def _script(net: torch.nn.Module) -> torch.jit.ScriptModule:
    """``torch.jit.script`` of a copy (the two keep their own BatchNorm statistics)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        return torch.jit.script(copy.deepcopy(net))


@pytest.mark.parametrize("name", ["inception_module", "inception_resnet_a"])
def test_torch_jit_script_of_a_model_without_aux_heads(name, tmp_path, monkeypatch):
    module = _import_export(generate(examples.build(name)), tmp_path, monkeypatch, f"jit_{name}")
    net = model_class(module)().eval()
    scripted = _script(net)
    x = torch.randn(2, *net.input_shape)
    with torch.no_grad():
        assert torch.allclose(scripted(x), net(x), atol=1e-5, rtol=1e-4)


def _aux_design(name: str) -> GraphDocument:
    if name == "mini_inception":  # one aux head
        return examples.build(name)
    return googlenet(size=96, classes=10, width=0.125, bn=True)  # two aux heads


def _close(a: Tensor, b: Tensor) -> bool:
    return torch.allclose(a, b, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name", ["mini_inception", "small_googlenet"])
def test_torch_jit_script_of_a_model_with_aux_heads(name, tmp_path, monkeypatch):
    """As torchvision's GoogLeNet: scripted, forward always returns the NamedTuple (None for the
    heads that did not run, with a warning); eager, the logits, or the NamedTuple in training mode."""
    module = _import_export(generate(_aux_design(name)), tmp_path, monkeypatch, f"jit_aux_{name}")
    cls = model_class(module)
    outputs_cls = getattr(module, f"{cls.__name__}Outputs")
    net = cls()
    scripted = _script(net)
    heads = len(net.aux_names)
    x = torch.randn(2, *net.input_shape)

    net.eval()
    scripted.eval()
    with torch.no_grad():
        eager = net(x)
        with pytest.warns(UserWarning, match=f"Scripted {cls.__name__} always returns {outputs_cls.__name__}"):
            out = scripted(x)
    assert isinstance(eager, Tensor)
    assert _close(out.logits, eager) and out.aux_logits == (None,) * heads

    net.train()
    scripted.train()
    for _ in range(2):  # the same dropout masks from the same seed; BatchNorm statistics move alike
        torch.manual_seed(0)
        eager = net(x)
        torch.manual_seed(0)
        out = scripted(x)
        assert isinstance(eager, outputs_cls) and _close(out.logits, eager.logits)
        assert len(out.aux_logits) == len(eager.aux_logits) == heads
        assert all(_close(a, b) for a, b in zip(out.aux_logits, eager.aux_logits, strict=True))
    for key, value in net.state_dict().items():
        assert torch.allclose(value.float(), scripted.state_dict()[key].float(), atol=1e-5), key

    bare = cls(aux_logits=False).train()  # no aux heads: the logits in training mode too
    scripted = _script(bare)
    torch.manual_seed(0)
    eager = bare(x)
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="always returns"):
        out = scripted(x)
    assert isinstance(eager, Tensor) and _close(out.logits, eager) and out.aux_logits == (None,) * heads


def test_torch_jit_script_with_nodes_named_after_what_the_aux_return_uses(tmp_path, monkeypatch):
    """A node named ``eager_outputs`` keeps its attribute (the method takes another name), and one
    named ``warnings`` never shadows the module in ``forward``."""
    b = Builder("names")
    x = b.input(channels=3, height=8, width=8)
    w = b.conv(x, "warnings", out_channels=4, kernel_size=1)
    e = b.conv(w, "eager_outputs", out_channels=4, kernel_size=1)
    b.node("aux_head", w, "aux", num_classes=3, conv_channels=4, hidden=8, pool_kernel=3, pool_stride=2)
    b.output(b.concat([w, e], "cat"), "head", num_classes=3)
    doc = b.done(layout=False)
    src = generate(doc)
    tree = ast.parse(src)
    methods = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    assert "eager_outputs" not in methods and "self.eager_outputs = " in src
    assert not any(
        isinstance(n, ast.Name) and n.id == "warnings" and isinstance(n.ctx, ast.Store) for n in ast.walk(tree)
    )

    model = compile_model(doc, seed=0)
    gen = model_class(_import_export(src, tmp_path, monkeypatch, "jit_names"))()
    gen.load_state_dict(model.state_dict(), strict=True)
    scripted = _script(gen)
    x = torch.randn(2, 3, 8, 8)
    for train in (True, False):
        model.train(train)
        gen.train(train)
        scripted.train(train)
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            torch.manual_seed(0)
            a = model(x)
            torch.manual_seed(0)
            g = gen(x)
            torch.manual_seed(0)
            s = scripted(x)
        if train:
            assert _close(a.logits, g.logits) and _close(a.aux_logits[0], g.aux_logits[0])
            assert _close(s.logits, g.logits) and _close(s.aux_logits[0], g.aux_logits[0])
        else:
            assert _close(a, g) and _close(s.logits, g) and s.aux_logits == (None,)
