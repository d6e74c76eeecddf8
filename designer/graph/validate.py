"""Validation: structural checks with networkx, then exact shape inference in topological order.

``validate(doc)`` is a pure function of the document. It reports root causes only: a
node whose input shape is unknown (because an upstream node failed, or it sits on a
cycle) gets no shape and no extra diagnostic.
"""

from __future__ import annotations

import functools
import gc
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from .blame import fmt_dims, merge_diagnostics, reaching
from .diagnostics import Diagnostic, Severity
from .document import GraphDocument, Node
from .nodes.merge import MergeMismatch
from .params import ParamError
from .registry import Step
from .shapes import Shape, ShapeError

__all__ = ["Bindings", "Report", "validate"]


@dataclass(frozen=True)
class Bindings:
    """What an instance fixes when its module definition is validated for it.

    ``shapes``: the output shape of each ``Module input`` node (the tensor arriving at the
    instance's port); ``params``: full parameter dicts replacing those of inner nodes (the
    instance's values of exposed parameters).
    """

    shapes: dict[str, Shape] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Report:
    """Shapes, expanded layers and diagnostics of one document revision."""

    order: list[str] = field(default_factory=list)
    shapes: dict[str, Shape | None] = field(default_factory=dict)
    in_shapes: dict[str, list[Shape]] = field(default_factory=dict)
    #: Each node's layers; tuples shared between identical nodes and revisions (never mutate them).
    steps: dict[str, tuple[Step, ...]] = field(default_factory=dict)
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


#: Inference results by (node type, parameters, input shapes). ``infer`` is a pure function,
#: so after an edit only the nodes whose parameters or input shapes changed are inferred again.
_INFER_CACHE: dict[tuple[Any, ...], tuple[Shape, tuple[Step, ...]]] = {}
_INFER_CACHE_SIZE = 16_384


#: More elements per image than any machine holds (2**48 floats are a petabyte): a design
#: whose channels double at every step gets here, and its figures would not even print.
MAX_ELEMENTS = 2**48


def _check_size(shape: Shape) -> None:
    n = 1
    for d in shape:
        n *= d
    if n > MAX_ELEMENTS:
        raise ShapeError(f"the output would hold {n:.3g} values per image, more than any machine can hold")


def _infer(ntype: Any, params: dict[str, Any], ins: list[Shape]) -> tuple[Shape, tuple[Step, ...]]:
    # ``version`` changes when a module definition is edited (built-in types: always 0).
    key: tuple[Any, ...] = (ntype, ntype.version, tuple(params.items()), tuple(ins))
    try:
        hit = _INFER_CACHE.get(key)
    except TypeError:  # a pair parameter such as [1, 7] is a list
        key = (ntype, key[1], tuple((k, tuple(v) if type(v) is list else v) for k, v in params.items()), key[3])
        try:
            hit = _INFER_CACHE.get(key)
        except TypeError:  # an unhashable value that validated parameters never have
            out, steps = ntype.infer(params, ins)
            return out, tuple(steps)
    if hit is None:
        out, steps = ntype.infer(params, ins)
        _check_size(out)
        if len(_INFER_CACHE) >= _INFER_CACHE_SIZE:
            _INFER_CACHE.clear()
        hit = _INFER_CACHE[key] = (out, tuple(steps))
    return hit


def gc_paused(fn):
    """Run ``fn`` with Python's cyclic garbage collector paused (restored afterwards).

    Validation allocates many small objects and creates no reference cycles; on a
    10,000-node design the collector's scans of the growing heap cost a third of the
    time (25 vs 17 us per node, measured in benchmarks/validate_scaling.py).
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return fn(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper


@gc_paused
def validate(doc: GraphDocument, bindings: Bindings | None = None) -> Report:
    """Check the document and infer every node's output shape.

    ``bindings`` validates a module definition for one instance (see :class:`Bindings`).
    """
    rep = Report(revision=doc.revision)
    bound = bindings.shapes if bindings is not None else {}
    overrides = bindings.params if bindings is not None else {}
    diag = rep.diagnostics.append
    nodes = doc.nodes
    succ = doc.succ  # networkx-layout adjacency dicts, read only: networkx's views cost more than this whole loop
    types = {nid: n.type for nid, n in nodes.items()}
    in_edges = {nid: doc.in_edges(nid) for nid in nodes}

    # --- inputs, outputs ---------------------------------------------------
    roles = Counter(t.role for t in types.values())
    if not roles["input"]:
        diag(Diagnostic(Severity.ERROR, "no-input", "the design has no Input node"))
    if roles["output"] > 1:
        for nid, n in nodes.items():
            if types[nid].role == "output":
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
        rep.output_id = next(nid for nid, t in types.items() if t.role == "output")
    elif nodes:
        ends = [nid for nid, t in types.items() if t.role not in ("aux", "input") and not succ[nid]]
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
    for nid, n in nodes.items():
        ports = types[nid].inputs
        for port in ports:
            edges = in_edges[nid] if len(ports) == 1 else [e for e in in_edges[nid] if e.dst_port == port.name]
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

    # --- topological order (Kahn's; nodes on or behind a cycle never become ready) ---
    indeg = {nid: len(edges) for nid, edges in in_edges.items()}
    ready = deque(nid for nid, d in indeg.items() if d == 0)
    order = rep.order
    while ready:
        nid = ready.popleft()
        order.append(nid)
        for child, keys in succ[nid].items():
            d = indeg[child] - len(keys)
            indeg[child] = d
            if d == 0:
                ready.append(child)

    # --- cycles (only when the order left nodes out) ---------------------------
    if len(order) < len(nodes):
        import networkx as nx  # only a design with a cycle needs it

        g = doc.graph
        position = {nid: i for i, nid in enumerate(nodes)}
        for comp in nx.strongly_connected_components(g):
            if len(comp) == 1 and not g.has_edge(next(iter(comp)), next(iter(comp))):
                continue
            cycle = nx.find_cycle(g.subgraph(comp))
            path = [nodes[u].name for u, *_ in cycle] + [nodes[cycle[0][0]].name]
            first = min(comp, key=position.__getitem__)
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

    # --- shape inference in topological order ---------------------------------
    shapes = rep.shapes
    for nid in nodes:
        shapes[nid] = None
    for nid in order:
        if nid in bad_ports:
            continue
        ins = [shapes[e.src] for e in in_edges[nid]]
        if None in ins:
            continue
        n = nodes[nid]
        rep.in_shapes[nid] = ins  # type: ignore[assignment]
        if bound and nid in bound:
            shapes[nid] = bound[nid]
            rep.steps[nid] = ()
            continue
        try:
            params = overrides.get(nid, n.params) if overrides else n.params
            out, steps = _infer(types[nid], params, ins)  # type: ignore[arg-type]
        except MergeMismatch as exc:
            rep.diagnostics.extend(merge_diagnostics(doc, rep, n, spatial=exc.spatial, infer=_infer))
            continue
        except ShapeError as exc:
            where = f" (input {fmt_dims(ins[0])})" if ins else ""
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
    preds = doc.pred  # node -> {predecessor: edges}, read only
    heads = [nid for nid, t in types.items() if t.role == "aux"]
    if rep.output_id is not None:
        rep.main = reaching(preds, [rep.output_id])
        useful = reaching(preds, heads, rep.main)
        heads.append(rep.output_id)
    else:
        useful = reaching(preds, heads) if heads else set()
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
    names = [n.name for n in nodes.values()]
    if len(set(names)) < len(names):
        counts = Counter(names)
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
