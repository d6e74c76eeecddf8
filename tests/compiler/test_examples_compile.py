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
    # One Inception class for the nine blocks, taking Table 1's channel counts as arguments.
    assert "class Inception(nn.Module):" in src and "class Inception3a" not in src
    assert "self.b2_3x3 = BasicConv2d(b2_reduce, b2_3x3, kernel_size=3, padding=1)" in src
    assert re.search(r"self\.inception3a = Inception\(\s*192, b1_1x1=64, b2_reduce=96, b2_3x3=128, b3_reduce=16, "
                     r"b3_5x5=32, b4_proj=32\s*\)", src)
    assert re.search(r"x = self\.inception_?3a\(x\)  # N x 256 x 28 x 28", src)
    assert "return GoogLeNetOutputs(x, (aux1, aux2))" in src
