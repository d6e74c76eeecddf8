"""Plan -> readable PyTorch source in torchvision's style.

:func:`generate` returns one Python file that imports only torch: the helpers the design
uses (``BasicConv2d``, ``make_activation``, ``init_weights``: :mod:`.helpers`, the same
source the compiled model runs), one class per kind of composite node (an aux head is
``InceptionAux(in_channels, num_classes)``; its layers are named children: ``conv``,
``fc1``, ``dropout``, ``fc2``), one class per block (document group; blocks built alike
share a class whose constructor takes the channel counts that differ; a module definition's
instances share its class, which takes its exposed parameters under their names:
``Inception(192, ch1x1=64, ...)``, see :mod:`.codegen_modules`; an instance nested in another
module's body is a child of the outer class built with its own class, defined before it),
keyword arguments, typed ``forward`` methods, a shape comment on each line, and aux heads that run only in
training mode with a documented ``NamedTuple`` return type (returned as torchvision's GoogLeNet
does, so that ``torch.jit.script`` works: see :mod:`.codegen_body`). Submodules carry the plan's
names, so the file loads the compiled model's ``state_dict`` with ``strict=True`` and
computes the same outputs.

Everything is written from data: each module is a :class:`~designer.graph.layers.Call`
(from :mod:`.units`), shared classes are planned on those records
(:mod:`.codegen_blocks`), and :func:`~designer.graph.layers.format_call` writes them. The
classes are written by :mod:`.codegen_composites` and :mod:`.codegen_block_classes`, with the
text pieces of :mod:`.codegen_text`.
Nothing here parses source.

Identifiers come from :class:`designer.compiler.names.Namespace`; node and group names never
reach the source except as identifiers, ``repr`` string literals, or through
:func:`safe_text` in comments and docstrings. Pure Python: no torch import, fast enough
to run on every edit.
"""

from __future__ import annotations

from typing import Any

from ..graph.document import GraphDocument, GraphError
from ..graph.layers import Arg, Call, Helper, Sym, literal
from ..graph.modules import ModuleDef, ModuleLibrary
from ..graph.params import ParamError
from ..graph.shapes import Shape
from ..graph.validate import Report
from .codegen_block_classes import block_classes, block_stmt, merge_expr, node_stmt
from .codegen_body import Scope, Stmt, forward_lines, wrap
from .codegen_composites import composite_classes
from .codegen_text import (
    INDENT,
    Defaults,
    aux_field,
    camel_class,
    docstring,
    init_lines,
    method_signature,
    para,
    safe_text,
    shape_text,
)
from .helpers import INIT_WEIGHTS, file_defaults, helpers_of
from .names import Namespace
from .plan import CompileError, Plan, PlanNode, make_plan

__all__ = ["GeneratedCode", "generate", "generate_definition", "generate_plan", "shape_text"]

#: Module-level names of generated code besides the classes (the helpers, typing's names).
_HELPER_NAMES = {"BasicConv2d", "NamedTuple", "Any", "init_weights", "make_activation"}
#: Module-level names a model with aux heads uses besides (never a local of its ``forward``).
_AUX_NAMES = {"warnings"}
#: The model's constructor arguments (torchvision's names): never a block's argument.
_MODEL_ARGS = ("num_classes", "aux_logits", "dropout", "dropout_aux")


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


