"""The ``forward`` method of generated code: statements, variable names, shape comments.

Values that form a chain (read once, by the next statement) flow through ``x`` as in
torchvision; every other value keeps its node's identifier. Statements that feed only
aux heads run under ``if self.training:``. A model with aux heads returns as torchvision's
GoogLeNet does, so that ``torch.jit.script`` works: the ``NamedTuple`` when scripted (one return
type), else through an ``@torch.jit.unused`` ``eager_outputs`` method (the logits, or the
``NamedTuple`` in training mode with the aux heads).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from ..graph.shapes import Shape
from .names import Namespace

__all__ = ["Expr", "Scope", "Stmt", "chain_name", "fit", "forward_lines", "signature", "snake", "wrap"]

LINE = 120


def fit(pad: str, head: str, expr: str, tail: str = "") -> list[str]:
    """``pad + head + expr + tail`` on one line, or with the call's arguments on their own line."""
    line = f"{pad}{head}{expr}{tail}"
    i = expr.find("(")
    if len(line) <= LINE or i < 0 or not expr.endswith(")"):
        return [line]
    return [f"{pad}{head}{expr[: i + 1]}", f"{pad}    {expr[i + 1 : -1]}", f"{pad}){tail}"]


def signature(pad: str, name: str, params: list[str], ret: str) -> list[str]:
    """``def name(self, a: int, ...) -> ret:``, one parameter a line when long, as ruff format writes it."""
    head = [f"{pad}def {name}(self{''.join(f', {a}' for a in params)}) -> {ret}:"]
    if len(head[0]) > LINE:
        head = [f"{pad}def {name}(", f"{pad}    self,", *(f"{pad}    {a}," for a in params), f"{pad}) -> {ret}:"]
    return head


#: An expression for :func:`wrap`: text, or a call ``(callee, [arguments])`` (a tuple when the callee is "").
Expr = str | tuple[str, list["Expr"]]


def _flat(expr: Expr) -> str:
    if isinstance(expr, str):
        return expr
    callee, items = expr
    comma = "," if not callee and len(items) == 1 else ""
    return f"{callee}({', '.join(_flat(i) for i in items)}{comma})"


def wrap(pad: str, head: str, expr: Expr, tail: str = "") -> list[str]:
    """``pad + head + expr + tail`` as ruff format writes it: on one line; else the arguments on one
    line of their own; else one a line with a trailing comma (each wrapped alike)."""
    line = f"{pad}{head}{_flat(expr)}{tail}"
    if len(line) <= LINE or isinstance(expr, str):
        return [line]
    callee, items = expr
    inner = f"{pad}    {', '.join(_flat(i) for i in items)}"
    if len(inner) <= LINE and callee:  # a call hugs its arguments; a tuple is one item a line
        return [f"{pad}{head}{callee}(", inner, f"{pad}){tail}"]
    return [
        f"{pad}{head}{callee}(",
        *(line for item in items for line in wrap(f"{pad}    ", "", item, ",")),
        f"{pad}){tail}",
    ]


def _shape(shape: Shape) -> str:
    return " x ".join(["N", *(str(d) for d in shape)])


