"""A module's class takes its exposed parameters as constructor arguments, named as they are exposed.

GoogLeNet's ``Inception`` definition exposes ``ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5,
pool_proj``; its generated class is torchvision's ``Inception(in_channels, ch1x1, ...)``, and
each instance is ``Inception(192, ch1x1=64, ch3x3red=96, ...)``. The arguments an exposed
parameter determines are found from the data, never from source text:

* each node's output width is written in terms of the arguments where it can be (a linear
  expression): ``in_channels`` for the block's input, an exposed parameter for the node it
  sets (``out_channels``), the sum of a concat's inputs, a node's input when it keeps the
  width (a pool, a BatchNorm, an add);
* each channel count of each child's call then gets the width it is made from: an
  ``in_channels`` (``in_features``, ``num_features``) its node's input width, an
  ``out_channels`` its node's output width, any other count the exposed parameter that sets
  it, when their values agree in every instance; a nested instance's call (``Res(in_channels,
  width=...)``) its input width, and the outer exposed parameter that sets what its own
  exposed parameter sets (``self.r1 = Res(in_channels, width=inner)``);
* every such expression is checked against every instance's actual value (a wrong guess
  falls back to the generic naming of :mod:`.codegen_blocks`), so the file always builds the
  compiled model; a width that is a sum becomes an expression (``ch1x1 + ch3x3 + ...``).

An exposed parameter that is not a channel count (a kernel size) is structure: instances
that differ in it get classes of their own (:func:`variant_names`). Pure Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, field
from typing import Any

from ..graph.expand import ModuleUse
from .codegen_blocks import Family, Skeleton
from .codegen_text import camel_class
from .names import Namespace
from .plan import Plan, PlanBlock

__all__ = ["Lin", "ModuleArgs", "module_args", "variant_names"]

IN_ARGS = ("in_channels", "in_features", "num_features")
OUT_ARGS = ("out_channels", "out_features", "num_classes")


@dataclass(frozen=True)
class Lin:
    """``const + sum(coeff * name)``: a channel count in terms of constructor arguments."""

    terms: tuple[tuple[str, int], ...] = ()
    const: int = 0

    @staticmethod
    def var(name: str) -> Lin:
        return Lin(((name, 1),))

    def __add__(self, other: Lin) -> Lin:
        coeffs = dict(self.terms)
        for name, c in other.terms:
            coeffs[name] = coeffs.get(name, 0) + c
        return Lin(tuple((n, c) for n, c in coeffs.items() if c), self.const + other.const)

    def value(self, values: Mapping[str, int]) -> int | None:
        if any(n not in values for n, _ in self.terms):
            return None
        return self.const + sum(c * values[n] for n, c in self.terms)

    @property
    def name(self) -> str | None:
        """The argument when the expression is just one argument, else None."""
        return self.terms[0][0] if len(self.terms) == 1 and self.terms[0][1] == 1 and not self.const else None

    def text(self) -> str:
        parts = [n if c == 1 else f"{c} * {n}" for n, c in self.terms]
        if self.const:
            parts.append(str(self.const))
        return " + ".join(parts) or "0"


@dataclass
class ModuleArgs:
    """How a family of one definition's instances names its channel counts."""

    #: Slot -> argument (an exposed parameter's identifier, or ``in_channels``).
    fixed: dict[int, str] = field(default_factory=dict)
    #: Slot -> expression of arguments (``ch1x1 + ch3x3``).
    derived: dict[int, str] = field(default_factory=dict)
    #: The exposed parameters' identifiers, in the definition's order.
    exposed: list[str] = field(default_factory=list)
    #: Per instance: each argument's value (exposed ones and ``in_channels``).
    values: list[dict[str, int]] = field(default_factory=list)
    #: Exposed parameter -> its identifier (the name itself unless that is not a legal one).
    ident: dict[str, str] = field(default_factory=dict)

    def passed(self, fam: Family) -> set[str]:
        """The exposed parameters that are constructor arguments of the family's class."""
        return {e for e, i in self.ident.items() if i in fam.args}

    def finish(self, fam: Family) -> None:
        """Add the arguments only an expression uses; order them as torchvision does:
        ``in_channels``, then the exposed ones in the definition's order, then the others."""
        old = list(fam.args)
        args = list(old)
        for text in fam.exprs.values():
            for word in text.replace("*", " ").replace("+", " ").split():
                if not word.isdigit() and word not in args:
                    args.append(word)
        lead = [a for a in ("in_channels", "in_features") if a in args]
        ordered = [*lead, *(a for a in self.exposed if a in args and a not in lead)]
        ordered += [a for a in args if a not in ordered]
        calls = []
        for k, vals in enumerate(self.values):
            row = dict(zip(old, fam.calls[k], strict=True))
            calls.append([row[a] if a in row else vals[a] for a in ordered])
        fam.args, fam.calls = ordered, calls


