"""Command line: ``inception-designer [FILE]`` opens the app; subcommands work headless.

A first argument that is neither a command nor a path that exists or ends in ``.json`` is a
usage error (``unknown command 'frobnicate'`` and the list of commands), never the app.

Exit codes: 0 success (for ``validate``: the design has no errors), 1 the design has
errors, 2 the file cannot be read or the arguments are wrong (or, for the app, there is no
display).
"""

from __future__ import annotations

import argparse
import difflib
import json
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__

__all__ = ["main", "COMMANDS"]

EXIT_OK, EXIT_DESIGN_ERRORS, EXIT_UNREADABLE = 0, 1, 2
PROG = "inception-designer"
USAGE = "%(prog)s [-h] [--version] [FILE | COMMAND ...]"


def _load(path: str) -> Any:
    from .io.project import ProjectError, load

    try:
        return load(path)
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_UNREADABLE) from None


def cmd_validate(args: argparse.Namespace) -> int:
    from .graph.shapes import fmt_shape
    from .graph.validate import validate

    doc = _load(args.file)
    rep = validate(doc)
    diagnostics = list(rep.diagnostics)
    if getattr(args, "advice", False):
        from .graph.lint import lint

        diagnostics += lint(doc, rep)
    for d in diagnostics:
        where = doc.nodes[d.node_id].name if d.node_id in doc.nodes else doc.name
        print(f"{where}: {d.severity}: {d.message}")
        if d.fix is not None:
            print(f"    fix: {d.fix.label}")
    if getattr(args, "sizes", False):
        from .graph.input_sizes import analyse_input_sizes

        sizes = analyse_input_sizes(doc, rep)
        print(
            f"input sizes: {sizes.summary()}"
            if sizes is not None
            else "input sizes: cannot be analysed "
            "(the design needs exactly one Input node and no errors that do not depend on the size)"
        )
    n_err, n_warn = len(rep.errors), len(rep.warnings)
    if rep.ok:
        out = fmt_shape(rep.shapes.get(rep.output_id)) if rep.output_id else "?"
        print(
            f"{doc.name}: valid ({len(doc.nodes)} nodes, output {out}"
            + (f", {n_warn} warning{'s' * (n_warn != 1)}" if n_warn else "")
            + ")"
        )
        return EXIT_OK
    print(f"{doc.name}: {n_err} error{'s' * (n_err != 1)}, {n_warn} warning{'s' * (n_warn != 1)}")
    return EXIT_DESIGN_ERRORS


def summary_rows(doc: Any) -> dict[str, Any]:
    """The summary as plain data (the ``--json`` output and the table's source)."""
    from .compiler.summary import module_summary  # no torch
    from .graph.cost import compute_costs
    from .graph.validate import validate

    rep = validate(doc)
    costs = compute_costs(doc, rep)
    nodes = []
    for nid in rep.order + [n for n in doc.nodes if n not in rep.order]:
        node = doc.nodes[nid]
        c = costs.nodes.get(nid)
        shape = rep.shapes.get(nid)
        nodes.append(
            {
                "id": nid,
                "name": node.name,
                "type": node.type_id,
                "output_shape": list(shape) if shape is not None else None,
                "params": c.params if c else None,
                "macs": c.macs if c else None,
                "activations": c.activations if c else None,
                # At most the input's size; "capped": the window reaches it (see graph/cost.py).
                "receptive_field": list(c.rf) if c else None,
                "receptive_field_capped": list(c.rf_capped) if c else None,
                "inference": nid in rep.main,
            }
        )
    groups = [
        {"name": g.name, "params": costs.groups[g.id].params, "macs": costs.groups[g.id].macs}
        for g in doc.groups.values()
    ]
    return {
        "name": doc.name,
        "valid": rep.ok,
        "nodes": nodes,
        "groups": groups,
        "modules": [m.to_dict() for m in module_summary(doc, rep)],
        "total": {
            "params": costs.total.params,
            "macs": costs.total.macs,
            "activation_bytes": costs.total.activation_bytes,
        },
        "inference": {"params": costs.inference.params, "macs": costs.inference.macs},
        "diagnostics": [d.to_dict() for d in rep.diagnostics],
    }


