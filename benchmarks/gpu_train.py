"""GPU training throughput of the app's training loop next to a bare PyTorch loop: images/s and peak memory.

Usage::

    python benchmarks/gpu_train.py [--models googlenet inception_v3] [--batch 128] [--warmup 5] [--steps 20]
                                   [--precisions fp32 bf16] [--formats contiguous channels_last]
                                   [--compile {off,some,all}] [--bare-data {device,host}] [--json PATH] [--markdown]
    python benchmarks/gpu_train.py --device cpu --batch 2 --warmup 1 --steps 1 --models googlenet --size 96

For every configuration (model x precision x memory format x torch.compile) the same design
(the shipped example, ``resources/examples/<model>.json``: GoogLeNet 3 x 224 x 224, Inception v3
3 x 299 x 299, 1000 classes) is trained twice on one synthetic batch made once on the device:

* **app**: :func:`designer.training.train`, the generator the Train button and
  ``inception-designer train`` consume, with the Train button's settings (SGD, Nesterov
  momentum 0.9, weight decay 5e-4, a record every 50 steps or 0.3 s, the branch meter on one
  step in 4) and ``amp`` / ``channels_last`` / ``compile`` set per row. Its data source hands
  out the batch from pinned host memory: the app's loop always takes its batches from the CPU
  and copies them to the device itself;
* **bare**: the textbook loop on a freshly compiled model of the same design: forward under
  ``torch.autocast`` (bf16 rows), cross-entropy plus each aux head's times its weight
  (GoogLeNet 0.3 + 0.3, Inception v3 0.4), ``zero_grad``, ``backward``, SGD step; the batch
  stays on the device (``--bare-data host`` copies it from pinned host memory every step, as
  the app does, so that the ratio is the loop's own cost).

Both use the learning rate ``--lr`` (1e-5), constant: the GoogLeNet example (no BatchNorm)
starts with logits of std ~40 on N(0, 1) input and diverges within a few steps at 1e-3, and
the app's loop stops at the first non-finite loss. Throughput does not depend on it.

Each is timed over ``--steps`` steps after ``--warmup`` steps, between two synchronisations:
the bare loop calls ``torch.cuda.synchronize()``; the app's window opens when its loop asks
the data source for the first timed batch (which synchronises then) and closes when the
record of the last step arrives (made with ``.item()``, which synchronises). The warm-up
column includes torch.compile (the bare run of a pair may hit the inductor cache the app run
filled; with the branch meter on, the app's graph differs). Peak memory is
``torch.cuda.max_memory_allocated`` after ``reset_peak_memory_stats`` per run (both include
the benchmark's batch on the device). A configuration that fails (out of memory, a compile
error) prints its error in its row and the rest go on; ``--json`` is rewritten after every
row. Figures and ratios only, never a pass/fail: the exit status is 0 unless the arguments
are wrong (``--device cuda`` without a GPU is; it exits 2).

Without CUDA and without ``--device`` the script says so in one line and exits 0; ``--device
cpu`` runs a CPU smoke test (fp32, contiguous, no compile unless asked) with tiny settings
(batch 2, 1 + 2 steps by default; GoogLeNet works from 79 x 79, Inception v3 only from 299 x 299).
The defaults on CUDA give 8 eager rows, then 2 compiled ones (bf16 + channels_last, the app's
CUDA defaults); meant to take under 5 minutes on an H200, most of it torch.compile (not
measured yet); ``--budget-s`` starts no configuration past a time limit, ``--compile all``
adds 6 compiled rows. ``benchmarks/gpu_check.sh`` runs this with the app's CLI on CUDA.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
import traceback
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch loads (as designer/__init__.py does)
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import Tensor  # noqa: E402

from designer.training.data import DataSource  # noqa: E402
from designer.training.records import TrainConfig  # noqa: E402

DEFAULT_MODELS = ("googlenet", "inception_v3")
PRECISIONS = ("fp32", "bf16")
FORMATS = ("contiguous", "channels_last")
GIB = 1024**3
SMOKE = "python benchmarks/gpu_train.py --device cpu --batch 2 --warmup 1 --steps 1 --models googlenet --size 96"
NO_GPU = f"no CUDA GPU here (torch {{torch}} sees none): nothing to measure; for the CPU smoke run: {SMOKE}"


@dataclass
class Row:
    model: str
    precision: str
    memory_format: str
    compile: bool
    batch: int
    size: str
    app_images_per_s: float | None = None
    bare_images_per_s: float | None = None
    ratio: float | None = None
    app_peak_gib: float | None = None
    bare_peak_gib: float | None = None
    app_warmup_s: float | None = None
    bare_warmup_s: float | None = None
    app_precision: str = ""
    error: str = ""


# --------------------------------------------------------------------------- the design
def load_design(name: str, size: int | None) -> tuple[Any, tuple[int, int, int], int]:
    """The example (or project file) ``name``, its Input set to ``size`` x ``size`` if given:
    ``(document, input shape C x H x W, classes)``. Raises ValueError with the design's reason."""
    from designer.examples import EXAMPLES, example_path
    from designer.graph.validate import validate
    from designer.io.project import load

    path = example_path(name) if name in EXAMPLES else Path(name)
    doc = load(path)
    inputs = [n for n in doc.nodes.values() if n.type.role == "input"]
    if size is not None:
        if len(inputs) != 1:
            raise ValueError(f"{name}: --size needs a design with exactly one Input")
        doc.set_params(inputs[0].id, {"height": size, "width": size})
    rep = validate(doc)
    if not rep.ok:
        reason = rep.errors[0].message if rep.errors else "the design has errors"
        hint = ""
        if size is not None:
            from designer.graph.input_sizes import analyse_input_sizes

            sizes = analyse_input_sizes(load(path))  # the design as shipped: the sizes it accepts
            smallest = sizes.smallest if sizes is not None else None
            if smallest is not None:
                hint = f" (the smallest input it accepts is {smallest[0]} x {smallest[1]})"
        raise ValueError(f"{name} does not work at {size} x {size}{hint}: {reason}")
    out = rep.shapes.get(rep.output_id) if rep.output_id else None
    if not out or len(out) != 1:
        raise ValueError(f"{name}: the design has no classifier output")
    shape = rep.shapes[inputs[0].id]
    return doc, (int(shape[0]), int(shape[1]), int(shape[2])), int(out[0])


