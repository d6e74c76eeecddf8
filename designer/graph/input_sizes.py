"""Which input sizes a design accepts: the smallest, and where a merge disagrees.

A design validated at 28 x 28 may break at 27 x 27: a branch with stride 2 and padding
'valid' gives 13 x 13 where a stride-1 branch gives 14 x 14 (or 27 -> 14 with 'same'), and
the concat cannot join them. :func:`analyse_input_sizes` answers, for each dimension of the
single Input node, which sizes in a range validate, the smallest that does, and why the
others fail (the node that cannot run, or the merge whose inputs disagree, with validation's
own message and cause at one failing size).

How it is fast (GoogLeNet, 448 sizes: about 7 ms; Inception v3 and Inception-ResNet, 598
heights and 598 widths: about 15-20 ms; the validation of one size alone is 0.5-3 ms):

* **One dimension at a time.** Every layer treats height and width separately (kernels,
  strides, paddings and 'same' padding are per dimension), so a size works iff its height
  works (at the design's width) and its width works (at the design's height). A square
  design whose layers are all square needs one pass.
* **Each node is inferred at few sizes.** All sizes are pushed through the graph together;
  each node maps the distinct input shapes it receives, with the node type's own ``infer``
  (never a copy of its formulas). Past the size where all its layers fit, a node's output
  is periodic: with ``P`` the product of its strides, input ``s + P`` gives output
  ``out(s) + 1`` (floor and ceil of ``(s + a) / stride``, 'same' padding and ceil-mode
  pools all are), or a constant (a global pool). So a node with many inputs is inferred
  at ``P + 1`` sizes above its largest input (the period is checked there, and a node
  that does not follow it is inferred at every size), plus a binary search for the
  smallest input it fits (fitting is monotone). Failures that depend on the residue
  (an average pool whose 'same' padding would be uneven) repeat with the period too.

* **Memos outlive one analysis.** A node that maps a feature map to a feature map and is
  valid at the design's size has sizes that do not depend on channel counts, so what was
  inferred for it is kept by (type, parameters, the input's other dimension, axis): after
  an edit only the edited node is inferred again (a 500-node design: about 5 ms per edit).
  A whole unchanged design (a move, a rename) returns the previous result.
* **Updated, not redone.** After parameter edits (see :func:`designer.graph.validate.validate`)
  each axis's previous propagation is updated: the edited nodes, those whose shapes changed,
  and the nodes whose inputs' sizes those change, in topological order (10,000 nodes: about
  2 ms per edit). The validations of copies that explain a breakage are kept while every
  changed node comes after the node whose error they found.

A Flatten's output and anything flat after it are inferred at every size they receive.
The one thing not modelled: an Add of two flat vectors whose lengths depend on the size.
The model is checked against validation at every size, and against torch, on random
designs (tests/graph/test_input_sizes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .document import GraphDocument
from .nodes.merge import MergeMismatch
from .params import MAX_SPATIAL, ParamError
from .registry import Step
from .shapes import Shape, ShapeError
from .validate import Report, Worklist, tracked, validate

__all__ = ["AxisSizes", "Breakage", "Failure", "InputSizes", "analyse_input_sizes", "describe_sizes"]

#: Nodes receiving at most this many distinct inputs are inferred at each (no period model).
_DIRECT = 8
#: Longest period modelled (the product of a node's strides); longer: inferred at every size.
_MAX_PERIOD = 64
#: Validation errors that do not depend on the input's size: no size analysis then.
_STRUCTURAL = {"no-input", "many-outputs", "no-output", "unconnected", "extra-input", "cycle", "param"}


@dataclass(frozen=True)
class Failure:
    """Why one node cannot run at some input size."""

    node_id: str
    message: str
    #: A merge whose inputs disagree (otherwise the node's own layers do not fit).
    merge: bool = False


@dataclass
class AxisSizes:
    """The sizes of one input dimension, the other held at the design's (or, when that fails, at a
    size where it works: see :attr:`other`)."""

    axis: str  # "height" or "width"
    design: int
    sizes: range
    #: The other dimension's size during the analysis: the design's, unless it fails there.
    other: int
    #: Every failing size of ``sizes`` -> the nodes that fail there (topological order).
    failures: dict[int, tuple[Failure, ...]] = field(default_factory=dict)

    @property
    def smallest(self) -> int | None:
        """The smallest size in :attr:`sizes` that validates (None: none does)."""
        return next((s for s in self.sizes if s not in self.failures), None)

    def works(self, size: int) -> bool | None:
        """Whether ``size`` validates; None outside :attr:`sizes`."""
        return size not in self.failures if size in self.sizes else None

    @property
    def breaks(self) -> list[int]:
        """Failing sizes above :attr:`smallest` (the ones a user would not expect)."""
        low = self.smallest
        return [] if low is None else sorted(s for s in self.failures if s > low)


@dataclass(frozen=True)
class Breakage:
    """Sizes above the smallest at which one node fails, with the reason at one of them."""

    axis: str
    node_id: str
    merge: bool
    sizes: tuple[int, ...]
    #: "odd sizes", "even heights", "sizes that are not multiples of 4" ... ("" when there is no pattern).
    pattern: str
    #: The failing size nearest the design's, where :attr:`message` was produced.
    example: int
    #: Validation's error at :attr:`example` (for a merge: which input disagrees, and the cause).
    message: str
    cause_id: str | None = None


@dataclass
class InputSizes:
    """What :func:`analyse_input_sizes` found. ``works(h, w)`` answers for any size in the ranges."""

    input_id: str
    #: The Input node's name (for messages).
    name: str
    design: tuple[int, int]
    height: AxisSizes
    width: AxisSizes
    #: The width analysis is the height analysis (a square design of square layers): sizes are ``s x s``.
    symmetric: bool
    #: Failing sizes above the smallest, by the node that fails first, nearest the design's first.
    breakages: list[Breakage] = field(default_factory=list)
    #: Validation's first error just below the smallest size (why it is the smallest); "" if not asked.
    below_smallest: str = ""
    #: Node names by id (for messages).
    names: dict[str, str] = field(default_factory=dict)

    @property
    def smallest(self) -> tuple[int, int] | None:
        """The smallest height and width that validate (each at the other's design value)."""
        h, w = self.height.smallest, self.width.smallest
        return None if h is None or w is None else (h, w)

    def works(self, height: int, width: int) -> bool | None:
        """Whether the design validates at ``height x width``; None outside the analysed ranges."""
        h, w = self.height.works(height), self.width.works(width)
        return None if h is None or w is None else h and w

    @property
    def design_works(self) -> bool:
        return bool(self.works(*self.design))

    @property
    def has_breaks(self) -> bool:
        return bool(self.height.breaks or self.width.breaks)

    def at(self, size: int, axis: str) -> str:
        """``'27 x 27'`` (symmetric), ``'27 x 320'`` (a height) or ``'224 x 27'`` (a width)."""
        h0, w0 = self.design
        if self.symmetric:
            return f"{size} x {size}"
        return f"{size} x {w0}" if axis == "height" else f"{h0} x {size}"

    def noun(self, axis: str) -> str:
        return "sizes" if self.symmetric else f"{axis}s"

    def summary(self) -> str:
        """Where it works, the smallest input, and where and why it breaks, in a few lines."""
        h0, w0 = self.design
        low = self.smallest
        top = f"{self.height.sizes[-1]} x {self.width.sizes[-1]}"
        if low is None:
            return f"fails at {h0} x {w0} and at every size up to {top}"
        smallest = f"the smallest input it accepts is {low[0]} x {low[1]}"
        by_node: dict[str, list[Breakage]] = {}
        for b in self.breakages:
            by_node.setdefault(b.node_id, []).append(b)
        clauses = [self._clause(bs) for bs in list(by_node.values())[:2]]
        if len(by_node) > 2:
            clauses.append(f"{len(by_node) - 2} more nodes fail at other sizes")
        if self.design_works:
            text = f"works at {h0} x {w0} and {smallest}"
            if not clauses:
                return text + f"; it works at every size from there up to {top}"
            text += ", but " + "; ".join(clauses)
        else:
            near = self._working_near()
            text = f"fails at {h0} x {w0} but works at {near} ({smallest})"
            if clauses:
                text += ": " + "; ".join(clauses)
        b = self.breakages[0] if self.breakages else None
        if (
            b is not None
            and b.message
            and not (b.axis == "height" and b.example == h0)
            and not (b.axis == "width" and b.example == w0)
        ):
            message = b.message
            prefix = f"{self.names.get(b.node_id, '')!r}: "
            if message.startswith(prefix):
                message = message[len(prefix) :]
            text += f". At {self.at(b.example, b.axis)}: {message}"
        return text

    def _clause(self, bs: list[Breakage]) -> str:
        """'concat' disagrees at odd sizes: 25, 27, 29, 31, ... (26 of the 55 sizes from 2 to 56)."""
        parts = []
        for b in bs:
            axis = self.height if b.axis == "height" else self.width
            near = _nearest(b.sizes, axis.design, 4)
            examples = ", ".join(map(str, near)) + (", ..." if len(b.sizes) > len(near) else "")
            what = b.pattern or self.noun(b.axis)
            low = axis.smallest or axis.sizes.start
            if len(bs) == 1:
                n = axis.sizes.stop - low
                noun = self.noun(b.axis)
                parts.append(
                    f"{what}: {examples} ({len(b.sizes)} of the {n} {noun} from {low} to {axis.sizes.stop - 1})"
                )
            else:
                parts.append(f"{what} ({examples})")
        verb = "disagrees" if bs[0].merge else "fails"
        return f"{self.names.get(bs[0].node_id, bs[0].node_id)!r} {verb} at " + " and at ".join(parts)

    def _working_near(self) -> str:
        """The working sizes nearest the design's."""
        h0, w0 = self.design

        def near(axis: AxisSizes) -> list[int]:
            if axis.works(axis.design):
                return [axis.design]
            return _nearest(tuple(s for s in axis.sizes if s not in axis.failures), axis.design, 2)

        hs, ws = near(self.height), near(self.width)
        if self.symmetric:
            ws = hs
        pairs = [(hs[i % len(hs)], ws[i % len(ws)]) for i in range(max(len(hs), len(ws)))]
        return " and ".join(f"{h} x {w}" for h, w in pairs)


def _nearest(sizes: tuple[int, ...], design: int, n: int) -> list[int]:
    return sorted(sorted(sizes, key=lambda s: (abs(s - design), s))[:n])


def describe_sizes(failing: list[int], start: int, stop: int, noun: str = "sizes") -> str:
    """A pattern for the failing sizes among ``range(start, stop)``: 'odd sizes', 'even sizes',
    'sizes that are not multiples of 4', 'multiples of 3', 'sizes 1 and 3 mod 4' (``noun``
    instead of 'sizes'); '' when there is none with a period up to 64 that repeats twice."""
    bad = set(failing)
    n = stop - start
    for m in range(2, min(64, n // 2) + 1):
        residues = {s % m for s in bad}
        if all((s in bad) == (s % m in residues) for s in range(start, stop)):
            if m == 2:
                return f"odd {noun}" if residues == {1} else f"even {noun}"
            if residues == set(range(1, m)):
                return f"{noun} that are not multiples of {m}"
            if residues == {0}:
                return f"multiples of {m}"
            rs = sorted(residues)
            listed = ", ".join(map(str, rs[:-1])) + f" and {rs[-1]}" if len(rs) > 1 else str(rs[0])
            return f"{noun} {listed} mod {m}"
    return ""


# --------------------------------------------------------------------------- the analysis
def _with(shape: Shape, axis: int, size: int) -> Shape:
    return shape[:axis] + (size,) + shape[axis + 1 :]


class _Node:
    """Maps the inputs one node receives to its outputs (or a :class:`Failure`).

    Values are ints: a feature map's size on the axis (its channels and other dimension are
    the node's :attr:`template`'s), or minus a flat vector's length.
    """

    def __init__(
        self,
        nid: str,
        ntype: Any,
        params: dict[str, Any],
        axis: int,
        parents: list[Shape],
        memo: dict[Any, Any] | None = None,
    ):
        self.nid, self.ntype, self.params, self.axis = nid, ntype, params, axis
        #: The parents' output templates (the shapes that the ints complete).
        self.parents = parents
        self.template: Shape | None = None
        #: Outputs by input value; also "period" (the product of strides) and "other" (the output's
        #: other dimension). Shared between analyses when given (see ``_MEMOS``).
        self.memo: dict[Any, Any] = {} if memo is None else memo

    def shape(self, template: Shape, v: int) -> Shape:
        return _with(template, self.axis, v) if v > 0 else (-v,)

    def encode(self, out: Shape) -> int:
        if self.template is None:
            self.template = out
        if len(out) == 3:
            self.memo.setdefault("other", out[3 - self.axis])
            return out[self.axis]
        return -out[0]

    def infer(self, ins: list[Shape]) -> tuple[Any, Any]:
        """``(output value, steps)`` or ``(Failure, None)``: the node type's own inference."""
        try:
            out, steps = self.ntype.infer(self.params, ins)
        except MergeMismatch as exc:
            return Failure(self.nid, exc.message, True), None
        except ShapeError as exc:
            return Failure(self.nid, exc.message), None
        except ParamError as exc:
            return Failure(self.nid, str(exc)), None
        return self.encode(out), steps

    def direct(self, key: Any) -> Any:
        """The output for one input value (a tuple of them for several inputs), memoised."""
        hit = self.memo.get(key)
        if hit is None:
            if len(self.parents) == 1:
                ins = [self.shape(self.parents[0], key)]
            else:
                ins = [self.shape(t, v) for t, v in zip(self.parents, key, strict=True)]
                if all(len(i) == 3 for i in ins):
                    # Only this axis is examined: the inputs take the first one's other dimension,
                    # so a merge that disagrees there (at the design's size) does not hide this one.
                    other = 3 - self.axis
                    ins = [_with(i, other, ins[0][other]) for i in ins]
            hit = self.memo[key] = self.infer(ins)[0]
        return hit

    def map(self, keys: set[Any], agree: bool) -> dict[Any, Any] | None:
        """Outputs by input value; None when every output is its input (a same-size node).

        ``agree``: several inputs, all of the same size at every size (the keys are that size).
        """
        if agree:
            return self.merge(keys)
        if len(self.parents) != 1 or len(self.parents[0]) != 3:
            return {k: self.direct(k) for k in keys}
        return self.periodic(keys)

    def merge(self, keys: set[int]) -> dict[Any, Any] | None:
        """Inputs that agree: a merge that keeps their size (concat, add) is checked at the ends."""
        n = len(self.parents)
        lo, hi = min(keys), max(keys)
        if lo > 0 and self.direct((lo,) * n) == lo and self.direct((hi,) * n) == hi:
            return None
        return {k: self.direct((k,) * n) for k in keys}

    def periodic(self, keys: set[int]) -> dict[int, Any] | None:
        x = max(keys)
        top, period = self.memo.get(x), self.memo.get("period")
        if top is None or period is None:
            top, steps = self.infer([self.shape(self.parents[0], x)])
            if isinstance(top, Failure):
                return {k: self.direct(k) for k in keys}
            self.memo[x] = top
            period = 1
            for step in steps:
                if len(step.in_shape) == 3 and len(step.out_shape) == 3:
                    period *= step.layer.rf(step.in_shape)[1 + self.axis]
            self.memo["period"] = period  # strides do not depend on the size (the window checks it)
        elif isinstance(top, Failure):
            return {k: self.direct(k) for k in keys}
        if len(keys) <= _DIRECT and period > 1 or period > _MAX_PERIOD:
            return {k: self.direct(k) for k in keys}
        window = [top] + [self.direct(x + i) for i in range(1, period + 1)]
        end = window[period]
        if isinstance(end, Failure) or not (end == top or (top > 0 and end == top + 1)):
            return {k: self.direct(k) for k in keys}  # not the period model: infer every input
        affine = end != top
        failing = [i for i, w in enumerate(window[:period]) if isinstance(w, Failure)]
        out: dict[int, Any] = {}
        if failing:
            fits = []  # inputs whose residue works: they work iff they fit (monotone)
            for k in keys:
                base = window[(k - x) % period]
                if isinstance(base, Failure):
                    out[k] = base
                else:
                    fits.append(k)
            fits.sort()
        else:
            fits = sorted(keys)
        # The smallest input that fits: the first one, or a binary search (the largest fits).
        lo, hi = 0, len(fits) - 1
        if not isinstance(self.direct(fits[0]), Failure):
            hi = 0
        else:
            while hi - lo > 1:
                mid = (lo + hi) // 2
                if isinstance(self.direct(fits[mid]), Failure):
                    lo = mid
                else:
                    hi = mid
        if hi == 0 and not failing and period == 1 and top == x:
            return None  # same size at every input (stride 1, the size kept)
        memo = self.memo
        if hi:
            too_small = memo.get(fits[hi - 1]) or memo[fits[lo]]
            for k in fits[:hi]:
                out[k] = memo.get(k) or too_small
        if period == 1:
            d = top - x
            out.update((k, k + d) if affine else (k, top) for k in fits[hi:])
        else:
            for k in fits[hi:]:
                shift, i = divmod(k - x, period)
                out[k] = window[i] + shift if affine else window[i]
        return out


class _Epoch(dict):  # type: ignore[type-arg]
    """A cache that counts its clearings (kept analyses made with what it held are not updated)."""

    epoch = 0

    def clear(self) -> None:
        super().clear()
        self.epoch += 1


#: Node memos kept between analyses: (node type, its version, parameters, the input's other
#: dimension, axis) -> memo.
_MEMOS: _Epoch = _Epoch()
_MEMOS_SIZE = 20_000


def _params_key(params: dict[str, Any]) -> tuple[Any, ...]:
    return tuple((k, tuple(v) if type(v) is list else v) for k, v in params.items())


def _masked(template: Shape | None, axis: int) -> Shape | None:
    """A template without its size on ``axis`` (where the values go; what it holds there depends
    on which size was inferred first)."""
    return template if template is None or len(template) != 3 else _with(template, axis, 0)


@dataclass(eq=False)
class _Run:
    """One propagation (an axis, the other dimension at ``other``): each node's values, template and
    failures, kept to be updated after an edit."""

    axis: int
    sizes: range
    other: int
    values: dict[str, list[Any]]
    templates: dict[str, Shape]
    #: Nodes that fail at some sizes -> ``(size, failure)``, in topological order.
    fails: dict[str, list[tuple[int, Failure]]]

    def failures(self) -> dict[int, tuple[Failure, ...]]:
        out: dict[int, list[Failure]] = {}
        for fs in self.fails.values():
            for s, f in fs:
                out.setdefault(s, []).append(f)
        return {s: tuple(fs) for s, fs in out.items()}


class _Propagation:
    """Pushes every size of one axis through the graph, node by node (see :func:`_propagate`)."""

    def __init__(
        self,
        doc: GraphDocument,
        rep: Report,
        input_id: str,
        axis: int,
        sizes: range,
        other: int,
        pkeys: dict[str, tuple[Any, ...]],
        run: _Run,
    ):
        self.doc, self.rep, self.input_id, self.axis, self.sizes, self.pkeys = doc, rep, input_id, axis, sizes, pkeys
        design = rep.shapes[input_id]
        assert design is not None
        self.design = _with(design, 3 - axis, other)
        self.run = run
        self.alive: list[list[Any]] = []  # every list whose id is a key below lives until the end
        self.keysets: dict[int, set[Any]] = {}
        self.done: dict[tuple[Any, ...], tuple[dict[Any, Any] | None, Shape | None]] = {}

    def node(self, nid: str) -> None:
        """Infer ``nid`` at every size its inputs take (its parents are done)."""
        run, doc, rep = self.run, self.doc, self.rep
        values, templates = run.values, run.templates
        node = doc.nodes[nid]
        run.fails.pop(nid, None)
        templates.pop(nid, None)
        if nid == self.input_id:
            values[nid] = list(self.sizes)
            templates[nid] = self.design
            return
        srcs = [e.src for e in doc.in_edges(nid)]
        if any(s not in templates for s in srcs):  # a parent never produced anything
            values[nid] = [None] * len(self.sizes)
            return
        parents = [values[s] for s in srcs]
        agree = False
        if len(parents) == 1:
            ins = parents[0]
        elif all(p is parents[0] or p == parents[0] for p in parents) and all(len(templates[s]) == 3 for s in srcs):
            ins, agree = parents[0], True  # feature maps of the same size at every size
        else:
            ins = [None if None in t else t for t in zip(*parents, strict=True)]
            self.alive.append(ins)
        ptemplates = tuple(templates[s] for s in srcs)
        pkey = self.pkeys[nid]
        key = (node.type_id, pkey, ptemplates, agree, id(ins))
        hit = self.done.get(key)
        if hit is None:
            keys = self.keysets.get(id(ins))
            if keys is None:
                keys = self.keysets[id(ins)] = set(ins)
                keys.discard(None)
            memo = None
            design_out = rep.shapes.get(nid)
            if len(srcs) == 1 and len(ptemplates[0]) == 3 and nid in rep.steps and design_out and len(design_out) == 3:
                # A feature map to a feature map, valid at the design's size: its sizes do not depend on
                # the channels (errors about channels would not depend on the size), so its memo is kept
                # across analyses by what they do depend on; a channel edit upstream reuses it. (By
                # the type itself and its version: a module's instances follow their definition, and
                # two documents' definitions of one id are not the same.)
                axis = self.axis
                ntype = node.type
                mkey = (ntype, ntype.version, pkey, ptemplates[0][3 - axis], axis)
                memo = _MEMOS.get(mkey)
                if memo is None:
                    if len(_MEMOS) >= _MEMOS_SIZE:
                        _MEMOS.clear()
                    memo = _MEMOS[mkey] = {}
            n = _Node(nid, node.type, node.params, self.axis, list(ptemplates), memo)
            m = n.map(keys, agree) if keys else {}
            if n.template is None and memo is not None and "other" in memo:
                c = design_out[0]  # type: ignore[index]
                n.template = (c, memo["other"], 1) if self.axis == 2 else (c, 1, memo["other"])
            hit = self.done[key] = m, n.template
        m, template = hit
        if m is not None and all(k == v for k, v in m.items()):
            m = None  # every output is its input: pass the list on (and share what follows it)
        if m is None:
            values[nid] = ins
            templates[nid] = template or templates[srcs[0]]
            return
        if template is not None:
            templates[nid] = template
        vals = list(map(m.get, ins))
        failed = {k: v for k, v in m.items() if isinstance(v, Failure)}
        if failed:
            start = self.sizes.start
            fails = []
            for i, k in enumerate(ins):
                f = failed.get(k) if k is not None else None
                if f is not None:
                    fails.append((start + i, Failure(nid, f.message, f.merge)))
                    vals[i] = None
            if fails:
                run.fails[nid] = fails
        values[nid] = vals


def _propagate(
    doc: GraphDocument,
    rep: Report,
    input_id: str,
    axis: int,
    sizes: range,
    other: int,
    pkeys: dict[str, tuple[Any, ...]],
    prev: _Run | None = None,
    changed: set[str] | None = None,
) -> _Run:
    """Every failing size of ``sizes`` on ``axis`` (1: height, 2: width), the other dimension at
    ``other`` -> its root failures (:meth:`_Run.failures`).

    Each node's values are a list over ``sizes``; a node that keeps the size passes its input's
    list on (the same object), so identical nodes on identical inputs (the repeated blocks of
    Inception-ResNet) are mapped once: results are shared by (type, parameters, input shapes,
    input list).

    With ``prev`` (this run on the previous report of the document) and ``changed`` (the nodes
    whose parameters, shapes or layers changed since), only those and the nodes whose inputs
    they change are mapped again; the others keep their values.
    """
    if prev is None or changed is None:
        run = _Run(axis, sizes, other, {}, {}, {})
        p = _Propagation(doc, rep, input_id, axis, sizes, other, pkeys, run)
        for nid in rep.order:
            p.node(nid)
        return run
    run = _Run(axis, sizes, other, dict(prev.values), dict(prev.templates), dict(prev.fails))
    p = _Propagation(doc, rep, input_id, axis, sizes, other, pkeys, run)
    pos = rep.delta.pos  # type: ignore[union-attr]
    work = Worklist(pos, rep.order, changed)
    values, templates, fails = run.values, run.templates, run.fails
    succ = doc.succ
    added = False
    for nid in work:
        old_values, old_template = values.get(nid), templates.get(nid)
        had_fails = nid in fails
        p.node(nid)
        if nid in fails and not had_fails:
            added = True
        template = templates.get(nid)
        if values[nid] != old_values or (
            template != old_template and _masked(template, axis) != _masked(old_template, axis)
        ):
            for child in succ[nid]:
                work.push(child)
    if added:  # in topological order, as a full run finds them
        run.fails = {nid: fails[nid] for nid in sorted(fails, key=pos.__getitem__)}
    return run


def _breakages(res: InputSizes, axis_sizes: AxisSizes) -> list[Breakage]:
    """The failing sizes above the smallest, grouped by the node that fails first."""
    low = axis_sizes.smallest
    if low is None:
        return []
    by_node: dict[str, list[int]] = {}
    for s in axis_sizes.breaks:
        by_node.setdefault(axis_sizes.failures[s][0].node_id, []).append(s)
    out = []
    for nid, sizes in by_node.items():
        example = _nearest(tuple(sizes), axis_sizes.design, 1)[0]
        first = axis_sizes.failures[example][0]
        pattern = describe_sizes(sizes, low, axis_sizes.sizes.stop, res.noun(axis_sizes.axis))
        out.append(Breakage(axis_sizes.axis, nid, first.merge, tuple(sizes), pattern, example, first.message))
    return out


def _first_error(doc: GraphDocument, input_id: str, h: int, w: int) -> Any:
    """The design's first error at ``h x w`` (validated on a copy), or None."""
    copy = doc.copy()
    try:
        copy.set_params(input_id, {"height": h, "width": w})
    except ParamError:
        return None
    errors = validate(copy).errors
    return errors[0] if errors else None


class _Errors:
    """:func:`_first_error` by size, kept while no node above the error changes.

    The first error at a size comes from the first node in topological order that fails there,
    and that node's error depends only on the nodes before it: an edit of nodes after it leaves
    it as it is (a design with no error there keeps nothing).
    """

    def __init__(self) -> None:
        self.found: dict[tuple[str, int, int], tuple[Any, int]] = {}

    def get(self, doc: GraphDocument, pos: dict[str, int] | None, input_id: str, h: int, w: int) -> Any:
        key = (input_id, h, w)
        hit = self.found.get(key)
        if hit is not None:
            return hit[0]
        d = _first_error(doc, input_id, h, w)
        if pos is not None:
            anchor = pos.get(d.node_id, -1) if d is not None and d.node_id is not None else -1
            self.found[key] = (d, anchor)
        return d

    def after(self, first_changed: int) -> _Errors:
        """Those that stay valid when the first node changed is at position ``first_changed``."""
        out = _Errors()
        out.found = {k: v for k, v in self.found.items() if 0 <= v[1] < first_changed}
        return out


def _explained(
    doc: GraphDocument, res: InputSizes, b: Breakage, errors: _Errors, pos: dict[str, int] | None
) -> Breakage:
    """``b`` with validation's own message (and blamed cause) at its example size."""
    h, w = (b.example, res.height.other) if b.axis == "height" else (res.width.other, b.example)
    if res.symmetric:
        h = w = b.example
    d = errors.get(doc, pos, res.input_id, h, w)
    if d is None:
        return b
    return Breakage(b.axis, b.node_id, b.merge, b.sizes, b.pattern, b.example, d.message, d.cause_id)


#: Recent analyses by everything they depend on (the UI analyses after every edit; a move or a
#: rename changes nothing here).
_CACHE: _Epoch = _Epoch()
_CACHE_SIZE = 8


def _signature(doc: GraphDocument, pkeys: dict[str, tuple[Any, ...]]) -> tuple[Any, ...]:
    # A module instance's sizes follow its definition: the type itself (two documents' definitions
    # of one id differ) and its version are part of what it is.
    nodes = tuple((nid, n.type, n.type.version, n.name, pkeys[nid]) for nid, n in doc.nodes.items())
    edges = tuple((e.src, e.dst, e.dst_port) for nid in doc.nodes for e in doc.in_edges(nid))
    return nodes, edges


def _axes(
    doc: GraphDocument,
    rep: Report,
    input_id: str,
    heights: range,
    widths: range,
    symmetric: bool,
    pkeys: dict[str, tuple[Any, ...]],
    runs: dict[tuple[int, int], _Run],
    prev_runs: dict[tuple[int, int], _Run],
    changed: set[str] | None,
) -> tuple[AxisSizes, AxisSizes]:
    """Both dimensions, each with the other at the design's size, or at a size where it works
    when the design's does not (a height that fails at every width would hide every width).

    ``runs`` receives each propagation by (axis, other); ``prev_runs`` are those of the previous
    analysis, updated for the nodes ``changed`` (None: every run from scratch)."""
    h0, w0 = doc.nodes[input_id].params["height"], doc.nodes[input_id].params["width"]

    def run(axis: int, other: int) -> AxisSizes:
        sizes = heights if axis == 1 else widths
        name, design = ("height", h0) if axis == 1 else ("width", w0)
        r = runs.get((axis, other))
        if r is None:
            r = runs[(axis, other)] = _propagate(
                doc, rep, input_id, axis, sizes, other, pkeys, prev_runs.get((axis, other)), changed
            )
        return AxisSizes(name, design, sizes, other, r.failures())

    height = run(1, w0)
    if symmetric:
        return height, AxisSizes("width", w0, widths, h0, height.failures)
    width = run(2, h0)
    if height.smallest is None and width.smallest is not None:
        height = run(1, _nearest_working(width))
    elif width.smallest is None and height.smallest is not None:
        width = run(2, _nearest_working(height))
    elif height.smallest is None and width.smallest is None:
        # Both fail at the design's size: look for a width near it at which some height works.
        for d in range(1, 9):
            for w in (w0 - d, w0 + d):
                if w in widths:
                    trial = run(1, w)
                    if trial.smallest is not None:
                        return trial, run(2, _nearest_working(trial))
    return height, width


def _nearest_working(axis: AxisSizes) -> int:
    return _nearest(tuple(s for s in axis.sizes if s not in axis.failures), axis.design, 1)[0]


def _asymmetric(shape: Shape | None, steps: tuple[Step, ...] | None) -> bool:
    """A node that keeps a square design from being analysed once for both dimensions."""
    if shape is not None and len(shape) == 3 and shape[1] != shape[2]:
        return True
    for step in steps or ():
        layer = step.layer
        for attr in ("kernel", "stride", "padding", "dilation"):
            v = getattr(layer, attr, None)
            if isinstance(v, tuple) and v[0] != v[1]:
                return True
        pad = getattr(layer, "pad", None)
        if pad is not None and (pad[0] != pad[2] or pad[1] != pad[3]):
            return True
    return False


@dataclass(eq=False)
class _Kept:
    """What :func:`analyse_input_sizes` keeps of its last analysis of a document (see ``Tracked``)."""

    serial: int
    call: tuple[Any, ...]
    epochs: tuple[int, int]
    pkeys: dict[str, tuple[Any, ...]]
    #: The parameter dict each key was made from (a definition's edit may replace an instance's).
    params_of: dict[str, dict[str, Any]]
    names: dict[str, str]
    runs: dict[tuple[int, int], _Run]
    errors: _Errors
    #: The nodes that are not square (None: not worked out yet).
    asym: set[str] | None
    result: InputSizes | None = None


def analyse_input_sizes(
    doc: GraphDocument,
    report: Report | None = None,
    *,
    heights: range | None = None,
    widths: range | None = None,
    explain: bool = True,
    why_smallest: bool = True,
) -> InputSizes | None:
    """The input sizes at which ``doc`` validates.

    ``heights`` and ``widths``: the sizes examined, each with the other dimension at the
    design's (by default from 1 to twice the design's, at most ``MAX_SPATIAL``). With
    ``explain``, the two breakages nearest the design's size carry validation's own message
    at one failing size (one validation of a copy each, only when something breaks); with
    ``why_smallest``, :attr:`InputSizes.below_smallest` says why the smallest is the smallest
    (one more validation).

    Returns None for a design without exactly one Input node, or with errors that no input
    size changes (an unconnected port, a cycle ...). The result may be shared with later
    calls on an unchanged design: do not modify it.

    When ``report`` was updated from the report of this document's previous analysis (see
    :func:`validate`), only the nodes whose parameters, shapes or layers changed, and those
    their new sizes reach, are mapped again; validations of copies (the explanations) are kept
    while no node above the error they found changed.
    """
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    delta = rep.delta
    t = tracked(doc) if delta is not None else None
    inputs = (
        list(delta.inputs) if delta is not None else [nid for nid, n in doc.nodes.items() if n.type.role == "input"]
    )
    if len(inputs) != 1 or any(d.code in _STRUCTURAL for d in rep.errors):
        return None
    (input_id,) = inputs
    node = doc.nodes[input_id]
    if rep.shapes.get(input_id) is None:
        return None
    h0, w0 = node.params["height"], node.params["width"]
    heights = heights if heights is not None else range(1, min(2 * h0, MAX_SPATIAL) + 1)
    widths = widths if widths is not None else range(1, min(2 * w0, MAX_SPATIAL) + 1)
    call = (input_id, (h0, w0), heights, widths, explain, why_smallest)
    epochs = (_MEMOS.epoch, _CACHE.epoch)
    kept: _Kept | None = t.sizes if t is not None else None
    changed: set[str] | None = None
    if kept is not None and delta is not None and kept.serial == delta.serial and kept.call == call and kept.result:
        return kept.result  # asked again for the same report
    if (
        kept is not None
        and delta is not None
        and delta.base == kept.serial
        and kept.call == call
        and kept.epochs == epochs
        and input_id not in delta.dirty
    ):
        changed = set(delta.dirty | delta.touched)
        if not changed and kept.result is not None:  # nothing it depends on changed (a move)
            kept.result.name = node.name
            t.sizes = _Kept(
                delta.serial, call, epochs, kept.pkeys, kept.params_of, kept.names, kept.runs, kept.errors, kept.asym
            )
            t.sizes.result = kept.result
            return kept.result
        pkeys, params_of = kept.pkeys, kept.params_of
        if delta.dirty:
            # Parameters set, and instances whose parameter dict the definition's edit replaced.
            pkeys, params_of = dict(pkeys), dict(params_of)
            nodes = doc.nodes
            for nid in delta.dirty:
                params = nodes[nid].params
                if nid in delta.edited or params is not params_of.get(nid):
                    pkeys[nid] = _params_key(params)
                    params_of[nid] = params
        names = kept.names
        prev_runs = kept.runs
        pos = delta.pos
        first = min((pos[nid] for nid in changed if nid in pos), default=len(pos))
        errors = kept.errors.after(first) if changed else kept.errors
        asym = kept.asym
        if asym is not None and delta.touched:
            asym = set(asym)
            layers: dict[int, bool] = {}  # by steps (identical instances share theirs)
            for nid in delta.touched:
                shape, steps = rep.shapes.get(nid), rep.steps.get(nid)
                odd = layers.get(id(steps))
                if odd is None:
                    odd = layers[id(steps)] = _asymmetric(None, steps)
                if odd or _asymmetric(shape, None):
                    asym.add(nid)
                else:
                    asym.discard(nid)
    else:
        params_of = {nid: n.params for nid, n in doc.nodes.items()}
        pkeys = {nid: _params_key(p) for nid, p in params_of.items()}
        key = (_signature(doc, pkeys), heights, widths, explain, why_smallest)
        res = _CACHE.get(key)
        names = {nid: n.name for nid, n in doc.nodes.items()}
        if res is not None:
            res.names = names
            res.name = node.name
            if t is not None and delta is not None:  # (no runs: the next edit maps every node again)
                t.sizes = _Kept(delta.serial, call, epochs, pkeys, params_of, names, {}, _Errors(), None, res)
            return res
        prev_runs = {}
        errors = _Errors()
        asym = None
        pos = delta.pos if delta is not None else None
    symmetric = heights == widths and h0 == w0 and rep.ok
    if symmetric:
        if asym is None:
            asym = {nid for nid in rep.shapes if _asymmetric(rep.shapes[nid], rep.steps.get(nid))}
        symmetric = not asym
    runs: dict[tuple[int, int], _Run] = {}
    height, width = _axes(doc, rep, input_id, heights, widths, symmetric, pkeys, runs, prev_runs, changed)
    if not symmetric:
        # Both dimensions turned out alike (a square design that fails at its own size): say "sizes".
        symmetric = h0 == w0 and heights == widths and height.failures.keys() == width.failures.keys()
    res = InputSizes(input_id, node.name, (h0, w0), height, width, symmetric)
    res.names = names
    groups = _breakages(res, height) + ([] if symmetric else _breakages(res, width))
    groups.sort(key=lambda b: (min(abs(s - (h0 if b.axis == "height" else w0)) for s in b.sizes), b.axis))
    if explain:
        groups = [_explained(doc, res, b, errors, pos) for b in groups[:2]] + groups[2:]
    res.breakages = groups
    low = res.smallest
    if why_smallest and low is not None and (low[0] > heights.start or low[1] > widths.start):
        if symmetric:
            below = (low[0] - 1, low[1] - 1)
        elif low[0] > heights.start:
            below = (low[0] - 1, height.other)
        else:
            below = (width.other, low[1] - 1)
        d = errors.get(doc, pos, input_id, *below)
        if d is not None:
            res.below_smallest = d.message
    if changed is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = res
    if t is not None and delta is not None:
        t.sizes = _Kept(
            delta.serial, call, (_MEMOS.epoch, _CACHE.epoch), pkeys, params_of, names, runs, errors, asym, res
        )
    return res
