"""Legal, unique Python identifiers from user-typed node names.

A node name is data, never code: whatever a user types (``x); import os #``, ``class``,
``3a``, ``forward``) becomes an identifier made only of ``[A-Za-z0-9_]``, never a
keyword, a builtin, or an attribute ``nn.Module`` already has.
"""

from __future__ import annotations

import builtins
import keyword
import re
import unicodedata

__all__ = ["Namespace", "sanitize"]

_RESERVED = (
    set(keyword.kwlist)
    | set(keyword.softkwlist)
    | set(dir(builtins))
    | {  # nn.Module attributes and names the generated code uses
        "forward",
        "training",
        "train",
        "eval",
        "to",
        "cuda",
        "cpu",
        "state_dict",
        "load_state_dict",
        "parameters",
        "buffers",
        "children",
        "modules",
        "apply",
        "zero_grad",
        "register_buffer",
        "register_parameter",
        "add_module",
        "half",
        "float",
        "double",
        "type",
        "extra_repr",
        "named_modules",
        "torch",
        "nn",
        "F",
        "Tensor",
        "self",
        "x",
        "out",
        "outputs",
        "aux",
        "logits",
        "inputs",
    }
)


def sanitize(name: str, fallback: str = "node") -> str:
    """A legal identifier close to ``name`` (not yet unique)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    if text in _RESERVED or text.startswith("__"):
        text = f"{text}_"
    return text[:60]


class Namespace:
    """Hands out unique identifiers: ``b1``, ``b1_1``, ``b1_2`` ..."""

    def __init__(self, reserved: set[str] | None = None):
        self._taken: set[str] = set(reserved or ())

    def __contains__(self, ident: str) -> bool:
        return ident in self._taken or ident in _RESERVED

    def add(self, name: str, fallback: str = "node") -> str:
        base = sanitize(name, fallback)
        ident, i = base, 1
        while ident in self._taken or ident in _RESERVED:
            ident = f"{base}_{i}"
            i += 1
        self._taken.add(ident)
        return ident
