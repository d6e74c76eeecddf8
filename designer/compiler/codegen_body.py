"""The ``forward`` method of generated code: statements, variable names, shape comments.

Values that form a chain (read once, by the next statement) flow through ``x`` as in
torchvision; every other value keeps its node's identifier. Statements that feed only
aux heads run under ``if self.training:``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from ..graph.shapes import Shape

__all__ = ["Scope", "Stmt", "fit", "forward_lines"]

LINE = 120


def fit(pad: str, head: str, expr: str, tail: str = "") -> list[str]:
    """``pad + head + expr + tail`` on one line, or with the call's arguments on their own line."""
    line = f"{pad}{head}{expr}{tail}"
    i = expr.find("(")
    if len(line) <= LINE or i < 0 or not expr.endswith(")"):
        return [line]
    return [f"{pad}{head}{expr[: i + 1]}", f"{pad}    {expr[i + 1 : -1]}", f"{pad}){tail}"]


def _shape(shape: Shape) -> str:
    return " x ".join(["N", *(str(d) for d in shape)])


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


def forward_lines(stmts: list[Stmt], scope: Scope, indent: str, comments: bool = True) -> tuple[list[str], str]:
    """The body of ``forward`` (indented by ``indent``) and its return annotation.

    ``comments=False`` leaves out the shape comments (a class shared by several modules,
    whose shapes differ).
    """
    end = len(stmts)
    readers: dict[int, list[int]] = {}
    for k, st in enumerate(stmts):
        for s in st.ins:
            readers.setdefault(s, []).append(k)
    for s in (*scope.returns, *scope.aux_returns):
        readers.setdefault(s, []).append(end)
    last = {s: max(r) for s, r in readers.items()}
    merged = {s for st in stmts if len(st.ins) > 1 for s in st.outs}

    names = dict(scope.args)
    holder = next((s for s, n in names.items() if n == "x"), None)
    lines = [f"{indent}# {', '.join(_shape(s) for s in scope.arg_shapes)}"] if comments else []
    in_aux = False
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
            lines.append(f"{indent}if self.training:")
            in_aux = True
        elif not st.aux_only:
            in_aux = False
        if in_aux:
            pad = indent + "    "
        comment = "  # " + ", ".join(_shape(s) for s in st.shapes) if comments else ""
        if k == end - 1 and direct_return:
            lines += fit(pad, "return ", st.expr(args), comment)
            return lines, "Tensor"
        if len(st.outs) == 1:
            s = st.outs[0]
            chain = set(readers[s]) == {k + 1} or (s == scope.returns[0] and not st.aux_only)
            if chain and _flows(st, holder, readers, last, k, merged):
                names[s] = "x"
                holder = s
            else:
                names[s] = st.names[0]
            target = names[s]
        else:
            for s, n in zip(st.outs, st.names, strict=True):
                names[s] = n
            target = ", ".join(st.names)
        lines += fit(pad, f"{target} = ", st.expr(args), comment)

    if scope.aux_returns:
        aux = ", ".join(names[s] for s in scope.aux_returns)
        aux = f"({aux},)" if len(scope.aux_returns) == 1 else f"({aux})"
        main = names[scope.returns[0]]
        if not in_aux:
            lines.append(f"{indent}if self.training:")
        lines += [f"{indent}    return {scope.outputs_cls}({main}, {aux})", f"{indent}return {main}"]
        return lines, f"Tensor | {scope.outputs_cls}"
    if len(scope.returns) == 1:
        lines.append(f"{indent}return {names[scope.returns[0]]}")
        return lines, "Tensor"
    lines.append(f"{indent}return {', '.join(names[s] for s in scope.returns)}")
    return lines, f"tuple[{', '.join('Tensor' for _ in scope.returns)}]"


def _flows(
    st: Stmt, holder: int | None, readers: dict[int, list[int]], last: dict[int, int], k: int, merged: set[int]
) -> bool:
    """Whether statement ``k``'s result may take the name ``x``.

    Either it continues the chain in ``x`` (``x = f(x)``, ``x`` read by nothing else), or
    ``x`` is dead and the statement starts a new chain from a value that forks (one input
    that several statements read, like a block that also feeds an aux head) or from the
    result of a merge.
    """
    if holder is not None and holder in st.ins and set(readers[holder]) == {k}:
        return True
    if holder is not None and last[holder] >= k:
        return False
    return len(st.ins) == 1 and (len(readers[st.ins[0]]) > 1 or st.ins[0] in merged)
