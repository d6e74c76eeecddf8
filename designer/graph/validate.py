"""Validation: structural checks with networkx, then exact shape inference in topological order.

``validate(doc)`` is a pure function of the document. It reports root causes only: a
node whose input shape is unknown (because an upstream node failed, or it sits on a
cycle) gets no shape and no extra diagnostic.
"""

from __future__ import annotations

from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

import networkx as nx

from .diagnostics import Diagnostic, Fix, Severity
from .document import GraphDocument, Node
from .nodes.merge import MergeMismatch
from .params import ParamError
from .registry import Step
from .shapes import Shape, ShapeError, fmt_hw, fmt_shape

__all__ = ["Report", "validate"]


@dataclass
class Report:
    """Shapes, expanded layers and diagnostics of one document revision."""

    order: list[str] = field(default_factory=list)
    shapes: dict[str, Shape | None] = field(default_factory=dict)
    in_shapes: dict[str, list[Shape]] = field(default_factory=dict)
    steps: dict[str, list[Step]] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    #: Nodes that feed the main output (the inference graph).
    main: set[str] = field(default_factory=set)
    #: Nodes of the compiled model: ``main`` plus the aux heads and what feeds them (empty without heads).
    model: set[str] = field(default_factory=set)
    #: The node whose output the model returns (the Output node, or the design's single end).
    output_id: str | None = None
    revision: int = -1

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.ERROR]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == Severity.WARNING]

    @property
    def ok(self) -> bool:
        """True when the design has no errors (it compiles)."""
        return not self.errors

    def for_node(self, node_id: str) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.node_id == node_id]

    def edge_shape(self, doc: GraphDocument, edge_id: str) -> Shape | None:
        return self.shapes.get(doc.edges[edge_id].src)


def _label(node: Node) -> str:
    return repr(node.name)


