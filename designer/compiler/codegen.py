"""Plan -> readable PyTorch source in torchvision's style.

:func:`generate` returns one Python file that imports only torch: the helpers the design
uses (``BasicConv2d``, ``make_activation``, ``init_weights``: :mod:`.helpers`, the same
source the compiled model runs), one class per kind of composite node (an aux head is
``InceptionAux(in_channels, num_classes)``; its layers are named children: ``conv``,
``fc1``, ``dropout``, ``fc2``), one class per block (document group; blocks built alike
share a class whose constructor takes the channel counts that differ), keyword arguments,
typed ``forward`` methods, a shape comment on each line, and aux heads that run only in
training mode with a documented ``NamedTuple`` return type. Submodules carry the plan's
names, so the file loads the compiled model's ``state_dict`` with ``strict=True`` and
computes the same outputs.

Everything is written from data: each module is a :class:`~designer.graph.layers.Call`
(from :mod:`.units`), shared classes are planned on those records
(:mod:`.codegen_blocks`), and :func:`~designer.graph.layers.format_call` writes them.
Nothing here parses source.

Identifiers come from :class:`designer.compiler.names.Namespace`; node and group names never
reach the source except as identifiers, ``repr`` string literals, or through
:func:`_safe_text` in comments and docstrings. Pure Python: no torch import, fast enough
to run on every edit.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..graph import registry
from ..graph.document import GraphDocument
from ..graph.layers import Arg, Call, Helper, format_call
from ..graph.shapes import Shape
from ..graph.validate import Report
from .codegen_blocks import Skeleton, plan_family, skeleton
from .codegen_body import Scope, Stmt, fit, forward_lines
from .helpers import INIT_WEIGHTS, file_defaults, helpers_of
from .names import Namespace, sanitize
from .plan import Plan, PlanNode, make_plan

__all__ = ["GeneratedCode", "generate", "generate_plan"]

_INDENT = "    "
#: Module-level names of generated code besides the classes (the helpers, typing's names).
_HELPER_NAMES = {"BasicConv2d", "NamedTuple", "Any", "init_weights", "make_activation"}

Defaults = Mapping[str, Mapping[str, Any]]


class GeneratedCode(str):
    """The generated source (a ``str``: print it, write it, ``exec`` it) and what it defines.

    Attributes
    ----------
    source : str
        The source as a plain ``str``.
    class_name : str
        The model class (``GoogLeNet``): ``module.<class_name>()`` is the model.
    outputs_class : str
        The ``NamedTuple`` training mode returns when the design has aux heads, else "".
    helpers : tuple of str
        The helpers the file defines (``make_activation``, ``BasicConv2d``, ``init_weights``).
    classes : tuple of str
        Every class the file defines, in order.
    """

    class_name: str
    outputs_class: str
    helpers: tuple[str, ...]
    classes: tuple[str, ...]

    def __new__(
        cls,
        source: str,
        class_name: str = "",
        helpers: tuple[str, ...] = (),
        outputs_class: str = "",
        classes: tuple[str, ...] = (),
    ) -> GeneratedCode:
        self = super().__new__(cls, source)
        self.class_name = class_name
        self.outputs_class = outputs_class
        self.helpers = tuple(helpers)
        self.classes = tuple(classes)
        return self

    @property
    def source(self) -> str:
        return str(self)


def shape_text(shape: Shape) -> str:
    """``(256, 28, 28) -> 'N x 256 x 28 x 28'``."""
    return " x ".join(["N", *(str(d) for d in shape)])


def _safe_text(text: str) -> str:
    """Text for a comment or docstring: printable ASCII without quotes or backslashes."""
    return re.sub(r"[^A-Za-z0-9 _\-.,:;()+/=<>]", "?", text)[:80]


def _shared_name(names: list[str]) -> str:
    """``[block35_1, block35_2, ...] -> block35``; a single name stays as it is."""
    if len(set(names)) == 1:
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


def _who(idents: list[str], many: int = 3, noun: str = "blocks") -> str:
    """``a, b, c`` or ``a ... z (12 blocks)``."""
    if len(idents) <= many:
        return ", ".join(idents)
    return f"{idents[0]} ... {idents[-1]} ({len(idents)} {noun})"


def _instance_call(cls: str, args: list[str], values: list[int]) -> Call:
    """``Cls(192, b1_1x1=64, ...)``: the channel counts of a shared class, the input width by position."""
    return Call(
        cls,
        tuple(
            Arg(a, v, positional=(k == 0 and a in ("in_channels", "in_features")), channels=True)
            for k, (a, v) in enumerate(zip(args, values, strict=True))
        ),
    )


def _init_lines(members: list[tuple[str, Call, str]], defaults: Defaults, indent: str) -> list[str]:
    """``self.name = Cls(...)  # shape`` for each (name, call, comment)."""
    return [
        line
        for ident, call, tail in members
        for line in fit(indent, f"self.{ident} = ", format_call(call, defaults), tail)
    ]


