"""ONNX export: one self-contained file, eval mode (main output only), dynamic batch size."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from ..graph.document import GraphDocument

__all__ = ["export_onnx"]

#: torch's exporter logs one line per torchvision op it cannot register when torchvision is
#: absent (nms, roi_align, roi_pool, deform_conv2d): nothing a design uses.
_REGISTRATION_LOGGER = "torch.onnx._internal.exporter._registration"


class _NoTorchvisionNotice(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("torchvision is not installed")


@contextmanager
def _exporter_noise_filtered() -> Iterator[None]:
    """Silence the exporter's known noise, and nothing else, while it runs.

    * the "torchvision is not installed. Skipping torchvision::..." log lines (above);
    * a FutureWarning from torch's own deepcopy of a ``torch.utils._pytree.LeafSpec`` while it
      decomposes the exported program (``isinstance(treespec, LeafSpec)`` is deprecated): raised
      inside torch, about torch's code, with nothing in the design or the call to change.
    """
    logger = logging.getLogger(_REGISTRATION_LOGGER)
    notice = _NoTorchvisionNotice()
    logger.addFilter(notice)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=r"`isinstance\(treespec, LeafSpec\)` is deprecated", category=FutureWarning
            )
            yield
    finally:
        logger.removeFilter(notice)


def export_onnx(
    doc: GraphDocument,
    path: str | Path,
    *,
    model: Any | None = None,
    seed: int | None = 0,
    opset: int | None = None,
) -> Path:
    """Export the design's inference graph to ``path``.

    Parameters
    ----------
    doc
        The design.
    path
        The ``.onnx`` file to write (weights inside it: no external data).
    model
        A compiled model of ``doc`` to export (e.g. trained); by default a fresh one (``seed``).
    seed
        Seed of the initial weights when ``model`` is not given.
    opset
        ONNX opset; torch's default when None.

    Returns
    -------
    Path
        ``path``. The graph has one input ``input`` of shape ``(batch, C, H, W)`` and one
        output ``logits``; aux heads are not part of it.
    """
    import torch

    from .build import compile_model

    path = Path(path)
    if model is None:
        model = compile_model(doc, seed=seed)
    was_training = model.training
    model.eval()
    try:
        example = torch.zeros(2, *model.input_shape)
        batch = torch.export.Dim("batch", min=1, max=65_536)
        kwargs: dict[str, Any] = {} if opset is None else {"opset_version": opset}
        path.parent.mkdir(parents=True, exist_ok=True)
        with _exporter_noise_filtered():
            torch.onnx.export(
                model,
                (example,),
                str(path),
                input_names=["input"],
                output_names=["logits"],
                dynamic_shapes=({0: batch},),
                dynamo=True,
                external_data=False,
                optimize=True,
                verbose=False,
                **kwargs,
            )
    finally:
        model.train(was_training)
    return path
