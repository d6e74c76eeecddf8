"""Classes shared by modules built alike, whose constructor takes the channel counts that differ.

Used for blocks (torchvision's ``Inception(in_channels, ch1x1, ...)``) and for composite
nodes (``InceptionAux(in_channels, num_classes)``). Two modules are "built alike" when their
*skeletons* agree: their children's :class:`~designer.graph.layers.Call` records with the
values of the channel-count arguments (``Arg.channels``: in/out channels, features,
``num_features``, ``groups``) taken out, plus their ``forward`` code without shape comments.
A kernel size, a stride, a window size (``LocalResponseNorm(5)``) or a dropout rate is
structure: modules that differ in one get classes of their own.

Within such a family, a channel count that is the same in every module stays a literal; one
that varies becomes a constructor argument: named ``in_channels`` when it is the module's
input width in every module, reusing an earlier argument when their values agree in every
module, and otherwise after the child that owns it (``b1_1x1``, like torchvision's
``ch1x1``). A caller may fix the argument of a slot (a composite's input and output widths
are always arguments). A caller may also give a slot an expression of the arguments instead
(``ch1x1 + ch3x3``: a width a module's exposed parameters determine, see :mod:`.codegen_modules`).
The module tree, and so the ``state_dict``, is unchanged.

Pure Python: no torch import, no parsing: everything here is data.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from ..graph.layers import Call, Sym

__all__ = ["Family", "Skeleton", "plan_family", "skeleton"]

_CHANNEL = object()  # where a channel count was taken out of a skeleton's key


@dataclass(frozen=True)
class Skeleton:
    """A module with its channel counts taken out: ``key`` compares modules, ``values`` holds them."""

    key: tuple
    #: Per child: its name and its call.
    members: tuple[tuple[str, Call], ...]
    #: The channel counts in the order they occur in ``members``.
    values: tuple[int, ...]
    #: For each value: (index into ``members``, index into that call's ``args``).
    slots: tuple[tuple[int, int], ...]

    def arg_name(self, slot: int) -> str:
        m, i = self.slots[slot]
        return self.members[m][1].args[i].name

    def owner(self, slot: int) -> str:
        return self.members[self.slots[slot][0]][0]


def skeleton(members: Iterable[tuple[str, Call]], forward: Iterable[str] = ()) -> Skeleton:
    """The skeleton of a module from its children's calls and its ``forward`` lines (no shape comments)."""
    members = tuple(members)
    shapes, values, slots = [], [], []
    for m, (ident, call) in enumerate(members):
        abstract = []
        for i, a in enumerate(call.args):
            if a.channels and type(a.value) is int:
                values.append(a.value)
                slots.append((m, i))
                abstract.append((a.name, a.positional, _CHANNEL, a.default))
            else:
                abstract.append((a.name, a.positional, a.value, a.default))
        shapes.append((ident, call.cls, call.helper.name if call.helper is not None else "", tuple(abstract)))
    key = (tuple(shapes), tuple(forward))
    return Skeleton(key, members, tuple(values), tuple(slots))


@dataclass
class Family:
    """How one shared class names its varying channel counts."""

    #: Constructor arguments in order, e.g. ``["in_channels", "b1_1x1", ...]``.
    args: list[str] = field(default_factory=list)
    #: For each channel slot: the argument that supplies it, or None for a literal.
    slot_args: list[str | None] = field(default_factory=list)
    #: For each module of the family: the argument values, in ``args`` order.
    calls: list[list[int]] = field(default_factory=list)
    #: Slot -> an expression of the arguments written in its place (``ch1x1 + ch3x3``).
    exprs: dict[int, str] = field(default_factory=dict)

    @property
    def parameterised(self) -> bool:
        return bool(self.args)

    def member_calls(self, sk: Skeleton) -> list[tuple[str, Call]]:
        """The children's calls with each varying channel count replaced by its argument's name."""
        subs: dict[int, dict[int, Sym]] = {}
        for s, ((m, i), name) in enumerate(zip(sk.slots, self.slot_args, strict=True)):
            if name is not None or s in self.exprs:
                subs.setdefault(m, {})[i] = Sym(name if name is not None else self.exprs[s])
        return [(ident, call.with_values(subs.get(m, {}))) for m, (ident, call) in enumerate(sk.members)]


def plan_family(
    skeletons: list[Skeleton],
    in_channels: list[int] | None = None,
    *,
    fixed: dict[int, str] | None = None,
    derived: dict[int, str] | None = None,
    name: Callable[[Skeleton, int], str] | None = None,
    name_column: Callable[[list[str]], str] | None = None,
    avoid: Iterable[str] = (),
) -> Family:
    """Decide the constructor arguments of a family of modules with equal skeleton keys.

    Parameters
    ----------
    skeletons
        The modules' skeletons, one per module.
    in_channels
        The modules' input widths (None when a module has several inputs): a varying slot
        with these values is called ``in_channels``.
    fixed
        Slot -> argument name: slots that are arguments even when the same in every module.
    derived
        Slot -> an expression of arguments written in its place (the caller makes sure the
        arguments it names exist and that it gives the slot's value in every module).
    name
        The name of a new argument for a slot (default: the child that owns it).
    name_column
        Instead of ``name``: the name of a new argument from the children that make the value
        (those whose slot is an ``out_*`` argument; all owners if none is).
    avoid
        Names an argument must not take (module-level names the constructor uses).
    """
    fixed = dict(fixed or {})
    derived = dict(derived or {})
    namer = name or Skeleton.owner
    fam = Family(exprs={s: e for s, e in derived.items() if s not in fixed})
    first = skeletons[0]
    columns = [tuple(sk.values[s] for sk in skeletons) for s in range(len(first.values))]
    known: dict[tuple[int, ...], str] = {}
    for s, arg in fixed.items():
        if len(set(columns[s])) > 1:
            known.setdefault(columns[s], arg)
    if in_channels is not None and len(set(in_channels)) > 1:
        known.setdefault(tuple(in_channels), "in_channels")
    taken = {"in_channels", *fixed.values(), *avoid}
    column_of: dict[str, tuple[int, ...]] = {}
    for s, column in enumerate(columns):
        if s in fam.exprs:
            fam.slot_args.append(None)  # written as an expression of other arguments
            continue
        if s in fixed:
            arg = fixed[s]
        elif len(set(column)) == 1:
            fam.slot_args.append(None)  # the same in every module: a literal
            continue
        else:
            arg = known.get(column)  # type: ignore[assignment]
            if arg is None:
                if name_column is not None:
                    same = [t for t in range(len(columns)) if columns[t] == column]
                    makers = [first.owner(t) for t in same if first.arg_name(t).startswith("out")]
                    base = name_column(makers or [first.owner(t) for t in same])
                else:
                    base = namer(first, s)
                arg, i = base, 1
                while arg in taken:
                    arg, i = f"{base}_{i}", i + 1
                known[column] = arg
                taken.add(arg)
        if arg not in column_of:
            column_of[arg] = column
            fam.args.append(arg)
        fam.slot_args.append(arg)
    for lead in ("in_features", "in_channels"):  # first, as torchvision's signatures have it
        if lead in fam.args:
            fam.args.remove(lead)
            fam.args.insert(0, lead)
    fam.calls = [[column_of[a][b] for a in fam.args] for b in range(len(skeletons))]
    return fam
