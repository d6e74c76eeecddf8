"""Plan -> readable PyTorch source in torchvision's style.

:func:`generate` returns one Python file that imports only torch: the helpers the design
uses (``BasicConv2d``, ``make_activation``, ``init_weights``: :mod:`.helpers`, the same
source the compiled model runs), one class per kind of composite node (an aux head is
``InceptionAux(in_channels, num_classes)``; its layers are named children: ``conv``,
``fc1``, ``dropout``, ``fc2``), one class per block (document group; blocks built alike
share a class whose constructor takes the channel counts that differ), keyword arguments,
typed ``forward`` methods, a shape comment on each line, and aux heads that run only in
training mode with a documented ``NamedTuple`` return type (returned as torchvision's GoogLeNet
does, so that ``torch.jit.script`` works: see :mod:`.codegen_body`). Submodules carry the plan's
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
import textwrap
from collections import Counter
from collections.abc import Mapping
from typing import Any

from ..graph import registry
from ..graph.document import GraphDocument
from ..graph.layers import Arg, Call, Helper, Sym, format_call, literal
from ..graph.shapes import Shape
from ..graph.validate import Report
from .codegen_blocks import Skeleton, plan_family, skeleton
from .codegen_body import Scope, Stmt, fit, forward_lines, signature, wrap
from .helpers import INIT_WEIGHTS, file_defaults, helpers_of
from .names import Namespace, sanitize
from .plan import Plan, PlanNode, make_plan

__all__ = ["GeneratedCode", "generate", "generate_plan"]

_INDENT = "    "
#: Module-level names of generated code besides the classes (the helpers, typing's names).
_HELPER_NAMES = {"BasicConv2d", "NamedTuple", "Any", "init_weights", "make_activation"}
#: Module-level names a model with aux heads uses besides (never a local of its ``forward``).
_AUX_NAMES = {"warnings"}
#: The model's constructor arguments (torchvision's names): never a block's argument.
_MODEL_ARGS = ("num_classes", "aux_logits", "dropout", "dropout_aux")

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


def _para(text: str, indent: str, width: int = 96) -> list[str]:
    """Free text (a design's description) as wrapped docstring lines: printable ASCII, no
    backslashes or double quotes (so it can never end the docstring)."""
    import unicodedata

    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = re.sub(r"[^\x20-\x7e]+", " ", text).replace("\\", "/").replace('"', "'")
    return [f"{indent}{line}".rstrip() for line in textwrap.wrap(text, width - len(indent))]


def _column_arg(owners: list[str]) -> str:
    """A channel count named after the children that make it, never like them:
    ``branch7x7_1, branch7x7dbl_1 -> ch7x7``, ``branch_pool -> ch_pool``, ``b2_reduce -> ch_b2_reduce``."""
    owners = list(dict.fromkeys(owners))
    stem = os.path.commonprefix(owners)
    if len(owners) > 1 and all(len(o) > len(stem) and o[len(stem)].isdigit() for o in owners):
        stem = stem.rstrip("0123456789")
    stem = stem.rstrip(" _-.") or owners[0]
    if stem.lower().startswith("branch") and len(stem) > len("branch"):
        return "ch" + stem[len("branch") :]
    return f"ch_{stem}"


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


def _signature(name: str, params: list[str], ret: str) -> list[str]:
    """``def name(self, a: int, ...) -> ret:``, one parameter a line when long, as ruff format writes it."""
    return signature(_INDENT, name, params, ret)


def _aux_field(count: int) -> list[str]:
    """The ``NamedTuple``'s ``aux_logits`` field: one ``Tensor | None`` per head (TorchScript takes
    no ``tuple[Tensor, ...]``); long, as ruff format writes it."""
    items = ["Tensor | None"] * count
    line = f"{_INDENT}aux_logits: tuple[{', '.join(items)}]"
    if len(line) <= 120:
        return [line]
    inner = f"{_INDENT * 2}{', '.join(items)}"
    if len(inner) <= 120:
        return [f"{_INDENT}aux_logits: tuple[", inner, f"{_INDENT}]"]
    return [f"{_INDENT}aux_logits: tuple[", *(f"{_INDENT * 2}{t}," for t in items), f"{_INDENT}]"]


def _docstring(doc: list[str]) -> list[str]:
    if len(doc) == 1:
        return [f'{_INDENT}"""{doc[0].strip()}"""']
    return [f'{_INDENT}"""{doc[0].strip()}', *doc[1:], f'{_INDENT}"""']


def _class_text(
    name: str, doc: str | list[str], args: list[str], init: list[str], params: str, ret: str, fwd: list[str]
) -> str:
    """A class; ``args`` are channel counts (``int``) or already typed (``dropout: float = 0.4``)."""
    typed = [a if ":" in a else f"{a}: int" for a in args]
    return "\n".join(
        [
            f"class {name}(nn.Module):",
            *_docstring([doc] if isinstance(doc, str) else doc),
            "",
            *_signature("__init__", typed, "None"),
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


def _dropout_unit(units: list[tuple[str, Call]]) -> int | None:
    """The index of a head's one ``nn.Dropout``, or None."""
    found = [k for k, (_, call) in enumerate(units) if call.cls == "nn.Dropout"]
    return found[0] if len(found) == 1 else None


