"""Project files: versioned JSON, checked field by field, saved atomically.

Format (``format_version`` 2)::

    {
      "format_version": 2,
      "app": "inception-designer",
      "name": "Inception module", "description": "...",
      "nodes":  [{"id": "<hex>", "type": "conv", "name": "b1",
                  "params": {"out_channels": 64, ...}, "pos": [x, y]}, ...],
      "edges":  [{"id": "<hex>", "src": "<node id>", "src_port": "out",
                  "dst": "<node id>", "dst_port": "in"}, ...],
      "groups": [{"id": "<hex>", "name": "inception_3a", "nodes": ["<node id>", ...], "color": ""}],
      "modules": [{"id": "<id>", "name": "Inception", "description": "...",
                   "nodes": [...], "edges": [...], "groups": [...],
                   "exposed": [{"name": "ch1x1", "node": "<inner node id>", "param": "out_channels"}]}]
    }

A project may keep variants of its design: ``"variant"`` names the active one (the nodes,
edges and groups above), ``"variant_index"`` its place in the list, and ``"variants"`` holds
the others (``{"name", "description", "nodes", "edges", "groups"}``); written only when there
are any.

A module instance is a node of type ``"module:<module id>"``; its parameters are the
definition's exposed ones plus ``repeat``. A module's body has ``module_input`` nodes (the
instance's ports ``in``, ``in2``, ... in node order) and one ``module_output``; it may
instantiate other modules of the file, never itself. Version-1 files (no modules) load
and save as version 2.

Every parameter is written out (not only those that differ from the default), so a
file means the same thing when a default changes. The order of ``edges`` into a
multi-input port (concat, add) is the order of the inputs. Loading parses JSON and
nothing else: no code is ever executed, and every field is checked before anything
is built, so a hostile or damaged file gives one clear :class:`ProjectError`.
"""

from __future__ import annotations

import json
import math
import os
import re
import secrets
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..graph import registry
from ..graph.document import MODULE_PREFIX, GraphDocument
from ..graph.modules import ExposedParam, ModuleLibrary
from ..graph.params import ParamError

__all__ = ["FORMAT_VERSION", "ProjectError", "dumps", "loads", "load", "save", "atomic_write_text"]

FORMAT_VERSION = 2
APP_ID = "inception-designer"
MAX_FILE_BYTES = 64 * 1024 * 1024
MAX_NODES = 100_000
MAX_EDGES = 400_000
_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")
_MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


class ProjectError(ValueError):
    """A project file cannot be read. The message names the file and the place in it."""


#: ``MIGRATIONS[n]`` turns a version-n document dict into version n+1.
def _v1_to_v2(data: dict[str, Any]) -> dict[str, Any]:
    """Version 2 adds module definitions (``modules``); a version-1 design has none."""
    return {**data, "format_version": 2, "modules": []}


MIGRATIONS: dict[int, Callable[[dict[str, Any]], dict[str, Any]]] = {1: _v1_to_v2}


# --------------------------------------------------------------------------- writing
def to_data(doc: GraphDocument) -> dict[str, Any]:
    return {"format_version": FORMAT_VERSION, "app": APP_ID, **doc.to_dict()}