def _alias_of(name: str, uses: Sequence[ModuleUse]) -> str | None:
    """``channels_7x7`` for ``channels_7x7_2`` when every instance gives both the same value:
    one argument in the code (the :class:`~designer.graph.builder.Builder` exposes a value that
    sets several inner parameters under numbered names)."""
    m = re.fullmatch(r"(.+)_\d+", name)
    if m is None or m.group(1) not in uses[0].values:
        return None
    base = m.group(1)
    return base if all(u.values.get(name) == u.values.get(base) for u in uses) else None


def _int(value: Any) -> bool:
    return type(value) is int


def module_args(
    plan: Plan,
    blocks: Sequence[PlanBlock],
    sks: Sequence[Skeleton],
    entries: Sequence[tuple[str, int]],
    widths: Sequence[int] | None,
    avoid: set[str],
    nested: Mapping[int, ModuleArgs | None] | None = None,
) -> ModuleArgs | None:
    """The exposed parameters' arguments for a family of instances of one definition, or None
    when the blocks are not module instances.

    ``entries`` are the first block's children the skeletons' members are (``("node", plan
    index)`` or ``("block", block index)``, a nested instance); ``nested`` holds each nested
    block's own :class:`ModuleArgs` (how its class names its arguments), so that an argument of a
    nested instance's call set through an exposed parameter of the outer module is passed that
    parameter (``self.r1 = Res(in_channels, width=inner)``)."""
    uses = [b.module for b in blocks]
    if any(u is None for u in uses):
        return None
    first_use: ModuleUse = uses[0]  # type: ignore[assignment]
    names = Namespace({*avoid, "in_channels", "in_features"})
    ident: dict[str, str] = {}
    for e in first_use.values:
        base = _alias_of(e, uses)  # type: ignore[arg-type]
        ident[e] = ident[base] if base is not None and base in ident else names.add(e, "arg")
    out = ModuleArgs(exposed=list(dict.fromkeys(ident.values())), ident=ident)
    for k, u in enumerate(uses):
        vals = {ident[e]: v for e, v in u.values.items() if e in ident and _int(v)}  # type: ignore[union-attr]
        if widths is not None:
            vals["in_channels"] = widths[k]
        out.values.append(vals)

    nodes = plan.nodes
    per_block = [[nodes[i] for i in b.nodes] for b in blocks]  # nested blocks' nodes included
    first = per_block[0]
    # Which exposed parameters set which parameter of which node (the first instance's ids).
    sets: dict[str, list[tuple[str, str]]] = {}
    for e, targets in first_use.exposed.items():
        if e in ident and _int(first_use.values.get(e)):
            for fid, param in targets:
                sets.setdefault(fid, []).append((ident[e], param))

    def holds(lin: Lin | None, actual: Sequence[int]) -> bool:
        return lin is not None and all(lin.value(v) == a for v, a in zip(out.values, actual, strict=True))

    # The output width of each node of the first instance, in terms of the arguments.
    width: dict[int, Lin | None] = {}
    outside = Lin.var("in_channels") if widths is not None else None
    for j, pn in enumerate(first):
        actual = [b[j].out_shape[0] for b in per_block]
        ins = [width.get(s, outside) for s in pn.inputs]
        guesses: list[Lin | None] = [Lin.var(name) for name, param in sets.get(pn.node_id, ()) if param in OUT_ARGS]
        if pn.type_id == "concat" and ins and all(i is not None for i in ins):
            total = Lin()
            for i in ins:
                total = total + i  # type: ignore[operator]
            guesses.append(total)
        if ins and not any(p in pn.params for p in OUT_ARGS):  # a node without a width of its own keeps its input's
            guesses.append(ins[0])
        width[pn.index] = next((g for g in guesses if holds(g, actual)), None)

    # Each channel slot of the family's skeleton.
    sk0 = sks[0]
    for s, (m, i) in enumerate(sk0.slots):
        kind, ref = entries[m]
        arg = sk0.members[m][1].args[i].name
        column = [sk.values[s] for sk in sks]
        if kind == "block":
            guesses = _nested_guesses(plan.blocks[ref], arg, width, outside, first_use, ident, (nested or {}).get(ref))
        else:
            pn = nodes[ref]
            guesses = []
            if arg in IN_ARGS and pn.inputs:
                src = pn.inputs[0]
                guesses.append(width.get(src) if src in width else outside)
            if arg in OUT_ARGS:
                guesses.append(width.get(pn.index))
            stem = arg.removeprefix("out_").removesuffix("_channels")
            own = sorted(sets.get(pn.node_id, ()), key=lambda t: t[1].removesuffix("_channels") not in stem)
            guesses += [Lin.var(name) for name, _param in own]
        lin = next((g for g in guesses if holds(g, column)), None)
        if lin is None or not lin.terms:
            continue
        if lin.name is not None:
            out.fixed[s] = lin.name
        else:
            out.derived[s] = lin.text()
    return out


