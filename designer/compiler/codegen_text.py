"""Text pieces of generated code: shape comments, docstrings, class and call layout, names.

Shared by :mod:`.codegen` (the file and the model), :mod:`.codegen_composites` (classes of
composite nodes) and :mod:`.codegen_block_classes` (classes of blocks). Pure Python.
"""

from __future__ import annotations

import os
import re
import textwrap
from collections.abc import Mapping
from typing import Any

from ..graph.layers import Arg, Call, format_call
from ..graph.shapes import Shape
from .codegen_body import signature, wrap
from .names import sanitize

INDENT = "    "
Defaults = Mapping[str, Mapping[str, Any]]


def shape_text(shape: Shape) -> str:
    """``(256, 28, 28) -> 'N x 256 x 28 x 28'``."""
    return " x ".join(["N", *(str(d) for d in shape)])


def safe_text(text: str, limit: int = 80) -> str:
    """Text for a comment or docstring: printable ASCII without quotes or backslashes."""
    return re.sub(r"[^A-Za-z0-9 _\-.,:;()+/=<>]", "?", text)[:limit]


def para(text: str, indent: str, width: int = 96) -> list[str]:
    """Free text (a design's description) as wrapped docstring lines: printable ASCII, no
    backslashes or double quotes (so it can never end the docstring)."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\x20-\x7e]+", " ", text).replace("\\", "/").replace('"', "'")
    return [f"{indent}{line}".rstrip() for line in textwrap.wrap(text, width - len(indent))]


def column_arg(owners: list[str]) -> str:
    """A channel count named after the children that make it, never like them:
    ``branch7x7_1, branch7x7dbl_1 -> ch7x7``, ``branch_pool -> ch_pool``, ``b2_reduce -> ch_b2_reduce``."""
    owners = list(dict.fromkeys(owners))
    stem = os.path.commonprefix(owners)
    if len(owners) > 1 and all(len(o) > len(stem) and o[len(stem)].isdigit() for o in owners):
        stem = stem.rstrip("0123456789")
    stem = stem.rstrip(" _-.") or owners[0]
    if stem.lower().startswith("branch") and len(stem) > len("branch"):
        return "ch" + stem[len("branch") :]
    return f"ch_{stem}"


def shared_name(names: list[str]) -> str:
    """``[block35_1, block35_2, ...] -> block35``; a single name stays as it is."""
    if len(set(names)) == 1:
        return names[0]
    prefix = os.path.commonprefix(names)
    if all(len(n) > len(prefix) and n[len(prefix)].isdigit() for n in names):
        prefix = prefix.rstrip("0123456789")  # block35_1 ... block35_10 split a number: drop its start
    prefix = prefix.rstrip(" _-.:/")
    return prefix or names[0]


def camel_class(text: str, fallback: str) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", sanitize(text, fallback)) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or fallback
    return name if not name[0].isdigit() else f"{fallback}{name}"


def who(idents: list[str], many: int = 3, noun: str = "blocks") -> str:
    """``a, b, c`` or ``a ... z (12 blocks)``."""
    if len(idents) <= many:
        return ", ".join(idents)
    return f"{idents[0]} ... {idents[-1]} ({len(idents)} {noun})"


def instance_call(cls: str, args: list[str], values: list[int]) -> Call:
    """``Cls(192, b1_1x1=64, ...)``: the channel counts of a shared class, the input width by position."""
    return Call(
        cls,
        tuple(
            Arg(a, v, positional=(k == 0 and a in ("in_channels", "in_features")), channels=True)
            for k, (a, v) in enumerate(zip(args, values, strict=True))
        ),
    )


def call_expr(call: Call, defaults: Defaults) -> tuple[str, list[str]]:
    """``(cls, [argument texts])`` of :func:`format_call`'s text, for :func:`wrap`."""
    parts = []
    for a in call.args:
        text = format_call(Call(call.cls, (a,), call.helper), defaults)
        inner = text[len(call.cls) + 1 : -1]
        if inner:
            parts.append(inner)
    return call.cls, parts


