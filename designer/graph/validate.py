"""Validation: structural checks with networkx, then exact shape inference in topological order.

``validate(doc)`` is a pure function of the document. It reports root causes only: a
node whose input shape is unknown (because an upstream node failed, or it sits on a
cycle) gets no shape and no extra diagnostic.

**Incremental.** The first validation of a document subscribes a :class:`Tracked` to its
events. When only parameters changed since the previous report (or module definitions, whose
instances then count as changed), the next report is that one updated: the changed nodes are
inferred again in topological order, then each node whose input shapes changed, stopping where
the shapes come out as before (merges that reported a mismatch are asked again, as their
messages blame nodes above them). A design of 1,250 module instances re-validates in about a
millisecond after an instance edit (benchmarks/edit_latency.py). Any other change (a node or edge
added or removed, a rename) makes the next validation a full one. The report is always the one
a full validation gives, dict orders included (tests/graph/test_incremental.py compares them
after random edits). Each report's :class:`Delta` says what it was updated from and which
nodes changed, so :func:`~designer.graph.cost.compute_costs`, :func:`~designer.graph.lint.lint`
and :func:`~designer.graph.input_sizes.analyse_input_sizes` update their own previous results
the same way, and a view can redraw only those nodes (:meth:`Report.changed_since`).
"""

from __future__ import annotations

import functools
import gc
import heapq
import itertools
import threading
import weakref
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from .blame import fmt_dims, merge_diagnostics, reaching
from .diagnostics import Diagnostic, Severity
from .document import (
    MODULE_PREFIX,
    DocEvent,
    GraphDocument,
    GroupAdded,
    GroupRemoved,
    ModuleChanged,
    Node,
    NodeMoved,
    ParamChanged,
)
from .module_type import ModuleError
from .nodes.merge import MergeMismatch
from .params import ParamError
from .registry import Step
from .shapes import Shape, ShapeError

__all__ = ["UPDATE_SHARE", "Bindings", "Delta", "Report", "Tracked", "Worklist", "few", "forget", "tracked", "validate"]


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
    #: How this report was made (for incremental updates; not part of the result).
    delta: Delta | None = field(default=None, compare=False, repr=False)

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

    def changed_since(self, previous: Report | None) -> frozenset[str] | None:
        """The nodes whose output shape, input shapes, layers (so costs) or diagnostics (their
        own, or errors blaming them) may differ from those in ``previous``, when this report was
        updated from it; None when that is not known (any node may differ). A view that showed
        ``previous`` redraws these nodes and the edges touching them; the rest stay as they are.
        """
        d, p = self.delta, previous.delta if previous is not None else None
        if d is None or p is None:
            return None
        # The reports in between may have gone to another caller (the document's reports form
        # one chain, whoever asked): what changed since ``previous`` is what each step changed.
        out: set[str] = set()
        for base, shown in d.history:
            if shown is None:
                return None
            out |= shown
            if base == p.serial:
                return frozenset(out)
        return None


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


# --------------------------------------------------------------------------- incremental state
class Tracked:
    """One document's changes since its last validation, and the analyses' previous results.

    A listener of the document's events (subscribed on the first :func:`validate`). Parameter
    edits and module definition edits are remembered by node; anything else that can change a
    report (a node or edge added or removed, a rename, a reset) makes the next validation a
    full one. ``costs``, ``lint`` and ``sizes`` are where :mod:`.cost`, :mod:`.lint` and
    :mod:`.input_sizes` keep what they need to update their previous result. Nothing here
    refers to the document (it is held weakly by :data:`_TRACKED`).
    """

    def __init__(self) -> None:
        #: Nodes whose parameters changed since :attr:`report`.
        self.params: set[str] = set()
        #: A module definition changed (instances' shapes, ports and parameters may have).
        self.modules = False
        #: Something else changed: the next validation is a full one.
        self.structure = True
        #: Groups were added or removed (costs per group).
        self.groups = False
        self.report: Report | None = None
        self.costs: Any = None
        self.lint: Any = None
        self.sizes: Any = None
        self.lock = threading.Lock()

    def on_event(self, event: DocEvent) -> None:
        t = type(event)
        if t is ParamChanged:
            self.params.add(event.node_id)  # type: ignore[attr-defined]
        elif t is NodeMoved:
            pass
        elif t is ModuleChanged:
            self.modules = True
        elif t is GroupAdded or t is GroupRemoved:
            self.groups = True
        else:  # a node, an edge, a name, a reset; and any event added later
            self.structure = True

    def reset(self, report: Report) -> None:
        self.params = set()
        self.modules = self.structure = self.groups = False
        self.report = report


