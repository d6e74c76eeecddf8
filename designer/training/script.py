"""A standalone training script to ship next to an exported model (torch only, torchrun-ready).

``net.py`` gets ``train_net.py`` beside it (:func:`script_name`), so exports into one folder
keep their own scripts. The script imports the model class directly (``from net import
InceptionModule``) and trains it with the app's loop: the same loss (main + weighted aux
losses), schedules, optimizers and data (the synthetic generator's source is copied in
verbatim; image folders need Pillow). Under ``torchrun --nproc_per_node=N train_net.py ...``
it uses DistributedDataParallel with a DistributedSampler (gloo on the CPU, nccl on CUDA);
run plainly it uses one process. A design whose output is not class scores (a feature map:
the design has no Output (classifier) node) gets a script that says so at the top and
refuses to train, naming the fix. The script passes the project's ruff rules and format.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import re
import sys
import textwrap
from pathlib import Path
from typing import Any

__all__ = [
    "CLASSIFIER_FIX",
    "module_name_problem",
    "not_class_scores",
    "render_train_script",
    "safe_module_name",
    "script_name",
    "write_train_script",
]

#: What a design without class scores needs before the script can train it.
CLASSIFIER_FIX = "add an Output (classifier) node to the design to train it for classification"

#: Modules beside the standard library that a code file must not be named after (the export
#: dialog's list): the script (or a neighbour) importing them would get the code file instead.
_SHADOWED = frozenset({"torch", "torchvision", "numpy", "onnx", "onnxruntime", "PIL"})

_MODEL = "__MODEL__"  # the model class where the body constructs it
_IMPORT = "__MODEL_IMPORT__"  # what the script imports from the code file


def script_name(code_path: str | Path) -> str:
    """The training script of an exported code file: ``net.py -> 'train_net.py'``."""
    return f"train_{Path(code_path).stem}.py"


def module_name_problem(stem: str) -> str | None:
    """Why the training script could not import a code file ``<stem>.py`` (one clause), or None."""
    script = f"train_{stem}.py"
    if not stem.isidentifier() or not stem.isascii():
        return (
            f"{script} imports the code by its file name, so the name must be letters, digits and '_', "
            "not starting with a digit"
        )
    if keyword.iskeyword(stem):
        return f"{stem!r} is a Python keyword, so {script} could not import the code under that name"
    if stem in _SHADOWED or stem in getattr(sys, "stdlib_module_names", ()):
        return f"a {stem}.py beside {script} would hide Python's {stem!r} module from it"
    return None


def safe_module_name(name: str) -> str:
    """A stem the script can import: ``'inception-v3 (ours)' -> 'inception_v3_ours'``, ``'2net' -> 'model_2net'``."""
    stem = re.sub(r"[^0-9A-Za-z]+", "_", name.strip()).strip("_") or "model"
    if stem[0].isdigit():
        stem = f"model_{stem}"
    if module_name_problem(stem):
        stem = f"{stem}_model"
    return stem


def not_class_scores(output_shape: tuple[int, ...], model_class: str = "the model") -> str | None:
    """``'InceptionModule outputs a 256 x 28 x 28 feature map, not class scores'`` for a model
    whose output is not a vector of class scores; None for a classifier (a 1-d output)."""
    if len(output_shape) == 1:
        return None
    what = "feature map" if len(output_shape) == 3 else "tensor"
    return f"{model_class} outputs a {' x '.join(str(int(d)) for d in output_shape)} {what}, not class scores"


def write_train_script(doc: Any, code_path: str | Path, weights_path: str | Path | None = None) -> Path:
    """Write ``train_<stem>.py`` (:func:`script_name`) next to the exported code file ``code_path``.

    The model class is ``generate(doc).class_name``; raises ``CompileError`` for a design with
    errors and ValueError when the code file's name is not an importable module name.
    """
    from ..compiler.codegen import generate
    from ..compiler.plan import make_plan

    code_path = Path(code_path)
    code = generate(doc)
    plan = make_plan(doc)
    aux = tuple(float(plan.nodes[i].params["loss_weight"]) for i in plan.aux_indices)
    script = render_train_script(
        code_path.stem,
        code.class_name,
        input_shape=tuple(int(d) for d in plan.input_shape),  # type: ignore[arg-type]
        output_shape=tuple(int(d) for d in plan.output_shape),
        aux_weights=aux,
        design_name=doc.name,
        weights_file=Path(weights_path).name if weights_path else "",
    )
    dest = code_path.with_name(script_name(code_path))
    dest.write_text(script, encoding="utf-8")
    mode = dest.stat().st_mode
    dest.chmod(mode | (mode & 0o444) >> 2)  # executable where readable, as its #! line means
    return dest


def render_train_script(
    model_module: str = "model",
    model_class: str = "Model",
    *,
    input_shape: tuple[int, int, int] = (3, 32, 32),
    output_shape: tuple[int, ...] = (10,),
    aux_weights: tuple[float, ...] = (),
    design_name: str = "",
    weights_file: str = "",
) -> str:
    """Source of ``train_<model_module>.py``, which does ``from model_module import model_class``.

    Parameters
    ----------
    model_module, model_class : str
        Where the exported model lives: the code file's stem and the class in it.
    input_shape, output_shape : tuple of int
        The design's Input (C, H, W), checked against the data, and its output: ``(classes,)``
        for a classifier; any other shape (a feature map) gets a script that explains at the
        top why it cannot train the model, and refuses to when run.
    aux_weights : tuple of float
        Loss weights of the aux heads, in the order the model returns their logits.
    design_name : str
        The design's name, for the docstring.
    weights_file : str
        Default ``--weights`` to start from (e.g. the exported ``model.pt``); empty for none.
    """
    if not model_class.isidentifier() or keyword.iskeyword(model_class):
        raise ValueError(f"{model_class!r} is not a Python identifier")
    problem = module_name_problem(model_module)
    if problem:
        raise ValueError(f"{model_module!r} cannot name the model's module: {problem}")
    from . import optim, synthetic  # (torch loads here, not when the names are checked)

    script = f"train_{model_module}.py"
    c, h, w = (int(d) for d in input_shape)
    refusal = not_class_scores(tuple(output_shape), model_class)
    intro = (
        f"Train {model_class}, the model in {model_module}.py"
        + (f' (the design "{_plain(design_name)}")' if _plain(design_name) else "")
        + ", exported by Inception Designer."
    )
    data = (
        '--data is "synthetic" (built in, no download: 3 x S x S images of 10 classes) or an image '
        "folder with one sub-folder per class, optionally split into train/ and val/ (needs Pillow); "
        f"images are resized to the model's input, {c} x {h} x {w}. --batch-size is per process. "
        f"Keep it next to {model_module}.py, which it imports; --help describes every option."
    )
    paragraphs = [intro, data]
    if refusal:
        paragraphs.append(
            f"Note: {refusal}, so this script refuses to train it: add an Output (classifier) node to "
            "the design and export it again, or replace the cross-entropy loss (total_loss) and the "
            "accuracy in main() with your own and remove the check at the top of main()."
        )
    doc = "\n\n".join(textwrap.fill(p, 96, break_on_hyphens=False) for p in paragraphs)
    examples = "\n".join(
        [
            "Examples:",
            f"  python {script} --data synthetic --epochs 6 --out runs/a",
            f"  python {script} --data path/to/images --epochs 30 --batch-size 64 --lr 0.05 --out runs/b",
            f"  torchrun --nproc_per_node=2 {script} --data synthetic --out runs/c",
            "      (2 processes, one per GPU or sharing the CPU cores, with DistributedDataParallel)",
        ]
    )
    if refusal:
        classes = "\n".join(
            [
                "NUM_CLASSES = None  # not a classifier: see the note at the top",
                "NOT_CLASS_SCORES = (",
                f"    {_literal(refusal + ': ')}",
                f"    {_literal(CLASSIFIER_FIX)}",
                ")",
            ]
        )
    else:
        classes = f"NUM_CLASSES = {int(output_shape[0])!r}"
    # The model's import stands on its own after "# isort: split": ruff sorts the code file as
    # first-party where the script's folder is the project and as third-party elsewhere.
    header = f'''#!/usr/bin/env python
"""{doc}

