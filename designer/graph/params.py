"""Parameter declarations for node types.

A node type lists its parameters as ``ParamSpec`` objects. Everything that needs to
know about a parameter -- the inspector's editor, the project loader, validation,
the generated code -- reads the same declaration. ``validate`` either returns the
normalised value or raises :class:`ParamError` with a message that names the problem.
Values are plain JSON data: ``int``, ``float``, ``bool``, ``str`` or a 2-list of ints.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "MAX_CHANNELS",
    "MAX_SPATIAL",
    "BoolParam",
    "ChoiceParam",
    "FloatParam",
    "IntParam",
    "PaddingParam",
    "PairParam",
    "ParamError",
    "ParamSpec",
]

#: Upper bounds that keep a typo (or a hostile file) from asking for absurd tensors.
MAX_CHANNELS = 65_536
MAX_SPATIAL = 16_384
MAX_KERNEL = 255


class ParamError(ValueError):
    """A parameter value is invalid; the message says why, in the user's terms."""


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class ParamSpec:
    """Base declaration: a name, a label, a default and a help text."""

    name: str
    default: Any
    label: str = ""
    help: str = ""
    #: Parameters with ``advanced=True`` are folded away in the inspector.
    advanced: bool = False

    @property
    def title(self) -> str:
        return self.label or self.name.replace("_", " ").capitalize()

    def validate(self, value: Any) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self, value: Any) -> str:
        """Short human text for a value (used on node faces and in messages)."""
        return str(value)


@dataclass(frozen=True)
class IntParam(ParamSpec):
    minimum: int | None = None
    maximum: int | None = None

    def validate(self, value: Any) -> int:
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise ParamError(f"{self.title} must be a whole number, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"{self.title} must be at least {self.minimum}, got {value}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"{self.title} must be at most {self.maximum}, got {value}")
        return value


@dataclass(frozen=True)
class FloatParam(ParamSpec):
    minimum: float | None = None
    maximum: float | None = None
    #: Whether the minimum itself is allowed (dropout p may be 0, eps may not).
    min_inclusive: bool = True

    def validate(self, value: Any) -> float:
        if _is_int(value):
            try:
                value = float(value)
            except OverflowError:  # an int with hundreds of digits (a damaged file)
                raise ParamError(
                    f"{self.title} must be a finite number, got a {len(str(value))}-digit number"
                ) from None
        if not isinstance(value, float) or not math.isfinite(value):
            raise ParamError(f"{self.title} must be a finite number, got {value!r}")
        too_low = self.minimum is not None and (
            value < self.minimum or (not self.min_inclusive and value == self.minimum)
        )
        if too_low:
            op = "at least" if self.min_inclusive else "greater than"
            raise ParamError(f"{self.title} must be {op} {self.minimum:g}, got {value:g}")
        if self.maximum is not None and value > self.maximum:
            raise ParamError(f"{self.title} must be at most {self.maximum:g}, got {value:g}")
        return value

    def describe(self, value: Any) -> str:
        return f"{value:g}"


@dataclass(frozen=True)
class BoolParam(ParamSpec):
    def validate(self, value: Any) -> bool:
        if not isinstance(value, bool):
            raise ParamError(f"{self.title} must be true or false, got {value!r}")
        return value


@dataclass(frozen=True)
class ChoiceParam(ParamSpec):
    choices: tuple[str, ...] = ()

    def validate(self, value: Any) -> str:
        if value not in self.choices:
            options = ", ".join(repr(c) for c in self.choices)
            raise ParamError(f"{self.title} must be one of {options}, got {value!r}")
        return value


def _pair(title: str, value: Any, minimum: int, maximum: int) -> int | list[int]:
    """Validate an int or an ``[h, w]`` pair; a pair of equal ints collapses to an int."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or not all(_is_int(v) for v in value):
            raise ParamError(f"{title} must be a whole number or a pair [h, w], got {value!r}")
        for v in value:
            if not minimum <= v <= maximum:
                raise ParamError(f"{title} values must be between {minimum} and {maximum}, got {list(value)}")
        return value[0] if value[0] == value[1] else [value[0], value[1]]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if not _is_int(value):
        raise ParamError(f"{title} must be a whole number or a pair [h, w], got {value!r}")
    if not minimum <= value <= maximum:
        raise ParamError(f"{title} must be between {minimum} and {maximum}, got {value}")
    return value


def as_pair(value: int | list[int] | tuple[int, int]) -> tuple[int, int]:
    """``3 -> (3, 3)``, ``[1, 7] -> (1, 7)``."""
    if isinstance(value, (list, tuple)):
        return int(value[0]), int(value[1])
    return int(value), int(value)


def describe_pair(value: int | list[int] | tuple[int, int]) -> str:
    h, w = as_pair(value)
    return f"{h}x{w}"


@dataclass(frozen=True)
class PairParam(ParamSpec):
    """A size that is square (``3``) or rectangular (``[1, 7]``)."""

    minimum: int = 1
    maximum: int = MAX_KERNEL

    def validate(self, value: Any) -> int | list[int]:
        return _pair(self.title, value, self.minimum, self.maximum)

    def describe(self, value: Any) -> str:
        return describe_pair(value)


@dataclass(frozen=True)
class PaddingParam(ParamSpec):
    """``'same'``, ``'valid'``, an int or an ``[h, w]`` pair.

    ``'same'`` has Keras' meaning everywhere: the output is ``ceil(input / stride)``,
    padded evenly where possible and with the extra row/column at the bottom/right
    otherwise. For stride 1 this is exactly ``torch.nn.Conv2d(padding='same')``;
    for stride > 1 (which torch rejects) the designer inserts explicit padding.
    """

    modes: tuple[str, ...] = field(default=("same", "valid"))
    maximum: int = MAX_KERNEL

    def validate(self, value: Any) -> str | int | list[int]:
        if isinstance(value, str):
            if value not in self.modes:
                raise ParamError(
                    f"{self.title} must be {' or '.join(repr(m) for m in self.modes)}, "
                    f"a whole number or a pair [h, w], got {value!r}"
                )
            return value
        return _pair(self.title, value, 0, self.maximum)

    def describe(self, value: Any) -> str:
        if isinstance(value, str):
            return value
        return "pad " + describe_pair(value) if isinstance(value, list) else f"pad {value}"