class OneBatch(DataSource):
    """The same batch every step, for ``steps`` steps (the app's loop reads any DataSource).

    ``warmup`` steps in, it synchronises the device and notes the time: the start of the timed
    window, taken just before the app's loop starts step ``warmup + 1``."""

    name = "synthetic (one batch)"

    def __init__(self, x: Tensor, y: Tensor, classes: int, steps: int, warmup: int, device: torch.device):
        self.x, self.y, self.device = x, y, device
        self.input_shape = tuple(int(v) for v in x.shape[1:])  # type: ignore[assignment]
        self.class_names = tuple(f"class {i}" for i in range(classes))
        self.train_size = steps * len(y)
        self.val_size = len(y)
        self.notes = []
        self.warmup = warmup
        self.t0: float | None = None

    def train_batches(self, batch_size: int, epoch: int, seed: int) -> Iterator[tuple[Tensor, Tensor]]:
        for i in range(self.steps_per_epoch(batch_size)):
            if i == self.warmup:
                sync(self.device)
                self.t0 = time.perf_counter()
            yield self.x, self.y

    def val_batches(self, batch_size: int) -> Iterator[tuple[Tensor, Tensor]]:
        yield self.x, self.y


# --------------------------------------------------------------------------- helpers
def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def reset_peak(device: torch.device) -> None:
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats(device)


def peak_gib(device: torch.device) -> float | None:
    return torch.cuda.max_memory_allocated(device) / GIB if device.type == "cuda" else None


def short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip().splitlines()
    return text[0][:300] if text else type(exc).__name__


def make_batch(
    shape: tuple[int, int, int], classes: int, batch: int, device: torch.device
) -> tuple[Tensor, Tensor, Tensor, Tensor]:
    """``(x, y)`` on the device and the same two in (pinned, on CUDA) host memory."""
    g = torch.Generator(device=device).manual_seed(0)
    x = torch.randn((batch, *shape), generator=g, device=device)
    y = torch.randint(0, classes, (batch,), generator=g, device=device)
    if device.type == "cuda":
        return x, y, x.cpu().pin_memory(), y.cpu().pin_memory()
    return x, y, x, y