_TRACKED: weakref.WeakKeyDictionary[GraphDocument, Tracked] = weakref.WeakKeyDictionary()


def tracked(doc: GraphDocument) -> Tracked:
    """The document's :class:`Tracked` (subscribed to its events on first use)."""
    t = _TRACKED.get(doc)
    if t is None:
        t = _TRACKED[doc] = Tracked()
        doc.subscribe(t.on_event)
    return t


def forget(doc: GraphDocument | None = None) -> None:
    """Drop what was kept for incremental analysis (of ``doc``, or of every document): the next
    validation, costs and advice are computed from scratch (benchmarks' cold runs)."""
    for t in [_TRACKED.get(doc)] if doc is not None else list(_TRACKED.values()):
        if t is not None:
            t.structure = True
            t.report = t.costs = t.lint = t.sizes = None


_serials = itertools.count(1)

#: Costs are updated node by node while at most this share of the design's nodes changed;
#: beyond it (a definition edit reaching every instance) they are counted from scratch, which is
#: then quicker (1,250 instances: 5 ms instead of 8). Advice and input sizes are always updated:
#: node by node they cost what they cost from scratch, and save the rest. (Tests set 1.0.)
UPDATE_SHARE = 0.25


def few(changed: int, total: int) -> bool:
    """Whether ``changed`` of ``total`` nodes are few enough to update node by node."""
    return changed <= UPDATE_SHARE * total


@dataclass(eq=False)
class Delta:
    """How a report was made, for the analyses that update their previous result from it.

    ``base`` is the serial of the report this one was updated from (None: a full validation).
    ``dirty``: nodes whose parameters changed since (every module instance after a definition
    edit); ``touched``: nodes whose output shape, input shapes or layers differ from the base's.
    """

    serial: int
    base: int | None
    dirty: frozenset[str]
    touched: frozenset[str]
    modules: bool
    groups: bool
    #: The parts of the diagnostics list: structure (inputs, outputs, ports, cycles), shape
    #: inference by node (in topological order), reachability and names.
    head: list[Diagnostic]
    by_node: dict[str, list[Diagnostic]]
    tail: list[Diagnostic]
    #: Merges that reported disagreeing inputs (their messages depend on every node above them).
    mismatched: set[str]
    bad_ports: set[str]
    #: Each node's place in ``order`` (shared between reports of one structure; read only).
    pos: dict[str, int]
    #: The Input-role nodes, in document order.
    inputs: tuple[str, ...]
    #: ``touched`` and the nodes whose diagnostics differ from the base's, or that those blame
    #: (None: a full validation). See :meth:`Report.changed_since`.
    shown: frozenset[str] | None = None
    #: The nodes of ``dirty`` whose parameters were set (the others are module instances whose
    #: definition changed: their values change only if their parameter dict was replaced).
    edited: frozenset[str] = frozenset()
    #: The last few steps of the chain of updates that made this report, newest first: each
    #: step's base serial and its ``shown`` (for :meth:`Report.changed_since`).
    history: tuple[tuple[int, frozenset[str] | None], ...] = ()


#: How many update steps back :meth:`Report.changed_since` can see.
HISTORY = 8


