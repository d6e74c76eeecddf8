"""Shared block classes: which integers become constructor arguments, and what they are called."""

from __future__ import annotations

from designer.compiler.codegen_blocks import plan_family, skeleton, strip_shape_comments

FWD = ["        # N x 8 x 4 x 4", "        a = self.a(x)  # N x 4 x 4 x 4", "        return a  # N x 4 x 4 x 4"]


def _block(c_in: int, a: int, b: int, k: int = 3) -> object:
    return skeleton(
        [("a", [f"BasicConv2d({c_in}, {a}, kernel_size=1)"]),
         ("b", [f"BasicConv2d({a}, {b}, kernel_size={k})", "nn.AdaptiveAvgPool2d(1)"])],
        FWD,
    )  # fmt: skip


def test_blocks_that_differ_only_in_channels_share_a_skeleton_but_not_other_blocks():
    assert _block(8, 4, 6).key == _block(16, 5, 6).key
    assert _block(8, 4, 6).key != _block(8, 4, 6, k=5).key  # a kernel size is structure


def test_arguments_are_named_by_role_and_constants_stay_literal():
    blocks = [_block(8, 4, 6), _block(16, 5, 6)]
    fam = plan_family(blocks, in_channels=[8, 16])
    assert fam.args == ["in_channels", "a"]  # b's 6 is the same in both: a literal
    assert fam.calls == [[8, 4], [16, 5]]
    exprs = dict(fam.member_exprs(blocks[0]))
    assert exprs["a"] == ["BasicConv2d(in_channels, a, kernel_size=1)"]
    assert exprs["b"] == ["BasicConv2d(a, 6, kernel_size=3)", "nn.AdaptiveAvgPool2d(1)"]


def test_identical_blocks_need_no_arguments():
    fam = plan_family([_block(8, 4, 6), _block(8, 4, 6)], in_channels=[8, 8])
    assert not fam.parameterised


def test_shape_comments_are_not_part_of_a_block():
    assert strip_shape_comments(FWD) == ["        a = self.a(x)", "        return a"]