def _nested_guesses(
    sub: PlanBlock,
    arg: str,
    width: Mapping[int, Lin | None],
    outside: Lin | None,
    use: ModuleUse,
    ident: Mapping[str, str],
    sub_args: ModuleArgs | None,
) -> list[Lin | None]:
    """What an argument of a nested instance's call may be, in the outer module's arguments: its
    input width (``in_channels``), its output width, or each outer exposed parameter that sets
    what the argument's own exposed parameter sets (the outer ``inner`` exposing ``r1.width``)."""
    guesses: list[Lin | None] = []
    if arg in IN_ARGS and sub.inputs:
        src = sub.inputs[0]
        guesses.append(width.get(src) if src in width else outside)
    if arg in OUT_ARGS and len(sub.outputs) == 1:
        guesses.append(width.get(sub.outputs[0]))
    if sub_args is not None and sub.module is not None:
        targets = {t for e, i in sub_args.ident.items() if i == arg for t in sub.module.exposed.get(e, ())}
        guesses += [
            Lin.var(ident[e])
            for e, outer in use.exposed.items()
            if e in ident and _int(use.values.get(e)) and targets & set(outer)
        ]
    return guesses


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return "" if value else "No"
    if isinstance(value, (list, tuple)):
        return "x".join(_value_text(v) for v in value)
    if isinstance(value, float):
        return repr(value).replace(".", "p").replace("-", "m")
    return str(value)


def variant_names(
    definition: str, families: Sequence[Sequence[ModuleUse]], passed: Set[str] = frozenset()
) -> list[str]:
    """Class names for the families of one definition's instances that are built differently.

    One family keeps the definition's name. Several are named after the exposed values that
    tell them apart (``WideKernel3``, ``WideKernel5``); when none does (the instances differ
    because their inputs do), the family used most keeps the name and the others are
    ``<Name>Variant2`` ... An exposed parameter in ``passed`` (a constructor argument) never
    names a class.
    """
    stem = camel_class(definition, "Block")
    if len(families) == 1:
        return [stem]
    constant: list[dict[str, Any]] = []
    for uses in families:
        values: dict[str, Any] = {}
        for e in uses[0].values:
            seen = {repr(u.values.get(e)) for u in uses}
            if len(seen) == 1:
                values[e] = uses[0].values[e]
        constant.append(values)
    telling = [
        e
        for e in constant[0]
        if e not in passed and all(e in c for c in constant) and len({repr(c[e]) for c in constant}) > 1
    ]
    if telling:
        names = [camel_class(stem + "".join(f"_{e}_{_value_text(c[e])}" for e in telling), "Block") for c in constant]
        if len(set(names)) == len(names):
            return names
    order = sorted(range(len(families)), key=lambda k: -len(families[k]))
    names = [""] * len(families)
    for rank, k in enumerate(order):
        names[k] = stem if rank == 0 else f"{stem}Variant{rank + 1}"
    return names