class Worklist:
    """Nodes to visit in topological order (``pos``: each node's place in ``order``), growing as
    the visit goes: a node pushed while its parent is visited comes later. A heap when few nodes
    are to be visited; a sweep of the order from the first one when many are (a definition edit
    that reaches every instance). Nodes without a place (on or behind a cycle) are left out."""

    def __init__(self, pos: dict[str, int], order: list[str], nodes: Iterable[str]):
        self.pos, self.order = pos, order
        self.queued = {nid for nid in nodes if nid in pos}
        self.sweep = 8 * len(self.queued) > len(order)
        self.heap = [] if self.sweep else [(pos[nid], nid) for nid in self.queued]
        heapq.heapify(self.heap)

    def push(self, nid: str) -> None:
        if nid not in self.queued and nid in self.pos:
            self.queued.add(nid)
            if not self.sweep:
                heapq.heappush(self.heap, (self.pos[nid], nid))

    def __iter__(self) -> Iterator[str]:
        queued = self.queued
        if self.sweep:
            if queued:
                order = self.order
                for i in range(min(self.pos[nid] for nid in queued), len(order)):
                    nid = order[i]
                    if nid in queued:
                        yield nid
            return
        heap = self.heap
        while heap:
            yield heapq.heappop(heap)[1]


# --------------------------------------------------------------------------- validation
@gc_paused
def validate(doc: GraphDocument, bindings: Bindings | None = None) -> Report:
    """Check the document and infer every node's output shape.

    ``bindings`` validates a module definition for one instance (see :class:`Bindings`).

    Without bindings, the result is updated from the document's previous report when only
    parameters (or module definitions) changed since: the nodes whose parameters changed and
    what their new shapes reach are inferred again, nothing else. The report is the one a full
    validation gives (tests/graph/test_incremental.py checks it after random edits).
    """
    if bindings is not None:
        return _validate(doc, False, bound=bindings.shapes, overrides=bindings.params)[0]
    t = tracked(doc)
    if not t.lock.acquire(blocking=False):  # validated on another thread right now: do not share
        return _validate(doc, False)[0]
    try:
        prev = t.report
        delta = prev.delta if prev is not None else None
        if prev is None or delta is None or t.structure:
            rep, delta = _validate(doc, True)
        else:
            rep = _update(doc, prev, delta, t)
        t.reset(rep)
        return rep
    finally:
        t.lock.release()


def _head(
    doc: GraphDocument,
    types: dict[str, Any],
    in_edges: dict[str, list[Any]],
) -> tuple[list[Diagnostic], set[str], str | None]:
    """Inputs, outputs, ports and cycles: the diagnostics, the nodes with bad ports, the output."""
    out: list[Diagnostic] = []
    diag = out.append
    nodes = doc.nodes
    succ = doc.succ
    output_id: str | None = None
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
        output_id = next(nid for nid, t in types.items() if t.role == "output")
    elif nodes:
        ends = [nid for nid, t in types.items() if t.role not in ("aux", "input") and not succ[nid]]
        if len(ends) == 1:
            output_id = ends[0]
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
    port_specs: dict[int, tuple[Any, ...]] = {}  # by type: a module's ports are computed on each access
    for nid, n in nodes.items():
        t = types[nid]
        ports = port_specs.get(id(t))
        if ports is None:
            ports = port_specs[id(t)] = tuple(t.inputs)
        if len(ports) == 1 and not ports[0].multi and len(in_edges[nid]) == 1:
            continue  # the common case: one edge into a single input
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
    return out, bad_ports, output_id


def _cycles(doc: GraphDocument, order: list[str], diag: Any) -> None:
    """Report each cycle (only when the order left nodes out)."""
    nodes = doc.nodes
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


