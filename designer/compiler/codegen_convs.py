"""How generated code writes convolutions: the ``BasicConv2d`` helper and its calls, and weight init."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from ..graph.layers import _ACT_MODULES
from .units import ConvUnit, conv_flavour

__all__ = ["INIT_WEIGHTS", "Convs"]

_INDENT = "    "
_ACT_FUNCS = {
    "relu": "F.relu(x, inplace=True)",
    "relu6": "F.relu6(x, inplace=True)",
    "gelu": "F.gelu(x)",
    "silu": "F.silu(x, inplace=True)",
}


class Convs:
    """How ``BasicConv2d`` is written: specialised when the design uses one flavour, else with options."""

    def __init__(self, units: list[ConvUnit]):
        counts = Counter(conv_flavour(u) for u in units)
        self.used = bool(counts)
        self.flavours = list(counts)
        self.default = counts.most_common(1)[0][0] if counts else (True, False, 1e-5, "relu")
        self.generic = len(counts) > 1
        self.acts = sorted({f[3] for f in counts})

    def call(self, unit: ConvUnit) -> str:
        c = unit.conv
        args = [str(c.in_channels), str(c.out_channels), f"kernel_size={_pair(c.kernel)}"]
        for key, value, default in (
            ("stride", c.stride, (1, 1)),
            ("padding", c.padding, (0, 0)),
            ("dilation", c.dilation, (1, 1)),
        ):
            if value != default:
                args.append(f"{key}={_pair(value)}")
        if c.groups != 1:
            args.append(f"groups={c.groups}")
        flavour = conv_flavour(unit)
        if not self.generic:
            return f"BasicConv2d({', '.join(args)})"
        for key, i in (("bias", 0), ("batch_norm", 1), ("eps", 2), ("activation", 3)):
            if flavour[i] != self.default[i] and not (key == "eps" and not flavour[1]):
                value = flavour[i]
                args.append(f'{key}="{value}"' if isinstance(value, str) else f"{key}={value!r}")
        return f"BasicConv2d({', '.join(args)})"

    def source(self) -> list[str]:
        bias, bn, eps, act = self.default
        if not self.generic:
            parts = ["Conv2d" + ("" if bias else " (no bias)")]
            if bn:
                parts.append(f"BatchNorm2d (eps={eps!r})")
            if act != "none":
                parts.append(_ACT_MODULES[act])
            lines = [
                "class BasicConv2d(nn.Module):",
                f'    """{" + ".join(parts)}."""',
                "",
                "    def __init__(self, in_channels: int, out_channels: int, **kwargs: Any) -> None:",
                "        super().__init__()",
                "        self.conv = nn.Conv2d(in_channels, out_channels"
                + ("" if bias else ", bias=False")
                + ", **kwargs)",
            ]
            if bn:
                lines.append(f"        self.bn = nn.BatchNorm2d(out_channels, eps={eps!r})")
            lines += ["", "    def forward(self, x: Tensor) -> Tensor:", "        x = self.conv(x)"]
            if act == "none":
                lines.append("        return self.bn(x)")
            else:
                if bn:
                    lines.append("        x = self.bn(x)")
                lines.append(f"        return {_ACT_FUNCS[act]}")
            return lines
        lines = [
            "def make_activation(kind: str) -> nn.Module | None:",
            '    """The activation module for a kind name."""',
        ]
        for kind in self.acts:
            if kind == "none":
                continue
            inplace = "" if kind == "gelu" else "inplace=True"
            lines.append(f'    if kind == "{kind}":')
            lines.append(f"        return nn.{_ACT_MODULES[kind]}({inplace})")
        lines += ["    return None", "", ""]
        lines += [
            "class BasicConv2d(nn.Module):",
            '    """Conv2d, then BatchNorm2d when ``batch_norm``, then the ``activation`` (or none)."""',
            "",
            "    def __init__(",
            "        self,",
            "        in_channels: int,",
            "        out_channels: int,",
            "        *,",
            f"        bias: bool = {bias!r},",
            f"        batch_norm: bool = {bn!r},",
            f"        eps: float = {eps!r},",
            f'        activation: str = "{act}",',
            "        **kwargs: Any,",
            "    ) -> None:",
            "        super().__init__()",
            "        self.conv = nn.Conv2d(in_channels, out_channels, bias=bias, **kwargs)",
            "        self.bn = nn.BatchNorm2d(out_channels, eps=eps) if batch_norm else None",
            "        self.act = make_activation(activation)",
            "",
            "    def forward(self, x: Tensor) -> Tensor:",
            "        x = self.conv(x)",
            "        if self.bn is not None:",
            "            x = self.bn(x)",
            "        if self.act is not None:",
            "            x = self.act(x)",
            "        return x",
        ]
        return lines


def _pair(p: tuple[int, int]) -> str:
    return str(p[0]) if p[0] == p[1] else f"({p[0]}, {p[1]})"


def _init_weights_source() -> list[str]:
    """The source of :func:`designer.compiler.build.init_weights`, so the exported file
    initialises exactly as the compiled model does. Read with ``ast`` rather than by
    importing build.py: code generation must not import torch."""
    source = Path(__file__).with_name("build.py").read_text(encoding="utf-8")
    fn = next(n for n in ast.parse(source).body if isinstance(n, ast.FunctionDef) and n.name == "init_weights")
    return (ast.get_source_segment(source, fn) or "").splitlines()


INIT_WEIGHTS = _init_weights_source()
