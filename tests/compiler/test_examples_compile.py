"""Every shipped example compiles, and its generated code loads the compiled weights (strict)."""

from __future__ import annotations

import re

import pytest
import torch
from compiler_helpers import load_source, model_class

from designer.compiler.build import compile_model
from designer.compiler.codegen import generate
from designer.compiler.plan import CompileError

examples = pytest.importorskip("designer.examples")
NAMES = [n for n in examples.EXAMPLES if not n.endswith("mismatch")]
SMALL = {"inception_module", "inception_v3_module_a", "inception_resnet_a", "mini_inception"}


@pytest.mark.parametrize("name", NAMES)
def test_example_generated_code_loads_compiled_weights(name):
    doc = examples.build(name)
    model = compile_model(doc, seed=0)
    src = generate(doc)
    gen = model_class(load_source(src, f"gen_{name}"))()
    gen.load_state_dict(model.state_dict(), strict=True)
    if name in SMALL:
        x = torch.randn(2, *model.input_shape)
        model.eval()
        gen.eval()
        with torch.no_grad():
            assert torch.allclose(model(x), gen(x), atol=1e-5, rtol=1e-4)


def test_mismatch_example_does_not_compile():
    with pytest.raises(CompileError, match="26 x 26"):
        generate(examples.build("inception_module_mismatch"))


def test_googlenet_blocks_read_like_torchvision():
    if "googlenet" not in examples.EXAMPLES:
        pytest.skip("no googlenet example")
    src = generate(examples.build("googlenet"))
    # One Inception class for the nine instances of the module, taking its exposed parameters
    # (Table 1's channel counts) as arguments under torchvision's names.
    assert "class Inception(nn.Module):" in src and "class Inception3a" not in src
    assert "self.b2_3x3 = BasicConv2d(ch3x3red, ch3x3, kernel_size=3, padding=1)" in src
    assert re.search(
        r"self\.inception3a = Inception\(\s*192, ch1x1=64, ch3x3red=96, ch3x3=128, ch5x5red=16, "
        r"ch5x5=32, pool_proj=32\s*\)",
        src,
    )
    # One variable per branch, a blank line between branches.
    assert "        b2 = self.b2_reduce(x)\n        b2 = self.b2_3x3(b2)\n\n        b3 = self.b3_reduce(x)\n" in src
    # The aux heads run where they branch off, only when built and in training mode.
    assert "        x = self.inception4a(x)  # N x 512 x 14 x 14\n        aux1: Tensor | None = None\n" in src
    assert re.search(r"x = self\.inception_?3a\(x\)  # N x 256 x 28 x 28", src)
    assert "return GoogLeNetOutputs(x, (aux1, aux2))" in src


def test_inception_v3_reads_like_torchvision():
    if "inception_v3" not in examples.EXAMPLES:
        pytest.skip("no inception_v3 example")
    src = generate(examples.build("inception_v3"))
    # in_channels is always an argument; the modules' exposed parameters are torchvision's arguments
    # (channels_7x7 sets six convs: one argument).
    assert "class InceptionB(nn.Module):" in src and "BasicConv2d(288," not in src.split("class InceptionV3(")[0]
    assert "self.branch7x7_2 = BasicConv2d(channels_7x7, channels_7x7, kernel_size=(1, 7), padding=(0, 3))" in src
    assert "self.Mixed_6b = InceptionC(768, channels_7x7=128)" in src
    assert "self.Mixed_5b = InceptionA(192, pool_features=32)" in src
    # Locals are snake_case even where attributes keep the design's names.
    assert " Mixed_6e = self" not in src and "x = self.Mixed_6e(x)" in src
    assert "aux_logits_1 = self.AuxLogits(x)" in src or "aux_logits = self.AuxLogits(x)" in src