def validate(doc: GraphDocument) -> Report:
    """Check the document and infer every node's output shape."""
    rep = Report(revision=doc.revision)
    diag = rep.diagnostics.append
    nodes = doc.nodes

    # --- inputs, outputs ---------------------------------------------------
    roles = Counter(n.type.role for n in nodes.values())
    if not roles["input"]:
        diag(Diagnostic(Severity.ERROR, "no-input", "the design has no Input node"))
    if roles["output"] > 1:
        for n in nodes.values():
            if n.type.role == "output":
                diag(
                    Diagnostic(
                        Severity.ERROR,
                        "many-outputs",
                        f"there are {roles['output']} Output nodes; a design has one main output "
                        "(use Aux head for auxiliary classifiers)",
                        n.id,
                    )
                )
    elif roles["output"] == 1:
        rep.output_id = next(nid for nid, n in nodes.items() if n.type.role == "output")
    elif nodes:
        ends = [
            nid for nid, n in nodes.items() if n.type.role not in ("aux", "input") and not doc.graph.out_degree(nid)
        ]
        if len(ends) == 1:
            rep.output_id = ends[0]
            diag(
                Diagnostic(
                    Severity.INFO,
                    "no-output",
                    f"no Output (classifier) node: the model returns the output of {nodes[ends[0]].name!r}; "
                    "add an Output node to train it",
                    ends[0],
                )
            )
        else:
            names = ", ".join(repr(nodes[e].name) for e in ends[:5]) + (" ..." if len(ends) > 5 else "")
            diag(
                Diagnostic(
                    Severity.ERROR,
                    "no-output",
                    f"the design has no Output node and {len(ends)} loose ends ({names}); "
                    "add an Output node after the one that is the result",
                )
            )

    # --- ports -------------------------------------------------------------
    bad_ports: set[str] = set()
    for n in nodes.values():
        for port in n.type.inputs:
            edges = doc.in_edges(n.id, port.name)
            if not edges:
                bad_ports.add(n.id)
                diag(
                    Diagnostic(
                        Severity.ERROR,
                        "unconnected",
                        f"{_label(n)}: input {port.name!r} is not connected",
                        n.id,
                        port.name,
                    )
                )
            elif port.multi and len(edges) == 1:
                diag(
                    Diagnostic(
                        Severity.WARNING,
                        "single-input",
                        f"{_label(n)}: {n.type.display_name} has a single input and does nothing; "
                        "connect the other branches",
                        n.id,
                        port.name,
                    )
                )
            elif not port.multi and len(edges) > 1:
                bad_ports.add(n.id)
                names = ", ".join(repr(nodes[e.src].name) for e in edges)
                diag(
                    Diagnostic(
                        Severity.ERROR,
                        "extra-input",
                        f"{_label(n)}: input {port.name!r} takes one edge but has {len(edges)} ({names}); "
                        "merge them with a Concat or Add",
                        n.id,
                        port.name,
                        edge_ids=tuple(e.id for e in edges),
                    )
                )

    # --- cycles --------------------------------------------------------------
    g = doc.graph
    on_cycle: set[str] = set()
    if not nx.is_directed_acyclic_graph(g):
        for comp in nx.strongly_connected_components(g):
            if len(comp) == 1 and not g.has_edge(next(iter(comp)), next(iter(comp))):
                continue
            on_cycle |= comp
            cycle = nx.find_cycle(g.subgraph(comp))
            path = [nodes[u].name for u, *_ in cycle] + [nodes[cycle[0][0]].name]
            first = min(comp, key=lambda nid: list(nodes).index(nid))
            diag(
                Diagnostic(
                    Severity.ERROR,
                    "cycle",
                    "cycle: " + " -> ".join(path) + "; a network must be acyclic",
                    first,
                    edge_ids=tuple(k for *_, k in cycle),
                    related=tuple(sorted(comp)),
                )
            )

    # --- shape inference (Kahn's order; cyclic parts never become ready) -----
    indeg = {nid: 0 for nid in nodes}
    for e in doc.edges.values():
        indeg[e.dst] += 1
    ready = deque(nid for nid, d in indeg.items() if d == 0)
    order = rep.order
    while ready:
        nid = ready.popleft()
        order.append(nid)
        for _, child in g.out_edges(nid):
            indeg[child] -= 1
            if indeg[child] == 0:
                ready.append(child)

    shapes = rep.shapes
    for nid in nodes:
        shapes[nid] = None
    for nid in order:
        n = nodes[nid]
        if nid in bad_ports:
            continue
        ins = [shapes[e.src] for e in doc.in_edges(nid)]
        if any(s is None for s in ins):
            continue
        rep.in_shapes[nid] = ins  # type: ignore[assignment]
        try:
            out, steps = n.type.infer(n.params, ins)  # type: ignore[arg-type]
        except MergeMismatch as exc:
            _report_mismatch(doc, rep, n, exc)
            continue
        except ShapeError as exc:
            where = f" (input {fmt_shape(ins[0])})" if ins else ""
            diag(Diagnostic(Severity.ERROR, "shape", f"{_label(n)}: {exc.message}{where}", nid, exc.port, exc.param))
            continue
        except ParamError as exc:  # parameters that only fail in combination
            diag(
                Diagnostic(
                    Severity.ERROR,
                    "param",
                    f"{_label(n)}: {exc}",
                    nid,
                    param=exc.args[1] if len(exc.args) > 1 else None,
                )
            )
            continue
        shapes[nid] = out
        rep.steps[nid] = steps

    # --- reachability --------------------------------------------------------
    heads = [nid for nid, n in nodes.items() if n.type.role == "aux"]
    if rep.output_id is not None:
        heads.append(rep.output_id)
        rep.main = {rep.output_id} | nx.ancestors(g, rep.output_id)
    useful = set(heads).union(*(nx.ancestors(g, h) for h in heads)) if heads else set()
    rep.model = useful
    if heads:
        for nid, n in nodes.items():
            if nid not in useful:
                diag(
                    Diagnostic(
                        Severity.WARNING,
                        "dead-end",
                        f"{_label(n)} does not reach the output; it will not be part of the model",
                        nid,
                    )
                )

    # --- names ---------------------------------------------------------------
    counts = Counter(n.name for n in nodes.values())
    for nid, n in nodes.items():
        if counts[n.name] > 1:
            diag(
                Diagnostic(
                    Severity.WARNING,
                    "duplicate-name",
                    f"{counts[n.name]} nodes are called {n.name!r}; exported code will number them",
                    nid,
                )
            )
    return rep


# --------------------------------------------------------------------------- mismatches
def _main_input(doc: GraphDocument, node_id: str) -> str | None:
    edges = doc.in_edges(node_id)
    return edges[0].src if edges else None


