"""The Inception block builder: a block described by a few numbers, made into a module definition.

A :class:`BlockSpec` says which branches the block has and how wide each conv is: a 1x1 conv;
a 1x1 reduction then a 3x3; a 1x1 reduction then a 5x5 (or two stacked 3x3, Inception v3's
factorization); a 1x1 reduction then a 1 x n and an n x 1 conv (Inception v3's asymmetric
factorization of an n x n); a 3x3 pool (max or average, stride 1) then a 1x1 projection. The
branches are concatenated on channels. With ``residual`` the concat is projected back to the
input's channels by a 1x1 conv (bias, no BatchNorm, no activation), scaled by ``scale``, added
to the input, and a ReLU follows, as in Inception-ResNet.

:func:`build_block` makes one module definition's data (:meth:`ModuleDef.to_dict`'s format):
each conv's width is exposed under torchvision's names (``ch1x1, ch3x3red, ch3x3, ch5x5red,
ch5x5, pool_proj``; ``ch5x5mid`` between two stacked 3x3; ``ch7x7red, ch7x7mid, ch7x7`` for an
n = 7 asymmetric branch; ``scale`` and ``up_channels`` for the residual). :func:`preview` is the
block's output shape, parameters and multiply-adds on an input, or the message saying why not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from .builder import Builder
from .document import new_id
from .params import MAX_CHANNELS
from .shapes import Shape

__all__ = [
    "DEFAULT_IN_SHAPE",
    "MAX_N",
    "BlockSpec",
    "BlockSpecError",
    "build_block",
    "check_spec",
    "describe",
    "preview",
]

#: The input a block is previewed on when no node is chosen: GoogLeNet's inception3a input.
DEFAULT_IN_SHAPE: Shape = (192, 28, 28)
POOL_MODES = ("max", "avg")
MAX_N = 31
_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_BN = {"bias": False, "batch_norm": True, "bn_eps": 0.001}  # torchvision's BasicConv2d
_PLAIN = {"bias": True, "batch_norm": False}  # GoogLeNet as in the paper


@dataclass
class BlockSpec:
    """One Inception block. The defaults are GoogLeNet's inception3a (paper, Table 1)."""

    name: str = "Inception"
    use_1x1: bool = True
    ch1x1: int = 64
    use_3x3: bool = True
    ch3x3red: int = 96
    ch3x3: int = 128
    use_5x5: bool = True
    ch5x5red: int = 16
    ch5x5: int = 32
    #: The 5x5 as two stacked 3x3 convs (Inception v3); ``ch5x5mid`` is the first one's width.
    factorize_5x5: bool = False
    ch5x5mid: int = 0  # 0: the same as ch5x5
    #: 1x1 reduction, then a 1 x n and an n x 1 conv (Inception v3's module C for n = 7).
    use_nxn: bool = False
    n: int = 7
    chnxnred: int = 128
    chnxnmid: int = 0  # 0: the same as chnxn
    chnxn: int = 192
    use_pool: bool = True
    pool_mode: str = "max"
    pool_proj: int = 32
    #: Conv, BatchNorm, ReLU with no conv bias (torchvision's BasicConv2d); else conv with bias, ReLU.
    batch_norm: bool = False
    #: Inception-ResNet: input + scale * conv1x1(concat), then ReLU.
    residual: bool = False
    scale: float = 0.17

    def nxn_tag(self) -> str:
        """``7x7`` for the asymmetric branch's names; ``1x3`` / ``1x5`` when the 3x3 or 5x5
        branch already has that name."""
        tag = f"{self.n}x{self.n}"
        taken = (self.n == 3 and self.use_3x3) or (self.n == 5 and self.use_5x5)
        return f"1x{self.n}" if taken else tag


