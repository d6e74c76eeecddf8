"""Classes of blocks (document groups and module instances): one class per family of blocks
built alike, whose constructor takes the channel counts that differ (torchvision's
``Inception(in_channels, ch1x1, ...)``); a module's exposed parameters name the arguments they
determine (:mod:`.codegen_modules`)."""

from __future__ import annotations

import os
from collections import Counter

from ..graph import registry
from ..graph.layers import Call, literal
from .codegen_blocks import Family, Skeleton, plan_family, skeleton
from .codegen_body import Scope, Stmt, forward_lines
from .codegen_modules import ModuleArgs, module_args, variant_names
from .codegen_text import (
    INDENT,
    Defaults,
    camel_class,
    class_text,
    column_arg,
    init_lines,
    instance_call,
    para,
    safe_text,
    shape_text,
    shared_name,
    unit_text,
    who,
)
from .names import Namespace
from .plan import Plan, PlanNode

__all__ = ["block_classes", "merge_expr", "node_stmt"]


def merge_expr(pn: PlanNode, args: list[str]) -> str:
    return registry.get(pn.type_id).merge_code(pn.params, args)


def node_stmt(pn: PlanNode, in_block: bool = False) -> Stmt:
    if pn.units:

        def expr(args: list[str], ident: str = pn.ident) -> str:
            return f"self.{ident}({', '.join(args)})"

    else:

        def expr(args: list[str], pn: PlanNode = pn) -> str:
            return merge_expr(pn, args)

    return Stmt(
        (pn.index,),
        pn.inputs,
        expr,
        (pn.out_shape,),
        pn.aux_only and not in_block,
        (pn.ident,),
        pn.ident if pn.units else "",
    )


def _block_forward(plan: Plan, block_index: int, comments: bool = True) -> tuple[list[str], str, str]:
    """A block's ``forward`` lines, return type and parameter list."""
    nodes = plan.nodes
    block = plan.blocks[block_index]
    members = [nodes[i] for i in block.nodes]
    scope = Scope(
        args={s: ("x" if len(block.inputs) == 1 else f"x{k}") for k, s in enumerate(block.inputs)},
        arg_shapes=[nodes[s].out_shape for s in block.inputs],
        returns=list(block.outputs),
        taken=set(),
    )
    fwd, ret_type = forward_lines([node_stmt(pn, True) for pn in members], scope, INDENT * 2, comments)
    return fwd, ret_type, ", ".join(f"{a}: Tensor" for a in scope.args.values())


def _node_text(pn: PlanNode, call: Call | None) -> str:
    if not pn.units:
        return {"concat": "concat", "add": "add"}.get(pn.type_id, registry.get(pn.type_id).display_name.lower())
    if pn.module_class or call is None:
        return registry.get(pn.type_id).display_name.lower()
    return unit_text(call)


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _block_doc(
    plan: Plan, block_index: int, node_calls: dict[int, Call], users: list[str], args: set[str] | None = None
) -> list[str]:
    """What a block is: its branches from the input (``1x1 conv -> 3x3 conv``) and how they merge;
    for module instances, the module, its description and the exposed values the class fixes."""
    nodes = plan.nodes
    block = plan.blocks[block_index]
    inside = set(block.nodes)
    branches: list[list[str]] = []
    starts: list[PlanNode] = []
    where: dict[int, int] = {}
    for i in block.nodes:
        pn = nodes[i]
        text = _node_text(pn, node_calls.get(i))
        own = {where[s] for s in pn.inputs if s in inside}
        if len(own) == 1:  # continues one branch (a shortcut from the input is added to it)
            b = own.pop()
            branches[b].append(f"{text} with the input" if any(s not in inside for s in pn.inputs) else text)
        else:  # starts a branch from the input, or merges several branches
            b = len(branches)
            branches.append([text])
            starts.append(pn)
        where[i] = b
    last = where[block.nodes[-1]]
    if len(branches) > 2 and last == len(branches) - 1 and not starts[last].units and len(starts[last].inputs) > 1:
        how = {"concat": "concatenated on channels", "add": "added"}.get(starts[last].type_id, "merged")
        tail = branches[last][1:]
        count = _NUMBERS[last] if last < len(_NUMBERS) else str(last)
        summary = f"{count} branches {how}" + (f", then {' -> '.join(tail)}" if tail else "")
        parts = "; ".join(" -> ".join(b) for b in branches[:last])
    else:
        summary = "; ".join(" -> ".join(b) for b in branches)
        parts = ""
    lines = [f"{summary[:1].upper()}{summary[1:]}.", ""]
    if parts:
        lines += [*para(f"Branches: {parts}.", INDENT), ""]
    use = block.module
    if use is None:
        return [*lines, *para(f"Used as {who(users)}.", INDENT)]
    if use.description:
        lines += [*para(use.description, INDENT), ""]
    fixed = ", ".join(
        f"{e}={literal(tuple(v) if isinstance(v, list) else v)}" for e, v in use.values.items() if e not in (args or ())
    )
    what = f"Module {use.definition}" + (f" with {fixed}" if fixed else "")
    return [*lines, *para(safe_text(f"{what}, used as {who(users)}.", 400), INDENT)]


def _family_stem(plan: Plan, users: list[tuple[int, Skeleton]]) -> str:
    """What a family of blocks' class is called: its module definition's name, or the blocks' shared name."""
    first = plan.blocks[users[0][0]]
    return first.class_name or shared_name([plan.blocks[u[0]].name for u in users])


