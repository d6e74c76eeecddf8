"""Plan -> readable PyTorch source in torchvision's style.

:func:`generate` returns one Python file that imports only torch: a ``BasicConv2d`` helper
where convolutions carry BatchNorm or an activation, one class per block (document group;
blocks with identical bodies share a class), keyword arguments, typed ``forward`` methods,
a shape comment on each line, and aux heads that run only in training mode with a
documented ``NamedTuple`` return type. Submodules carry the plan's names, so the file loads
the compiled model's ``state_dict`` with ``strict=True`` and computes the same outputs.

Identifiers come from :class:`designer.compiler.names.Namespace`; node and group names never
reach the source except as identifiers, ``repr`` string literals, or through
:func:`_safe_text` in comments and docstrings. Pure Python: no torch import, fast enough
to run on every edit.
"""

from __future__ import annotations

import os
import re
from collections import Counter

from ..graph import registry
from ..graph.document import GraphDocument
from ..graph.shapes import Shape
from ..graph.validate import Report
from .codegen_blocks import Skeleton, plan_family, skeleton, strip_shape_comments
from .codegen_body import Scope, Stmt, fit, forward_lines
from .codegen_convs import INIT_WEIGHTS, Convs
from .names import Namespace, sanitize
from .plan import Plan, PlanNode, make_plan
from .units import ConvUnit, Unit

__all__ = ["generate", "generate_plan"]

_INDENT = "    "
_HELPER_NAMES = {"BasicConv2d", "NamedTuple", "Any", "init_weights", "make_activation"}


def shape_text(shape: Shape) -> str:
    """``(256, 28, 28) -> 'N x 256 x 28 x 28'``."""
    return " x ".join(["N", *(str(d) for d in shape)])


def _safe_text(text: str) -> str:
    """Text for a comment or docstring: printable ASCII without quotes or backslashes."""
    return re.sub(r"[^A-Za-z0-9 _\-.,:;()+/=<>]", "?", text)[:80]


def _shared_name(names: list[str]) -> str:
    """``[block35_1, block35_2, ...] -> block35``; a single name stays as it is."""
    if len(names) == 1:
        return names[0]
    prefix = os.path.commonprefix(names)
    if all(len(n) > len(prefix) and n[len(prefix)].isdigit() for n in names):
        prefix = prefix.rstrip("0123456789")  # block35_1 ... block35_10 split a number: drop its start
    prefix = prefix.rstrip(" _-.:/")
    return prefix or names[0]


def _class_name(text: str, fallback: str) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", sanitize(text, fallback)) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or fallback
    return name if not name[0].isdigit() else f"{fallback}{name}"


# --------------------------------------------------------------------------- modules
def _unit_code(unit: Unit, convs: Convs) -> str:
    return convs.call(unit) if isinstance(unit, ConvUnit) else unit.layer.code()  # type: ignore[union-attr]


def _unit_exprs(pn: PlanNode, convs: Convs) -> list[str]:
    """The constructor expression of each of the node's units."""
    return [_unit_code(u, convs) for u in pn.units]


def _module_lines(
    pn: PlanNode, convs: Convs, indent: str, exprs: list[str] | None = None, comments: bool = True
) -> list[str]:
    """``self.ident = ...`` for a node that owns a module; [] for merges and the input.

    ``exprs`` replaces the units' expressions (a shared block class writes its arguments
    there); ``comments=False`` leaves out the shape comments (they differ between blocks).
    """
    if not pn.units:
        return []
    exprs = exprs if exprs is not None else _unit_exprs(pn, convs)
    shapes = [f"  # {shape_text(u.out_shape)}" if comments else "" for u in pn.units]
    if len(pn.units) == 1:
        return fit(indent, f"self.{pn.ident} = ", exprs[0], shapes[0])
    lines = [f"{indent}self.{pn.ident} = nn.Sequential("]
    for expr, shape in zip(exprs, shapes, strict=True):
        lines += fit(indent + _INDENT, "", expr, f",{shape}")
    lines.append(f"{indent})")
    return lines