def _composite_classes(
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
            node_calls[pn.index] = _instance_call(name, fam.args, values)
            if drop is not None:
                dropouts[pn.index] = p

        single = len(nodes) == 1
        init = _init_lines(
            [
                (ident, call, f"  # {shape_text(u.out_shape)}" if single else "")
                for (ident, call), u in zip(calls, first.units, strict=True)
            ],
            defaults,
            _INDENT * 2,
        )
        fwd, ret = _composite_forward(first, comments=single)
        what = registry.get(first.type_id).display_name
        what = {"output": "The classifier", "aux": "An auxiliary classifier"}.get(first.role, what)
        steps = ", ".join(_unit_text(call) for _, call in calls)
        doc = f"{what}: {steps}."
        if first.role == "aux":
            doc = f"{what} (training only): {steps}."
        doc_lines = [doc] if len(doc) < 100 else [f"{what}.", "", *_para(f"{steps[:1].upper()}{steps[1:]}.", _INDENT)]
        out.append((name, _class_text(name, doc_lines, args, init, "x: Tensor", ret, fwd)))
    return out


def _kernel(call: Call, default: str = "") -> str:
    args = {a.name: a.value for a in call.args}
    k = args.get("kernel_size", args.get("output_size", default))
    if isinstance(k, tuple):
        text = "x".join(str(v) for v in k)
    elif isinstance(k, int):
        text = f"{k}x{k}"
    else:
        text = ""
    stride = args.get("stride")
    if isinstance(stride, int) and stride != 1:
        text += f"/{stride}"
    elif isinstance(stride, tuple) and set(stride) != {1}:
        text += "/" + "x".join(map(str, stride))
    return text


_UNIT_WORDS = {
    "nn.MaxPool2d": "max pool",
    "nn.AvgPool2d": "average pool",
    "nn.AdaptiveAvgPool2d": "global average pool",
    "nn.Flatten": "flatten",
    "nn.Linear": "linear",
    "nn.Dropout": "dropout",
    "nn.ReLU": "ReLU",
    "nn.LocalResponseNorm": "local response norm",
}


def _unit_text(call: Call) -> str:
    """``3x3 conv``, ``3x3/2 max pool``, ``linear``: one child, as a person would name it."""
    if call.cls == "BasicConv2d" or call.cls == "nn.Conv2d":
        return f"{_kernel(call)} conv".strip()
    if call.cls in ("nn.MaxPool2d", "nn.AvgPool2d"):
        return f"{_kernel(call)} {_UNIT_WORDS[call.cls]}".strip()
    if call.cls in _UNIT_WORDS:
        return _UNIT_WORDS[call.cls]
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", call.cls.removeprefix("nn.")).lower()


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
    fwd, ret_type = forward_lines([_node_stmt(pn, True) for pn in members], scope, _INDENT * 2, comments)
    return fwd, ret_type, ", ".join(f"{a}: Tensor" for a in scope.args.values())


def _node_text(pn: PlanNode, call: Call | None) -> str:
    if not pn.units:
        return {"concat": "concat", "add": "add"}.get(pn.type_id, registry.get(pn.type_id).display_name.lower())
    if pn.module_class or call is None:
        return registry.get(pn.type_id).display_name.lower()
    return _unit_text(call)


_NUMBERS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def _block_doc(plan: Plan, block_index: int, node_calls: dict[int, Call], users: list[str]) -> list[str]:
    """What a block is: its branches from the input (``1x1 conv -> 3x3 conv``) and how they merge."""
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
        lines += [*_para(f"Branches: {parts}.", _INDENT), ""]
    return [*lines, *_para(f"Used as {_who(users)}.", _INDENT)]


def _family_stem(plan: Plan, users: list[tuple[int, Skeleton]]) -> str:
    """What a family of blocks' class is called: its module definition's name, or the blocks' shared name."""
    first = plan.blocks[users[0][0]]
    return first.class_name or _shared_name([plan.blocks[u[0]].name for u in users])


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
        families.setdefault((sk.key, params, ret_type, block.class_name), []).append((block.index, sk))
    out: list[tuple[str, str]] = []
    stems = Counter(_family_stem(plan, users) for users in families.values())
    for (_key, params, ret_type, class_name), users in families.items():
        blocks = [plan.blocks[index] for index, _ in users]
        sks = [sk for _, sk in users]
        widths = [nodes[b.inputs[0]].out_shape[0] for b in blocks] if all(len(b.inputs) == 1 for b in blocks) else None
        fixed: dict[int, str] = {}
        if widths is not None:  # the input width is always an argument (``in_channels``), as torchvision's
            for slot in range(len(sks[0].values)):
                if tuple(sk.values[slot] for sk in sks) == tuple(widths):
                    fixed[slot] = "in_channels"
        fam = plan_family(sks, widths, fixed=fixed, name_column=_column_arg, avoid=avoid)
        names = [b.name for b in blocks]
        stem = _family_stem(plan, users)
        if len(blocks) > 1 and stems[stem] > 1 and not class_name:  # another family has the same stem: say which blocks
            cut = len(os.path.commonprefix(names))
            stem += f"{names[0][cut:]}{'And' if len(names) == 2 else 'To'}{names[-1][cut:]}"
        name = _class_name(stem, "Block")
        name = classes.add(name if name not in classes else f"{name}Block", "Block")
        first = blocks[0]
        members = [nodes[i] for i in first.nodes]
        single = len(blocks) == 1
        if fam.parameterised:
            calls = fam.member_calls(sks[0])
            for b, values in zip(blocks, fam.calls, strict=True):
                block_calls[b.index] = _instance_call(name, fam.args, values)
        else:
            calls = [(pn.ident, node_calls[pn.index]) for pn in members if pn.index in node_calls]
            for b in blocks:
                block_calls[b.index] = Call(name)
        shapes = {pn.ident: shape_text(pn.out_shape) for pn in members}
        init = _init_lines(
            [(ident, call, f"  # {shapes[ident]}" if single else "") for ident, call in calls], defaults, _INDENT * 2
        )
        fwd = _block_forward(plan, first.index)[0] if single else bares[first.index]
        doc = _block_doc(plan, first.index, node_calls, [b.ident for b in blocks])
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
    avoid = set(_HELPER_NAMES) | helper_names | set(_MODEL_ARGS)
    node_calls: dict[int, Call] = {}
    dropouts: dict[int, float] = {}
    composite_src = _composite_classes(plan, classes, defaults, node_calls, avoid, dropouts)
    for pn in nodes:
        if pn.units and not pn.module_class:
            node_calls[pn.index] = pn.units[0].call
    block_calls: dict[int, Call] = {}
    block_src = _block_classes(plan, classes, defaults, node_calls, block_calls, avoid | {n for n, _ in composite_src})

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
            lines = _init_lines([(block.ident, block_calls[ref], f"  # {shapes}")], defaults, _INDENT * 3)
            if block.aux_only and has_aux:
                aux_init.extend(lines)
                aux_attrs.append(block.ident)
            else:
                init.extend(line[len(_INDENT) :] for line in lines)
            names = (
                (block.ident,)
                if len(block.outputs) == 1
                else tuple(top_vars.add(f"{block.ident}_{nodes[s].ident}") for s in block.outputs)
            )

            def bexpr(args: list[str], ident: str = block.ident) -> str:
                return f"self.{ident}({', '.join(args)})"

            stmt_of[(kind, ref)] = Stmt(
                block.outputs,
                block.inputs,
                bexpr,
                tuple(nodes[s].out_shape for s in block.outputs),
                block.aux_only,
                names,
                block.ident,
            )
        elif ref != plan.input_index:
            pn = nodes[ref]
            if pn.index in node_calls:
                call = head_call(pn) if pn.role in ("output", "aux") and pn.module_class else node_calls[pn.index]
                lines = _init_lines([(pn.ident, call, f"  # {shape_text(pn.out_shape)}")], defaults, _INDENT * 3)
                if pn.aux_only and has_aux:
                    aux_init.extend(lines)
                    aux_attrs.append(pn.ident)
                else:
                    init.extend(line[len(_INDENT) :] for line in lines)
            stmt_of[(kind, ref)] = _node_stmt(pn)
    stmts = [stmt_of[e] for e in (plan.schedule or plan.program) if e in stmt_of]
    if aux_init:  # torchvision's: aux heads are built only with aux_logits, else None
        init += [
            f"{_INDENT * 2}if aux_logits:",
            *aux_init,
            f"{_INDENT * 2}else:",
            *(f"{_INDENT * 3}self.{a} = None" for a in aux_attrs),
        ]
    init.append(f"{_INDENT * 2}init_weights(self)")
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
    fwd, ret_type = forward_lines(stmts, scope, _INDENT * 2)
    aux_doc = ", ".join(
        f"{nodes[i].ident} (loss weight {float(nodes[i].params['loss_weight'])!r})" for i in plan.aux_indices
    )
    title = _safe_text(plan.name) or "The design"
    model_doc = [f"{title}: {shape_text(plan.input_shape)} -> {shape_text(plan.output_shape)}."]
    if plan.description:
        model_doc += ["", *_para(plan.description, _INDENT)]
    if has_aux:
        model_doc += [
            "",
            *_para(
                f"With ``aux_logits`` (the default) the model has auxiliary heads, {aux_doc}; in training mode"
                f" ``forward`` then returns :class:`{outputs_cls}` with their logits as well. In eval mode, or"
                " without them, it returns the main logits only. Scripted (``torch.jit.script``), it always"
                f" returns :class:`{outputs_cls}`, with None for the heads that did not run.",
                _INDENT,
            ),
        ]
    model = [
        f"class {model_cls}(nn.Module):",
        *_docstring(model_doc),
        "",
        f"{_INDENT}input_shape = {literal(tuple(plan.input_shape))}",
        *wrap(_INDENT, "aux_names: tuple[str, ...] = ", ("", [literal(nodes[i].name) for i in plan.aux_indices])),
        f"{_INDENT}aux_weights: tuple[float, ...] = "
        f"{literal(tuple(float(nodes[i].params['loss_weight']) for i in plan.aux_indices))}",
        "",
        *_signature("__init__", model_args, "None"),
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
                f'{_INDENT}"""What :class:`{model_cls}` returns in training mode.',
                "",
                f"{_INDENT}``aux_logits`` are in this order: {aux_doc}.",
                f"{_INDENT}Loss: L(logits) + sum of weight * L(aux logits).",
                f"{_INDENT}Scripted, the model returns it in eval mode too, with None for the heads that did not run.",
                f'{_INDENT}"""',
                "",
                f"{_INDENT}logits: Tensor",
                *_aux_field(len(plan.aux_indices)),
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
