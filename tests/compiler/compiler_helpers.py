"""Helpers for the compiler tests: load generated source as a module, find its model class."""

from __future__ import annotations

import types

import torch


def load_source(src: str, name: str = "generated_model") -> types.ModuleType:
    """Execute generated source as a fresh module."""
    module = types.ModuleType(name)
    module.__dict__["__name__"] = name
    exec(compile(src, f"<{name}>", "exec"), module.__dict__)  # noqa: S102 - our own generated code
    return module


def model_class(module: types.ModuleType) -> type:
    """The generated model class: the nn.Module subclass with ``input_shape``."""
    for value in vars(module).values():
        if isinstance(value, type) and issubclass(value, torch.nn.Module) and hasattr(value, "input_shape"):
            return value
    raise AssertionError("no model class in the generated code")