def _infer_node(
    doc: GraphDocument, rep: Report, n: Node, ntype: Any, params: dict[str, Any], ins: list[Shape]
) -> tuple[Shape | None, tuple[Step, ...] | None, list[Diagnostic] | None, bool]:
    """``(shape, steps, diagnostics, mismatched)`` of one node whose inputs are all known."""
    try:
        out, steps = _infer(ntype, params, ins)
    except MergeMismatch as exc:
        return None, None, merge_diagnostics(doc, rep, n, spatial=exc.spatial, infer=_infer), True
    except ShapeError as exc:
        # (an instance's message already names the input inside where it failed)
        where = f" (input {fmt_dims(ins[0])})" if ins and not isinstance(exc, ModuleError) else ""
        d = Diagnostic(Severity.ERROR, "shape", f"{_label(n)}: {exc.message}{where}", n.id, exc.port, exc.param)
        return None, None, [d], False
    except ParamError as exc:  # parameters that only fail in combination
        d = Diagnostic(
            Severity.ERROR,
            "param",
            f"{_label(n)}: {exc}",
            n.id,
            param=exc.args[1] if len(exc.args) > 1 else None,
        )
        return None, None, [d], False
    return out, steps, None, False


def _tail(doc: GraphDocument, rep: Report, types: dict[str, Any]) -> list[Diagnostic]:
    """Reachability (sets ``main`` and ``model``) and names."""
    out: list[Diagnostic] = []
    diag = out.append
    nodes = doc.nodes
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
    return out


def _validate(
    doc: GraphDocument,
    keep: bool,
    bound: dict[str, Shape] | None = None,
    overrides: dict[str, dict[str, Any]] | None = None,
) -> tuple[Report, Delta | None]:
    """A full validation (with its :class:`Delta`, to be updated later, when ``keep``)."""
    rep = Report(revision=doc.revision)
    nodes = doc.nodes
    succ = doc.succ  # networkx-layout adjacency dicts, read only: networkx's views cost more than this whole loop
    types = {nid: n.type for nid, n in nodes.items()}
    in_edges = {nid: doc.in_edges(nid) for nid in nodes}

    head, bad_ports, rep.output_id = _head(doc, types, in_edges)
    rep.diagnostics = head

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
    _cycles(doc, order, head.append)

    # --- shape inference in topological order ---------------------------------
    shapes = rep.shapes
    for nid in nodes:
        shapes[nid] = None
    by_node: dict[str, list[Diagnostic]] = {}
    mismatched: set[str] = set()
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
        params = overrides.get(nid, n.params) if overrides else n.params
        out, steps, diags, mismatch = _infer_node(doc, rep, n, types[nid], params, ins)  # type: ignore[arg-type]
        if diags is not None:
            by_node[nid] = diags
            if mismatch:
                mismatched.add(nid)
            continue
        shapes[nid] = out
        rep.steps[nid] = steps  # type: ignore[assignment]
    tail = _tail(doc, rep, types)
    rep.diagnostics = head + [d for ds in by_node.values() for d in ds] + tail
    if not keep:
        return rep, None
    delta = Delta(
        next(_serials),
        None,
        frozenset(),
        frozenset(),
        True,
        True,
        head,
        by_node,
        tail,
        mismatched,
        bad_ports,
        {nid: i for i, nid in enumerate(order)},
        tuple(nid for nid, t in types.items() if t.role == "input"),
    )
    rep.delta = delta
    return rep, delta


