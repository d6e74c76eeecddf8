"""Node and group names that are attributes of ``nn.Module`` (``named_parameters``,
``share_memory``, ``T_destination``, ``training`` ...) or of the model classes themselves
(``input_shape``, ``aux_names``, ``forward`` ...) compile, run, and export code that loads the
compiled state_dict strictly and computes the same outputs.

The names come from the classes themselves here (``dir``, annotations, the attributes an
instance carries), so a name torch adds in a later version is tested without editing this file.
"""

from __future__ import annotations

import importlib.util
import json
import keyword
import subprocess
import sys
from pathlib import Path

import torch
from compiler_helpers import model_class
from torch import nn

from designer.compiler import names
from designer.compiler.build import DesignBlock, DesignModel, compile_model
from designer.compiler.codegen import generate
from designer.compiler.export import export_python
from designer.compiler.plan import make_plan
from designer.graph.builder import Builder
from designer.graph.document import GraphDocument

ROOT = Path(__file__).resolve().parents[2]


def _class_names(obj: object) -> set[str]:
    """Every name ``obj`` (a class or an instance) answers to, apart from its child modules."""
    cls = obj if isinstance(obj, type) else type(obj)
    found = set(dir(cls))
    for klass in cls.__mro__:
        found |= set(klass.__dict__.get("__annotations__", {}))
    if not isinstance(obj, type):
        found |= set(vars(obj))
    return found


def module_names() -> set[str]:
    """What ``nn.Module`` defines: its class attributes and methods, annotations, and what
    ``nn.Module.__init__`` sets on an instance (``training``, ``_parameters`` ...)."""
    return _class_names(nn.Module()) | set(nn.Module.__annotations__)


def _fan_out(title: str, labels: list[str], *, grouped: str = "") -> GraphDocument:
    """input -> one 1x1 conv per label (named by it) -> concat -> output; in one group if ``grouped``."""
    b = Builder(title)
    x = b.input(channels=1, height=2, width=2)
    if grouped:
        b.begin_group()
    outs = [b.conv(x, label, out_channels=1, kernel_size=1) for label in labels]
    y = b.concat(outs, "cat")
    if grouped:
        b.end_group(grouped)
    b.output(y, "head", num_classes=2)
    return b.done(layout=False)


def _blocks(labels: list[str]) -> GraphDocument:
    """One block per label (the group named by it), each a 1x1 conv, side by side."""
    b = Builder("blocks")
    x = b.input(channels=1, height=2, width=2)
    outs = []
    for label in labels:
        b.begin_group()
        outs.append(b.conv(x, "c", out_channels=1, kernel_size=1))
        b.end_group(label)
    b.output(b.concat(outs, "cat"), "head", num_classes=2)
    return b.done(layout=False)


def _import(path: Path) -> object:
    spec = importlib.util.spec_from_file_location(f"reserved_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _round_trip(doc: GraphDocument, tmp_path: Path, stem: str) -> nn.Module:
    """Compile, run, export, load the weights strictly into the exported class, compare."""
    model = compile_model(doc, seed=0)
    code, weights = export_python(doc, tmp_path / f"{stem}.py", model=model)
    gen = model_class(_import(code))()
    gen.load_state_dict(torch.load(weights, weights_only=True), strict=True)
    x = torch.randn(2, *model.input_shape)
    for train in (True, False):
        model.train(train)
        gen.train(train)
        with torch.no_grad():
            assert torch.equal(model(x), gen(x)), (stem, train)
    return gen


def test_reserved_names_come_from_the_classes() -> None:
    reserved = names.reserved()
    assert module_names() <= reserved, sorted(module_names() - reserved)
    plan = make_plan(_fan_out("t", ["a"]))
    design_model = _class_names(DesignModel(plan)) | _class_names(DesignBlock)
    assert design_model <= reserved, sorted(design_model - reserved)
    assert {*keyword.kwlist, *keyword.softkwlist} <= reserved
    # The classes of the generated code (model, blocks, BasicConv2d) answer to no other names.
    src = generate(_blocks(["blk"]))
    namespace: dict = {}
    exec(compile(src, "<generated>", "exec"), namespace)  # noqa: S102 - our own generated code
    for value in namespace.values():
        if isinstance(value, type) and issubclass(value, nn.Module):
            own = _class_names(value) - _class_names(nn.Module)
            assert own <= reserved, (value.__name__, sorted(own - reserved))


def test_derived_without_torch_the_same_as_with_it() -> None:
    """Code generation derives the set without importing torch; it must come out the same."""
    code = (
        "import builtins, json, sys; from designer.compiler import names; r = sorted(names.reserved()); "
        "assert 'torch' not in sys.modules, 'names imported torch'; print(json.dumps([r, dir(builtins)]))"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert proc.returncode == 0, proc.stderr
    without_torch, fresh_builtins = json.loads(proc.stdout)
    assert set(without_torch) == names.reserved()  # here torch (and PySide6's qApp builtin) are loaded
    public = {n for n in fresh_builtins if not n.startswith("_")}
    assert public <= names.reserved(), sorted(public - names.reserved())


def test_every_reserved_name_as_a_node_name(tmp_path: Path) -> None:
    labels = sorted(module_names() | names.reserved() | {"input_shape", "aux_names", "aux_weights", "plan_name"})
    # At the top level of the model, and inside a block.
    _round_trip(_fan_out("top", labels), tmp_path, "top")
    _round_trip(_fan_out("inside", labels, grouped="blk"), tmp_path, "inside")


def test_every_reserved_name_as_a_block_name(tmp_path: Path) -> None:
    labels = sorted(module_names() | names.reserved())
    _round_trip(_blocks(labels), tmp_path, "blocks")


def test_a_few_reserved_names_through_torchinfo() -> None:
    from designer.compiler.summary import torchinfo_table

    table = torchinfo_table(_fan_out("t", ["named_parameters", "share_memory", "T_destination", "training"]))
    assert "named_parameters" in table
