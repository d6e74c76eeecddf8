"""Classes of blocks (document groups and module instances): one class per family of blocks
built alike, whose constructor takes the channel counts that differ (torchvision's
``Inception(in_channels, ch1x1, ...)``); a module's exposed parameters name the arguments they
determine (:mod:`.codegen_modules`).

A module instance nested in another module's body is a block of its own inside its outer run's
block (:attr:`PlanBlock.parent <designer.compiler.plan.PlanBlock.parent>`): a child of the outer
class built with its own class (``self.r1 = Res(in_channels, width=inner)``). Classes are planned
from the innermost blocks out, so a block's skeleton holds the calls of the blocks nested in it,
and each class comes before the classes that use it."""

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
from .plan import Plan, PlanBlock, PlanNode

__all__ = ["block_classes", "block_stmt", "merge_expr", "node_stmt"]


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


def block_stmt(plan: Plan, index: int, names: tuple[str, ...] | None = None, in_block: bool = False) -> Stmt:
    """The statement that calls block ``index`` (``self.inception3a(x)``); ``names`` are its
    results' variable names when it has several (default: ``<block>_<member>``)."""
    nodes = plan.nodes
    block = plan.blocks[index]
    if names is None:
        names = (
            (block.ident,)
            if len(block.outputs) == 1
            else tuple(f"{block.ident}_{nodes[s].ident}" for s in block.outputs)
        )

    def expr(args: list[str], ident: str = block.ident) -> str:
        return f"self.{ident}({', '.join(args)})"

    return Stmt(
        block.outputs,
        block.inputs,
        expr,
        tuple(nodes[s].out_shape for s in block.outputs),
        block.aux_only and not in_block,
        names,
        block.ident,
    )


def _block_forward(plan: Plan, block_index: int, comments: bool = True) -> tuple[list[str], str, str]:
    """A block's ``forward`` lines, return type and parameter list."""
    nodes = plan.nodes
    block = plan.blocks[block_index]
    stmts = [
        node_stmt(nodes[ref], True) if kind == "node" else block_stmt(plan, ref, in_block=True)
        for kind, ref in block.program
    ]
    scope = Scope(
        args={s: ("x" if len(block.inputs) == 1 else f"x{k}") for k, s in enumerate(block.inputs)},
        arg_shapes=[nodes[s].out_shape for s in block.inputs],
        returns=list(block.outputs),
        taken=set(),
    )
    fwd, ret_type = forward_lines(stmts, scope, INDENT * 2, comments)
    return fwd, ret_type, ", ".join(f"{a}: Tensor" for a in scope.args.values())


def _members(
    plan: Plan, block: PlanBlock, node_calls: dict[int, Call], block_calls: dict[int, Call]
) -> list[tuple[tuple[str, int], str, Call]]:
    """The children a block's class constructs, in order: (entry, attribute, call); an entry is
    ``("node", plan index)`` or ``("block", block index)`` (a nested block)."""
    out = []
    for kind, ref in block.program:
        if kind == "block":
            out.append(((kind, ref), plan.blocks[ref].ident, block_calls[ref]))
        elif ref in node_calls:
            out.append(((kind, ref), plan.nodes[ref].ident, node_calls[ref]))
    return out


def _heights(plan: Plan) -> list[int]:
    """Per block: how deep the blocks nested in it go (0: none)."""
    height = [0] * len(plan.blocks)
    for block in reversed(plan.blocks):  # a nested block comes after the block it is in
        if block.parent is not None:
            height[block.parent] = max(height[block.parent], height[block.index] + 1)
    return height


