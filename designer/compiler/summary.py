"""torchinfo's summary of the compiled model (``inception-designer summary --torchinfo``)."""

from __future__ import annotations

from ..graph.document import GraphDocument

__all__ = ["torchinfo_table"]


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