def init_lines(members: list[tuple[str, Call, str]], defaults: Defaults, indent: str) -> list[str]:
    """``self.name = Cls(...)  # shape`` for each (name, call, comment): on one line, else the
    arguments on a line of their own, else one a line, as ruff format writes it."""
    return [
        line
        for ident, call, tail in members
        for line in wrap(indent, f"self.{ident} = ", call_expr(call, defaults), tail)
    ]


def method_signature(name: str, params: list[str], ret: str) -> list[str]:
    """``def name(self, a: int, ...) -> ret:``, one parameter a line when long, as ruff format writes it."""
    return signature(INDENT, name, params, ret)


def docstring(doc: list[str]) -> list[str]:
    if len(doc) == 1:
        return [f'{INDENT}"""{doc[0].strip()}"""']
    return [f'{INDENT}"""{doc[0].strip()}', *doc[1:], f'{INDENT}"""']


def class_text(
    name: str, doc: str | list[str], args: list[str], init: list[str], params: str, ret: str, fwd: list[str]
) -> str:
    """A class; ``args`` are channel counts (``int``) or already typed (``dropout: float = 0.4``)."""
    typed = [a if ":" in a else f"{a}: int" for a in args]
    return "\n".join(
        [
            f"class {name}(nn.Module):",
            *docstring([doc] if isinstance(doc, str) else doc),
            "",
            *method_signature("__init__", typed, "None"),
            f"{INDENT * 2}super().__init__()",
            *init,
            "",
            f"{INDENT}def forward(self, {params}) -> {ret}:",
            *fwd,
        ]
    )


def kernel_text(call: Call, default: str = "") -> str:
    args = {a.name: a.value for a in call.args}
    k = args.get("kernel_size", args.get("output_size", default))
    if isinstance(k, tuple):
        text = "x".join(str(v) for v in k)
    elif isinstance(k, int):
        text = f"{k}x{k}"
    else:
        text = ""
    stride = args.get("stride")
    if isinstance(stride, int) and stride != 1:
        text += f"/{stride}"
    elif isinstance(stride, tuple) and set(stride) != {1}:
        text += "/" + "x".join(map(str, stride))
    return text


_UNIT_WORDS = {
    "nn.MaxPool2d": "max pool",
    "nn.AvgPool2d": "average pool",
    "nn.AdaptiveAvgPool2d": "global average pool",
    "nn.Flatten": "flatten",
    "nn.Linear": "linear",
    "nn.Dropout": "dropout",
    "nn.ReLU": "ReLU",
    "nn.LocalResponseNorm": "local response norm",
}


def unit_text(call: Call) -> str:
    """``3x3 conv``, ``3x3/2 max pool``, ``linear``: one child, as a person would name it."""
    if call.cls == "BasicConv2d" or call.cls == "nn.Conv2d":
        return f"{kernel_text(call)} conv".strip()
    if call.cls in ("nn.MaxPool2d", "nn.AvgPool2d"):
        return f"{kernel_text(call)} {_UNIT_WORDS[call.cls]}".strip()
    if call.cls in _UNIT_WORDS:
        return _UNIT_WORDS[call.cls]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", call.cls.removeprefix("nn.")).lower()


def aux_field(count: int) -> list[str]:
    """The ``NamedTuple``'s ``aux_logits`` field: one ``Tensor | None`` per head (TorchScript takes
    no ``tuple[Tensor, ...]``); long, as ruff format writes it."""
    items = ["Tensor | None"] * count
    line = f"{INDENT}aux_logits: tuple[{', '.join(items)}]"
    if len(line) <= 120:
        return [line]
    inner = f"{INDENT * 2}{', '.join(items)}"
    if len(inner) <= 120:
        return [f"{INDENT}aux_logits: tuple[", inner, f"{INDENT}]"]
    return [f"{INDENT}aux_logits: tuple[", *(f"{INDENT * 2}{t}," for t in items), f"{INDENT}]"]