def block_classes(
    plan: Plan,
    classes: Namespace,
    defaults: Defaults,
    node_calls: dict[int, Call],
    block_calls: dict[int, Call],
    avoid: set[str],
) -> list[tuple[str, str]]:
    """(name, source) of the block classes; fills ``block_calls`` (how the model constructs each block)."""
    nodes = plan.nodes
    families: dict[tuple, list[tuple[int, Skeleton]]] = {}
    bares: dict[int, list[str]] = {}
    for block in plan.blocks:
        members = [nodes[i] for i in block.nodes]
        bare, ret_type, params = _block_forward(plan, block.index, comments=False)
        bares[block.index] = bare
        sk = skeleton([(pn.ident, node_calls[pn.index]) for pn in members if pn.index in node_calls], bare)
        families.setdefault((sk.key, params, ret_type, block.class_name), []).append((block.index, sk))
    planned = {key: _plan_family(plan, users, node_calls, avoid) for key, users in families.items()}
    out: list[tuple[str, str]] = []
    stems = Counter(_family_stem(plan, users) for users in families.values())
    variants = _variant_names(plan, families, planned)
    for key, users in families.items():
        _key, params, ret_type, class_name = key
        fam, mod = planned[key]
        blocks = [plan.blocks[index] for index, _ in users]
        sks = [sk for _, sk in users]
        names = [b.name for b in blocks]
        stem = _family_stem(plan, users)
        if len(blocks) > 1 and stems[stem] > 1 and not class_name:  # another family has the same stem: say which blocks
            cut = len(os.path.commonprefix(names))
            stem += f"{names[0][cut:]}{'And' if len(names) == 2 else 'To'}{names[-1][cut:]}"
        name = variants.get(key) or camel_class(stem, "Block")
        name = classes.add(name if name not in classes else f"{name}Block", "Block")
        first = blocks[0]
        members = [nodes[i] for i in first.nodes]
        single = len(blocks) == 1
        if fam.parameterised or fam.exprs:
            calls = fam.member_calls(sks[0])
            for b, values in zip(blocks, fam.calls, strict=True):
                block_calls[b.index] = instance_call(name, fam.args, values)
        else:
            calls = [(pn.ident, node_calls[pn.index]) for pn in members if pn.index in node_calls]
            for b in blocks:
                block_calls[b.index] = Call(name)
        shapes = {pn.ident: shape_text(pn.out_shape) for pn in members}
        init = init_lines(
            [(ident, call, f"  # {shapes[ident]}" if single else "") for ident, call in calls], defaults, INDENT * 2
        )
        fwd = _block_forward(plan, first.index)[0] if single else bares[first.index]
        passed = mod.passed(fam) if mod is not None else set()
        doc = _block_doc(plan, first.index, node_calls, [b.ident for b in blocks], passed)
        out.append((name, class_text(name, doc, fam.args, init, params, ret_type, fwd)))
    return out


def _plan_family(
    plan: Plan, users: list[tuple[int, Skeleton]], node_calls: dict[int, Call], avoid: set[str]
) -> tuple[Family, ModuleArgs | None]:
    """The constructor arguments of a family of blocks built alike (a module's: its exposed parameters)."""
    blocks = [plan.blocks[index] for index, _ in users]
    sks = [sk for _, sk in users]
    nodes = plan.nodes
    widths = [nodes[b.inputs[0]].out_shape[0] for b in blocks] if all(len(b.inputs) == 1 for b in blocks) else None
    mod = module_args(plan, blocks, sks, node_calls, widths, avoid) if blocks[0].class_name else None
    named = {} if mod is None else {**mod.fixed, **dict.fromkeys(mod.derived, "")}
    fixed: dict[int, str] = {}
    if widths is not None:  # the input width is always an argument (``in_channels``), as torchvision's
        for slot in range(len(sks[0].values)):
            if slot not in named and tuple(sk.values[slot] for sk in sks) == tuple(widths):
                fixed[slot] = "in_channels"
    if mod is not None:
        fixed.update(mod.fixed)
    fam = plan_family(
        sks,
        widths,
        fixed=fixed,
        derived=mod.derived if mod is not None else None,
        name_column=column_arg,
        avoid=avoid | set(mod.exposed if mod is not None else ()),
    )
    if mod is not None:
        mod.finish(fam)
    return fam, mod


def _variant_names(
    plan: Plan,
    families: dict[tuple, list[tuple[int, Skeleton]]],
    planned: dict[tuple, tuple[Family, ModuleArgs | None]],
) -> dict[tuple, str]:
    """Family key -> class name, for the families of module instances (see :func:`variant_names`);
    an exposed parameter the class takes as an argument never names it."""
    by_def: dict[str, list[tuple]] = {}
    for key, users in families.items():
        use = plan.blocks[users[0][0]].module
        if key[3] and use is not None:
            by_def.setdefault(use.module_id, []).append(key)
    out: dict[tuple, str] = {}
    for keys in by_def.values():
        uses = [[plan.blocks[i].module for i, _ in families[k]] for k in keys]
        passed = set().union(*(m.passed(f) for f, m in (planned[k] for k in keys) if m is not None))
        names = variant_names(keys[0][3], uses, passed)  # type: ignore[arg-type]
        out.update(zip(keys, names, strict=True))
    return out
