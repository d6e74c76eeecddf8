"""Generated code: parses, lints, and computes what the compiled model computes."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from compiler_designs import card_module, googlenet, mixed_design
from compiler_helpers import load_source, model_class

from designer.compiler.build import DesignOutputs, compile_model
from designer.compiler.codegen import generate
from designer.graph.builder import Builder

RUFF = Path(sys.executable).with_name("ruff")


def _roundtrip(doc, batch: int = 2, seed: int = 0):
    model = compile_model(doc, seed=seed)
    src = generate(doc)
    gen = model_class(load_source(src))()
    gen.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(batch, *model.input_shape)
    return model, gen, x, src


def _assert_same(model, gen, x) -> None:
    model.eval()
    gen.eval()
    with torch.no_grad():
        assert torch.allclose(model(x), gen(x), atol=1e-5, rtol=1e-4)
    model.train()
    gen.train()
    torch.manual_seed(1)
    a = model(x)
    torch.manual_seed(1)
    b = gen(x)
    if isinstance(a, DesignOutputs):
        assert type(b).__name__.endswith("Outputs")
        assert torch.allclose(a.logits, b.logits, atol=1e-5, rtol=1e-4)
        assert len(a.aux_logits) == len(b.aux_logits)
        for p, q in zip(a.aux_logits, b.aux_logits, strict=True):
            assert torch.allclose(p, q, atol=1e-5, rtol=1e-4)
    else:
        assert torch.allclose(a, b, atol=1e-5, rtol=1e-4)
    # BatchNorm running statistics moved the same way.
    for (k, v), (k2, v2) in zip(model.state_dict().items(), gen.state_dict().items(), strict=True):
        assert k == k2
        assert torch.allclose(v.float(), v2.float(), atol=1e-5), k


def test_card_module_matches_compiled():
    model, gen, x, src = _roundtrip(card_module())
    _assert_same(model, gen, x)
    assert "class BasicConv2d" in src
    assert list(model.state_dict())[0] == "inception_module.b1_1x1.conv.weight"


@pytest.mark.parametrize("bn", [False, True])
def test_small_googlenet_with_aux_matches_compiled(bn):
    doc = googlenet(size=96, classes=10, width=0.125, bn=bn, dropout=0.4)
    model, gen, x, src = _roundtrip(doc, batch=2)
    _assert_same(model, gen, x)
    assert "if self.aux1 is not None and self.training:" in src
    assert "class GoogLeNetOutputs(NamedTuple):" in src
    assert gen.aux_names == model.aux_names == ("aux1", "aux2")
    assert gen.aux_weights == model.aux_weights


def test_model_takes_torchvisions_arguments():
    """num_classes, aux_logits, dropout and dropout_aux, with the design's values as defaults."""
    doc = googlenet(size=96, classes=10, width=0.125, dropout=0.4)
    src = generate(doc)
    cls = model_class(load_source(src))
    assert "num_classes: int = 10" in src and "aux_logits: bool = True" in src
    assert "dropout: float = 0.4" in src and "dropout_aux: float = 0.7" in src
    x = torch.randn(2, 3, 96, 96)
    net = cls(num_classes=7, dropout=0.2, dropout_aux=0.5).train()
    out = net(x)
    assert out.logits.shape == (2, 7) and all(a.shape == (2, 7) for a in out.aux_logits)
    assert net.classifier.dropout.p == 0.2 and net.aux1.dropout.p == 0.5
    bare = cls(aux_logits=False).train()
    assert bare.aux1 is None and bare.aux2 is None
    assert not any(k.startswith("aux") for k in bare.state_dict())
    y = bare(x)
    assert isinstance(y, torch.Tensor) and y.shape == (2, 10)
    bare.eval()
    assert bare(x).shape == (2, 10)


def test_a_feature_map_model_takes_no_num_classes():
    src = generate(card_module())
    assert "num_classes" not in src and "aux_logits" not in src
    assert "def __init__(self) -> None:" in src.split("class InceptionModule(nn.Module):")[-1]


