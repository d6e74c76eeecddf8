"""A validated document as a flat, topologically ordered plan (an fx-like IR).

The plan is what both the model builder and the code generator consume: one entry per
node that contributes to the output or to an auxiliary head, with its layers, the slots
of its inputs, its output shape, and a legal unique identifier made from its name.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..graph.document import GraphDocument
from ..graph.registry import Step
from ..graph.shapes import Shape
from ..graph.validate import Report, validate
from .names import Namespace

__all__ = ["PlanNode", "Plan", "CompileError", "make_plan"]


class CompileError(ValueError):
    """The design has errors and cannot be compiled; ``diagnostics`` lists them."""

    def __init__(self, message: str, diagnostics: list[Any] | None = None):
        super().__init__(message)
        self.diagnostics = diagnostics or []


@dataclass(frozen=True)
class PlanNode:
    index: int
    node_id: str
    ident: str
    name: str
    type_id: str
    role: str
    params: dict[str, Any]
    inputs: tuple[int, ...]
    in_shapes: tuple[Shape, ...]
    out_shape: Shape
    steps: tuple[Step, ...]
    #: True when the node only feeds auxiliary heads (runs in training mode only).
    aux_only: bool = False


@dataclass
class Plan:
    name: str
    nodes: list[PlanNode] = field(default_factory=list)
    input_index: int = 0
    output_index: int = -1
    aux_indices: list[int] = field(default_factory=list)

    @property
    def input_shape(self) -> Shape:
        return self.nodes[self.input_index].out_shape

    @property
    def output_shape(self) -> Shape:
        return self.nodes[self.output_index].out_shape

    def last_use(self) -> dict[int, int]:
        """For each slot, the index of the last node that reads it (for freeing memory)."""
        last: dict[int, int] = {}
        for pn in self.nodes:
            for i in pn.inputs:
                last[i] = pn.index
        return last


def make_plan(doc: GraphDocument, report: Report | None = None) -> Plan:
    """Flatten a document; raises :class:`CompileError` if it has errors."""
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    if not rep.ok:
        first = rep.errors[0].message
        more = f" (and {len(rep.errors) - 1} more)" if len(rep.errors) > 1 else ""
        raise CompileError(f"the design has errors: {first}{more}", rep.errors)
    inputs = [nid for nid in rep.order if doc.nodes[nid].type.role == "input"]
    if len(inputs) != 1:
        raise CompileError(f"a compiled model takes one Input node; this design has {len(inputs)}")
    aux_heads = [nid for nid in rep.order if doc.nodes[nid].type.role == "aux"]
    needed = set(rep.main)
    for head in aux_heads:
        needed |= {head} | set(_ancestors(doc, head))
    plan = Plan(doc.name)
    names = Namespace()
    slot: dict[str, int] = {}
    for nid in rep.order:
        if nid not in needed:
            continue
        node = doc.nodes[nid]
        index = len(plan.nodes)
        slot[nid] = index
        steps = tuple(rep.steps.get(nid, ()))
        plan.nodes.append(
            PlanNode(
                index=index,
                node_id=nid,
                ident=names.add(node.name, node.type.name_stem or "node"),
                name=node.name,
                type_id=node.type_id,
                role=node.type.role,
                params=dict(node.params),
                inputs=tuple(slot[e.src] for e in doc.in_edges(nid)),
                in_shapes=tuple(rep.in_shapes.get(nid, ())),
                out_shape=rep.shapes[nid],  # type: ignore[arg-type]
                steps=steps,
                aux_only=nid not in rep.main,
            )
        )
    plan.input_index = slot[inputs[0]]
    plan.output_index = slot[rep.output_id]  # type: ignore[index]
    plan.aux_indices = [slot[h] for h in aux_heads]
    return plan


def _ancestors(doc: GraphDocument, nid: str) -> set[str]:
    import networkx as nx

    return nx.ancestors(doc.graph, nid)