{examples}
"""

from __future__ import annotations

import argparse
import math
import os
import random
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

# Before torch loads (OpenMP reads it once): idle OpenMP threads sleep instead of spinning, so a
# busy neighbour process slows training by its share of the cores, not many times over.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import torch
import torch.distributed as dist
import torch.nn.functional as F
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Dataset, RandomSampler
from torch.utils.data.distributed import DistributedSampler

# isort: split
from {model_module} import {_IMPORT}  # the exported model ({model_module}.py, beside this script)

INPUT_SHAPE = {(c, h, w)!r}
{classes}
AUX_WEIGHTS = {tuple(float(v) for v in aux_weights)!r}
DEFAULT_WEIGHTS = {_literal(weights_file)}
MEAN, STD = 0.5, 0.25
'''
    shared = _source(
        synthetic._rand, synthetic._colours, synthetic._draw, synthetic.make_synthetic, optim.total_loss, optim.lr_at
    )
    shared = shared.replace("cfg: TrainConfig", "cfg: Any")
    body = _BODY
    if refusal:
        body = _insert_after(body, "    args = parse_args()\n", _REFUSE)
    source = header + "\n\n" + shared + "\n\n" + body
    # The class by its own name, unless the script already uses that name (a design called "Dataset").
    taken = _top_level_names(source.replace(_IMPORT, "_")) | set(dir(builtins))
    if model_class in taken:
        return source.replace(_IMPORT, f"{model_class} as Model").replace(_MODEL, "Model")
    return source.replace(_IMPORT, model_class).replace(_MODEL, model_class)


def _plain(text: str) -> str:
    """``text`` safe inside the docstring: one line, no quotes or backslashes, at most 80 characters."""
    text = " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
    text = text.replace('"', "'").replace("\\", "/")
    return text if len(text) <= 80 else text[:79].rstrip() + "…"


def _literal(text: str) -> str:
    """A string literal as ruff format writes it: double quotes unless that needs more escapes."""
    lit = repr(text)
    if lit.startswith("'") and '"' not in text and "'" not in text:
        lit = f'"{lit[1:-1]}"'
    return lit


def _insert_after(text: str, anchor: str, insert: str) -> str:
    if text.count(anchor) != 1:
        raise AssertionError(f"the template has {text.count(anchor)} copies of {anchor!r}")
    return text.replace(anchor, anchor + insert)


def _top_level_names(source: str) -> set[str]:
    """The names a module binds at its top level (imports, definitions, assignments)."""
    import ast

    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        else:
            names.update(n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
    return names


def _source(*objs: object) -> str:
    """The source of functions, two blank lines apart (as ruff format writes them)."""
    return "\n\n\n".join(textwrap.dedent(inspect.getsource(o)).rstrip() for o in objs)  # type: ignore[arg-type]


#: Where a script for a model without class scores stops (after --help has had its say).
_REFUSE = """    if NUM_CLASSES is None:
        raise SystemExit(NOT_CLASS_SCORES)