def _update(doc: GraphDocument, prev: Report, old: Delta, t: Tracked) -> Report:
    """``prev`` brought up to date after parameter (and module definition) edits only."""
    nodes = doc.nodes
    succ = doc.succ
    rep = Report(revision=doc.revision)
    rep.order = list(prev.order)  # (copies: a report is its caller's to keep)
    rep.output_id = prev.output_id
    rep.main, rep.model = set(prev.main), set(prev.model)
    shapes = rep.shapes = dict(prev.shapes)
    in_shapes = rep.in_shapes = dict(prev.in_shapes)
    steps_of = rep.steps = dict(prev.steps)
    by_node = dict(old.by_node)
    mismatched = set(old.mismatched)
    head, bad_ports = old.head, old.bad_ports
    pos = old.pos
    dirty = set(t.params)
    if t.modules:
        # A definition changed: its instances (and those of the ones that use it) infer again, with
        # the ports and parameters it now declares.
        types = {nid: n.type for nid, n in nodes.items()}
        head, bad_ports, _ = _head(doc, types, {nid: doc.in_edges(nid) for nid in nodes})
        _cycles(doc, rep.order, head.append)
        dirty.update(nid for nid, n in nodes.items() if n.type_id.startswith(MODULE_PREFIX))
        dirty.update(bad_ports ^ old.bad_ports)
    dirty &= nodes.keys()
    touched: set[str] = set()
    shown: set[str] = set()
    if head is not old.head:
        for d in [d for d in head if d not in old.head] + [d for d in old.head if d not in head]:
            shown.update(n for n in (d.node_id, d.cause_id) if n is not None)
    if dirty:
        # The merges that reported a mismatch blame nodes above them: always asked again.
        work = Worklist(pos, rep.order, dirty | mismatched)
        added = False
        for nid in work:
            old_shape = shapes[nid]
            old_ins = in_shapes.get(nid)
            old_steps = steps_of.get(nid)
            new_shape: Shape | None = None
            new_ins: list[Shape] | None = None
            new_steps: tuple[Step, ...] | None = None
            diags: list[Diagnostic] | None = None
            mismatch = False
            if nid not in bad_ports:
                ins = [shapes[e.src] for e in doc.in_edges(nid)]
                if None not in ins:
                    new_ins = ins  # type: ignore[assignment]
                    in_shapes[nid] = ins  # type: ignore[assignment]  (merge blame reads it)
                    n = nodes[nid]
                    new_shape, new_steps, diags, mismatch = _infer_node(doc, rep, n, n.type, n.params, ins)  # type: ignore[arg-type]
            # Store (a key that was missing is added; the dicts are put back in order below).
            if new_ins is None:
                in_shapes.pop(nid, None)
            elif old_ins is None:
                added = True
            shapes[nid] = new_shape
            if new_steps is None:
                steps_of.pop(nid, None)
            else:
                if old_steps is None:
                    added = True
                steps_of[nid] = new_steps
            old_diags = by_node.get(nid)
            if diags is None:
                by_node.pop(nid, None)
            else:
                if old_diags is None:
                    added = True
                by_node[nid] = diags
            if diags != old_diags:  # what the canvas shows on it, and on the nodes its errors blame
                shown.add(nid)
                shown.update(d.cause_id for d in (*(old_diags or ()), *(diags or ())) if d.cause_id is not None)
            if mismatch:
                mismatched.add(nid)
            else:
                mismatched.discard(nid)
            if new_shape != old_shape:
                touched.add(nid)
                for child in succ[nid]:
                    work.push(child)
            elif new_steps is not old_steps or new_ins != old_ins:
                touched.add(nid)
        if added:  # as a full validation fills them: in topological order
            order = rep.order
            rep.in_shapes = {nid: in_shapes[nid] for nid in order if nid in in_shapes}
            rep.steps = {nid: steps_of[nid] for nid in order if nid in steps_of}
            by_node = {nid: by_node[nid] for nid in order if nid in by_node}
    rep.diagnostics = head + [d for ds in by_node.values() for d in ds] + old.tail
    rep.delta = Delta(
        next(_serials),
        old.serial,
        frozenset(dirty),
        frozenset(touched),
        t.modules,
        t.groups,
        head,
        by_node,
        old.tail,
        mismatched,
        bad_ports,
        pos,
        old.inputs,
        frozenset(shown | touched),
        frozenset(t.params & nodes.keys()),
    )
    rep.delta.history = ((old.serial, rep.delta.shown), *old.history[: HISTORY - 1])
    return rep