def snake(ident: str) -> str:
    """``Mixed_6e -> mixed_6e``, ``AuxLogits -> aux_logits``: a local variable's spelling."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", ident).lower()


def chain_name(idents: list[str]) -> str:
    """One variable for a chain of statements: the ``_``-separated words its names share
    (``b2_reduce, b2_3x3 -> b2``; ``branch7x7_1 ... branch7x7_3 -> branch7x7``), else the last name."""
    if len(idents) == 1:
        return idents[0]
    words = [i.split("_") for i in idents]
    shared: list[str] = []
    for column in zip(*words, strict=False):
        if len(set(column)) > 1:
            break
        shared.append(column[0])
    return "_".join(shared) or idents[-1]


@dataclass(frozen=True)
class Stmt:
    """One line of ``forward``: ``outs = expr(ins)``."""

    outs: tuple[int, ...]
    ins: tuple[int, ...]
    expr: Callable[[list[str]], str]
    shapes: tuple[Shape, ...]
    aux_only: bool
    #: Variable names for the outputs when they do not flow through ``x`` (unique in the scope).
    names: tuple[str, ...]
    #: The attribute the statement calls (``inception4a``), or "" for an inline merge.
    module: str = ""


@dataclass
class Scope:
    """The method's arguments (slot -> parameter name) and what it returns."""

    args: dict[int, str]
    arg_shapes: list[Shape]
    returns: list[int]
    taken: set[str] = field(default_factory=set)
    #: Model scope only: aux head slots, returned with ``returns[0]`` in training mode.
    aux_returns: list[int] = field(default_factory=list)
    outputs_cls: str = ""
    #: Model scope with aux heads: the model class (for the scripting warning) and the name of
    #: its ``@torch.jit.unused`` method that returns in eager mode (``eager_outputs``).
    model_cls: str = ""
    eager: str = "eager_outputs"
    #: Names locals must not take (besides Python's and the module's).
    reserved: set[str] = field(default_factory=set)
    #: The model's scope: the trunk flows through ``x`` (else a block's: one variable per branch).
    trunk: bool = False


def forward_lines(stmts: list[Stmt], scope: Scope, indent: str, comments: bool = True) -> tuple[list[str], str]:
    """The body of ``forward`` (indented by ``indent``) and its return annotation.

    ``comments=False`` leaves out the shape comments (a class shared by several modules,
    whose shapes differ). A model scope (one with ``aux_returns`` or ``outputs_cls``) threads
    the trunk through ``x``; a block scope gives each branch one variable (see :func:`_block_lines`).
    With aux heads, the lines go on after ``forward``'s body with the ``eager_outputs`` method
    (see :func:`_aux_returns`).
    """
    if scope.trunk or scope.aux_returns:
        return _model_lines(stmts, scope, indent, comments)
    return _block_lines(stmts, scope, indent, comments)


def _readers(stmts: list[Stmt], scope: Scope) -> dict[int, list[int]]:
    end = len(stmts)
    readers: dict[int, list[int]] = {}
    for k, st in enumerate(stmts):
        for s in st.ins:
            readers.setdefault(s, []).append(k)
    for s in (*scope.returns, *scope.aux_returns):
        readers.setdefault(s, []).append(end)
    return readers


def _comment(st: Stmt, comments: bool) -> str:
    return "  # " + ", ".join(_shape(s) for s in st.shapes) if comments else ""


def _returns(scope: Scope, names: dict[int, str], indent: str) -> tuple[list[str], str]:
    if len(scope.returns) == 1:
        return [f"{indent}return {names[scope.returns[0]]}"], "Tensor"
    return (
        [f"{indent}return {', '.join(names[s] for s in scope.returns)}"],
        f"tuple[{', '.join('Tensor' for _ in scope.returns)}]",
    )