def _merge_expr(pn: PlanNode, args: list[str]) -> str:
    return registry.get(pn.type_id).merge_code(pn.params, args)


def _node_stmt(pn: PlanNode, in_block: bool = False) -> Stmt:
    if pn.units:

        def expr(args: list[str], ident: str = pn.ident) -> str:
            return f"self.{ident}({', '.join(args)})"

    else:

        def expr(args: list[str], pn: PlanNode = pn) -> str:
            return _merge_expr(pn, args)

    return Stmt((pn.index,), pn.inputs, expr, (pn.out_shape,), pn.aux_only and not in_block, (pn.ident,))


# --------------------------------------------------------------------------- generate
def generate(doc: GraphDocument, report: Report | None = None) -> str:
    """The design as one Python file (source text).

    Parameters
    ----------
    doc
        The design.
    report
        ``validate(doc)`` when the caller already has it for this revision.

    Returns
    -------
    str
        Source that imports only torch; its model class loads the compiled model's
        ``state_dict`` (``strict=True``).

    Raises
    ------
    designer.compiler.plan.CompileError
        When the design has errors.
    """
    return generate_plan(make_plan(doc, report))


def _block_forward(plan: Plan, block_index: int) -> tuple[list[str], str, str]:
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
    fwd, ret_type = forward_lines([_node_stmt(pn, True) for pn in members], scope, _INDENT * 2)
    return fwd, ret_type, ", ".join(f"{a}: Tensor" for a in scope.args.values())


def _block_classes(
    plan: Plan, convs: Convs, classes: Namespace, block_cls: dict[int, str], block_args: dict[int, str]
) -> list[str]:
    """Source of the block classes; fills ``block_cls`` (class per block) and ``block_args`` (call arguments)."""
    nodes = plan.nodes
    families: dict[tuple, list[tuple[int, Skeleton, list[str], str, str]]] = {}
    for block in plan.blocks:
        members = [nodes[i] for i in block.nodes]
        fwd, ret_type, params = _block_forward(plan, block.index)
        sk = skeleton([(pn.ident, _unit_exprs(pn, convs)) for pn in members if pn.units], fwd)
        families.setdefault((sk.key, params, ret_type), []).append((block.index, sk, fwd, ret_type, params))
    out: list[str] = []
    stems = Counter(_shared_name([plan.blocks[u[0]].name for u in users]) for users in families.values())
    for users in families.values():
        blocks = [plan.blocks[u[0]] for u in users]
        widths = None
        if all(len(b.inputs) == 1 for b in blocks):
            widths = [nodes[b.inputs[0]].out_shape[0] for b in blocks]
        fam = plan_family([u[1] for u in users], widths)
        names = [b.name for b in blocks]
        stem = _shared_name(names)
        if len(blocks) > 1 and stems[stem] > 1:  # another family has the same stem: say which blocks
            cut = len(os.path.commonprefix(names))
            stem += f"{names[0][cut:]}{'And' if len(names) == 2 else 'To'}{names[-1][cut:]}"
        name = _class_name(stem, "Block")
        name = classes.add(name if name not in classes else f"{name}Block", "Block")
        first_index, first_sk, first_fwd, ret_type, params = users[0]
        first = plan.blocks[first_index]
        members = [nodes[i] for i in first.nodes]
        if fam.parameterised:
            exprs = dict(fam.member_exprs(first_sk))
            init = [
                line
                for pn in members
                for line in _module_lines(pn, convs, _INDENT * 2, exprs.get(pn.ident), comments=False)
            ]
            fwd = strip_shape_comments(first_fwd)
            sig = ", ".join(f"{a}: int" for a in fam.args)
            for (index, *_), values in zip(users, fam.calls, strict=True):
                block_cls[index] = name
                block_args[index] = ", ".join(
                    str(v) if a == "in_channels" else f"{a}={v}" for a, v in zip(fam.args, values, strict=True)
                )
            doc_users = (
                ", ".join(b.ident for b in blocks)
                if len(blocks) <= 3
                else (f"{blocks[0].ident} ... {blocks[-1].ident} ({len(blocks)} blocks)")
            )
            doc = f"{doc_users}; the channel counts are arguments."
        else:
            init = [line for pn in members for line in _module_lines(pn, convs, _INDENT * 2)]
            fwd, sig = first_fwd, ""
            for index, *_ in users:
                block_cls[index], block_args[index] = name, ""
            who = ", ".join(b.ident for b in blocks)
            if len(blocks) > 2:
                who = f"{blocks[0].ident} ... {blocks[-1].ident} ({len(blocks)} blocks)"
            ins = ", ".join(shape_text(nodes[s].out_shape) for s in first.inputs)
            outs = ", ".join(shape_text(nodes[s].out_shape) for s in first.outputs)
            doc = f"{who}: {ins} -> {outs}."
        head = [f"{_INDENT}def __init__(self{', ' + sig if sig else ''}) -> None:"]
        if len(head[0]) > 110:  # one argument a line, as ruff format would write it
            head = [
                f"{_INDENT}def __init__(",
                f"{_INDENT * 2}self,",
                *(f"{_INDENT * 2}{a}: int," for a in fam.args),
                f"{_INDENT}) -> None:",
            ]
        text = "\n".join(
            [
                f"class {name}(nn.Module):",
                f'{_INDENT}"""{doc}"""',
                "",
                *head,
                f"{_INDENT * 2}super().__init__()",
                *init,
                "",
                f"{_INDENT}def forward(self, {params}) -> {ret_type}:",
                *fwd,
            ]
        )
        out.append(text)
    return out