def cmd_summary(args: argparse.Namespace) -> int:
    from .graph.shapes import fmt_shape

    doc = _load(args.file)
    data = summary_rows(doc)
    if args.json:
        json.dump(data, sys.stdout, indent=2)
        print()
        return EXIT_OK if data["valid"] else EXIT_DESIGN_ERRORS
    if getattr(args, "torchinfo", False):
        from .compiler.plan import CompileError
        from .compiler.summary import torchinfo_table  # noqa: PLC0415 (torch only when asked)

        try:
            print(torchinfo_table(doc))
        except CompileError as exc:
            _print_compile_errors(doc, exc)
            return EXIT_DESIGN_ERRORS
        return EXIT_OK
    rows = [("name", "type", "output", "params", "MACs", "share")]
    macs_total = data["inference"]["macs"] or 1
    for n in data["nodes"]:
        shape = fmt_shape(tuple(n["output_shape"])) if n["output_shape"] else "?"
        share = f"{100 * n['macs'] / macs_total:.1f}%" if n["macs"] is not None and n["inference"] else ""
        rows.append((n["name"], n["type"], shape, _num(n["params"]), _num(n["macs"]), share))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    right = {3, 4, 5}
    for k, r in enumerate(rows):
        print(
            "  ".join(
                str(v).rjust(w) if i in right else str(v).ljust(w)
                for i, (v, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if k == 0:
            print("  ".join("-" * w for w in widths))
    print()
    from .compiler.summary import module_summary, module_summary_lines

    lines = module_summary_lines(module_summary(doc))
    for line in lines:
        print(line)
    if lines:
        print()
    for g in data["groups"]:
        print(f"block {g['name']}: {_num(g['params'])} params, {_num(g['macs'])} MACs")
    t, inf = data["total"], data["inference"]
    print(
        f"total: {_num(t['params'])} params, {_num(inf['macs'])} MACs per image, "
        f"{t['activation_bytes'] / 2**20:.1f} MiB activations (fp32, batch 1)"
    )
    if t["params"] != inf["params"]:
        print(f"inference (aux heads dropped): {_num(inf['params'])} params")
    if not data["valid"]:
        print(f"{doc.name} has errors; run 'inception-designer validate' for details", file=sys.stderr)
        return EXIT_DESIGN_ERRORS
    return EXIT_OK


def _print_compile_errors(doc: Any, exc: Any) -> None:
    """The design's errors, one per line as 'node: message' (as ``validate`` prints them)."""
    for d in exc.diagnostics or []:
        where = doc.nodes[d.node_id].name if d.node_id in doc.nodes else doc.name
        print(f"{where}: {d.severity}: {d.message}", file=sys.stderr)
    if not exc.diagnostics:
        print(f"error: {exc}", file=sys.stderr)
    print(f"{doc.name}: cannot export a design with errors", file=sys.stderr)


def _default_output(file: str, suffix: str) -> Path:
    """Where ``export`` writes without ``-o``: the current directory, named after the design file
    (never the design's own folder, which may be the shipped examples). Python code gets a name
    its training script can import (``my-net.json -> my_net.py``)."""
    if suffix == ".py":
        from .training.script import safe_module_name

        return Path.cwd() / f"{safe_module_name(Path(file).stem)}{suffix}"
    stem = re.sub(r"[^\w-]+", "_", Path(file).stem).strip("_") or "model"
    return Path.cwd() / f"{stem}{suffix}"


def _code_name_problem(out: Path) -> str | None:
    """Why ``out`` cannot name exported Python code (its training script imports it by name), or None."""
    from .training.script import module_name_problem, safe_module_name, script_name

    if out.suffix == ".pt":
        return f"{out} is where the weights go; name the code file .py"
    suggestion = out.with_name(f"{safe_module_name(out.stem if out.suffix == '.py' else out.name)}.py")
    if out.suffix != ".py":
        return f"{out}: name the code file NAME.py ({script_name(suggestion)} imports it); e.g. -o {suggestion}"
    problem = module_name_problem(out.stem)
    return f"{out.name}: {problem}; e.g. -o {suggestion}" if problem else None


def _file_size(n: int) -> str:
    """``815 -> '815 bytes'``, ``15_532 -> '15.2 KiB'``, ``55_639_681 -> '53.1 MiB'``."""
    if n < 1024:
        return f"{n} byte{'s' * (n != 1)}"
    for unit in ("KiB", "MiB", "GiB"):
        n /= 1024
        if n < 1024 or unit == "GiB":
            return f"{n:.1f} {unit}"
    raise AssertionError("unreachable")


def _wrote(path: Path) -> None:
    path = Path(os.path.abspath(path))
    print(f"wrote {path} ({_file_size(path.stat().st_size)})")


def cmd_export(args: argparse.Namespace) -> int:
    """Write PyTorch code plus weights and ``train_<name>.py`` (``--format python``) or an ONNX
    file; without ``-o``, into the current directory, named after the design file. Prints one
    line per file written: its path and size; and a note on stderr when the design's output is
    not class scores (its training script then refuses to train it). Exit 2 for a code file
    name the training script could not import."""
    from .compiler.plan import CompileError

    doc = _load(args.file)
    suffix = ".py" if args.format == "python" else ".onnx"
    out = Path(args.output) if args.output else _default_output(args.file, suffix)
    if args.format == "python":
        problem = _code_name_problem(out)
        if problem:
            print(f"error: {problem}", file=sys.stderr)
            return EXIT_UNREADABLE
    try:
        if args.format == "python":
            from .compiler.export import export_python
            from .compiler.plan import make_plan
            from .training.script import CLASSIFIER_FIX, not_class_scores, write_train_script

            code, weights = export_python(doc, out, seed=args.seed)
            _wrote(code)
            _wrote(weights)
            script = write_train_script(doc, code, weights)
            _wrote(script)
            refusal = not_class_scores(make_plan(doc).output_shape, doc.name)
            if refusal:
                print(f"note: {refusal}, so {script.name} refuses to train it: {CLASSIFIER_FIX}", file=sys.stderr)
        else:
            from .compiler.onnx import export_onnx

            _wrote(export_onnx(doc, out, seed=args.seed))
    except CompileError as exc:
        _print_compile_errors(doc, exc)
        return EXIT_DESIGN_ERRORS
    except OSError as exc:
        print(f"error: cannot write {out}: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    return EXIT_OK


def _num(n: int | None) -> str:
    return "?" if n is None else f"{n:,}"


def cmd_app(argv: list[str]) -> int:
    try:
        from .ui.app import run_app
    except ImportError as exc:  # pragma: no cover - depends on the installation
        print(f"error: the app needs PySide6 ({exc}); install with: pip install PySide6-Essentials", file=sys.stderr)
        return EXIT_UNREADABLE
    return run_app(argv)


def cmd_screenshot(args: argparse.Namespace) -> int:
    """Render the main window with a design offscreen and save it as a PNG."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        w, h = (int(v) for v in args.size.lower().split("x"))
    except ValueError:
        print(f"error: --size must look like 1600x1000, got {args.size!r}", file=sys.stderr)
        return EXIT_UNREADABLE
    _load(args.file)  # a clear message for unreadable files, before Qt starts
    from .ui.screenshot import render

    code = render(args.file, args.output, args.theme, (w, h), args.select)
    if code == 0:
        print(f"wrote {args.output}")
    return code


def cmd_train(args: argparse.Namespace) -> int:
    """Train a design (exit 3 when the run fails, 130 when stopped with Ctrl-C); given a run's
    folder instead, continue that run up to ``--epochs`` with its own design and settings."""
    from .training.cli_train import EXIT_BAD_INPUT, run

    if Path(args.file).is_dir():
        from .training.checkpoint import continue_run

        try:
            doc, config = continue_run(args.file, args.epochs)
        except ValueError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(f"continuing {Path(args.file).name} to {args.epochs} epochs with its own design and settings")
        return run(doc, args, config)
    return run(_load(args.file), args)


def cmd_compare(args: argparse.Namespace) -> int:
    """Designs side by side: parameters, MACs, activations, optionally CPU latency, and the
    latest run's accuracy (see :mod:`designer.compare`)."""
    from .compare import run

    return run(args)


COMMANDS: dict[str, tuple[Callable[[argparse.Namespace], int], str]] = {
    "validate": (cmd_validate, "check a design and print each problem as 'node: message'"),
    "summary": (cmd_summary, "table of output shape, parameters and MACs per node, and totals"),
    "export": (cmd_export, "write PyTorch code plus its weights (.pt), or an ONNX file"),
    "screenshot": (cmd_screenshot, "render the app window with a design to a PNG (offscreen)"),
    "train": (cmd_train, "train a design (synthetic data or a folder) with checkpoints and metrics"),
    "compare": (cmd_compare, "designs side by side: params, MACs, activations, CPU latency, latest run"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROG,
        usage=USAGE,
        description="Design Inception-style CNNs as a node graph. Without a command, opens the app "
        "(on FILE, or on the Inception module example).",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", prog=PROG)
    p = sub.add_parser("validate", help=COMMANDS["validate"][1])
    p.add_argument("file")
    p.add_argument(
        "--advice",
        action="store_true",
        help="also print design advice (bottlenecks, factorization, bias or dropout or LRN next to "
        "BatchNorm, representational bottlenecks, aux heads, unused nodes, receptive field, input sizes)",
    )
    p.add_argument(
        "--sizes",
        action="store_true",
        help="also print the input sizes the design accepts: the smallest, and those at which a merge disagrees",
    )
    p = sub.add_parser("summary", help=COMMANDS["summary"][1])
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--torchinfo", action="store_true", help="torchinfo's table for the compiled model")
    p = sub.add_parser("export", help=COMMANDS["export"][1])
    p.add_argument("file")
    p.add_argument("--format", choices=("python", "onnx"), default="python")
    p.add_argument(
        "-o",
        "--output",
        help="output path (python: NAME.py, its weights next to it as NAME.pt, and train_NAME.py, which "
        "imports NAME: a Python identifier); default: the current directory, named after FILE",
    )
    p.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    p = sub.add_parser("screenshot", help=COMMANDS["screenshot"][1])
    p.add_argument("file")
    p.add_argument("-o", "--output", required=True, help="PNG to write")
    p.add_argument("--theme", choices=("dark", "light"), default="dark")
    p.add_argument("--size", default="1600x1000", help="window size WxH (default 1600x1000)")
    p.add_argument("--select", help="name of the node to select (default: a node with a problem, else the heaviest)")
    from .training.cli_train import add_arguments as add_train_arguments

    add_train_arguments(sub.add_parser("train", help=COMMANDS["train"][1]))
    p = sub.add_parser("compare", help=COMMANDS["compare"][1])
    p.add_argument("files", nargs="+", metavar="FILE", help="designs (.json project files)")
    p.add_argument("--latency", action="store_true", help="also measure CPU latency at batch 1 and 32 (loads torch)")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads for --latency (0: one fewer than the cores, at least 1)",
    )
    p.add_argument("--repeats", type=int, default=7, help="timed samples per design and batch size (--latency)")
    p.add_argument("--warmup", type=int, default=2, help="untimed runs before timing (--latency)")
    return parser


def _looks_like_a_design(arg: str) -> bool:
    """A first argument that opens the app: a path that exists, or one ending in .json."""
    return arg.lower().endswith(".json") or Path(arg).exists()


def _unknown_command(word: str) -> int:
    close = difflib.get_close_matches(word, list(COMMANDS), n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    if "/" in word or os.sep in word:  # meant as a path
        error = f"{word}: no such file or directory"
    else:
        error = f"unknown command {word!r}{hint}"
    width = max(len(name) for name in COMMANDS)
    lines = [
        f"usage: {USAGE % {'prog': PROG}}",
        f"{PROG}: error: {error}",
        "commands:",
        *(f"  {name.ljust(width)}  {text}" for name, (_, text) in COMMANDS.items()),
        "A design opens in the app when its path exists or ends in .json.",
    ]
    print("\n".join(lines), file=sys.stderr)
    return EXIT_UNREADABLE


def _app_main(argv: list[str]) -> int:
    """``inception-designer [FILE]``: the app; anything else is a usage error (exit 2)."""
    if argv and not argv[0].startswith("-") and not _looks_like_a_design(argv[0]):
        return _unknown_command(argv[0])
    parser = argparse.ArgumentParser(prog=PROG, usage=USAGE, add_help=False)
    parser.add_argument("file", nargs="?")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_UNREADABLE if exc.code else EXIT_OK
    return cmd_app([args.file] if args.file else [])


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or (argv[0] not in COMMANDS and argv[0] not in ("-h", "--help", "--version")):
        return _app_main(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return EXIT_UNREADABLE if exc.code else EXIT_OK
    func, _ = COMMANDS[args.command]
    try:
        return func(args)
    except SystemExit as exc:
        return int(exc.code or 0)
    except BrokenPipeError:  # e.g. piped into head
        return EXIT_OK