# --------------------------------------------------------------------------- the two loops
def run_app(
    doc: Any, xh: Tensor, yh: Tensor, classes: int, a: argparse.Namespace, device: torch.device, row: Row
) -> None:
    """The app's loop (:func:`designer.training.train`) for warmup + steps steps."""
    from designer.training import ErrorRecord, RunStarted, StepRecord, train

    total = a.warmup + a.steps
    cfg = TrainConfig(
        epochs=1, batch_size=a.batch, lr=a.lr, schedule="constant", device=device.type, amp=row.precision == "bf16",
        channels_last=row.memory_format == "channels_last", compile=row.compile, num_threads=a.threads,
        out_dir="", max_steps=total, log_every=50, log_interval_s=0.3, branch_every=a.branch_every,
    )  # fmt: skip
    source = OneBatch(xh, yh, classes, total, a.warmup, device)
    reset_peak(device)
    started = t1 = None
    gen = train(doc, cfg, source=source)
    try:
        for rec in gen:
            if isinstance(rec, RunStarted):
                started = time.perf_counter()
                row.app_precision = rec.precision
            elif isinstance(rec, StepRecord) and rec.step == total:  # the record's .item() synchronised
                t1 = time.perf_counter()
                break
            elif isinstance(rec, ErrorRecord):
                raise RuntimeError(rec.message)
    finally:
        gen.close()  # no validation pass: it is not part of the figures
    if t1 is None or source.t0 is None or started is None:
        raise RuntimeError("the app's loop ended before the last step")
    row.app_images_per_s = a.steps * a.batch / (t1 - source.t0)
    row.app_warmup_s = source.t0 - started
    row.app_peak_gib = peak_gib(device)


