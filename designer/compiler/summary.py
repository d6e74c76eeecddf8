"""Summaries: torchinfo's table of the compiled model (``inception-designer summary --torchinfo``),
and per module definition its instances, runs, parameters and MACs (:func:`module_summary`,
for the Summary dock and the command line; no torch)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..graph.document import GraphDocument
from ..graph.module_type import REPEAT
from ..graph.modules import module_id_of
from ..graph.shapes import Shape
from ..graph.validate import Report, validate

__all__ = ["InstanceTotals", "ModuleTotals", "module_summary", "module_summary_lines", "torchinfo_table"]


def torchinfo_table(doc: GraphDocument, *, depth: int = 3) -> str:
    """torchinfo's table for the compiled model at batch 1, in eval mode (aux heads dropped),
    with exact parameter and mult-add counts.

    Parameters
    ----------
    doc
        The design.
    depth
        How deep into blocks and sequences the table goes.

    Raises
    ------
    designer.compiler.plan.CompileError
        When the design has errors.
    """
    import torchinfo

    from .build import compile_model

    model = compile_model(doc, seed=0)
    model.eval()
    stats = torchinfo.summary(
        model,
        input_size=(1, *model.input_shape),
        depth=depth,
        col_names=("output_size", "num_params", "mult_adds"),
        row_settings=("var_names",),
        mode="eval",
        device="cpu",
        verbose=0,
    )
    # Exact counts, as everywhere else in the CLI. (torchinfo 1.8 writes its automatic unit by
    # formatting a str-mixin Enum, which Python >= 3.11 prints as "Units.MEGABYTES".)
    stats.formatting.macs_units = torchinfo.Units.NONE
    stats.formatting.params_units = torchinfo.Units.NONE
    return str(stats)


# --------------------------------------------------------------------------- modules
@dataclass
class InstanceTotals:
    """One instance of a module as it runs in the network (a nested one once per outer run)."""

    #: ``res`` for an instance of the design, ``pair1 / r1`` for one inside another's run.
    name: str
    #: The instance node's id in the design ("" for a nested one: it lives in a definition).
    node_id: str
    copies: int
    params: int
    macs: int
    out_shape: Shape | None


@dataclass
class ModuleTotals:
    """A definition's figures summed over every run of it in the network (copies and nested
    uses included; a definition's figures include those of the modules it holds)."""

    module_id: str
    name: str
    #: Instance nodes that run (a nested one counted once per run of its outer module).
    instances: int = 0
    #: Times the block runs in one forward pass (each copy of a repeated instance).
    runs: int = 0
    params: int = 0
    macs: int = 0
    uses: list[InstanceTotals] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.module_id,
            "name": self.name,
            "instances": self.instances,
            "runs": self.runs,
            "params": self.params,
            "macs": self.macs,
            "uses": [
                {
                    "name": u.name,
                    "node_id": u.node_id,
                    "copies": u.copies,
                    "params": u.params,
                    "macs": u.macs,
                    "output_shape": list(u.out_shape) if u.out_shape is not None else None,
                }
                for u in self.uses
            ],
        }


def module_summary(doc: GraphDocument, report: Report | None = None) -> list[ModuleTotals]:
    """Per definition (in library order), its instances, runs, parameters and MACs summed over
    the network, and each instance's own figures. Instances whose shape is unknown (an error
    upstream, or inside) are left out. Pure Python; definitions' analyses are memoised."""
    if not doc.has_library:
        return []
    rep = report if report is not None and report.revision == doc.revision else validate(doc)
    out = {mid: ModuleTotals(mid, d.name) for mid, d in doc.library.defs.items()}

    def walk(owner: GraphDocument, shapes: dict[str, list[Shape]], bound: dict[str, dict[str, Any]], path: str) -> None:
        for nid, n in owner.nodes.items():
            mid = module_id_of(n.type_id)
            d = owner.library.defs.get(mid or "")
            if d is None or nid not in shapes:
                continue
            params = bound.get(nid, n.params)
            repeat = params.get(REPEAT, 1)
            ins, runs = list(shapes[nid]), []
            for _ in range(repeat):
                a = d.type.analyse(params, ins)
                if a.error or a.out_shape is None:
                    break
                runs.append((a, ins))
                ins = [a.out_shape]
            if len(runs) < repeat:
                continue
            total = out[d.id]
            for a, copy_in in runs:
                walk(d.body, a.report.in_shapes, d.bindings(params, copy_in).params, f"{path}{n.name} / ")
            use = InstanceTotals(
                f"{path}{n.name}",
                "" if path else nid,
                repeat,
                sum(a.costs.total.params for a, _ in runs),
                sum(a.costs.total.macs for a, _ in runs),
                ins[0],
            )
            total.instances += 1
            total.runs += repeat
            total.params += use.params
            total.macs += use.macs
            total.uses.append(use)

    walk(doc, rep.in_shapes, {}, "")
    return [m for m in out.values() if m.instances]


def module_summary_lines(modules: list[ModuleTotals]) -> list[str]:
    """The module totals as a plain-text table (for the command line): one line per definition,
    then one per instance, indented."""
    if not modules:
        return []
    rows = [("module / instance", "instances", "runs", "params", "MACs")]
    for m in modules:
        rows.append((m.name, str(m.instances), str(m.runs), f"{m.params:,}", f"{m.macs:,}"))
        for u in m.uses:
            copies = f"x{u.copies}" if u.copies > 1 else ""
            rows.append((f"  {u.name}", "", copies, f"{u.params:,}", f"{u.macs:,}"))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths, strict=True))).rstrip()
        for r in rows
    ]