def dumps(doc: GraphDocument) -> str:
    return json.dumps(to_data(doc), indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty temporary file next to ``path``, opened for writing.

    Created with mode 0666 so that the umask applies, as for any file ``open()`` creates
    (``tempfile.mkstemp`` makes every file 0600, and the rename would carry that over).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(f"no free temporary name next to {path}")


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` to ``path`` so that a crash leaves either the old or the new file.

    A new file gets the permissions ``open()`` would give it (0666 less the umask); a file
    that is replaced keeps its mode.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        mode: int | None = stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        mode = None  # a new file
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            if mode is not None:
                if hasattr(os, "fchmod"):
                    os.fchmod(fh.fileno(), mode)
                else:  # pragma: no cover - Windows before Python 3.13
                    os.chmod(tmp, mode)
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    try:  # make the rename itself durable
        dfd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dfd)
        finally:
            os.close(dfd)
    except OSError:
        pass


def save(doc: GraphDocument, path: str | os.PathLike[str]) -> None:
    atomic_write_text(path, dumps(doc))


# --------------------------------------------------------------------------- reading
class _Checker:
    def __init__(self, source: str):
        self.source = source

    def fail(self, where: str, message: str) -> ProjectError:
        return ProjectError(f"{self.source}: {where}: {message}" if where else f"{self.source}: {message}")

    def get(self, obj: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str, default: Any = ...) -> Any:
        if key not in obj:
            if default is ...:
                raise self.fail(where, f"missing field {key!r}")
            return default
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            raise self.fail(
                f"{where}.{key}" if where else key,
                f"expected {_kind_name(kind)}, got {type(value).__name__} {_short(value)}",
            )
        if isinstance(value, str) and not _encodable(value):
            # JSON escapes such as "\ud800" decode to lone surrogates, which could never be saved again.
            raise self.fail(f"{where}.{key}" if where else key, "contains an invalid Unicode escape (a lone surrogate)")
        return value

    def ident(self, obj: dict[str, Any], key: str, where: str) -> str:
        value = self.get(obj, key, str, where)
        if not _ID.match(value):
            raise self.fail(
                f"{where}.{key}", f"{_short(value)} is not a valid id (letters, digits, '_' and '-', at most 64)"
            )
        return value


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _as_tuple(kind: type | tuple[type, ...]) -> tuple[type, ...]:
    return kind if isinstance(kind, tuple) else (kind,)


def _kind_name(kind: type | tuple[type, ...]) -> str:
    names = {
        dict: "an object",
        list: "a list",
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
    }
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, (set, bytes)) else repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not allowed in a project file")


#: json's messages (some end in "at", the position being separate) as whole phrases.
_JSON_MESSAGES = (
    ("Expecting value", "expected a value"),
    ("Expecting property name enclosed in double quotes", "expected a property name in double quotes"),
    ("Expecting ':' delimiter", "expected ':' after a property name"),
    ("Expecting ',' delimiter", "expected ',' or a closing bracket"),
    ("Unterminated string", "unterminated string"),
    ("Invalid control character", "a control character (a tab or a line break) inside a string"),
    ("Invalid \\uXXXX escape", "an invalid \\uXXXX escape"),
    ("Invalid \\escape", "an invalid backslash escape"),
    ("Extra data", "extra data after the JSON value"),
    ("Illegal trailing comma before end of object", "a comma before the closing '}'"),
    ("Illegal trailing comma before end of array", "a comma before the closing ']'"),
)


def _json_error(exc: json.JSONDecodeError, text: str, source: str) -> ProjectError:
    """``design.json: invalid JSON at line 12, column 5: unterminated string (...) (the file may
    be truncated)``: a whole sentence, naming the place; "truncated" when the text ends there."""
    if not text.strip():
        what = "the file is empty"
    else:
        what = next((phrase for prefix, phrase in _JSON_MESSAGES if exc.msg.startswith(prefix)), None)
        if what is None:  # a message this version does not know: keep it, minus a dangling "at"
            what = exc.msg.removesuffix(" at").rstrip(" :")
            what = what[:1].lower() + what[1:]
        if exc.pos >= len(text.rstrip()) or exc.msg.startswith("Unterminated string"):
            what += " (the file may be truncated)"
    return ProjectError(f"{source}: invalid JSON at line {exc.lineno}, column {exc.colno}: {what}")


def parse_json(text: str, source: str) -> Any:
    """JSON text as data; else a :class:`ProjectError` naming the line and column, or why (a
    constant such as NaN, a number too long, nesting too deep). Project and module files alike."""
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, text, source) from None
    except RecursionError:
        raise ProjectError(f"{source}: invalid JSON: lists or objects nested too deeply") from None
    except ValueError as exc:  # a constant (NaN) or a number too long to convert
        if "integer string conversion" in str(exc):
            limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
            message = f"a number with more than {limit} digits"
        else:
            message = str(exc)
        raise ProjectError(f"{source}: invalid JSON: {message}") from None


def check_version(c: _Checker, data: Any, what: str, oldest: int, too_old: str) -> int:
    """A file's ``format_version``, after checking the top level is an object and the version
    is one this app reads (``what``: "file", "module"; ``too_old``: the message below ``oldest``)."""
    if not isinstance(data, dict):
        raise c.fail("", f"expected a JSON object at the top level, got {type(data).__name__}")
    version = c.get(data, "format_version", int, "")
    if version > FORMAT_VERSION:
        raise c.fail(
            "format_version",
            f"this {what} was written by a newer Inception Designer (format {version}; "
            f"this version reads up to {FORMAT_VERSION})",
        )
    if version < oldest:
        raise c.fail("format_version", too_old.format(version=version))
    return version


def loads(text: str, source: str = "<project>") -> GraphDocument:
    """Parse and check a project; raises :class:`ProjectError` naming the place of the problem."""
    return from_data(parse_json(text, source), source)


def from_data(data: Any, source: str = "<project>") -> GraphDocument:
    c = _Checker(source)
    version = check_version(c, data, "file", 1, "unknown format version {version}")
    while version < FORMAT_VERSION:
        data = MIGRATIONS[version](data)
        version += 1
    name = c.get(data, "name", str, "", "Untitled")
    description = c.get(data, "description", str, "", "")
    library = _check_modules(c, c.get(data, "modules", list, "", []))
    clean = _check_graph(c, data, "", library.type_of_checked)
    doc = GraphDocument(name, description, library=library if library.defs else None)
    doc.add_graph_data(clean)
    variants = c.get(data, "variants", list, "", [])
    if variants:
        doc.variant = c.get(data, "variant", str, "", "main")
        doc.variant_index = c.get(data, "variant_index", int, "", 0)
        if not 0 <= doc.variant_index <= len(variants):
            raise c.fail("variant_index", f"must be 0 to {len(variants)}, got {doc.variant_index}")
        seen = {doc.variant}
        for i, v in enumerate(variants):
            where = f"variants[{i}]"
            if not isinstance(v, dict):
                raise c.fail(where, f"expected an object, got {type(v).__name__}")
            vname = c.get(v, "name", str, where)
            if not vname.strip() or len(vname) > 80:
                raise c.fail(f"{where}.name", "a variant name is 1 to 80 characters")
            if vname in seen:
                raise c.fail(f"{where}.name", f"two variants are called {vname!r}")
            seen.add(vname)
            graph = _check_graph(c, v, f"{where} (variant {vname!r})", library.type_of_checked)
            doc.variants.append({"name": vname, "description": c.get(v, "description", str, where, ""), **graph})
            doc.variants[-1]["nodes"] = [{**n, "pos": list(n["pos"])} for n in graph["nodes"]]
    doc.revision = 0
    return doc


class _Library(ModuleLibrary):
    """A library being loaded: unknown module types fail with the loader's message."""

    def type_of_checked(self, type_id: str) -> registry.NodeType:
        if type_id.startswith(MODULE_PREFIX):
            return self.type_of(type_id)
        return registry.get(type_id)


def _check_modules(c: _Checker, items: list[Any]) -> ModuleLibrary:
    """Check the module definitions and build them, each after the ones it uses."""
    lib = _Library()
    where_of: dict[str, str] = {}
    uses: dict[str, list[tuple[str, str]]] = {}  # module id -> [(used id, where)]
    names: dict[str, str] = {}
    for i, m in enumerate(items):
        where = f"modules[{i}]"
        if not isinstance(m, dict):
            raise c.fail(where, f"expected an object, got {type(m).__name__}")
        mid = c.ident(m, "id", where)
        mname = c.get(m, "name", str, where)
        if not _MODULE_NAME.match(mname):
            raise c.fail(f"{where}.name", f"{_short(mname)} is not a module name (letters, digits and _)")
        where += f" (module {mname!r})"
        if mid in where_of:
            raise c.fail(f"{where}.id", f"duplicate module id {mid!r}")
        if mname in names:
            raise c.fail(f"{where}.name", f"two modules are called {mname!r}")
        names[mname] = mid
        where_of[mid] = where
        nodes = c.get(m, "nodes", list, where)
        uses[mid] = []
        for j, n in enumerate(nodes):
            t = n.get("type") if isinstance(n, dict) else None
            if isinstance(t, str) and t.startswith(MODULE_PREFIX):
                uses[mid].append((t[len(MODULE_PREFIX) :], f"{where}.nodes[{j}]"))
    for used in uses.values():
        for uid, where in used:
            if uid not in where_of:
                raise c.fail(f"{where}.type", f"refers to a module the file does not define ({_short(uid)})")
    # Each definition after those it uses; a cycle is a module that contains itself.
    done: list[str] = []
    state: dict[str, int] = {}

    def visit(mid: str, path: list[str]) -> None:
        if state.get(mid) == 2:
            return
        if state.get(mid) == 1:
            loop = path[path.index(mid) :] + [mid]
            chain = " -> ".join(repr(items[_index(where_of[m])]["name"]) for m in loop)
            raise c.fail(where_of[mid], f"the module contains itself ({chain})")
        state[mid] = 1
        for uid, _ in uses[mid]:
            visit(uid, [*path, mid])
        state[mid] = 2
        done.append(mid)

    for mid in uses:
        visit(mid, [])
    order = {mid: k for k, mid in enumerate(uses)}
    for mid in done:
        m = items[order[mid]]
        where = where_of[mid]
        graph = _check_graph(c, m, where, lib.type_of_checked)
        ports = [n for n in graph["nodes"] if n["type"] == "module_input"]
        outs = [n for n in graph["nodes"] if n["type"] == "module_output"]
        if not ports:
            raise c.fail(where, "the module has no Module input node")
        if len(outs) != 1:
            raise c.fail(where, f"a module has exactly one Module output node, this one has {len(outs)}")
        d = lib.new_def(m["name"], graph, (), mid, c.get(m, "description", str, where, ""))
        exposed = []
        for j, e in enumerate(c.get(m, "exposed", list, where, [])):
            ew = f"{where}.exposed[{j}]"
            if not isinstance(e, dict):
                raise c.fail(ew, f"expected an object, got {type(e).__name__}")
            exposed.append(
                ExposedParam(c.get(e, "name", str, ew), c.get(e, "node", str, ew), c.get(e, "param", str, ew))
            )
            try:
                d.check_exposed(exposed)
            except ParamError as exc:
                raise c.fail(ew, str(exc)) from None
        d.exposed = exposed
        lib.defs[mid] = d
    lib.defs = {mid: lib.defs[mid] for mid in uses}  # the file's order
    return lib


def _index(where: str) -> int:
    return int(where[len("modules[") : where.index("]")])


def _check_graph(
    c: _Checker, data: dict[str, Any], at: str, type_of: Callable[[str], registry.NodeType]
) -> dict[str, Any]:
    """Check the nodes, edges and groups of a design or a module body; returns them clean."""
    prefix = f"{at}." if at else ""
    nodes = c.get(data, "nodes", list, at)
    edges = c.get(data, "edges", list, at, [])
    groups = c.get(data, "groups", list, at, [])
    if len(nodes) > MAX_NODES:
        raise c.fail(f"{prefix}nodes", f"{len(nodes)} nodes is more than this version handles ({MAX_NODES})")
    if len(edges) > MAX_EDGES:
        raise c.fail(f"{prefix}edges", f"{len(edges)} edges is more than this version handles ({MAX_EDGES})")

    clean: dict[str, Any] = {"nodes": [], "edges": [], "groups": []}
    ids: dict[str, str] = {}
    ports: dict[str, registry.NodeType] = {}
    for i, n in enumerate(nodes):
        where = f"{prefix}nodes[{i}]"
        if not isinstance(n, dict):
            raise c.fail(where, f"expected an object, got {type(n).__name__}")
        nid = c.ident(n, "id", where)
        label = c.get(n, "name", str, where, None)
        if label is not None:
            where += f" (node {label!r})"
        if nid in ids:
            raise c.fail(where, f"duplicate node id {nid!r} (also used by node {ids[nid]!r})")
        type_id = c.get(n, "type", str, where)
        try:
            ntype = type_of(type_id)
        except registry.UnknownNodeType:
            raise c.fail(f"{where}.type", f"unknown node type {_short(type_id)}") from None
        if not at and type_id in ("module_input", "module_output"):
            raise c.fail(f"{where}.type", f"a {ntype.display_name} node belongs inside a module definition")
        if label is None:
            raise c.fail(where, "missing field 'name'")
        if not label.strip() or len(label) > 200:
            raise c.fail(f"{where}.name", "a node name must be 1 to 200 characters")
        params = c.get(n, "params", dict, where, {})
        try:
            values = ntype.validate_params(params)
        except ParamError as exc:
            field = exc.args[1] if len(exc.args) > 1 else "?"
            raise c.fail(f"{where}.params.{field}", str(exc.args[0])) from None
        pos = c.get(n, "pos", list, where, [0.0, 0.0])
        if len(pos) != 2 or not all(
            isinstance(v, (int, float))
            and not isinstance(v, bool)
            and (isinstance(v, int) or math.isfinite(v))  # math.isfinite overflows on a huge int
            and abs(v) < 1e9
            for v in pos
        ):
            raise c.fail(f"{where}.pos", f"expected [x, y] as two numbers, got {_short(pos)}")
        ids[nid] = label
        ports[nid] = ntype
        clean["nodes"].append(
            {"id": nid, "type": ntype.type_id, "name": label, "params": values, "pos": (float(pos[0]), float(pos[1]))}
        )

    seen_edges: set[str] = set()
    for i, e in enumerate(edges):
        where = f"{prefix}edges[{i}]"
        if not isinstance(e, dict):
            raise c.fail(where, f"expected an object, got {type(e).__name__}")
        eid = c.ident(e, "id", where)
        if eid in seen_edges:
            raise c.fail(f"{where}.id", f"duplicate edge id {eid!r}")
        seen_edges.add(eid)
        ends = {}
        for end, port_key, port_default, side in (
            ("src", "src_port", "out", "outputs"),
            ("dst", "dst_port", "in", "inputs"),
        ):
            nid = c.get(e, end, str, where)
            if nid not in ids:
                raise c.fail(f"{where}.{end}", f"refers to a node that does not exist ({_short(nid)})")
            port = c.get(e, port_key, str, where, port_default)
            ntype = ports[nid]
            if port not in {p.name for p in getattr(ntype, side)}:
                kind = "output" if side == "outputs" else "input"
                raise c.fail(
                    f"{where}.{port_key}", f"node {ids[nid]!r} ({ntype.display_name}) has no {kind} port {_short(port)}"
                )
            ends[end], ends[port_key] = nid, port
        clean["edges"].append({"id": eid, **ends})

    seen_groups: set[str] = set()
    for i, g in enumerate(groups):
        where = f"{prefix}groups[{i}]"
        if not isinstance(g, dict):
            raise c.fail(where, f"expected an object, got {type(g).__name__}")
        gid = c.ident(g, "id", where)
        if gid in seen_groups:
            raise c.fail(f"{where}.id", f"duplicate group id {gid!r}")
        seen_groups.add(gid)
        gname = c.get(g, "name", str, where)
        members = c.get(g, "nodes", list, where, [])
        for j, m in enumerate(members):
            if not isinstance(m, str) or m not in ids:
                raise c.fail(f"{where}.nodes[{j}]", f"refers to a node that does not exist ({_short(m)})")
        color = c.get(g, "color", str, where, "")
        clean["groups"].append({"id": gid, "name": gname, "nodes": members, "color": color})
    return clean


def read_text(path: str | os.PathLike[str], kind: str = "project") -> str:
    """A project (or module) file's text; raises :class:`ProjectError` for one that is too big,
    not UTF-8 or unreadable."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ProjectError(
                f"{path}: the file is {size // 2**20} MiB; {kind} files are at most {MAX_FILE_BYTES // 2**20} MiB"
            )
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ProjectError(f"{path}: not a text file (byte {exc.start} is not UTF-8)") from None
    except OSError as exc:
        raise ProjectError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def load(path: str | os.PathLike[str]) -> GraphDocument:
    """Read a project file; raises :class:`ProjectError` (also for unreadable files)."""
    return loads(read_text(path), str(path))
