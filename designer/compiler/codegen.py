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

from ..graph import registry
from ..graph.document import GraphDocument
from ..graph.shapes import Shape
from ..graph.validate import Report
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
    prefix = os.path.commonprefix(names).rstrip("0123456789").rstrip(" _-.:/")
    return prefix or names[0]


def _class_name(text: str, fallback: str) -> str:
    parts = [p for p in re.split(r"[^0-9A-Za-z]+", sanitize(text, fallback)) if p]
    name = "".join(p[:1].upper() + p[1:] for p in parts) or fallback
    return name if not name[0].isdigit() else f"{fallback}{name}"


# --------------------------------------------------------------------------- modules
def _unit_code(unit: Unit, convs: Convs) -> str:
    return convs.call(unit) if isinstance(unit, ConvUnit) else unit.layer.code()  # type: ignore[union-attr]


def _module_lines(pn: PlanNode, convs: Convs, indent: str) -> list[str]:
    """``self.ident = ...`` for a node that owns a module; [] for merges and the input."""
    if not pn.units:
        return []
    if len(pn.units) == 1:
        return fit(indent, f"self.{pn.ident} = ", _unit_code(pn.units[0], convs), f"  # {shape_text(pn.out_shape)}")
    lines = [f"{indent}self.{pn.ident} = nn.Sequential("]
    for u in pn.units:
        lines += fit(indent + _INDENT, "", _unit_code(u, convs), f",  # {shape_text(u.out_shape)}")
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


def generate_plan(plan: Plan) -> str:
    """:func:`generate` for a plan made by :func:`designer.compiler.plan.make_plan`."""
    nodes = plan.nodes
    convs = Convs([u for pn in nodes for u in pn.units if isinstance(u, ConvUnit)])
    idents = {pn.ident for pn in nodes} | {b.ident for b in plan.blocks}
    classes = Namespace(idents | _HELPER_NAMES)
    model_cls = classes.add(_class_name(plan.name, "Model"), "Model")
    has_aux = bool(plan.aux_indices)
    outputs_cls = classes.add(f"{model_cls}Outputs", "Outputs") if has_aux else ""

    # Blocks: one class per distinct body.
    bodies: dict[str, list[int]] = {}
    block_text: dict[int, str] = {}
    for block in plan.blocks:
        members = [nodes[i] for i in block.nodes]
        init = [line for pn in members for line in _module_lines(pn, convs, _INDENT * 2)]
        scope = Scope(
            args={s: ("x" if len(block.inputs) == 1 else f"x{k}") for k, s in enumerate(block.inputs)},
            arg_shapes=[nodes[s].out_shape for s in block.inputs],
            returns=list(block.outputs),
            taken=set(),
        )
        fwd, ret_type = forward_lines([_node_stmt(pn, True) for pn in members], scope, _INDENT * 2)
        params = ", ".join(f"{a}: Tensor" for a in scope.args.values())
        text = "\n".join(
            [
                f"{_INDENT}def __init__(self) -> None:",
                f"{_INDENT * 2}super().__init__()",
                *init,
                "",
                f"{_INDENT}def forward(self, {params}) -> {ret_type}:",
                *fwd,
            ]
        )
        block_text[block.index] = text
        bodies.setdefault(text, []).append(block.index)
    block_cls: dict[int, str] = {}
    class_src: list[str] = []
    for text, users in bodies.items():
        first = plan.blocks[users[0]]
        name = _class_name(_shared_name([plan.blocks[b].name for b in users]), "Block")
        name = classes.add(name if name not in classes else f"{name}Block", "Block")
        for b in users:
            block_cls[b] = name
        ins = ", ".join(shape_text(nodes[s].out_shape) for s in first.inputs)
        outs = ", ".join(shape_text(nodes[s].out_shape) for s in first.outputs)
        who = ", ".join(plan.blocks[b].ident for b in users)
        if len(users) > 2:
            who = f"{plan.blocks[users[0]].ident} ... {plan.blocks[users[-1]].ident} ({len(users)} blocks)"
        class_src.append(f'class {name}(nn.Module):\n{_INDENT}"""{who}: {ins} -> {outs}."""\n\n{text}')

    # The model.
    init: list[str] = []
    stmts: list[Stmt] = []
    top_vars = Namespace(idents)
    for kind, ref in plan.program:
        if kind == "block":
            block = plan.blocks[ref]
            shapes = ", ".join(shape_text(nodes[s].out_shape) for s in block.outputs)
            init.append(f"{_INDENT * 2}self.{block.ident} = {block_cls[ref]}()  # {shapes}")
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
