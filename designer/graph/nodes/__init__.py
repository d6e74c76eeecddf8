"""The built-in node types, one module per family. Importing this package registers them."""

from . import conv, heads, io, merge, misc, pool, ports  # noqa: F401