def _node_text(pn: PlanNode, call: Call | None) -> str:
    if not pn.units:
        return {"concat": "concat", "add": "add"}.get(pn.type_id, registry.get(pn.type_id).display_name.lower())
    if pn.module_class or call is None:
        return registry.get(pn.type_id).display_name.lower()
    return unit_text(call)


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _block_doc(
    plan: Plan,
    block_index: int,
    node_calls: dict[int, Call],
    users: list[str],
    args: set[str] | None = None,
    block_calls: dict[int, Call] | None = None,
) -> list[str]:
    """What a block is: its branches from the input (``1x1 conv -> 3x3 conv``) and how they merge;
    for module instances, the module, its description and the exposed values the class fixes."""
    nodes = plan.nodes
    block = plan.blocks[block_index]
    inside = set(block.nodes)
    branches: list[list[str]] = []
    starts: list[tuple[bool, str, int]] = []  # (a merge, its node type, how many inputs)
    where: dict[int, int] = {}
    last = 0  # the branch of the last entry
    for kind, ref in block.program:
        if kind == "node":
            pn = nodes[ref]
            text = _node_text(pn, node_calls.get(ref))
            ins, outs, start = pn.inputs, (ref,), (not pn.units, pn.type_id, len(pn.inputs))
        else:
            sub = plan.blocks[ref]
            text = (block_calls or {}).get(ref, Call(sub.class_name or sub.ident)).cls
            ins, outs, start = sub.inputs, sub.outputs, (False, "", len(sub.inputs))
        own = {where[s] for s in ins if s in where}
        if len(own) == 1:  # continues one branch (a shortcut from the input is added to it)
            b = own.pop()
            branches[b].append(f"{text} with the input" if any(s not in inside for s in ins) else text)
        else:  # starts a branch from the input, or merges several branches
            b = len(branches)
            branches.append([text])
            starts.append(start)
        for s in outs:
            where[s] = b
        last = b
    merge, type_id, n_inputs = starts[last]
    if len(branches) > 2 and last == len(branches) - 1 and merge and n_inputs > 1:
        how = {"concat": "concatenated on channels", "add": "added"}.get(type_id, "merged")
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
    """(name, source) of the block classes; fills ``block_calls`` (how the model, or the block a
    block is nested in, constructs each block).

    Blocks are grouped into families from the innermost out (by :func:`_heights`): a block's
    skeleton holds its nested blocks' calls, so blocks holding blocks of different classes are
    built differently. Until every family is named, a nested block's call names its family by a
    placeholder (``<family n>``), replaced once names are given (families and names correspond one
    to one, so the placeholder groups blocks as the name would).
    """
    nodes = plan.nodes
    height = _heights(plan)
    families: dict[tuple, list[tuple[int, Skeleton]]] = {}
    planned: dict[tuple, tuple[Family, ModuleArgs | None]] = {}
    bares: dict[int, list[str]] = {}
    mods: dict[int, ModuleArgs | None] = {}
    token: dict[tuple, str] = {}
    for level in sorted(set(height)):
        found: dict[tuple, list[tuple[int, Skeleton]]] = {}
        for block in plan.blocks:
            if height[block.index] != level:
                continue
            bare, ret_type, params = _block_forward(plan, block.index, comments=False)
            bares[block.index] = bare
            sk = skeleton([(ident, call) for _e, ident, call in _members(plan, block, node_calls, block_calls)], bare)
            found.setdefault((sk.key, params, ret_type, block.class_name, level), []).append((block.index, sk))
        for key, users in found.items():
            fam, mod = planned[key] = _plan_family(plan, users, node_calls, block_calls, mods, avoid)
            families[key] = users
            token[key] = f"<family {len(token)}>"
            blocks = [index for index, _ in users]
            for b, values in zip(blocks, fam.calls, strict=True):
                mods[b] = mod
                block_calls[b] = (
                    instance_call(token[key], fam.args, values) if fam.parameterised or fam.exprs else Call(token[key])
                )

    # Names, in the order of the families (the innermost first).
    stems = Counter(_family_stem(plan, users) for users in families.values())
    variants = _variant_names(plan, families, planned)
    name_of: dict[str, str] = {}
    for key, users in families.items():
        class_name = key[3]
        names = [plan.blocks[index].name for index, _ in users]
        stem = _family_stem(plan, users)
        if len(users) > 1 and stems[stem] > 1 and not class_name:  # another family has the same stem: say which blocks
            cut = len(os.path.commonprefix(names))
            stem += f"{names[0][cut:]}{'And' if len(names) == 2 else 'To'}{names[-1][cut:]}"
        name = variants.get(key) or camel_class(stem, "Block")
        name_of[token[key]] = classes.add(name if name not in classes else f"{name}Block", "Block")

    def named(call: Call) -> Call:
        return Call(name_of[call.cls], call.args, call.helper) if call.cls in name_of else call

    for b, call in block_calls.items():
        block_calls[b] = named(call)

    out: list[tuple[str, str]] = []
    for key, users in families.items():
        _key, params, ret_type, _class_name, _level = key
        fam, mod = planned[key]
        name = name_of[token[key]]
        blocks = [plan.blocks[index] for index, _ in users]
        sks = [sk for _, sk in users]
        first = blocks[0]
        single = len(blocks) == 1
        if fam.parameterised or fam.exprs:
            calls = fam.member_calls(sks[0])
        else:
            calls = [(ident, call) for _e, ident, call in _members(plan, first, node_calls, block_calls)]
        calls = [(ident, named(call)) for ident, call in calls]
        shapes = {}
        for (kind, ref), ident, _call in _members(plan, first, node_calls, block_calls):
            outs = plan.blocks[ref].outputs if kind == "block" else (ref,)
            shapes[ident] = ", ".join(shape_text(nodes[s].out_shape) for s in outs)
        init = init_lines(
            [(ident, call, f"  # {shapes[ident]}" if single else "") for ident, call in calls], defaults, INDENT * 2
        )
        fwd = _block_forward(plan, first.index)[0] if single else bares[first.index]
        passed = mod.passed(fam) if mod is not None else set()
        doc = _block_doc(plan, first.index, node_calls, [b.path for b in blocks], passed, block_calls)
        out.append((name, class_text(name, doc, fam.args, init, params, ret_type, fwd)))
    return out


def _plan_family(
    plan: Plan,
    users: list[tuple[int, Skeleton]],
    node_calls: dict[int, Call],
    block_calls: dict[int, Call],
    mods: dict[int, ModuleArgs | None],
    avoid: set[str],
) -> tuple[Family, ModuleArgs | None]:
    """The constructor arguments of a family of blocks built alike (a module's: its exposed parameters)."""
    blocks = [plan.blocks[index] for index, _ in users]
    sks = [sk for _, sk in users]
    nodes = plan.nodes
    widths = [nodes[b.inputs[0]].out_shape[0] for b in blocks] if all(len(b.inputs) == 1 for b in blocks) else None
    mod = None
    if blocks[0].class_name:
        entries = [e for e, _ident, _call in _members(plan, blocks[0], node_calls, block_calls)]
        mod = module_args(plan, blocks, sks, entries, widths, avoid, mods)
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
