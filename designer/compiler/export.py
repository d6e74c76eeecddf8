"""Write a design as PyTorch source plus its weights, or as ONNX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..graph.document import GraphDocument
from .codegen import generate

__all__ = ["export_python", "weights_path"]


def weights_path(code_path: str | Path) -> Path:
    """``model.py -> model.pt`` (the state_dict saved next to the code)."""
    return Path(code_path).with_suffix(".pt")


def export_python(
    doc: GraphDocument, path: str | Path, *, model: Any | None = None, seed: int | None = 0
) -> tuple[Path, Path]:
    """Write the generated source to ``path`` and the state_dict to ``path`` with suffix ``.pt``.

    Parameters
    ----------
    doc
        The design.
    path
        Where the ``.py`` file goes.
    model
        A compiled (possibly trained) model of ``doc`` whose weights to save; by default
        a freshly initialised one (``seed``).
    seed
        Seed of the initial weights when ``model`` is not given.

    Returns
    -------
    tuple of Path
        The code file and the weights file. Load them with
        ``net.load_state_dict(torch.load(weights, weights_only=True))``.
    """
    import torch

    from .build import compile_model

    path = Path(path)
    source = generate(doc)
    if model is None:
        model = compile_model(doc, seed=seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(source, encoding="utf-8")
    weights = weights_path(path)
    torch.save({k: v.detach().cpu() for k, v in model.state_dict().items()}, weights)
    return path, weights
