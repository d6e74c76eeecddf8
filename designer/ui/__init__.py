"""The Qt user interface: the only package that imports PySide6."""

from __future__ import annotations

import ctypes
import sys


def _keep_none_alive() -> None:
    """Work around PySide6 6.12 on CPython < 3.12: every call of a C++ method that returns
    ``void`` (``QPainter.setPen``, ``QColor.setAlpha``, ``processEvents`` ...) drops one
    reference to ``None`` it never took. A canvas repaint makes thousands of such calls, so
    after a few minutes ``None``'s count reaches zero and the interpreter aborts
    ("none_dealloc: deallocating None"). ``None`` is never freed, so giving it a large
    reserve of references is harmless; from 3.12 on ``None`` is immortal and this is skipped.
    """
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return
    refcnt = ctypes.c_ssize_t.from_address(id(None))
    if refcnt.value < 1 << 40:
        refcnt.value += 1 << 50


_keep_none_alive()