def _block_lines(stmts: list[Stmt], scope: Scope, indent: str, comments: bool) -> tuple[list[str], str]:
    """A block's ``forward``: one variable per branch, reused along it (``b2 = self.b2_reduce(x)``,
    ``b2 = self.b2_3x3(b2)``), and a blank line between branches, as torchvision writes them."""
    end = len(stmts)
    readers = _readers(stmts, scope)
    producer = {s: k for k, st in enumerate(stmts) for s in st.outs}
    # continues[k]: statement k takes over its one input's variable (it is that value's only reader).
    # (An argument read by one statement only is taken over as well: ``x = self.pool(x)``.)
    continues = [
        len(st.outs) == 1
        and len(st.ins) == 1
        and readers[st.ins[0]] == [k]
        and (st.ins[0] in scope.args or len(stmts[producer[st.ins[0]]].outs) == 1)
        for k, st in enumerate(stmts)
    ]
    head = list(range(end))  # the first statement of each statement's chain
    for k in range(end):
        if continues[k] and stmts[k].ins[0] in producer:
            head[k] = head[producer[stmts[k].ins[0]]]
    members: dict[int, list[str]] = {}
    for k, st in enumerate(stmts):
        members.setdefault(head[k], []).append(st.names[0])
    # branch[k]: statements that read only the block's arguments start a branch; a merge of
    # values from one branch stays in it; a merge of several branches starts a new one.
    branch: list[int] = []
    for k, st in enumerate(stmts):
        inner = {branch[producer[s]] for s in st.ins if s in producer}
        branch.append(inner.pop() if len(inner) == 1 else k)
    space = Namespace({*scope.args.values(), *scope.taken, *scope.reserved})
    names = dict(scope.args)
    lines = [f"{indent}# {', '.join(_shape(s) for s in scope.arg_shapes)}"] if comments else []
    direct_return = (
        len(scope.returns) == 1
        and bool(stmts)
        and stmts[-1].outs == (scope.returns[0],)
        and readers[scope.returns[0]] == [end]
    )
    last = {s: max(r) for s, r in readers.items()}
    held: dict[str, int] = {}  # variable -> the slot it holds now

    def fresh(base: str, k: int) -> str:
        """``base``, reused once the value it holds is dead (``branch3x3dbl = torch.cat(...)``)."""
        if base in held and last.get(held[base], end) <= k:
            return base
        return space.add(base, "out")

    for k, st in enumerate(stmts):
        args = [names[s] for s in st.ins]
        if k and branch[k] != branch[k - 1]:
            lines.append("")
        comment = _comment(st, comments)
        if k == end - 1 and direct_return:
            lines += fit(indent, "return ", st.expr(args), comment)
            return lines, "Tensor"
        if len(st.outs) == 1:
            s = st.outs[0]
            if continues[k]:
                names[s] = names[st.ins[0]]
            else:
                names[s] = fresh(snake(chain_name(members[head[k]])), k)
            held[names[s]] = s
            target = names[s]
        else:
            for s, n in zip(st.outs, st.names, strict=True):
                names[s] = fresh(snake(n), k)
                held[names[s]] = s
            target = ", ".join(names[s] for s in st.outs)
        lines += fit(indent, f"{target} = ", st.expr(args), comment)
    more, ret = _returns(scope, names, indent)
    return lines + more, ret


def _model_lines(stmts: list[Stmt], scope: Scope, indent: str, comments: bool) -> tuple[list[str], str]:
    """The model's ``forward``: the trunk flows through ``x``; an aux head runs right where it
    branches off, when it was built (``aux_logits``) and in training mode."""
    end = len(stmts)
    readers = _readers(stmts, scope)
    space = Namespace({*scope.args.values(), *scope.taken, *scope.reserved})
    names = dict(scope.args)
    holder = next((s for s, n in names.items() if n == "x"), None)
    lines = [f"{indent}# {', '.join(_shape(s) for s in scope.arg_shapes)}"] if comments else []
    in_aux = False
    aux_set = set(scope.aux_returns)
    direct_return = (
        not scope.aux_returns
        and len(scope.returns) == 1
        and bool(stmts)
        and stmts[-1].outs == (scope.returns[0],)
        and readers[scope.returns[0]] == [end]
    )
    for k, st in enumerate(stmts):
        args = [names[s] for s in st.ins]
        pad = indent
        if st.aux_only and not in_aux:
            run = stmts[k:]
            run = run[: next((i for i, t in enumerate(run) if not t.aux_only), len(run))]
            for t in run:
                for s, n in zip(t.outs, t.names, strict=True):
                    if s in aux_set:
                        names[s] = space.add(snake(n), "aux")
                        lines.append(f"{indent}{names[s]}: Tensor | None = None")
            guard = next((t.module for t in run if t.module), "")
            cond = f"self.{guard} is not None and self.training" if guard else "self.training"
            lines.append(f"{indent}if {cond}:")
            in_aux = True
        elif not st.aux_only:
            in_aux = False
        if in_aux:
            pad = indent + "    "
        comment = _comment(st, comments)
        if k == end - 1 and direct_return:
            lines += fit(pad, "return ", st.expr(args), comment)
            return lines, "Tensor"
        if len(st.outs) == 1:
            s = st.outs[0]
            if s not in names:
                if not st.aux_only and _flows(st, stmts, holder, readers, k, scope):
                    names[s] = "x"
                    holder = s
                else:
                    names[s] = space.add(snake(st.names[0]), "out")
            target = names[s]
        else:
            for s, n in zip(st.outs, st.names, strict=True):
                if s not in names:
                    names[s] = space.add(snake(n), "out")
            target = ", ".join(names[s] for s in st.outs)
        lines += fit(pad, f"{target} = ", st.expr(args), comment)

    if scope.aux_returns:
        main, aux = names[scope.returns[0]], [names[s] for s in scope.aux_returns]
        return lines + _aux_returns(scope, main, aux, indent), f"Tensor | {scope.outputs_cls}"
    more, ret = _returns(scope, names, indent)
    return lines + more, ret


