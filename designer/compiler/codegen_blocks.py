"""Block classes that take their channel counts as arguments, as torchvision's ``Inception`` does.

Blocks built alike (the same members, layers, kernel sizes, strides and wiring) that
differ only in channel counts share one class. Two blocks are "built alike" when their
*skeletons* agree: the constructor expressions of their members with every positional
integer argument (and ``groups=``) abstracted, plus their ``forward`` code without shape
comments. Within such a family, an integer that is the same in every block stays a
literal; one that varies becomes a constructor argument, named ``in_channels`` when it is
the block's input width in every block, reusing an earlier argument when their values
agree in every block, and otherwise after the member that owns it (``b1_1x1``, like
torchvision's ``ch1x1``). The module tree, and so the ``state_dict``, is unchanged.

Pure Python: no torch import.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field

__all__ = ["Skeleton", "skeleton", "Family", "plan_family", "strip_shape_comments"]

_COMMENT = re.compile(r"\s+# N x [^\n]*$")
_COMMENT_LINE = re.compile(r"^\s*# N x .*$")


def strip_shape_comments(lines: list[str]) -> list[str]:
    """``forward`` lines without the ``# N x C x H x W`` comments (they differ between blocks)."""
    return [_COMMENT.sub("", line) for line in lines if not _COMMENT_LINE.match(line)]


def _int_spans(expr: str) -> list[tuple[int, int, int]]:
    """``(start, end, value)`` of the channel-like integers in a constructor expression.

    Those are positional integer arguments of any call (``nn.Conv2d(192, 64, ...)``,
    ``nn.BatchNorm2d(64)``, ``nn.Linear(2048, 1024)``) and ``groups=``; keyword sizes such
    as ``kernel_size=3`` are structure and are compared as text.
    """
    tree = ast.parse(expr, mode="eval")
    spans: list[tuple[int, int, int]] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        values = list(node.args) + [k.value for k in node.keywords if k.arg == "groups"]
        for arg in values:
            if isinstance(arg, ast.Constant) and type(arg.value) is int:
                spans.append((arg.col_offset, arg.end_col_offset, arg.value))  # type: ignore[arg-type]
    return sorted(spans)


@dataclass(frozen=True)
class Skeleton:
    """A block with its channel integers taken out: ``key`` compares blocks, ``values`` holds them."""

    key: tuple
    #: Per member: its ident and its unit expressions.
    members: tuple[tuple[str, tuple[str, ...]], ...]
    #: The channel integers in the order they occur in ``members``.
    values: tuple[int, ...]


def skeleton(members: list[tuple[str, list[str]]], forward: list[str]) -> Skeleton:
    """The skeleton of a block from its members' unit expressions and its ``forward`` lines."""
    shapes, values = [], []
    for ident, exprs in members:
        abstract = []
        for expr in exprs:
            spans = _int_spans(expr)
            text, last = [], 0
            for start, end, value in spans:
                text.append(expr[last:start] + "#")
                values.append(value)
                last = end
            abstract.append("".join(text) + expr[last:])
        shapes.append((ident, tuple(abstract)))
    key = (tuple(shapes), tuple(strip_shape_comments(forward)))
    return Skeleton(key, tuple((i, tuple(e)) for i, e in members), tuple(values))


@dataclass
class Family:
    """How one shared class names its varying integers."""

    #: Constructor arguments in order, e.g. ``["in_channels", "b1_1x1", ...]``.
    args: list[str] = field(default_factory=list)
    #: For each integer slot: the argument that supplies it, or None for a literal.
    slot_args: list[str | None] = field(default_factory=list)
    #: For each block of the family: the argument values, in ``args`` order.
    calls: list[list[int]] = field(default_factory=list)

    @property
    def parameterised(self) -> bool:
        return bool(self.args)

    def member_exprs(self, sk: Skeleton) -> list[tuple[str, list[str]]]:
        """The members' unit expressions with varying integers replaced by argument names."""
        out, slot = [], 0
        for ident, exprs in sk.members:
            written = []
            for expr in exprs:
                pieces, last = [], 0
                for start, end, _value in _int_spans(expr):
                    name = self.slot_args[slot]
                    pieces.append(expr[last:start] + (name if name is not None else expr[start:end]))
                    last = end
                    slot += 1
                written.append("".join(pieces) + expr[last:])
            out.append((ident, written))
        return out


def plan_family(skeletons: list[Skeleton], in_channels: list[int] | None) -> Family:
    """Decide the constructor arguments of a family of blocks with equal skeleton keys.

    ``in_channels`` are the blocks' input widths (None when a block has several inputs).
    """
    fam = Family()
    columns = list(zip(*(sk.values for sk in skeletons), strict=True)) if skeletons[0].values else []
    known: dict[tuple[int, ...], str] = {}
    if in_channels is not None and len(set(in_channels)) > 1:
        known[tuple(in_channels)] = "in_channels"
    used_names: set[str] = set()
    slot_owner = [ident for ident, exprs in skeletons[0].members for e in exprs for _ in _int_spans(e)]
    for column, owner in zip(columns, slot_owner, strict=True):
        if len(set(column)) == 1:
            fam.slot_args.append(None)  # the same in every block: a literal
            continue
        name = known.get(column)
        if name is None:
            name, i = owner, 1
            while name in used_names or name == "in_channels":
                name, i = f"{owner}_{i}", i + 1
            known[column] = name
        if name not in used_names:
            used_names.add(name)
            fam.args.append(name)
        fam.slot_args.append(name)
    if "in_channels" in fam.args:  # first, as torchvision's signatures have it
        fam.args.remove("in_channels")
        fam.args.insert(0, "in_channels")
    by_name = {name: column for column, name in known.items()}
    fam.calls = [[by_name[a][b] for a in fam.args] for b in range(len(skeletons))]
    return fam