class BlockSpecError(ValueError):
    """A block that cannot be built; ``field`` is the :class:`BlockSpec` field to change."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field


# (field, branch switch, what the user sees): every channel count checked, in display order.
def _channel_fields(spec: BlockSpec) -> list[tuple[str, str, str]]:
    t = spec.nxn_tag()
    mid5 = [("ch5x5mid", "use_5x5", "5×5 branch, width between the two 3×3 (ch5x5mid)")] if spec.factorize_5x5 else []
    return [
        ("ch1x1", "use_1x1", "1×1 branch, channels (ch1x1)"),
        ("ch3x3red", "use_3x3", "3×3 branch, 1×1 reduce (ch3x3red)"),
        ("ch3x3", "use_3x3", "3×3 branch, channels (ch3x3)"),
        ("ch5x5red", "use_5x5", "5×5 branch, 1×1 reduce (ch5x5red)"),
        *mid5,
        ("ch5x5", "use_5x5", "5×5 branch, channels (ch5x5)"),
        ("chnxnred", "use_nxn", f"{t} branch, 1×1 reduce (ch{t}red)"),
        ("chnxnmid", "use_nxn", f"{t} branch, width between 1×{spec.n} and {spec.n}×1 (ch{t}mid)"),
        ("chnxn", "use_nxn", f"{t} branch, channels (ch{t})"),
        ("pool_proj", "use_pool", "pool branch, 1×1 projection (pool_proj)"),
    ]


def check_spec(spec: BlockSpec) -> BlockSpecError | None:
    """The first problem of ``spec`` (naming the field), or None."""
    name = spec.name.strip()
    if not name:
        return BlockSpecError("name: give the block a name", "name")
    if not _IDENT.match(name):
        return BlockSpecError(
            f"name: {name!r} is not a module name (letters, digits and _, not starting with a digit)", "name"
        )
    if not any((spec.use_1x1, spec.use_3x3, spec.use_5x5, spec.use_nxn, spec.use_pool)):
        return BlockSpecError("branches: choose at least one branch", "use_1x1")
    for key, switch, label in _channel_fields(spec):
        if not getattr(spec, switch):
            continue
        value = getattr(spec, key)
        low = 0 if key in ("ch5x5mid", "chnxnmid") else 1
        if not isinstance(value, int) or isinstance(value, bool):
            return BlockSpecError(f"{label} must be a whole number, got {value!r}", key)
        if value < low:
            return BlockSpecError(f"{label} must be at least {low}, got {value}", key)
        if value > MAX_CHANNELS:
            return BlockSpecError(f"{label} must be at most {MAX_CHANNELS}, got {value}", key)
    if spec.use_nxn and not (isinstance(spec.n, int) and 2 <= spec.n <= MAX_N):
        return BlockSpecError(f"n (the 1×n, n×1 branch's kernel) must be between 2 and {MAX_N}, got {spec.n!r}", "n")
    if spec.use_pool and spec.pool_mode not in POOL_MODES:
        return BlockSpecError(f"pool branch: the pool must be 'max' or 'avg', got {spec.pool_mode!r}", "pool_mode")
    if spec.residual and not (isinstance(spec.scale, (int, float)) and 0 < spec.scale <= 10):
        return BlockSpecError(f"residual scale (scale) must be more than 0 and at most 10, got {spec.scale!r}", "scale")
    return None


def describe(spec: BlockSpec) -> str:
    """One line that says what the block is (the definition's description)."""
    parts = []
    if spec.use_1x1:
        parts.append(f"1x1 {spec.ch1x1}")
    if spec.use_3x3:
        parts.append(f"1x1 {spec.ch3x3red} -> 3x3 {spec.ch3x3}")
    if spec.use_5x5:
        if spec.factorize_5x5:
            parts.append(f"1x1 {spec.ch5x5red} -> 3x3 {spec.ch5x5mid or spec.ch5x5} -> 3x3 {spec.ch5x5}")
        else:
            parts.append(f"1x1 {spec.ch5x5red} -> 5x5 {spec.ch5x5}")
    if spec.use_nxn:
        n = spec.n
        parts.append(f"1x1 {spec.chnxnred} -> 1x{n} {spec.chnxnmid or spec.chnxn} -> {n}x1 {spec.chnxn}")
    if spec.use_pool:
        parts.append(f"3x3 {spec.pool_mode}-pool -> 1x1 {spec.pool_proj}")
    text = "Inception block: " + " | ".join(parts) + ", concatenated"
    if spec.residual:
        text += f"; projected back to the input's channels, scaled by {spec.scale:g}, added to the input, ReLU"
    return text + (". Convs: conv, BatchNorm, ReLU." if spec.batch_norm else ". Convs: conv with bias, ReLU.")


def build_block(spec: BlockSpec, in_shape: Shape = DEFAULT_IN_SHAPE) -> dict[str, Any]:
    """One module definition's data (:meth:`ModuleDef.to_dict`'s format, fresh ids) for ``spec``.

    ``in_shape`` is the input the block is made for: the shape its Module input shows on its
    own, and (for a residual block) the channels the up-projection returns to. Raises
    :class:`BlockSpecError` for a spec :func:`check_spec` rejects.
    """
    problem = check_spec(spec)
    if problem is not None:
        raise problem
    style = _BN if spec.batch_norm else _PLAIN
    b = Builder(spec.name.strip())
    exposed: list[dict[str, str]] = []

    def conv(x: str, name: str, exposed_as: str, out: int, kernel: int | list[int]) -> str:
        nid = b.conv(x, name, out_channels=out, kernel_size=kernel, padding="same", **style)
        exposed.append({"name": exposed_as, "node": nid, "param": "out_channels"})
        return nid

    shown = {"channels": in_shape[0], "height": in_shape[1], "width": in_shape[2]} if len(in_shape) == 3 else {}
    x = b.node("module_input", None, "x", **shown)
    branches = []
    if spec.use_1x1:
        branches.append(conv(x, "branch1x1", "ch1x1", spec.ch1x1, 1))
    if spec.use_3x3:
        r = conv(x, "branch3x3_1", "ch3x3red", spec.ch3x3red, 1)
        branches.append(conv(r, "branch3x3_2", "ch3x3", spec.ch3x3, 3))
    if spec.use_5x5:
        r = conv(x, "branch5x5_1", "ch5x5red", spec.ch5x5red, 1)
        if spec.factorize_5x5:
            m = conv(r, "branch5x5_2", "ch5x5mid", spec.ch5x5mid or spec.ch5x5, 3)
            branches.append(conv(m, "branch5x5_3", "ch5x5", spec.ch5x5, 3))
        else:
            branches.append(conv(r, "branch5x5_2", "ch5x5", spec.ch5x5, 5))
    if spec.use_nxn:
        t, n = spec.nxn_tag(), spec.n
        r = conv(x, f"branch{t}_1", f"ch{t}red", spec.chnxnred, 1)
        m = conv(r, f"branch{t}_2", f"ch{t}mid", spec.chnxnmid or spec.chnxn, [1, n])
        branches.append(conv(m, f"branch{t}_3", f"ch{t}", spec.chnxn, [n, 1]))
    if spec.use_pool:
        if spec.pool_mode == "max":  # GoogLeNet: 3x3 max-pool, stride 1, 'same'
            p = b.pool(x, "pool", mode="max", kernel_size=3, stride=1, padding="same")
        else:  # torchvision's Inception v3: avg_pool2d(3, stride=1, padding=1)
            p = b.pool(x, "pool", mode="avg", kernel_size=3, stride=1, padding=1)
        branches.append(conv(p, "branch_pool", "pool_proj", spec.pool_proj, 1))
    y = b.concat(branches, "concat") if len(branches) > 1 else branches[0]
    if spec.residual:
        channels = in_shape[0]
        up = b.conv(y, "up", out_channels=channels, kernel_size=1, bias=True, batch_norm=False, activation="none")
        exposed.append({"name": "up_channels", "node": up, "param": "out_channels"})
        y = b.node("add", [x, up], "add", scale=float(spec.scale), activation="relu")
        exposed.append({"name": "scale", "node": y, "param": "scale"})
    b.node("module_output", y, "out")
    body = b.done()  # laid out as the papers draw it: branches side by side
    return {
        "id": new_id(),
        "name": spec.name.strip(),
        "description": describe(spec),
        **body.graph_data(),
        "exposed": exposed,
    }


def preview(spec: BlockSpec, in_shape: Shape = DEFAULT_IN_SHAPE) -> tuple[Shape, int, int] | str:
    """``(output shape, parameters, multiply-adds)`` of the block on ``in_shape``, or the
    message saying why it cannot be built or does not fit that input."""
    from .modules import ModuleLibrary

    try:
        data = build_block(spec, in_shape)
    except BlockSpecError as exc:
        return str(exc)
    lib = ModuleLibrary()
    lib.add_data([data], notify=False)
    t = lib.get(data["id"]).type
    a = t.analyse(t.defaults(), [tuple(in_shape)])
    if a.error or a.out_shape is None:
        return f"on a {' x '.join(map(str, in_shape))} input: {a.error}"
    return a.out_shape, a.costs.total.params, a.costs.total.macs