def _if(pad: str, tests: list[str], op: str, tail: str = "") -> list[str]:
    """``if a and b:``; in parentheses, one test a line when long, as ruff format writes it."""
    line = f"{pad}if {f' {op} '.join(tests)}:{tail}"
    if len(line) <= LINE:
        return [line]
    inner = f"{pad}    {f' {op} '.join(tests)}"
    if len(inner) <= LINE:
        return [f"{pad}if (", inner, f"{pad}):{tail}"]
    return [f"{pad}if (", f"{pad}    {tests[0]}", *(f"{pad}    {op} {t}" for t in tests[1:]), f"{pad}):{tail}"]


def _aux_returns(scope: Scope, main: str, aux: list[str], indent: str) -> list[str]:
    """The end of a model's ``forward`` with aux heads, then its ``eager_outputs`` method, as
    torchvision's GoogLeNet: a scripted model always returns the ``NamedTuple`` (TorchScript
    needs one return type; a head that did not run gives None), an eager one the logits, or the
    ``NamedTuple`` in training mode with the aux heads (a method TorchScript leaves out)."""
    outputs = scope.outputs_cls
    tup: Expr = ("", list(aux))
    pad = indent[: -len("    ")]
    message = f"Scripted {scope.model_cls or 'model'} always returns {outputs}"
    return [
        f"{indent}if torch.jit.is_scripting():",
        *_if(f"{indent}    ", [f"{a} is None" for a in aux], "or"),
        *wrap(f"{indent}        ", "", ("warnings.warn", [f'"{message}"', "stacklevel=2"])),
        *wrap(f"{indent}    ", "return ", (outputs, [main, tup])),
        f"{indent}else:",
        *wrap(f"{indent}    ", "return ", (f"self.{scope.eager}", [main, *aux])),
        "",
        f"{pad}@torch.jit.unused",
        *signature(pad, scope.eager, ["x: Tensor", *(f"{a}: Tensor | None" for a in aux)], f"Tensor | {outputs}"),
        f'{indent}"""The logits, or :class:`{outputs}` in training mode with the aux heads (not scripted)."""',
        *_if(indent, [f"{a} is not None" for a in aux], "and", "  # training mode, with the aux heads"),
        *wrap(f"{indent}    ", "return ", (outputs, ["x", tup])),
        f"{indent}return x",
    ]


def _flows(
    st: Stmt, stmts: list[Stmt], holder: int | None, readers: dict[int, list[int]], k: int, scope: Scope
) -> bool:
    """Whether statement ``k``'s (main-path) result may take the name ``x``.

    Its value must be read by the next main-path statement (or returned), with at most aux
    statements in between; and ``x`` must be free: either this statement reads it last, or
    nothing reads it any more.
    """
    s = st.outs[0]
    rs = sorted(set(readers[s]))
    end = len(stmts)
    main_readers = [r for r in rs if r == end or not stmts[r].aux_only]
    if len(main_readers) != 1:
        return False
    m = main_readers[0]
    if rs[-1] > m or (m != end and any(not stmts[j].aux_only for j in range(k + 1, m))):
        return False
    if m == end and s != scope.returns[0]:
        return False
    if holder is None or holder == s:
        return True
    last = max(readers.get(holder, [-1]))
    return last <= k
