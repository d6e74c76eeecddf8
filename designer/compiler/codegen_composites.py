"""Classes of composite nodes (an aux head is ``InceptionAux(in_channels, num_classes)``): one
class per kind of composite node, shared by the nodes built alike (see :mod:`.codegen_blocks`)."""

from __future__ import annotations

from ..graph import registry
from ..graph.layers import Call, Sym, literal
from .codegen_blocks import Skeleton, plan_family, skeleton
from .codegen_body import Scope, Stmt, forward_lines
from .codegen_text import (
    INDENT,
    Defaults,
    camel_class,
    class_text,
    init_lines,
    instance_call,
    para,
    shape_text,
    shared_name,
    unit_text,
)
from .names import Namespace
from .plan import Plan, PlanNode

__all__ = ["composite_classes"]


def _composite_forward(pn: PlanNode, comments: bool) -> tuple[list[str], str]:
    """``x = self.pool(x)`` ... ``return self.fc2(x)``: the children in order."""
    stmts = [
        Stmt((k + 1,), (k,), lambda args, n=u.name: f"self.{n}({args[0]})", (u.out_shape,), False, (u.name,))
        for k, u in enumerate(pn.units)
    ]
    scope = Scope(args={0: "x"}, arg_shapes=[pn.in_shapes[0]], returns=[len(pn.units)])
    return forward_lines(stmts, scope, INDENT * 2, comments)


def _slot_name(sk: Skeleton, slot: int) -> str:
    """A composite's varying channel count is named after its child: ``reduce_channels``, ``fc1_features``."""
    arg = sk.arg_name(slot)
    return f"{sk.owner(slot)}_{arg.removeprefix('out_')}"


def _io_slots(nodes: list[PlanNode], sks: list[Skeleton]) -> dict[int, str]:
    """The slots that carry a composite's input width (``in_channels``) and output width
    (``out_channels``, or ``num_classes`` for a classifier) in every node of a family."""
    first, sk0 = nodes[0], sks[0]
    columns = [tuple(sk.values[s] for sk in sks) for s in range(len(sk0.values))]
    ins = tuple(pn.in_shapes[0][0] for pn in nodes)
    outs = tuple(pn.out_shape[0] for pn in nodes)
    fixed: dict[int, str] = {}
    for s in range(len(columns)):
        if sk0.arg_name(s) in ("in_channels", "in_features") and columns[s] == ins:
            fixed[s] = "in_channels" if len(first.in_shapes[0]) == 3 else "in_features"
            break
    for s in reversed(range(len(columns))):
        if sk0.arg_name(s) in ("out_channels", "out_features") and columns[s] == outs and s not in fixed:
            if first.role in ("output", "aux"):
                fixed[s] = "num_classes"
            else:
                fixed[s] = "out_channels" if len(first.out_shape) == 3 else "out_features"
            break
    return fixed


def _composite_names(families: dict[tuple, list[tuple[PlanNode, Skeleton]]]) -> dict[tuple, str]:
    """Class names: the node type's (``InceptionAux``); when a type has several kinds, the kind
    used most keeps it and the others add their nodes' shared name (``Branch3x3``) or a number."""
    by_stem: dict[str, list[tuple]] = {}
    for key in families:
        by_stem.setdefault(key[1], []).append(key)
    names: dict[tuple, str] = {}
    for stem, keys in by_stem.items():
        if len(keys) == 1:
            names[keys[0]] = stem
            continue
        shared = {k: camel_class(shared_name([pn.ident for pn, _ in families[k]]), stem) for k in keys}
        suffixed = {k: (s if s.startswith(stem) else f"{stem}{s}") for k, s in shared.items()}
        if len(set(suffixed.values())) == len(keys):  # every kind has a name of its own
            names.update(suffixed)
            continue
        ordered = sorted(keys, key=lambda k: -len(families[k]))  # the kind used most keeps the stem
        for i, k in enumerate(ordered):
            names[k] = stem if i == 0 else f"{stem}{i + 1}"
    return names


def _dropout_unit(units: list[tuple[str, Call]]) -> int | None:
    """The index of a head's one ``nn.Dropout``, or None."""
    found = [k for k, (_, call) in enumerate(units) if call.cls == "nn.Dropout"]
    return found[0] if len(found) == 1 else None


def composite_classes(
    plan: Plan,
    classes: Namespace,
    defaults: Defaults,
    node_calls: dict[int, Call],
    avoid: set[str],
    dropouts: dict[int, float],
) -> list[tuple[str, str]]:
    """(name, source) of the composite nodes' classes; fills ``node_calls`` with each such node's
    call and ``dropouts`` with the rate of each head whose class takes ``dropout``."""
    families: dict[tuple, list[tuple[PlanNode, Skeleton]]] = {}
    for pn in plan.nodes:
        if pn.module_class:
            sk = skeleton([(u.name, u.call) for u in pn.units])
            families.setdefault((pn.type_id, pn.module_class, sk.key), []).append((pn, sk))
    names = _composite_names(families)
    out = []
    for key, users in families.items():
        nodes = [pn for pn, _ in users]
        sks = [sk for _, sk in users]
        first, sk0 = users[0]
        fixed: dict[int, str] = {}
        head = first.role in ("output", "aux")
        if len(nodes) > 1 or head:  # the input and output widths are arguments, as torchvision's InceptionAux
            fixed = _io_slots(nodes, sks)
        fam = plan_family(sks, fixed=fixed, name=_slot_name, avoid=avoid)
        name = classes.add(names[key], key[1])
        calls = fam.member_calls(sk0)
        drop = _dropout_unit(calls) if head else None
        args = list(fam.args)
        if drop is not None:  # a head's dropout rate is an argument, as torchvision's
            p = float(sk0.members[drop][1].args[0].value)
            ident, call = calls[drop]
            calls[drop] = (ident, call.with_values({0: Sym("dropout")}))
            args.append(f"dropout: float = {literal(p)}")
        for pn, values in zip(nodes, fam.calls, strict=True):
            node_calls[pn.index] = instance_call(name, fam.args, values)
            if drop is not None:
                dropouts[pn.index] = p

        single = len(nodes) == 1
        init = init_lines(
            [
                (ident, call, f"  # {shape_text(u.out_shape)}" if single else "")
                for (ident, call), u in zip(calls, first.units, strict=True)
            ],
            defaults,
            INDENT * 2,
        )
        fwd, ret = _composite_forward(first, comments=single)
        what = registry.get(first.type_id).display_name
        what = {"output": "The classifier", "aux": "An auxiliary classifier"}.get(first.role, what)
        steps = ", ".join(unit_text(call) for _, call in calls)
        doc = f"{what}: {steps}."
        if first.role == "aux":
            doc = f"{what} (training only): {steps}."
        doc_lines = [doc] if len(doc) < 100 else [f"{what}.", "", *para(f"{steps[:1].upper()}{steps[1:]}.", INDENT)]
        out.append((name, class_text(name, doc_lines, args, init, "x: Tensor", ret, fwd)))
    return out