"""

_BODY = '''
class Synthetic(Dataset):
    def __init__(self, n: int, seed: int):
        self.x, self.y = make_synthetic(n, seed, INPUT_SHAPE[1])

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        return (self.x[i].float() / 255 - MEAN) / STD, int(self.y[i])


class ImageFolder(Dataset):
    """ROOT/<class>/* images, resized to the Input; unreadable files are skipped with a note."""

    SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff")

    def __init__(self, items: list[tuple[str, int]], augment: bool):
        self.items, self.augment = items, augment

    @staticmethod
    def scan(root: Path, classes: list[str]) -> list[tuple[str, int]]:
        return [
            (str(f), k)
            for k, c in enumerate(classes)
            for f in sorted((root / c).rglob("*"))
            if f.suffix.lower() in ImageFolder.SUFFIXES
        ]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[Tensor, int]:
        from PIL import Image

        c, h, w = INPUT_SHAPE
        path, label = self.items[i]
        try:
            with Image.open(path) as im:
                im = im.convert("L" if c == 1 else "RGB").resize((w, h), Image.BILINEAR)
                x = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8).view(h, w, c).permute(2, 0, 1)
        except Exception as exc:  # noqa: BLE001
            print(f"skipped an unreadable image: {path} ({exc})", flush=True)
            return self[(i + 1) % len(self.items)]
        x = (x.float() / 255 - MEAN) / STD
        if self.augment and random.random() < 0.5:
            x = x.flip(-1)
        return x, label


def datasets(args: argparse.Namespace) -> tuple[Dataset, Dataset]:
    if args.data == "synthetic":
        if INPUT_SHAPE[0] != 3 or INPUT_SHAPE[1] != INPUT_SHAPE[2] or NUM_CLASSES != 10:
            raise SystemExit("the synthetic data are 3 x S x S images of 10 classes; this model does not fit them")
        return Synthetic(args.synthetic_train, 2 * args.seed), Synthetic(args.synthetic_val, 2 * args.seed + 1)
    root = Path(args.data)
    if (root / "train").is_dir() and (root / "val").is_dir():
        classes = sorted(p.name for p in (root / "train").iterdir() if p.is_dir())
        train, val = ImageFolder.scan(root / "train", classes), ImageFolder.scan(root / "val", classes)
    else:
        classes = sorted(p.name for p in root.iterdir() if p.is_dir())
        items = ImageFolder.scan(root, classes)
        random.Random(args.seed).shuffle(items)
        k = max(1, int(len(items) * args.val_fraction))
        train, val = items[k:], items[:k]
    labelled = {label for _, label in train + val}
    empty = [c for k, c in enumerate(classes) if k not in labelled]
    if empty:
        raise SystemExit(f"the class folders {', '.join(empty)} in {root} have no images: add images or remove them")
    if len(classes) != NUM_CLASSES:
        raise SystemExit(f"{root} has {len(classes)} class folders but the model predicts {NUM_CLASSES} classes")
    return ImageFolder(train, True), ImageFolder(val, False)


def parse_args() -> argparse.Namespace:
    description, _, examples = (__doc__ or "").partition("\\nExamples:\\n")
    p = argparse.ArgumentParser(
        description=description,
        epilog=f"examples:\\n{examples}" if examples else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    data = p.add_argument_group("data")
    data.add_argument(
        "--data",
        default="synthetic",
        help='"synthetic" (built in) or an image folder: ROOT/CLASS/*, or ROOT/train/CLASS/* and ROOT/val/CLASS/* '
        "(default: %(default)s)",
    )
    data.add_argument(
        "--synthetic-train", type=int, default=10_000, help="synthetic training images (default: %(default)s)"
    )
    data.add_argument(
        "--synthetic-val", type=int, default=2_000, help="synthetic validation images (default: %(default)s)"
    )
    data.add_argument(
        "--val-fraction",
        type=float,
        default=0.1,
        help="share of an image folder without train/ and val/ held out for validation (default: %(default)s)",
    )
    data.add_argument(
        "--workers", type=int, default=0, help="data loader processes per training process (default: %(default)s)"
    )
    opt = p.add_argument_group("optimization")
    opt.add_argument("--epochs", type=int, default=6, help="passes over the training data (default: %(default)s)")
    opt.add_argument(
        "--batch-size", type=int, default=128, help="images per step in each process (default: %(default)s)"
    )
    opt.add_argument("--lr", type=float, default=0.1, help="peak learning rate (default: %(default)s)")
    opt.add_argument(
        "--optimizer",
        choices=("sgd", "adamw"),
        default="sgd",
        help="SGD with momentum, or AdamW (default: %(default)s)",
    )
    opt.add_argument("--momentum", type=float, default=0.9, help="SGD momentum, 0 for none (default: %(default)s)")
    opt.add_argument(
        "--nesterov",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="Nesterov momentum with sgd (on unless --no-nesterov)",
    )
    opt.add_argument(
        "--weight-decay",
        type=float,
        default=5e-4,
        help="weight decay of weights, not of biases and norm scales (default: %(default)s)",
    )
    opt.add_argument(
        "--schedule",
        choices=("cosine", "step", "onecycle", "constant"),
        default="onecycle",
        help="learning-rate schedule; onecycle: 30%% of the steps up from lr/25, then cosine down "
        "(default: %(default)s)",
    )
    opt.add_argument(
        "--step-epochs",
        type=int,
        default=0,
        help="step schedule: epochs between decays (default: 0, a third of --epochs)",
    )
    opt.add_argument(
        "--step-gamma", type=float, default=0.1, help="step schedule: factor of each decay (default: %(default)s)"
    )
    opt.add_argument(
        "--warmup-epochs",
        type=float,
        default=0.0,
        help="cosine, step and constant: linear warm-up over this many epochs (default: %(default)s)",
    )
    opt.add_argument(
        "--label-smoothing",
        type=float,
        default=0.0,
        help="label smoothing of the cross-entropy loss (default: %(default)s)",
    )
    opt.add_argument("--max-steps", type=int, default=0, help="stop after this many steps (default: 0, no limit)")
    run = p.add_argument_group("run")
    run.add_argument(
        "--weights",
        default=DEFAULT_WEIGHTS,
        help="state_dict to start from, relative to the working folder or to this script; "
        "'' for a fresh initialisation (default: %(default)r)",
    )
    run.add_argument(
        "--out", default="", help="folder for last.pt, the weights after each epoch (default: none, not saved)"
    )
    run.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the data order, the synthetic data and a fresh initialisation (default: %(default)s)",
    )
    run.add_argument(
        "--device",
        choices=("auto", "cpu", "cuda"),
        default="auto",
        help="auto: CUDA when available (default: %(default)s)",
    )
    run.add_argument(
        "--amp",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="mixed precision: bf16, or fp16 with a gradient scaler (default: on with CUDA)",
    )
    run.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads per process (default: 0, torch's choice)"
    )
    return p.parse_args()


def main() -> None:
    args = parse_args()
    world = int(os.environ.get("WORLD_SIZE", "1"))
    rank, local_rank = int(os.environ.get("RANK", "0")), int(os.environ.get("LOCAL_RANK", "0"))
    cuda = torch.cuda.is_available() and args.device in ("auto", "cuda")
    device = torch.device(f"cuda:{local_rank}" if cuda else "cpu")
    if cuda:
        torch.cuda.set_device(device)
        torch.backends.cudnn.benchmark = True
    if args.threads:
        torch.set_num_threads(args.threads)
    if world > 1:
        dist.init_process_group("nccl" if cuda else "gloo")
    amp = args.amp if args.amp is not None else cuda
    dtype = (torch.bfloat16 if (not cuda or torch.cuda.is_bf16_supported()) else torch.float16) if amp else None
    scaler = torch.amp.GradScaler(device.type, enabled=dtype == torch.float16)
    torch.manual_seed(args.seed)
    net = __MODEL__()
    weights = Path(args.weights) if args.weights else None
    if weights is not None and not weights.is_absolute() and not weights.exists():
        weights = Path(__file__).resolve().parent / weights  # the exported weights beside this script
    if weights is not None and weights.is_file():
        net.load_state_dict(torch.load(weights, map_location="cpu", weights_only=True))
        if rank == 0:
            print(f"starting from {weights}")
    memory = torch.channels_last if cuda else torch.preserve_format
    net.to(device, memory_format=memory)
    model = DistributedDataParallel(net, device_ids=[local_rank] if cuda else None) if world > 1 else net
    train_ds, val_ds = datasets(args)
    if world > 1:
        sampler: Any = DistributedSampler(train_ds, num_replicas=world, rank=rank, shuffle=True, seed=args.seed)
        val_sampler: Any = DistributedSampler(val_ds, num_replicas=world, rank=rank, shuffle=False)
    else:
        sampler, val_sampler = RandomSampler(train_ds, generator=torch.Generator().manual_seed(args.seed)), None
    kw = {"num_workers": args.workers, "pin_memory": cuda}
    loader = DataLoader(train_ds, batch_size=args.batch_size, sampler=sampler, drop_last=True, **kw)
    val_loader = DataLoader(val_ds, batch_size=256, sampler=val_sampler, **kw)
    decay = [p for p in net.parameters() if p.ndim > 1]
    rest = [p for p in net.parameters() if p.ndim <= 1]
    groups = [{"params": decay, "weight_decay": args.weight_decay}, {"params": rest, "weight_decay": 0.0}]
    if args.optimizer == "adamw":
        opt: torch.optim.Optimizer = torch.optim.AdamW(groups, lr=args.lr)
    else:
        opt = torch.optim.SGD(groups, lr=args.lr, momentum=args.momentum, nesterov=args.nesterov and args.momentum > 0)
    spe = max(1, len(loader))
    total = args.epochs * spe if not args.max_steps else min(args.epochs * spe, args.max_steps)
    autocast = torch.autocast(device.type, dtype=dtype, enabled=dtype is not None)
    step, t0 = 0, time.perf_counter()
    if rank == 0:
        print(f"training on {device} x {world} process(es), {len(train_ds)} train / {len(val_ds)} val images")
    for epoch in range(args.epochs):
        if world > 1:
            sampler.set_epoch(epoch)
        model.train()
        seen, loss_sum = 0, torch.zeros((), device=device)
        for x, y in loader:
            x = x.to(device, non_blocking=True).contiguous(memory_format=memory)
            y = y.to(device, non_blocking=True)
            lr = lr_at(step, total, spe, args)
            for group in opt.param_groups:
                group["lr"] = lr
            with autocast:
                out = model(x)
            loss, _, _ = total_loss(out, y, AUX_WEIGHTS, args.label_smoothing)
            if not torch.isfinite(loss):
                raise SystemExit(f"the loss became {loss.item()} at step {step + 1}: try a lower learning rate")
            opt.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            step += 1
            seen += len(y)
            loss_sum += loss.detach() * len(y)
            if args.max_steps and step >= args.max_steps:
                break
        net.eval()
        stats = torch.zeros(4, device=device)  # train loss sum, train n, val correct, val n
        stats[0], stats[1] = loss_sum, seen
        with torch.inference_mode(), autocast:
            for x, y in val_loader:
                x, y = x.to(device).contiguous(memory_format=memory), y.to(device)
                stats[2] += (net(x).argmax(1) == y).sum()
                stats[3] += len(y)
        if world > 1:
            dist.all_reduce(stats)
        if rank == 0:
            print(
                f"epoch {epoch + 1}/{args.epochs}  train loss {stats[0].item() / max(1, stats[1].item()):.4f}  "
                f"val accuracy {stats[2].item() / max(1, stats[3].item()):.4f}  {time.perf_counter() - t0:.1f} s",
                flush=True,
            )
            if args.out:
                Path(args.out).mkdir(parents=True, exist_ok=True)
                torch.save(net.state_dict(), Path(args.out) / "last.pt")
        if args.max_steps and step >= args.max_steps:
            break
    if world > 1:
        # Every rank waits for rank 0's checkpoint before the group goes: a rank that tears
        # gloo down while another still uses it aborts ("terminate called without an active exception").
        dist.barrier()
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
'''
