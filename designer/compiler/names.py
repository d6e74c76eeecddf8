"""Legal, unique Python identifiers from user-typed node names.

A node name is data, never code: whatever a user types (``x); import os #``, ``class``,
``3a``, ``forward``, ``named_parameters``) becomes an identifier made only of
``[A-Za-z0-9_]``, never a keyword, a builtin, a name the generated code uses, or an
attribute the model's classes already have.

Those attributes are derived from the classes themselves, not listed by hand
(:func:`reserved`): everything ``torch.nn.Module`` defines (its methods, class attributes
and annotations, ``T_destination`` included, what ``dir`` lists for it, and the attributes
its methods set on an instance: ``training``, ``_parameters`` ...), and everything
:class:`~designer.compiler.build.DesignModel` and ``DesignBlock`` define on top
(``input_shape``, ``aux_names``, ``aux_weights`` ...: the generated model class carries the
same ones). Code generation must not import torch (it runs on every edit in the app), so the
set is read from the classes' source with :mod:`ast` (torch's ``nn/modules/module.py`` is
found without importing torch) once, on first use; when torch is already loaded, the live
class's ``dir``, annotations and instance attributes are added as well. A test checks that
the source alone gives every live name, so the identifiers never depend on whether torch
was loaded.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import importlib.util
import keyword
import re
import sys
import unicodedata
from functools import lru_cache
from pathlib import Path

__all__ = ["Namespace", "reserved", "sanitize"]

#: Names the generated code uses (module-level imports, ``self``, ``forward``'s locals).
_CODE_NAMES = frozenset({"torch", "nn", "F", "Tensor", "self", "x", "out", "outputs", "aux", "logits", "inputs"})

#: Attributes every class has that its body does not define (``dir`` lists them).
_IMPLICIT = frozenset(
    {"__dict__", "__weakref__", "__module__", "__doc__", "__annotations__", "__qualname__", "__firstlineno__"}
    | {"__static_attributes__", "__slots__", "__init_subclass__", "__subclasshook__", "__class_getitem__"}
)

#: The classes of :mod:`.build` whose instances hold the nodes as attributes.
_MODEL_CLASSES = ("DesignModel", "DesignBlock")


def _target_names(target: ast.expr) -> set[str]:
    if isinstance(target, ast.Name):
        return {target.id}
    if isinstance(target, (ast.Tuple, ast.List)):
        return {n for t in target.elts for n in _target_names(t)}
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return set()


def _instance_names(fn: ast.AST) -> set[str]:
    """Attributes a method sets on ``self``: ``self.a = ...``, ``super().__setattr__("a", ...)``,
    ``object.__setattr__(self, "a", ...)``, ``setattr(self, "a", ...)``."""
    found: set[str] = set()
    for node in ast.walk(fn):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = list(node.targets)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            targets = [node.target]
        elif isinstance(node, ast.Call):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
            if name in ("__setattr__", "setattr"):
                found |= {a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)}
        for t in targets:
            for sub in ast.walk(t):
                if isinstance(sub, ast.Attribute) and isinstance(sub.value, ast.Name) and sub.value.id == "self":
                    found.add(sub.attr)
    return found


def class_names_from_source(source: str, class_name: str, *, base_ok: bool = True) -> set[str] | None:
    """The names a class defines, read from its module's source: what its body binds (methods,
    class attributes, annotations, also under ``if``/``try``), and what its methods set on
    ``self``. None when the module has no such top-level class, or (``base_ok=False``) when the
    class derives from anything but ``object`` (whose names the source would not show)."""
    tree = ast.parse(source)
    cls = next((n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == class_name), None)
    if cls is None:
        return None
    if not base_ok and any(not (isinstance(b, ast.Name) and b.id == "object") for b in cls.bases):
        return None
    found: set[str] = set()

    def body(statements: list[ast.stmt]) -> None:
        for st in statements:
            if isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef)):
                found.add(st.name)
                found.update(_instance_names(st))
            elif isinstance(st, ast.ClassDef):
                found.add(st.name)
            elif isinstance(st, ast.Assign):
                for t in st.targets:
                    found.update(_target_names(t))
            elif isinstance(st, (ast.AnnAssign, ast.AugAssign)):
                found.update(_target_names(st.target))
            elif isinstance(st, (ast.Import, ast.ImportFrom)):
                found.update((a.asname or a.name).split(".")[0] for a in st.names)
            else:
                for field in ("body", "orelse", "finalbody"):
                    body(getattr(st, field, []))
                for handler in getattr(st, "handlers", []):
                    body(handler.body)

    body(cls.body)
    return found


def _torch_module_source() -> str | None:
    """The source of ``torch/nn/modules/module.py``, found without importing torch."""
    try:
        spec = importlib.util.find_spec("torch")
    except (ImportError, ValueError):
        return None
    for location in (spec.submodule_search_locations or []) if spec is not None else []:
        path = Path(location) / "nn" / "modules" / "module.py"
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            continue
    return None


def _builtin_names() -> set[str]:
    """The interpreter's builtins (``print``, ``len``, ``open``, ``exit`` ...), not names other
    packages put there (PySide6 adds ``qApp``): the identifiers must not depend on what is loaded."""
    own = ("builtins", "_sitebuiltins", "io", "_io")
    constants = {"None", "True", "False", "Ellipsis", "NotImplemented"}
    return {
        name
        for name, value in vars(builtins).items()
        if not name.startswith("_") and (name in constants or getattr(value, "__module__", None) in own)
    }


def live_module_names() -> set[str]:
    """What the loaded ``torch.nn.Module`` answers to: ``dir``, annotations, an instance's attributes."""
    import torch.nn  # noqa: PLC0415 - only called when torch is loaded (or its source is missing)

    module = torch.nn.Module
    names = set(dir(module)) | set(vars(module()))
    with contextlib.suppress(Exception):  # annotations that cannot be evaluated add nothing
        names |= set(getattr(module, "__annotations__", {}))
    return names


