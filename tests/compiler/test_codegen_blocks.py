"""Shared classes: which channel counts become constructor arguments, and what they are called.

Planned on call records (data), not on source text: only arguments marked as channel counts
can become constructor arguments; a window size such as ``LocalResponseNorm(5)`` is structure.
"""

from __future__ import annotations

from designer.compiler.codegen_blocks import plan_family, skeleton
from designer.compiler.helpers import basic_conv_call
from designer.graph.layers import Conv2d, GlobalAvgPool, LocalResponseNorm, format_call

FWD = ["        a = self.a(x)", "        return a"]


def _conv(c_in: int, c_out: int, k: int) -> object:
    return basic_conv_call(Conv2d(c_in, c_out, (k, k), padding=(k // 2, k // 2)), None, "relu")


def _block(c_in: int, a: int, b: int, k: int = 3, lrn: int = 5) -> object:
    return skeleton(
        [
            ("a", _conv(c_in, a, 1)),
            ("b", _conv(a, b, k)),
            ("gap", GlobalAvgPool(False).call()),
            ("lrn", LocalResponseNorm(lrn).call()),
        ],
        FWD,
    )


def test_blocks_that_differ_only_in_channels_share_a_skeleton_but_not_other_blocks():
    assert _block(8, 4, 6).key == _block(16, 5, 6).key
    assert _block(8, 4, 6).key != _block(8, 4, 6, k=5).key  # a kernel size is structure
    assert _block(8, 4, 6).key != _block(8, 4, 6, lrn=3).key  # so is a window size: not a channel count
    assert _block(8, 4, 6).values == (8, 4, 1, 4, 6, 1)  # in, out, groups of each conv; nothing of the LRN


def test_arguments_are_named_by_role_and_constants_stay_literal():
    blocks = [_block(8, 4, 6), _block(16, 5, 6)]
    fam = plan_family(blocks, in_channels=[8, 16])
    assert fam.args == ["in_channels", "a"]  # b's 6 is the same in both: a literal
    assert fam.calls == [[8, 4], [16, 5]]
    calls = dict(fam.member_calls(blocks[0]))
    assert format_call(calls["a"]) == "BasicConv2d(in_channels, a, kernel_size=1)"
    assert format_call(calls["b"]) == "BasicConv2d(a, 6, kernel_size=3, padding=1)"
    assert format_call(calls["gap"]) == "nn.AdaptiveAvgPool2d(1)"
    assert format_call(calls["lrn"]) == "nn.LocalResponseNorm(5, alpha=0.0001, beta=0.75, k=1.0)"


def test_a_window_size_never_becomes_an_argument():
    """The old text-based planner took any positional integer for a channel count."""
    blocks = [_block(8, 4, 6, lrn=5), _block(16, 5, 6, lrn=5)]
    fam = plan_family(blocks, in_channels=[8, 16])
    assert all(name is None or "lrn" not in name for name in fam.slot_args)
    assert "LocalResponseNorm(5," in format_call(dict(fam.member_calls(blocks[1]))["lrn"])


def test_identical_blocks_need_no_arguments():
    fam = plan_family([_block(8, 4, 6), _block(8, 4, 6)], in_channels=[8, 8])
    assert not fam.parameterised


def test_fixed_slots_are_arguments_even_when_constant_and_names_avoid_module_names():
    blocks = [_block(8, 4, 6), _block(8, 4, 6)]
    fam = plan_family(blocks, fixed={0: "in_channels", 4: "out_channels"})
    assert fam.args == ["in_channels", "out_channels"]
    assert fam.calls == [[8, 6], [8, 6]]
    varying = [_block(8, 4, 6), _block(8, 5, 6)]
    fam = plan_family(varying, avoid={"a"})
    assert fam.args == ["a_1"]  # "a" is a name the module level uses
