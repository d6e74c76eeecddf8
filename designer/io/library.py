"""The module library outside a project: module files, the shipped blocks, the user's folder.

A module file holds one module definition and every definition it uses::

    {
      "format_version": 2,
      "app": "inception-designer",
      "kind": "module",
      "module": "<id of the main definition>",
      "modules": [{"id": ..., "name": "Inception", "description": ..., "nodes": [...],
                   "edges": [...], "groups": [...], "exposed": [...]}, ...]
    }

The definitions are checked exactly as a project file's ``modules`` are
(:mod:`designer.io.project`): loading parses JSON and nothing else, and a damaged file gives one
:class:`~designer.io.project.ProjectError` naming the file and the place in it. The shipped
blocks are ``resources/modules/*.json`` (written by ``python -m designer.examples`` from the
example networks); the user's own are in :func:`user_library_dir`.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from ..graph.document import MODULE_PREFIX, new_id
from ..graph.modules import ModuleLibrary, module_id_of
from .autosave import data_dir
from .project import (
    APP_ID,
    FORMAT_VERSION,
    ProjectError,
    _check_modules,
    _Checker,
    atomic_write_text,
    check_version,
    parse_json,
    read_text,
)

__all__ = [
    "KIND",
    "SHIPPED_DIR",
    "Listing",
    "ModuleFile",
    "dumps_module",
    "import_module_file",
    "load_module",
    "loads_module",
    "plan_import",
    "save_module",
    "save_user_module",
    "shipped_modules",
    "user_library_dir",
    "user_modules",
]

KIND = "module"
SHIPPED_DIR = Path(__file__).resolve().parent.parent.parent / "resources" / "modules"


# --------------------------------------------------------------------------- writing
def dumps_module(library: ModuleLibrary, module_id: str) -> str:
    """The module file text of ``module_id`` with every definition it uses."""
    library.get(module_id)  # a clear GraphError for an unknown id
    data = {
        "format_version": FORMAT_VERSION,
        "app": APP_ID,
        "kind": KIND,
        "module": module_id,
        "modules": library.closure_data([module_id]),
    }
    return json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False) + "\n"


def save_module(library: ModuleLibrary, module_id: str, path: str | os.PathLike[str]) -> None:
    """Write a module file atomically (a crash leaves the old file or the new one)."""
    atomic_write_text(path, dumps_module(library, module_id))


# --------------------------------------------------------------------------- reading
def loads_module(text: str, source: str = "<module file>") -> tuple[str, list[dict[str, Any]]]:
    """Parse and check a module file: ``(main id, definition data)``, the main one's uses included."""
    data = parse_json(text, source)
    c = _Checker(source)
    check_version(c, data, "module", 2, "module files start at format version 2, this one says {version}")
    app = c.get(data, "app", str, "", APP_ID)
    if app != APP_ID:
        raise c.fail("app", f"written by {app!r}, not by Inception Designer")
    kind = c.get(data, "kind", str, "", None)
    if kind != KIND:
        what = "a project file (open it with File > Open)" if kind is None and "nodes" in data else f"kind {kind!r}"
        raise c.fail("kind" if kind is not None else "", f"not a module file: {what}")
    main = c.ident(data, "module", "")
    library = _check_modules(c, c.get(data, "modules", list, ""))
    if main not in library.defs:
        raise c.fail("module", f"names a module the file does not define ({main!r})")
    return main, library.closure_data([main])


def load_module(path: str | os.PathLike[str]) -> tuple[str, list[dict[str, Any]]]:
    """Read a module file; raises :class:`ProjectError` (also for unreadable files)."""
    return loads_module(read_text(path, "module"), str(path))


# --------------------------------------------------------------------------- folders
@dataclass(frozen=True)
class ModuleFile:
    """A module file read from a library folder."""

    path: Path
    main: str
    items: list[dict[str, Any]]

    @property
    def definition(self) -> dict[str, Any]:
        return next(item for item in self.items if item["id"] == self.main)

    @property
    def name(self) -> str:
        return self.definition["name"]

    @property
    def description(self) -> str:
        return self.definition.get("description", "")