def test_generated_code_style():
    src = generate(googlenet(bn=True))
    tree = ast.parse(src)
    imports = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert imports <= {"torch", "typing", "warnings"}
    classes = [n.name for n in tree.body if isinstance(n, ast.ClassDef)]
    assert classes[0] == "BasicConv2d"
    # Blocks built alike share one class with the channel counts as arguments, like torchvision's.
    assert classes.count("Inception") == 1 and "Inception3a" not in classes and "GoogLeNet" in classes
    assert "        x = self.inception_3a(x)  # N x 256 x 28 x 28" in src
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == "forward":
            assert node.returns is not None
            assert all(a.annotation is not None for a in node.args.args[1:])


def test_identical_blocks_share_a_class():
    b = Builder("twins")
    x = b.input(channels=8, height=8, width=8)
    for name in ("block_a", "block_b"):
        b.begin_group()
        y = b.conv(x, "c1", out_channels=8, kernel_size=3, batch_norm=True, bias=False)
        x = b.node("add", [x, y], "add", activation="relu")
        b.end_group(name)
    b.output(x, num_classes=3)
    doc = b.done(layout=False)
    model, gen, x, src = _roundtrip(doc)
    _assert_same(model, gen, x)
    # BasicConv2d, one block class, the classifier, the model
    assert src.classes == ("BasicConv2d", "Classifier", "Block", "Twins")
    assert src.count("(nn.Module):") == 4
    assert "Used as block_a, block_b." in src


@pytest.mark.skipif(not RUFF.exists() and not shutil.which("ruff"), reason="ruff not installed")
def test_generated_code_is_ruff_clean(tmp_path):
    ruff = str(RUFF) if RUFF.exists() else "ruff"
    for i, doc in enumerate([card_module(), googlenet(), googlenet(bn=True, aux=False), mixed_design()]):
        path = tmp_path / f"m{i}.py"
        path.write_text(generate(doc))
        proc = subprocess.run(
            [ruff, "check", "--isolated", "--select", "E,F,W,I,B,UP,SIM", "--line-length", "120", str(path)],
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, proc.stdout + path.read_text()


def test_mixed_design_matches_compiled():
    model, gen, x, src = _roundtrip(mixed_design(), batch=3)
    _assert_same(model, gen, x)
    assert "def make_activation" in src
    assert "nn.ConstantPad2d" in src or "nn.ZeroPad2d" in src


def test_generate_is_pure():
    """The Code panel generates on every edit: no torch import (its speed is a benchmark,
    benchmarks/codegen_speed.py, not a pass/fail timing here)."""
    code = (
        "import sys; from tests.compiler.compiler_designs import googlenet; "
        "from designer.compiler.codegen import generate; generate(googlenet()); "
        "assert 'torch' not in sys.modules, 'codegen imported torch'"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[2])
    assert proc.returncode == 0, proc.stderr


def test_a_window_size_is_not_taken_for_a_channel_count():
    """Blocks that differ in a LocalResponseNorm's size are built differently: two classes, each
    with its literal size (the text-based planner took any positional integer for a channel count,
    and wrote ``nn.LocalResponseNorm(lrn, ...)`` in one shared class)."""
    b = Builder("windows")
    x = b.input(channels=4, height=8, width=8)
    for name, size in (("block_a", 5), ("block_b", 3)):
        b.begin_group()
        x = b.conv(x, "c", out_channels=4, kernel_size=1)
        x = b.node("lrn", x, "lrn", size=size)
        b.end_group(name)
    b.output(x, num_classes=2)
    model, gen, x, src = _roundtrip(b.done(layout=False))
    _assert_same(model, gen, x)
    assert "nn.LocalResponseNorm(5, " in src and "nn.LocalResponseNorm(3, " in src
    assert "LocalResponseNorm(lrn" not in src