def run_bare(
    doc: Any, x: Tensor, y: Tensor, xh: Tensor, yh: Tensor, a: argparse.Namespace, device: torch.device, row: Row
) -> None:
    """The textbook loop on a fresh model of the same design."""
    from designer.compiler.build import compile_model

    cl = row.memory_format == "channels_last"
    fmt = torch.channels_last if cl else torch.contiguous_format
    reset_peak(device)
    model = compile_model(doc, seed=0).to(device, memory_format=fmt)
    model.train()
    aux_weights = model.aux_weights
    runner = torch.compile(model) if row.compile else model
    opt = torch.optim.SGD(model.parameters(), lr=a.lr, momentum=0.9, nesterov=True, weight_decay=5e-4)
    if a.bare_data == "device":
        x = x.contiguous(memory_format=fmt)
    bf16 = row.precision == "bf16"
    t_start = time.perf_counter()
    t0 = t_start
    for i in range(a.warmup + a.steps):
        if i == a.warmup:
            sync(device)
            t0 = time.perf_counter()
        if a.bare_data == "host":
            x = xh.to(device, non_blocking=True).contiguous(memory_format=fmt)
            y = yh.to(device, non_blocking=True)
        with torch.autocast(device.type, dtype=torch.bfloat16, enabled=bf16):
            out = runner(x)
        if isinstance(out, Tensor):
            loss = F.cross_entropy(out.float(), y)
        else:
            loss = F.cross_entropy(out[0].float(), y)
            for w, aux in zip(aux_weights, out[1], strict=True):
                loss = loss + w * F.cross_entropy(aux.float(), y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    sync(device)
    t1 = time.perf_counter()
    row.bare_images_per_s = a.steps * a.batch / (t1 - t0)
    row.bare_warmup_s = t0 - t_start
    row.bare_peak_gib = peak_gib(device)


class Design:
    """One model's design and its batch, made on first use (or the reason they cannot be)."""

    def __init__(self, name: str, a: argparse.Namespace, device: torch.device):
        self.size = f"{a.size} x {a.size}" if a.size else ""
        self.error = ""
        try:
            self.doc, shape, self.classes = load_design(name, a.size)
            self.size = f"{shape[1]} x {shape[2]}"
            self.x, self.y, self.xh, self.yh = make_batch(shape, self.classes, a.batch, device)
        except Exception as exc:  # noqa: BLE001 - the rows say why
            self.error = short(exc)


def measure(d: Design, row: Row, a: argparse.Namespace, device: torch.device) -> Row:
    """Both loops for one configuration; a failing one leaves its error in the row."""
    if d.error:
        row.error = d.error
        return row
    errors = []
    for part, fn in (("app", lambda r: run_app(d.doc, d.xh, d.yh, d.classes, a, device, r)),
                     ("bare", lambda r: run_bare(d.doc, d.x, d.y, d.xh, d.yh, a, device, r))):  # fmt: skip
        if row.compile:
            torch._dynamo.reset()  # each run compiles afresh (and no recompile limit is hit)
        try:
            fn(row)
        except Exception as exc:  # noqa: BLE001 - the row says why, the others go on
            errors.append(f"{part}: {short(exc)}")
            if a.verbose:
                traceback.print_exc()
        finally:
            reset_peak(device)
    if row.app_images_per_s and row.bare_images_per_s:
        row.ratio = row.app_images_per_s / row.bare_images_per_s
    row.error = "; ".join(errors)
    return row


# --------------------------------------------------------------------------- output
COLUMNS = (
    ("model", 13), ("precision", 9), ("format", 14), ("compile", 7), ("app img/s", 10), ("bare img/s", 10),
    ("app/bare", 8), ("app GiB", 7), ("bare GiB", 8), ("warm-up s app/bare", 18),
)  # fmt: skip


def _num(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def cells(r: Row) -> list[str]:
    warm = f"{_num(r.app_warmup_s, '.1f')}/{_num(r.bare_warmup_s, '.1f')}"
    return [
        r.model, r.precision, r.memory_format, "on" if r.compile else "off", _num(r.app_images_per_s, ".1f"),
        _num(r.bare_images_per_s, ".1f"), _num(r.ratio, ".3f"), _num(r.app_peak_gib, ".2f"),
        _num(r.bare_peak_gib, ".2f"), warm,
    ]  # fmt: skip


def line(values: list[str]) -> str:
    return "  ".join(
        v.ljust(w) if i < 4 else v.rjust(w) for i, (v, (_, w)) in enumerate(zip(values, COLUMNS, strict=True))
    )


def markdown(rows: list[Row]) -> str:
    out = ["| " + " | ".join([name for name, _ in COLUMNS] + ["note"]) + " |", "|" + "---|" * (len(COLUMNS) + 1)]
    for r in rows:
        out.append("| " + " | ".join([*cells(r), r.error.replace("|", "/")]) + " |")
    return "\n".join(out)


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        p = torch.cuda.get_device_properties(device)
        return f"cuda ({p.name}, {p.total_memory / GIB:.0f} GiB, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()})"
    n = torch.get_num_threads()
    return f"cpu ({platform.processor() or platform.machine()}, {n} thread{'s' * (n != 1)})"


# --------------------------------------------------------------------------- main
def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--device", default=None, help="cuda (default where there is one), cuda:N or cpu (smoke test)")
    ap.add_argument("--models", nargs="+", default=list(DEFAULT_MODELS), help="example names or .json project files")
    ap.add_argument("--batch", type=int, default=None, help="batch size (default: 128 on CUDA, 2 on the CPU)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps first (default: 5 on CUDA, 1 on the CPU)")
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default: 20 on CUDA, 2 on the CPU)")
    ap.add_argument("--size", type=int, default=None, help="input height = width (default: the design's own)")
    ap.add_argument(
        "--precisions", nargs="+", choices=PRECISIONS, default=None, help="default: both on CUDA, fp32 on the CPU"
    )
    ap.add_argument(
        "--formats", nargs="+", choices=FORMATS, default=None, help="default: both on CUDA, contiguous on the CPU"
    )
    ap.add_argument(
        "--compile", nargs="?", const="all", choices=("off", "some", "all"), default=None,
        help="torch.compile rows besides the eager ones: 'some' only for bf16 + channels_last (the app's CUDA "
        "defaults), 'all' (or just --compile) for every precision and format; default: some on CUDA, off on the CPU",
    )  # fmt: skip
    ap.add_argument(
        "--bare-data", choices=("device", "host"), default="device",
        help="the bare loop's batch: resident on the device, or copied from pinned host memory every step as the app does",
    )  # fmt: skip
    ap.add_argument("--lr", type=float, default=1e-5, help="learning rate of both loops (small: no divergence)")
    ap.add_argument(
        "--branch-every", type=int, default=TrainConfig().branch_every,
        help="the app's branch meter samples one step in this many (default: the Train button's; 0: off)",
    )  # fmt: skip
    ap.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: the app's default)")
    ap.add_argument(
        "--budget-s", type=float, default=0,
        help="start no configuration after this many seconds (its row says it was skipped); 0: no limit",
    )  # fmt: skip
    ap.add_argument("--json", metavar="PATH", help="write the rows (and the set-up) as JSON")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown (for the README)")
    ap.add_argument("--verbose", action="store_true", help="print the traceback of a failing configuration")
    a = ap.parse_args(argv)
    for name in ("batch", "warmup", "steps", "size"):
        value = getattr(a, name)
        if value is not None and value < (0 if name == "warmup" else 1):
            ap.error(f"--{name} must be at least {0 if name == 'warmup' else 1}")
    return a


def main(argv: list[str] | None = None) -> int:
    a = parse(argv)
    if a.device is None and not torch.cuda.is_available():
        print(NO_GPU.format(torch=torch.__version__))
        return 0
    name = a.device or "cuda"
    if name.startswith("cuda") and not torch.cuda.is_available():
        print(f"--device {name}: " + NO_GPU.format(torch=torch.__version__))
        return 2
    try:
        device = torch.device(name)
    except RuntimeError:
        device = None
    if device is None or device.type not in ("cuda", "cpu"):
        print(f"--device {name}: not a device this benchmark runs on (use cuda, cuda:N or cpu)")
        return 2
    cuda = device.type == "cuda"
    if a.threads <= 0:
        from designer.training.threads import default_cpu_threads

        a.threads = default_cpu_threads()
    torch.set_num_threads(a.threads)
    a.batch = a.batch or (128 if cuda else 2)
    a.warmup = a.warmup if a.warmup is not None else (5 if cuda else 1)
    a.steps = a.steps or (20 if cuda else 2)
    precisions = a.precisions or (list(PRECISIONS) if cuda else ["fp32"])
    formats = a.formats or (list(FORMATS) if cuda else ["contiguous"])
    mode = a.compile or ("some" if cuda else "off")
    configs = [(p, f, False) for p in precisions for f in formats]
    if mode == "all":
        configs += [(p, f, True) for p in precisions for f in formats]
    elif mode == "some":
        configs += [("bf16", "channels_last", True)]
    if cuda:
        if device.index is None:
            device = torch.device("cuda", torch.cuda.current_device())
        torch.cuda.set_device(device)  # the app's loop, given "cuda", uses the current device
        torch.backends.cudnn.benchmark = True  # as the app's CUDA set-up does

    print(f"device: {device_name(device)}")
    print(f"torch {torch.__version__}, Python {platform.python_version()}")
    print(
        f"batch {a.batch}, {a.warmup} warm-up + {a.steps} timed steps per run; app: the Train button's loop "
        f"(batches from {'pinned host memory' if cuda else 'memory'}); bare: textbook loop "
        f"(batch {'resident on the device' if a.bare_data == 'device' else 'copied from host every step'})",
        flush=True,
    )
    print(line([name for name, _ in COLUMNS]))
    rows: list[Row] = []
    designs: dict[str, Design] = {}
    t_all = time.perf_counter()

    def save(complete: bool) -> None:
        """The rows so far (rewritten after each, so that a run cut short keeps them)."""
        if not a.json:
            return
        info = {
            "device": device_name(device), "torch": torch.__version__, "python": platform.python_version(),
            "batch": a.batch, "warmup": a.warmup, "steps": a.steps, "lr": a.lr, "bare_data": a.bare_data,
            "branch_every": a.branch_every, "complete": complete, "elapsed_s": time.perf_counter() - t_all,
            "rows": [asdict(r) for r in rows],
        }  # fmt: skip
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

    # The eager rows of every model first, then the compiled ones (slow to start: the budget cuts those).
    jobs = [(m, c) for comp in (False, True) for m in a.models for c in configs if c[2] == comp]
    for model_name, (prec, fmt, comp) in jobs:
        row = Row(model_name, prec, fmt, comp, a.batch, "")
        if a.budget_s and time.perf_counter() - t_all > a.budget_s:
            row.error = f"skipped: the run is past --budget-s {a.budget_s:g}"
        else:
            if model_name not in designs:
                designs[model_name] = Design(model_name, a, device)
            row.size = designs[model_name].size
            measure(designs[model_name], row, a, device)
        rows.append(row)
        print(line(cells(row)) + (f"  error: {row.error}" if row.error else ""), flush=True)
        save(False)
    elapsed = time.perf_counter() - t_all
    ratios = [r.ratio for r in rows if r.ratio is not None]
    if ratios:
        print(f"app/bare: min {min(ratios):.3f}, max {max(ratios):.3f} over {len(ratios)} rows; {elapsed:.0f} s in all")
    else:
        print(f"no row measured both loops; {elapsed:.0f} s in all")
    if a.markdown:
        print()
        print(markdown(rows))
    if a.json:
        save(True)
        print(f"wrote {a.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