@lru_cache(maxsize=1)
def source_names() -> frozenset[str]:
    """The reserved names as read from the sources (no torch import; see the module docstring)."""
    names = set(_CODE_NAMES) | set(_IMPLICIT) | set(dir(object))
    names |= set(keyword.kwlist) | set(keyword.softkwlist) | _builtin_names()
    torch_source = _torch_module_source()
    module = class_names_from_source(torch_source, "Module", base_ok=False) if torch_source is not None else None
    if module is None:  # no readable source (a zipped install), or a base class: ask the class itself
        module = live_module_names()
    names |= module
    build = Path(__file__).with_name("build.py").read_text(encoding="utf-8")
    for cls in _MODEL_CLASSES:
        names |= class_names_from_source(build, cls) or set()
    return frozenset(names)


_WITH_LIVE: list[frozenset[str]] = []


def reserved() -> frozenset[str]:
    """Every name an identifier made from a node or group name must avoid."""
    nn = sys.modules.get("torch.nn")
    if nn is None or not hasattr(nn, "Module"):
        return source_names()
    if not _WITH_LIVE:
        _WITH_LIVE.append(source_names() | live_module_names())
    return _WITH_LIVE[0]


def sanitize(name: str, fallback: str = "node") -> str:
    """A legal identifier close to ``name`` (not yet unique)."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9A-Za-z_]+", "_", text).strip("_")
    text = re.sub(r"_+", "_", text)
    if not text:
        text = fallback
    if text[0].isdigit():
        text = f"{fallback}_{text}"
    text = text[:60].lstrip("_") or "node"  # never a dunder (a fallback could start with "_")
    taken = reserved()
    while text in taken:
        text = f"{text}_"
    return text


class Namespace:
    """Hands out unique identifiers: ``b1``, ``b1_1``, ``b1_2`` ..."""

    def __init__(self, reserved_names: set[str] | None = None):
        self._taken: set[str] = set(reserved_names or ())
        self._reserved = reserved()

    def __contains__(self, ident: str) -> bool:
        return ident in self._taken or ident in self._reserved

    def add(self, name: str, fallback: str = "node") -> str:
        base = sanitize(name, fallback)
        ident, i = base, 1
        while ident in self._taken or ident in self._reserved:
            ident = f"{base}_{i}"
            i += 1
        self._taken.add(ident)
        return ident