def _class_text(name: str, doc: str, args: list[str], init: list[str], params: str, ret: str, fwd: list[str]) -> str:
    head = [f"{_INDENT}def __init__(self{''.join(f', {a}: int' for a in args)}) -> None:"]
    if len(head[0]) > 110:  # one argument a line, as ruff format would write it
        head = [
            f"{_INDENT}def __init__(",
            f"{_INDENT * 2}self,",
            *(f"{_INDENT * 2}{a}: int," for a in args),
            f"{_INDENT}) -> None:",
        ]
    return "\n".join(
        [
            f"class {name}(nn.Module):",
            f'{_INDENT}"""{doc}"""',
            "",
            *head,
            f"{_INDENT * 2}super().__init__()",
            *init,
            "",
            f"{_INDENT}def forward(self, {params}) -> {ret}:",
            *fwd,
        ]
    )


# --------------------------------------------------------------------------- composite nodes
def _composite_forward(pn: PlanNode, comments: bool) -> tuple[list[str], str]:
    """``x = self.pool(x)`` ... ``return self.fc2(x)``: the children in order."""
    stmts = [
        Stmt((k + 1,), (k,), lambda args, n=u.name: f"self.{n}({args[0]})", (u.out_shape,), False, (u.name,))
        for k, u in enumerate(pn.units)
    ]
    scope = Scope(args={0: "x"}, arg_shapes=[pn.in_shapes[0]], returns=[len(pn.units)])
    return forward_lines(stmts, scope, _INDENT * 2, comments)


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
        shared = {k: _class_name(_shared_name([pn.ident for pn, _ in families[k]]), stem) for k in keys}
        suffixed = {k: (s if s.startswith(stem) else f"{stem}{s}") for k, s in shared.items()}
        if len(set(suffixed.values())) == len(keys):  # every kind has a name of its own
            names.update(suffixed)
            continue
        ordered = sorted(keys, key=lambda k: -len(families[k]))  # the kind used most keeps the stem
        for i, k in enumerate(ordered):
            names[k] = stem if i == 0 else f"{stem}{i + 1}"
    return names


def _composite_classes(
    plan: Plan, classes: Namespace, defaults: Defaults, node_calls: dict[int, Call], avoid: set[str]
) -> list[tuple[str, str]]:
    """(name, source) of the composite nodes' classes; fills ``node_calls`` with each such node's call."""
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
        if len(nodes) > 1:  # shared: the input and output widths are arguments, as torchvision's InceptionAux
            fixed = _io_slots(nodes, sks)
        fam = plan_family(sks, fixed=fixed, name=_slot_name, avoid=avoid)
        name = classes.add(names[key], key[1])
        for pn, values in zip(nodes, fam.calls, strict=True):
            node_calls[pn.index] = _instance_call(name, fam.args, values)

        single = len(nodes) == 1
        calls = fam.member_calls(sk0)
        init = _init_lines(
            [
                (ident, call, f"  # {shape_text(u.out_shape)}" if single else "")
                for (ident, call), u in zip(calls, first.units, strict=True)
            ],
            defaults,
            _INDENT * 2,
        )
        fwd, ret = _composite_forward(first, comments=single)
        if single:
            doc = f"{first.ident}: {shape_text(first.in_shapes[0])} -> {shape_text(first.out_shape)}."
        else:
            doc = f"{_who([pn.path for pn in nodes], noun='nodes')}; the channel counts are arguments."
        out.append((name, _class_text(name, doc, fam.args, init, "x: Tensor", ret, fwd)))
    return out


# --------------------------------------------------------------------------- blocks
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
    fwd, ret_type = forward_lines([_node_stmt(pn, True) for pn in members], scope, _INDENT * 2, comments)
    return fwd, ret_type, ", ".join(f"{a}: Tensor" for a in scope.args.values())


