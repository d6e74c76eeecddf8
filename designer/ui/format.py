"""Numbers and shapes as people read them in the UI."""

from __future__ import annotations

from collections.abc import Sequence


def shape_text(shape: Sequence[int] | None) -> str:
    """``(256, 28, 28) -> '256 × 28 × 28'``; ``None -> '?'``."""
    if shape is None:
        return "?"
    return " × ".join(str(d) for d in shape)


def compact(n: int | float | None) -> str:
    """``128049152 -> '128.0M'``, ``163696 -> '163.7K'``."""
    if n is None:
        return "–"
    n = float(n)
    for unit, scale in (("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(n) >= scale:
            return f"{n / scale:.1f}{unit}"
    return f"{n:.0f}"


def grouped(n: int | None) -> str:
    return "–" if n is None else f"{n:,}"


def params_text(inference: int, total: int, unit: str = "") -> str:
    """Parameters as the papers quote them (the inference network), with the aux heads' total
    after it when there are any: ``'6,998,552 params (13,378,280 with aux heads)'``."""
    if total == inference:
        return f"{grouped(total)}{unit}"
    return f"{grouped(inference)}{unit} ({grouped(total)} with aux heads)"


def percent(x: float) -> str:
    return f"{100 * x:.1f}%"
