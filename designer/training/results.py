"""What a validation pass shows beyond loss and accuracy: the confusion matrix, per-class and
aux-head accuracy, and the worst-classified images (a PNG grid in the run's folder).

All of it is gathered by :class:`ValidationTally` from the outputs of the validation pass
that runs anyway (no second pass): per batch, a ``bincount`` of ``true * K + predicted``,
the aux heads' correct counts, and a running top-k of the per-sample losses with their
images, all kept on the device until the pass ends (one synchronisation, as before).

In the run's folder (rewritten after each epoch's validation):

``confusion.json``
    ``{"epoch", "classes", "aux_heads", "val_accuracy", "aux_accuracy", "class_accuracy",
    "confusion", "worst", "worst_image"}``: ``confusion[t][p]`` counts the images of class
    ``t`` predicted as ``p``; ``worst`` as in :class:`.records.EpochRecord`, with the class
    names added.
``worst.png``
    The worst images in a grid, each with its true class, the prediction, its index and
    the prediction's confidence written under it (layout: :func:`grid_size`).

Importing this module loads neither torch nor Pillow (the Training dock reads the files).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .checkpoint import _atomic_write, _finite, atomic_write_text
from .records import EpochRecord

if TYPE_CHECKING:
    import torch
    from torch import Tensor

__all__ = [
    "CONFUSION_FILE",
    "WORST_COUNT",
    "WORST_FILE",
    "ValidationTally",
    "grid_size",
    "load_results",
    "results_dict",
    "to_display",
    "worst_grid",
    "write_results",
]

CONFUSION_FILE = "confusion.json"
WORST_FILE = "worst.png"
#: How many of the highest-loss validation images a run keeps.
WORST_COUNT = 16


class ValidationTally:
    """Sums over a validation pass, on the device; :meth:`finish` reads them out once.

    Parameters
    ----------
    num_classes : int
        K: the confusion matrix is K x K.
    n_aux : int
        Aux heads whose accuracy is counted (their logits come with the main head's).
    worst : int
        How many of the highest-loss images to keep (with the images themselves).
    """

    def __init__(self, num_classes: int, n_aux: int, device: torch.device, worst: int = WORST_COUNT):
        import torch  # here, not at import: the Training dock reads results without loading torch

        self.k, self.worst = num_classes, worst
        self.loss_sum = torch.zeros((), device=device)
        self.correct = torch.zeros((), device=device, dtype=torch.long)
        self.confusion = torch.zeros(num_classes * num_classes, device=device, dtype=torch.long)
        self.aux_correct = torch.zeros(n_aux, device=device, dtype=torch.long)
        self.n = 0
        # The running top-k: loss, index in the validation set, label, predicted, confidence, image.
        self.top: tuple[Tensor, ...] | None = None

    def add(self, logits: Tensor, aux_logits: Sequence[Tensor], x: Tensor, y: Tensor) -> None:
        """One batch: the main head's logits, the aux heads' (may be empty), its images and labels."""
        import torch

        logits = logits.float()
        losses = torch.nn.functional.cross_entropy(logits, y, reduction="none")
        pred = logits.argmax(1)
        self.loss_sum += losses.sum()
        self.correct += (pred == y).sum()
        self.confusion += torch.bincount(y * self.k + pred, minlength=self.k * self.k)[: self.k * self.k]
        for j, a in enumerate(aux_logits):
            self.aux_correct[j] += (a.argmax(1) == y).sum()
        if self.worst > 0 and len(y):
            m = min(self.worst, len(y))
            loss, at = losses.topk(m)
            conf = logits[at].softmax(1).amax(1)
            index = at + self.n
            batch = (loss, index, y[at], pred[at], conf, x[at].detach().float())
            if self.top is None:
                self.top = tuple(t.clone() for t in batch)
            else:
                merged = [torch.cat((a, b)) for a, b in zip(self.top, batch, strict=True)]
                keep = merged[0].topk(min(self.worst, len(merged[0]))).indices
                self.top = tuple(t[keep] for t in merged)
        self.n += len(y)

    def finish(self, aux_names: Sequence[str]) -> dict[str, Any]:
        """The pass's figures as plain data (``worst_images``: the kept images, CPU, as given)."""
        n = max(1, self.n)
        k = self.k
        matrix = self.confusion.view(k, k).tolist()
        class_accuracy = [row[i] / sum(row) if sum(row) else None for i, row in enumerate(matrix)]
        aux = dict(zip(aux_names, (c / n for c in self.aux_correct.tolist()), strict=True)) if self.n else {}
        worst: list[dict[str, Any]] = []
        images = None
        if self.top is not None:
            order = self.top[0].argsort(descending=True)
            loss, index, true, pred, conf, images = (t[order].cpu() for t in self.top)
            worst = [
                {"index": int(i), "true": int(t), "predicted": int(p), "confidence": float(c), "loss": float(v)}
                for v, i, t, p, c in zip(
                    loss.tolist(), index.tolist(), true.tolist(), pred.tolist(), conf.tolist(), strict=True
                )
            ]
        return {
            "loss": self.loss_sum.item() / n,
            "accuracy": self.correct.item() / n,
            "count": self.n,
            "confusion": matrix,
            "class_accuracy": class_accuracy,
            "aux_accuracy": aux,
            "worst": worst,
            "worst_images": images,
        }


def to_display(x: Tensor, mean: float = 0.5, std: float = 0.25) -> Tensor:
    """Normalised images ``N x C x H x W`` back to ``uint8`` ``N x H x W x C'`` for a picture:
    ``C' = 3`` for RGB, 1 for grey (and for any other channel count, the first channel)."""
    import torch

    x = x.detach().float().cpu()
    if x.shape[1] not in (1, 3):
        x = x[:, :1]
    return (x * std + mean).clamp_(0, 1).mul_(255).round_().to(torch.uint8).permute(0, 2, 3, 1).contiguous()


# ------------------------------------------------------------------------------ the grid
#: Each image is shown at most this large (small images are enlarged by a whole factor, pixel-sharp).
TILE = 96
#: Width of a cell (the image's and its labels'); text longer than this is shortened with "…".
CELL_W = 124
LINE_H = 14
LINES = 3
PAD = 6
#: Extra space under each cell's labels, so a row's text never reads as the next row's caption.
GAP = 6
COLUMNS = 4
BACKGROUND = (30, 32, 36)
TEXT = (225, 228, 232)
MUTED = (150, 156, 165)
WRONG = (255, 130, 110)
RIGHT = (130, 215, 140)


def _tile_size(h: int, w: int) -> tuple[int, int]:
    """The size (w, h) an ``h x w`` image is drawn at."""
    big = max(h, w)
    if big <= TILE:
        f = max(1, TILE // big)
        return w * f, h * f
    return max(1, round(w * TILE / big)), max(1, round(h * TILE / big))


def grid_size(n: int, h: int, w: int) -> tuple[int, int]:
    """Width and height in pixels of the grid of ``n`` images of ``h x w`` (``worst.png``)."""
    tw, th = _tile_size(h, w)
    cols = max(1, min(COLUMNS, n))
    rows = max(1, math.ceil(n / cols))
    cell_w, cell_h = max(CELL_W, tw), th + 4 + LINES * LINE_H + GAP
    return cols * cell_w + (cols + 1) * PAD, rows * cell_h + (rows + 1) * PAD


def _font(size: int) -> Any:
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow's own TrueType font (no system fonts needed)
    except (TypeError, ValueError, OSError, ImportError):  # without FreeType: the bitmap font
        return ImageFont.load_default()


def _fit(draw: Any, text: str, font: Any, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def worst_grid(images: Tensor, worst: Sequence[dict[str, Any]], class_names: Sequence[str]) -> Any:
    """A PIL image: ``images`` (``uint8`` ``N x H x W x C``, see :func:`to_display`) in rows of
    up to 4, each with its true class, the prediction (red when wrong), and its index in the
    validation set with the prediction's confidence under it."""
    from PIL import Image, ImageDraw

    n, h, w, c = images.shape
    size = grid_size(n, h, w)
    canvas = Image.new("RGB", size, BACKGROUND)
    draw = ImageDraw.Draw(canvas)
    font = _font(11)
    tw, th = _tile_size(h, w)
    cols = max(1, min(COLUMNS, n))
    cell_w, cell_h = max(CELL_W, tw), th + 4 + LINES * LINE_H + GAP

    def name(i: int) -> str:
        return class_names[i] if 0 <= i < len(class_names) else str(i)

    for k, item in enumerate(worst[:n]):
        r, col = divmod(k, cols)
        x0, y0 = PAD + col * (cell_w + PAD), PAD + r * (cell_h + PAD)
        arr = images[k].numpy()
        tile = Image.fromarray(arr[:, :, 0] if c == 1 else arr, "L" if c == 1 else "RGB").convert("RGB")
        big = (tw, th) != (w, h)
        tile = tile.resize((tw, th), Image.NEAREST if tw >= w else Image.BILINEAR) if big else tile
        canvas.paste(tile, (x0 + (cell_w - tw) // 2, y0))
        y = y0 + th + 3
        right = item["predicted"] == item["true"]
        lines = [
            (f"true: {name(item['true'])}", TEXT),
            (f"pred: {name(item['predicted'])}", RIGHT if right else WRONG),
            (f"#{item['index']}  confidence {item['confidence']:.0%}", MUTED),
        ]
        for text, colour in lines:
            draw.text((x0 + 2, y), _fit(draw, text, font, cell_w - 4), fill=colour, font=font)
            y += LINE_H
    return canvas


# ------------------------------------------------------------------------- files and data
def results_dict(rec: EpochRecord, class_names: Sequence[str], aux_names: Sequence[str] = ()) -> dict[str, Any]:
    """An epoch's results as ``confusion.json`` holds them (what the Training dock shows)."""

    def name(i: int) -> str:
        return class_names[i] if 0 <= i < len(class_names) else str(i)

    worst = [dict(w, true_name=name(w["true"]), predicted_name=name(w["predicted"])) for w in rec.worst]
    return {
        "epoch": rec.epoch,
        "classes": list(class_names),
        "aux_heads": list(aux_names or rec.aux_accuracy),
        "val_accuracy": rec.val_accuracy,
        "aux_accuracy": dict(rec.aux_accuracy),
        "class_accuracy": list(rec.class_accuracy),
        "confusion": [list(row) for row in rec.confusion],
        "worst": worst,
        "worst_image": Path(rec.worst_image).name if rec.worst_image else "",
    }


def write_results(
    out_dir: str | os.PathLike[str],
    rec: EpochRecord,
    class_names: Sequence[str],
    aux_names: Sequence[str],
    images: Tensor | None,
) -> EpochRecord:
    """Write ``worst.png`` (when there are images) and ``confusion.json`` into ``out_dir``;
    returns ``rec`` with ``worst_image`` set to the PNG's path."""
    import dataclasses

    out = Path(out_dir)
    if images is not None and len(images) and rec.worst:
        grid = worst_grid(images, rec.worst, class_names)
        path = out / WORST_FILE
        _atomic_write(path, lambda fh: grid.save(fh, format="PNG"))
        rec = dataclasses.replace(rec, worst_image=str(path))
    atomic_write_text(out / CONFUSION_FILE, _dumps(_finite(results_dict(rec, class_names, aux_names))))
    return rec


def _dumps(data: dict[str, Any]) -> str:
    """JSON with one key per line, and one line per matrix row and per worst image."""

    def value(v: Any) -> str:
        if isinstance(v, list) and v and isinstance(v[0], (list, dict)):
            return "[\n" + ",\n".join(f"  {json.dumps(x, allow_nan=False)}" for x in v) + "\n ]"
        return json.dumps(v, allow_nan=False)

    return "{\n" + ",\n".join(f" {json.dumps(k)}: {value(v)}" for k, v in data.items()) + "\n}\n"


def load_results(run_dir: str | os.PathLike[str]) -> dict[str, Any] | None:
    """A run folder's ``confusion.json`` (with ``worst_image`` as a full path, "" when the PNG
    is missing), or None when it has none or it cannot be read."""
    run_dir = Path(run_dir)
    try:
        data = json.loads((run_dir / CONFUSION_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("confusion"), list):
        return None
    image = run_dir / str(data.get("worst_image") or WORST_FILE)
    data["worst_image"] = str(image) if image.is_file() else ""
    return data