def _block_classes(
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
        families.setdefault((sk.key, params, ret_type), []).append((block.index, sk))
    out: list[tuple[str, str]] = []
    stems = Counter(_shared_name([plan.blocks[u[0]].name for u in users]) for users in families.values())
    for (_key, params, ret_type), users in families.items():
        blocks = [plan.blocks[index] for index, _ in users]
        sks = [sk for _, sk in users]
        widths = [nodes[b.inputs[0]].out_shape[0] for b in blocks] if all(len(b.inputs) == 1 for b in blocks) else None
        fam = plan_family(sks, widths, avoid=avoid)
        names = [b.name for b in blocks]
        stem = _shared_name(names)
        if len(blocks) > 1 and stems[stem] > 1:  # another family has the same stem: say which blocks
            cut = len(os.path.commonprefix(names))
            stem += f"{names[0][cut:]}{'And' if len(names) == 2 else 'To'}{names[-1][cut:]}"
        name = _class_name(stem, "Block")
        name = classes.add(name if name not in classes else f"{name}Block", "Block")
        first = blocks[0]
        members = [nodes[i] for i in first.nodes]
        if fam.parameterised:
            calls = fam.member_calls(sks[0])
            init = _init_lines([(ident, call, "") for ident, call in calls], defaults, _INDENT * 2)
            fwd = bares[first.index]
            for b, values in zip(blocks, fam.calls, strict=True):
                block_calls[b.index] = _instance_call(name, fam.args, values)
            doc = f"{_who([b.ident for b in blocks])}; the channel counts are arguments."
        else:
            init = _init_lines(
                [
                    (pn.ident, node_calls[pn.index], f"  # {shape_text(pn.out_shape)}")
                    for pn in members
                    if pn.index in node_calls
                ],
                defaults,
                _INDENT * 2,
            )
            fwd = _block_forward(plan, first.index)[0]
            for b in blocks:
                block_calls[b.index] = Call(name)
            ins = ", ".join(shape_text(nodes[s].out_shape) for s in first.inputs)
            outs = ", ".join(shape_text(nodes[s].out_shape) for s in first.outputs)
            doc = f"{_who([b.ident for b in blocks], many=2)}: {ins} -> {outs}."
        out.append((name, _class_text(name, doc, fam.args, init, params, ret_type, fwd)))
    return out


# --------------------------------------------------------------------------- generate
def generate(doc: GraphDocument, report: Report | None = None) -> GeneratedCode:
    """The design as one Python file.

    Parameters
    ----------
    doc
        The design.
    report
        ``validate(doc)`` when the caller already has it for this revision.

    Returns
    -------
    GeneratedCode
        The source (a ``str``) that imports only torch; its model class (``.class_name``)
        loads the compiled model's ``state_dict`` (``strict=True``).

    Raises
    ------
    designer.compiler.plan.CompileError
        When the design has errors.
    """
    return generate_plan(make_plan(doc, report))


def _render_helper(helper: Helper, defaults: Defaults) -> list[str]:
    return helper.render(defaults.get(helper.name)).rstrip("\n").splitlines()


def generate_plan(plan: Plan) -> GeneratedCode:
    """:func:`generate` for a plan made by :func:`designer.compiler.plan.make_plan`."""
    nodes = plan.nodes
    unit_calls = [u.call for pn in nodes for u in pn.units]
    defaults = file_defaults(unit_calls)  # the commonest conv flavour goes without saying
    helpers = [*helpers_of(unit_calls), INIT_WEIGHTS]
    helper_names = {h.name for h in helpers}
    idents = {pn.ident for pn in nodes} | {b.ident for b in plan.blocks}
    classes = Namespace(idents | _HELPER_NAMES | helper_names)
    model_cls = classes.add(_class_name(plan.name, "Model"), "Model")
    has_aux = bool(plan.aux_indices)
    outputs_cls = classes.add(f"{model_cls}Outputs", "Outputs") if has_aux else ""

    # Composite nodes, then blocks: classes shared by those built alike.
    avoid = set(_HELPER_NAMES) | helper_names
    node_calls: dict[int, Call] = {}
    composite_src = _composite_classes(plan, classes, defaults, node_calls, avoid)
    for pn in nodes:
        if pn.units and not pn.module_class:
            node_calls[pn.index] = pn.units[0].call
    block_calls: dict[int, Call] = {}
    block_src = _block_classes(plan, classes, defaults, node_calls, block_calls, avoid | {n for n, _ in composite_src})

    # The model.
    init: list[str] = []
    stmts: list[Stmt] = []
    top_vars = Namespace(idents)
    for kind, ref in plan.program:
        if kind == "block":
            block = plan.blocks[ref]
            shapes = ", ".join(shape_text(nodes[s].out_shape) for s in block.outputs)
            init.extend(_init_lines([(block.ident, block_calls[ref], f"  # {shapes}")], defaults, _INDENT * 2))
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
            if pn.index in node_calls:
                init.extend(
                    _init_lines(
                        [(pn.ident, node_calls[pn.index], f"  # {shape_text(pn.out_shape)}")], defaults, _INDENT * 2
                    )
                )
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

    typing_names = sorted({t for h in helpers for t in h.typing} | ({"NamedTuple"} if has_aux else set()))
    merges = [pn for pn in nodes if not pn.units and pn.index != plan.input_index]
    uses_f = any("F." in _merge_expr(pn, ["x"] * len(pn.inputs)) for pn in merges)
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
    if uses_f:
        header.append("import torch.nn.functional as F")
    header += ["from torch import Tensor, nn", "", "", ""]
    parts: list[list[str]] = [_render_helper(h, defaults) for h in helpers if h is not INIT_WEIGHTS]
    parts += [text.splitlines() for _, text in (*composite_src, *block_src)]
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
    parts.append(_render_helper(INIT_WEIGHTS, defaults))
    parts.append(model)
    parts.append(
        [
            'if __name__ == "__main__":',
            f"{_INDENT}net = {model_cls}().eval()",
            f"{_INDENT}print(net(torch.randn(1, *net.input_shape)).shape)",
        ]
    )
    body = "\n\n\n".join("\n".join(p) for p in parts)
    class_names = (
        *(h.name for h in helpers if h.source.startswith("class ")),
        *(n for n, _ in composite_src),
        *(n for n, _ in block_src),
        *((outputs_cls,) if has_aux else ()),
        model_cls,
    )
    return GeneratedCode(
        "\n".join(header) + body + "\n",
        model_cls,
        helpers=tuple(h.name for h in helpers),
        outputs_class=outputs_cls,
        classes=class_names,
    )
