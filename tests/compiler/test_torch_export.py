"""Generated models work with torch.export (a few small examples) and torch.compile (slow: the card module)."""

from __future__ import annotations

import pytest
import torch
from compiler_helpers import load_source, model_class

from designer.compiler.codegen import generate

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


@pytest.mark.parametrize("name", ["inception_module", "inception_resnet_a"])
def test_torch_jit_script_of_a_model_without_aux_heads(name, tmp_path, monkeypatch):
    """TorchScript reads the source file, so the export is imported from one. (Models with aux
    heads do not script yet: their Tensor | NamedTuple return needs torchvision's eager_outputs.)"""
    import importlib
    import warnings

    (tmp_path / f"jit_{name}.py").write_text(generate(examples.build(name)))
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module(f"jit_{name}")
    net = model_class(module)().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        scripted = torch.jit.script(net)
    x = torch.randn(2, *net.input_shape)
    with torch.no_grad():
        assert torch.allclose(scripted(x), net(x), atol=1e-5, rtol=1e-4)