class Listing(NamedTuple):
    """The module files of a folder, and one message per file that could not be read."""

    files: list[ModuleFile]
    problems: list[str]


def read_folder(folder: Path) -> Listing:
    """Every ``*.json`` module file in ``folder`` (by name); broken files are reported, not raised."""
    files: list[ModuleFile] = []
    problems: list[str] = []
    try:
        paths = sorted(p for p in folder.glob("*.json") if not p.name.startswith("."))
    except OSError as exc:
        return Listing([], [f"{folder}: cannot list the folder: {exc.strerror or exc}"])
    for path in paths:
        try:
            main, items = load_module(path)
        except ProjectError as exc:
            problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - a broken file never takes the library down
            problems.append(f"{path}: cannot be read ({type(exc).__name__}: {exc})")
        else:
            files.append(ModuleFile(path, main, items))
    return Listing(files, problems)


def shipped_modules() -> Listing:
    """The classic blocks shipped in ``resources/modules`` (GoogLeNet's Inception, v3's A-E, ...)."""
    return read_folder(SHIPPED_DIR)


def user_library_dir() -> Path:
    """The user's module folder: ``<data dir>/modules`` (``$XDG_DATA_HOME`` or ``~/.local/share``
    ``/inception-designer`` on Linux; ``$INCEPTION_DESIGNER_HOME`` overrides, as for autosaves)."""
    return data_dir() / "modules"


def user_modules() -> Listing:
    """The module files in :func:`user_library_dir` (none when the folder does not exist)."""
    return read_folder(user_library_dir())


def save_user_module(library: ModuleLibrary, module_id: str) -> Path:
    """Save a definition to the user's folder as ``<name>.json`` (replacing one of that name)."""
    path = user_library_dir() / f"{library.get(module_id).name}.json"
    save_module(library, module_id, path)
    return path


# --------------------------------------------------------------------------- import
def plan_import(library: ModuleLibrary, main: str, items: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """What importing a file's definitions adds: ``(main's id in the library, new definition data)``.

    A definition the library already has (the same body, exposed parameters and description;
    the id and the name may differ, as after an earlier import) is used as it is; any other is added, with a fresh id if its id is taken and a unique name
    if its name is (``Inception2``). References between the definitions follow. Nothing is changed: pass the
    data to :meth:`ModuleLibrary.add_data` (the UI does it in an undoable command).
    """
    by_id = {item["id"]: item for item in items}
    ids: dict[str, str] = {}  # file id -> library id
    taken = {d.name for d in library.defs.values()}
    new: list[dict[str, Any]] = []

    def place(fid: str) -> str:
        if fid in ids:
            return ids[fid]
        item = copy.deepcopy(by_id[fid])
        for n in item["nodes"]:
            used = module_id_of(n["type"])
            if used is not None:
                n["type"] = MODULE_PREFIX + place(used)
        key = _canon(item)
        same = [d for d in library.defs.values() if _canon(d.to_dict()) == key]
        if same:  # already there: the one of the same name, if any
            ids[fid] = min(same, key=lambda d: d.name != item["name"]).id
            return ids[fid]
        if item["id"] in library.defs or item["id"] in {x["id"] for x in new}:
            item["id"] = new_id()
        stem, k = item["name"], 2
        while item["name"] in taken:
            item["name"], k = f"{stem}{k}", k + 1
        taken.add(item["name"])
        ids[fid] = item["id"]
        new.append(item)
        return item["id"]

    for fid in by_id:
        place(fid)
    return ids[main], new


def _canon(data: dict[str, Any]) -> str:
    """A definition's content, its id and name aside."""
    return json.dumps({k: v for k, v in data.items() if k not in ("id", "name")}, sort_keys=True)


def import_module_file(library: ModuleLibrary, path: str | os.PathLike[str]) -> str:
    """Add a module file's definitions to ``library`` (see :func:`plan_import`); returns the main id."""
    main, new = plan_import(library, *load_module(path))
    library.add_data(new)
    return main