def generate_plan(plan: Plan) -> str:
    """:func:`generate` for a plan made by :func:`designer.compiler.plan.make_plan`."""
    nodes = plan.nodes
    convs = Convs([u for pn in nodes for u in pn.units if isinstance(u, ConvUnit)])
    idents = {pn.ident for pn in nodes} | {b.ident for b in plan.blocks}
    classes = Namespace(idents | _HELPER_NAMES)
    model_cls = classes.add(_class_name(plan.name, "Model"), "Model")
    has_aux = bool(plan.aux_indices)
    outputs_cls = classes.add(f"{model_cls}Outputs", "Outputs") if has_aux else ""

    # Blocks: blocks built alike share one class; channel counts that differ become arguments.
    block_cls: dict[int, str] = {}
    block_args: dict[int, str] = {}
    class_src = _block_classes(plan, convs, classes, block_cls, block_args)

    # The model.
    init: list[str] = []
    stmts: list[Stmt] = []
    top_vars = Namespace(idents)
    for kind, ref in plan.program:
        if kind == "block":
            block = plan.blocks[ref]
            shapes = ", ".join(shape_text(nodes[s].out_shape) for s in block.outputs)
            init.extend(
                fit(_INDENT * 2, f"self.{block.ident} = ", f"{block_cls[ref]}({block_args[ref]})", f"  # {shapes}")
            )
            names = (
                (block.ident,)
                if len(block.outputs) == 1
                else tuple(top_vars.add(f"{block.ident}_{nodes[s].ident}") for s in block.outputs)
            )

            def bexpr(args: list[str], ident: str = block.ident) -> str:
                return f"self.{ident}({', '.join(args)})"

            stmts.append(
                Stmt(
                    block.outputs,
                    block.inputs,
                    bexpr,
                    tuple(nodes[s].out_shape for s in block.outputs),
                    block.aux_only,
                    names,
                )
            )
        elif ref != plan.input_index:
            pn = nodes[ref]
            init.extend(_module_lines(pn, convs, _INDENT * 2))
            stmts.append(_node_stmt(pn))
    init.append(f"{_INDENT * 2}init_weights(self)")
    out_slot = plan.output_index
    scope = Scope(
        args={plan.input_index: "x"},
        arg_shapes=[plan.input_shape],
        returns=[out_slot],
        taken=set(),
        aux_returns=list(plan.aux_indices),
        outputs_cls=outputs_cls,
    )
    fwd, ret_type = forward_lines(stmts, scope, _INDENT * 2)
    aux_doc = ", ".join(
        f"{nodes[i].ident} (loss weight {float(nodes[i].params['loss_weight'])!r})" for i in plan.aux_indices
    )
    model_doc = [
        f'{_INDENT}"""{_safe_text(plan.name) or "The design"}: {shape_text(plan.input_shape)} -> '
        f"{shape_text(plan.output_shape)}." + ('"""' if not has_aux else ""),
    ]
    if has_aux:
        model_doc += [
            "",
            f"{_INDENT}In training mode ``forward`` returns :class:`{outputs_cls}` with the aux heads'",
            f"{_INDENT}logits as well: {aux_doc}. In eval mode it returns the main logits only.",
            f'{_INDENT}"""',
        ]
    model = [
        f"class {model_cls}(nn.Module):",
        *model_doc,
        "",
        f"{_INDENT}input_shape = {tuple(plan.input_shape)!r}",
        f"{_INDENT}aux_names: tuple[str, ...] = {tuple(nodes[i].name for i in plan.aux_indices)!r}",
        f"{_INDENT}aux_weights: tuple[float, ...] = "
        f"{tuple(float(nodes[i].params['loss_weight']) for i in plan.aux_indices)!r}",
        "",
        f"{_INDENT}def __init__(self) -> None:",
        f"{_INDENT * 2}super().__init__()",
        *init,
        "",
        f"{_INDENT}def forward(self, x: Tensor) -> {ret_type}:",
        *fwd,
    ]

    src = "\n".join(fwd + init + class_src)
    typing_names = sorted(
        n for n in ("Any", "NamedTuple") if (n == "Any" and convs.used) or (n == "NamedTuple" and has_aux)
    )
    header = [
        f'"""{_safe_text(plan.name) or "Model"}: generated by Inception Designer.',
        "",
        f"Input {shape_text(plan.input_shape)}, output {shape_text(plan.output_shape)}. Load trained weights with",
        f"``model = {model_cls}(); model.load_state_dict(torch.load(path, weights_only=True))``.",
        '"""',
        "",
        "from __future__ import annotations",
        "",
    ]
    if typing_names:
        header += [f"from typing import {', '.join(typing_names)}", ""]
    header.append("import torch")
    if "F." in src or (convs.used and not convs.generic and convs.default[3] != "none"):
        header.append("import torch.nn.functional as F")
    header += ["from torch import Tensor, nn", "", "", ""]
    parts: list[list[str]] = []
    if convs.used:
        parts.append(convs.source())
    parts += [c.splitlines() for c in class_src]
    if has_aux:
        parts.append(
            [
                f"class {outputs_cls}(NamedTuple):",
                f'{_INDENT}"""What :class:`{model_cls}` returns in training mode.',
                "",
                f"{_INDENT}``aux_logits`` are in this order: {aux_doc}.",
                f"{_INDENT}Loss: L(logits) + sum of weight * L(aux logits).",
                f'{_INDENT}"""',
                "",
                f"{_INDENT}logits: Tensor",
                f"{_INDENT}aux_logits: tuple[Tensor, ...]",
            ]
        )
    parts.append(INIT_WEIGHTS)
    parts.append(model)
    parts.append(
        [
            'if __name__ == "__main__":',
            f"{_INDENT}net = {model_cls}().eval()",
            f"{_INDENT}print(net(torch.randn(1, *net.input_shape)).shape)",
        ]
    )
    body = "\n\n\n".join("\n".join(p) for p in parts)
    return "\n".join(header) + body + "\n"