def _trace_cause(doc: GraphDocument, rep: Report, start: str, good: Any, key) -> str:
    """Walk upstream from ``start`` to the first node whose output left the ``good`` value.

    ``key(shape)`` is the part of the shape being compared (H x W for concat).
    """
    node, seen = start, set()
    while node not in seen:
        seen.add(node)
        parent = _main_input(doc, node)
        if parent is None or rep.shapes.get(parent) is None:
            return node
        if key(rep.shapes[parent]) == good:
            return node
        node = parent
    return start


def _candidate_fixes(node: Node) -> list[tuple[str, Any]]:
    p = node.params
    out: list[tuple[str, Any]] = []
    if "padding" in p and p["padding"] != "same":
        out.append(("padding", "same"))
    if "ceil_mode" in p:
        out.append(("ceil_mode", not p["ceil_mode"]))
    if "stride" in p and p["stride"] not in (1, [1, 1]):
        out.append(("stride", 1))
    if "pool_padding" in p and p["pool_padding"] != "same":
        out.append(("pool_padding", "same"))
    return out


def _path(doc: GraphDocument, cause: str, end: str) -> list[str] | None:
    """Nodes from ``cause`` to ``end`` following main inputs backwards; None if not a simple chain."""
    path = [end]
    node = end
    while node != cause:
        node = _main_input(doc, node)
        if node is None or node in path:
            return None
        path.append(node)
    return list(reversed(path))


def _verify_fix(doc: GraphDocument, rep: Report, path: list[str], param: str, value: Any) -> Shape | None:
    """Re-infer the chain ``path`` with one parameter of its first node changed."""
    shape: Shape | None = None
    for i, nid in enumerate(path):
        n = doc.nodes[nid]
        params = dict(n.params)
        if i == 0:
            try:
                params[param] = n.type.param(param).validate(value)
            except (KeyError, ParamError):
                return None
        ins = list(rep.in_shapes.get(nid, []))
        if i > 0:
            if not ins:
                return None
            ins[0] = shape  # type: ignore[assignment]
        try:
            shape, _ = n.type.infer(params, ins)
        except ShapeError:
            return None
    return shape


def _report_mismatch(doc: GraphDocument, rep: Report, merge: Node, exc: MergeMismatch) -> None:
    edges = doc.in_edges(merge.id)
    ins = rep.in_shapes[merge.id]
    ref = exc.reference
    key = (lambda s: s[1:] if len(s) == 3 else s) if exc.spatial else (lambda s: s)
    good = key(ref)
    agreeing = [doc.nodes[edges[i].src].name for i in range(len(edges)) if i not in exc.bad]
    what = fmt_hw if exc.spatial else fmt_shape
    for i in exc.bad:
        edge = edges[i]
        src = doc.nodes[edge.src]
        bad_shape = ins[i]
        others = ", ".join(repr(a) for a in agreeing[:3]) + (" ..." if len(agreeing) > 3 else "")
        msg = (
            f"{_label(merge)}: input {i} from {_label(src)} is {fmt_shape(bad_shape)}, but "
            f"{'the others are' if len(agreeing) > 1 else 'the other is'} "
            f"{what(ref)} ({others})"
        )
        cause = _trace_cause(doc, rep, src.id, good, key) if len(bad_shape) == len(ref) else src.id
        fix = None
        cnode = doc.nodes[cause]
        cin = rep.in_shapes.get(cause, [])
        if len(bad_shape) == len(ref):
            before = what(cin[0]) if cin else "?"
            msg += (
                f". Cause: {_label(cnode)} ({cnode.type.summary(cnode.params)}) turns {before} into "
                f"{what(rep.shapes[cause])}"
            )  # type: ignore[arg-type]
            path = _path(doc, cause, src.id)
            if path is not None:
                for param, value in _candidate_fixes(cnode):
                    result = _verify_fix(doc, rep, path, param, value)
                    if result is not None and key(result) == good:
                        fix = Fix(f"Set {param} of {_label(cnode)} to {value!r}", ((cause, param, value),))
                        break
            if fix is None and not exc.spatial and "out_channels" in src.params and bad_shape[1:] == ref[1:]:
                fix = Fix(f"Set out_channels of {_label(src)} to {ref[0]}", ((src.id, "out_channels", ref[0]),))
        rep.diagnostics.append(
            Diagnostic(
                Severity.ERROR,
                "merge-mismatch",
                msg,
                merge.id,
                "in",
                edge_ids=(edge.id,),
                cause_id=cause,
                fix=fix,
                related=(src.id,),
            )
        )