def generate_definition(
    definition: ModuleDef, shapes: list[Shape] | None = None, values: dict[str, Any] | None = None
) -> GeneratedCode:
    """The code of one module definition: its class (and those of the modules it holds), used
    by a small model that runs one instance of it on an input (for a definition's tab).

    ``shapes`` are the input shapes (default: the ``Module input`` nodes' preview shapes),
    ``values`` the exposed parameters' values (default: the definition's own). Raises
    :class:`CompileError` when the definition cannot run alone (several inputs, a flat input,
    or errors).
    """
    from ..graph.module_type import snake

    lib = ModuleLibrary.from_list(definition.library.closure_data([definition.id]))  # a copy: nothing shared
    d = lib.get(definition.id)
    ports = d.input_ports()
    if len(ports) != 1:
        raise CompileError(f"module {d.name} has {len(ports)} inputs: its class is in the design's code")
    preview = d.body.nodes[ports[0]].params
    shape = shapes[0] if shapes else (preview["channels"], preview["height"], preview["width"])
    if len(shape) != 3:
        raise CompileError(f"module {d.name} takes a {len(shape)}-d input: its class is in the design's code")
    doc = GraphDocument(f"{d.name} model", d.description, library=lib)
    try:
        x = doc.add_node("input", "input", dict(zip(("channels", "height", "width"), shape, strict=True)))
        inst = doc.add_node(d.type.type_id, snake(d.name) or "block", dict(values or {}))
    except (ParamError, GraphError) as exc:
        raise CompileError(f"module {d.name} cannot run alone here: {exc}") from None
    doc.connect(x.id, inst.id)
    return generate(doc)


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
    model_cls = classes.add(camel_class(plan.name, "Model"), "Model")
    has_aux = bool(plan.aux_indices)
    outputs_cls = classes.add(f"{model_cls}Outputs", "Outputs") if has_aux else ""

    # Composite nodes, then blocks: classes shared by those built alike.
    avoid = set(_HELPER_NAMES) | helper_names | set(_MODEL_ARGS)
    node_calls: dict[int, Call] = {}
    dropouts: dict[int, float] = {}
    composite_src = composite_classes(plan, classes, defaults, node_calls, avoid, dropouts)
    for pn in nodes:
        if pn.units and not pn.module_class:
            node_calls[pn.index] = pn.units[0].call
    block_calls: dict[int, Call] = {}
    block_src = block_classes(plan, classes, defaults, node_calls, block_calls, avoid | {n for n, _ in composite_src})

    # The model's arguments, as torchvision's: num_classes, aux_logits, dropout, dropout_aux.
    out_pn = nodes[plan.output_index]
    out_call = node_calls.get(out_pn.index)
    num_classes = (
        plan.output_shape[0]
        if out_pn.role == "output"
        and len(plan.output_shape) == 1
        and out_call is not None
        and any(a.name == "num_classes" for a in out_call.args)
        else None
    )
    drop_main = dropouts.get(out_pn.index)
    aux_drops = {dropouts[i] for i in plan.aux_indices if i in dropouts}
    drop_aux = aux_drops.pop() if len(aux_drops) == 1 and all(i in dropouts for i in plan.aux_indices) else None
    model_args: list[str] = []
    if num_classes is not None:
        model_args.append(f"num_classes: int = {num_classes}")
    if has_aux:
        model_args.append("aux_logits: bool = True")
    if drop_main is not None:
        model_args.append(f"dropout: float = {literal(drop_main)}")
    if drop_aux is not None:
        model_args.append(f"dropout_aux: float = {literal(drop_aux)}")

    def head_call(pn: PlanNode) -> Call:
        call = node_calls[pn.index]
        args = [
            a._replace(value=Sym("num_classes"))
            if a.name == "num_classes" and num_classes is not None and a.value == num_classes
            else a
            for a in call.args
        ]
        if pn.index in dropouts:
            if pn.role == "aux" and drop_aux is not None:
                args.append(Arg("dropout", Sym("dropout_aux")))
            elif pn.role == "output" and drop_main is not None:
                args.append(Arg("dropout", Sym("dropout")))
        return Call(call.cls, tuple(args), call.helper)

    # The model: children declared in program order (the state_dict's), run in schedule order.
    init: list[str] = []
    aux_init: list[str] = []
    aux_attrs: list[str] = []
    top_vars = Namespace(idents)
    stmt_of: dict[tuple[str, int], Stmt] = {}
    for kind, ref in plan.program:
        if kind == "block":
            block = plan.blocks[ref]
            shapes = ", ".join(shape_text(nodes[s].out_shape) for s in block.outputs)
            lines = init_lines([(block.ident, block_calls[ref], f"  # {shapes}")], defaults, INDENT * 3)
            if block.aux_only and has_aux:
                aux_init.extend(lines)
                aux_attrs.append(block.ident)
            else:
                init.extend(line[len(INDENT) :] for line in lines)
            names = (
                (block.ident,)
                if len(block.outputs) == 1
                else tuple(top_vars.add(f"{block.ident}_{nodes[s].ident}") for s in block.outputs)
            )
            stmt_of[(kind, ref)] = block_stmt(plan, ref, names)
        elif ref != plan.input_index:
            pn = nodes[ref]
            if pn.index in node_calls:
                call = head_call(pn) if pn.role in ("output", "aux") and pn.module_class else node_calls[pn.index]
                lines = init_lines([(pn.ident, call, f"  # {shape_text(pn.out_shape)}")], defaults, INDENT * 3)
                if pn.aux_only and has_aux:
                    aux_init.extend(lines)
                    aux_attrs.append(pn.ident)
                else:
                    init.extend(line[len(INDENT) :] for line in lines)
            stmt_of[(kind, ref)] = node_stmt(pn)
    stmts = [stmt_of[e] for e in (plan.schedule or plan.program) if e in stmt_of]
    if aux_init:  # torchvision's: aux heads are built only with aux_logits, else None
        init += [
            f"{INDENT * 2}if aux_logits:",
            *aux_init,
            f"{INDENT * 2}else:",
            *(f"{INDENT * 3}self.{a} = None" for a in aux_attrs),
        ]
    init.append(f"{INDENT * 2}init_weights(self)")
    out_slot = plan.output_index
    scope = Scope(
        args={plan.input_index: "x"},
        arg_shapes=[plan.input_shape],
        returns=[out_slot],
        taken=set(),
        aux_returns=list(plan.aux_indices),
        outputs_cls=outputs_cls or "",
        reserved=set(_AUX_NAMES) if has_aux else set(),
        trunk=True,
        model_cls=model_cls,
        # torchvision's name, unless a node's attribute has it
        eager=Namespace(idents).add("eager_outputs") if has_aux else "",
    )
    fwd, ret_type = forward_lines(stmts, scope, INDENT * 2)
    aux_doc = ", ".join(
        f"{nodes[i].ident} (loss weight {float(nodes[i].params['loss_weight'])!r})" for i in plan.aux_indices
    )
    title = safe_text(plan.name) or "The design"
    model_doc = [f"{title}: {shape_text(plan.input_shape)} -> {shape_text(plan.output_shape)}."]
    if plan.description:
        model_doc += ["", *para(plan.description, INDENT)]
    if has_aux:
        model_doc += [
            "",
            *para(
                f"With ``aux_logits`` (the default) the model has auxiliary heads, {aux_doc}; in training mode"
                f" ``forward`` then returns :class:`{outputs_cls}` with their logits as well. In eval mode, or"
                " without them, it returns the main logits only. Scripted (``torch.jit.script``), it always"
                f" returns :class:`{outputs_cls}`, with None for the heads that did not run.",
                INDENT,
            ),
        ]
    model = [
        f"class {model_cls}(nn.Module):",
        *docstring(model_doc),
        "",
        f"{INDENT}input_shape = {literal(tuple(plan.input_shape))}",
        *wrap(INDENT, "aux_names: tuple[str, ...] = ", ("", [literal(nodes[i].name) for i in plan.aux_indices])),
        f"{INDENT}aux_weights: tuple[float, ...] = "
        f"{literal(tuple(float(nodes[i].params['loss_weight']) for i in plan.aux_indices))}",
        "",
        *method_signature("__init__", model_args, "None"),
        f"{INDENT * 2}super().__init__()",
        *init,
        "",
        f"{INDENT}def forward(self, x: Tensor) -> {ret_type}:",
        *fwd,
    ]

    typing_names = sorted({t for h in helpers for t in h.typing} | ({"NamedTuple"} if has_aux else set()))
    merges = [pn for pn in nodes if not pn.units and pn.index != plan.input_index]
    uses_f = any("F." in merge_expr(pn, ["x"] * len(pn.inputs)) for pn in merges)
    header = [
        f'"""{safe_text(plan.name) or "Model"}: generated by Inception Designer.',
        "",
        f"Input {shape_text(plan.input_shape)}, output {shape_text(plan.output_shape)}. Load trained weights with",
        f"``model = {model_cls}(); model.load_state_dict(torch.load(path, weights_only=True))``.",
        '"""',
        "",
    ]
    # No ``from __future__ import annotations``: TorchScript resolves a NamedTuple field's string
    # annotation only when it is a bare name (pytorch#95858), and ``aux_logits: tuple[Tensor | None]``
    # is not (the exports need Python >= 3.10 for ``X | None`` at run time, as the project does).
    stdlib = ["import warnings"] if has_aux else []
    if typing_names:
        stdlib.append(f"from typing import {', '.join(typing_names)}")
    if stdlib:
        header += [*stdlib, ""]
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
                f'{INDENT}"""What :class:`{model_cls}` returns in training mode.',
                "",
                f"{INDENT}``aux_logits`` are in this order: {aux_doc}.",
                f"{INDENT}Loss: L(logits) + sum of weight * L(aux logits).",
                f"{INDENT}Scripted, the model returns it in eval mode too, with None for the heads that did not run.",
                f'{INDENT}"""',
                "",
                f"{INDENT}logits: Tensor",
                *aux_field(len(plan.aux_indices)),
            ]
        )
    parts.append(_render_helper(INIT_WEIGHTS, defaults))
    parts.append(model)
    parts.append(
        [
            'if __name__ == "__main__":',
            f"{INDENT}net = {model_cls}().eval()",
            f"{INDENT}print(net(torch.randn(1, *net.input_shape)).shape)",
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
