"""``inception-designer train FILE``: the training loop with a progress display.

Exit codes: 0 the run completed, 1 the design, the data or the settings cannot be used,
2 the file cannot be read (handled by the caller), 3 the run failed (NaN loss, out of
memory, an unexpected error), 130 stopped with Ctrl-C (after the current batch; the
last finished epoch's checkpoint is kept).
"""

from __future__ import annotations

import argparse
import signal
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from .records import DEVICES, OPTIMIZERS, SCHEDULES, TrainConfig

__all__ = ["add_arguments", "config_from_args", "run"]

EXIT_OK, EXIT_BAD_INPUT, EXIT_RUN_FAILED, EXIT_INTERRUPTED = 0, 1, 3, 130


def add_arguments(p: argparse.ArgumentParser) -> None:
    d = TrainConfig()
    p.add_argument("file", help="the design (.json project file), or a run's folder to continue it to --epochs")
    p.add_argument("--data", default="synthetic", help="'synthetic' (built in) or a folder: images, MNIST, CIFAR-10")
    p.add_argument("--epochs", type=int, default=d.epochs)
    p.add_argument("--device", choices=DEVICES, default="auto")
    p.add_argument("--out", default="", help="folder for checkpoints, run.json and CSVs (default: runs/NAME-TIME)")
    p.add_argument("--batch-size", type=int, default=d.batch_size)
    p.add_argument("--lr", type=float, default=d.lr)
    p.add_argument("--optimizer", choices=OPTIMIZERS, default=d.optimizer)
    p.add_argument("--momentum", type=float, default=d.momentum)
    p.add_argument("--nesterov", action=argparse.BooleanOptionalAction, default=d.nesterov)
    p.add_argument("--weight-decay", type=float, default=d.weight_decay)
    p.add_argument("--schedule", choices=SCHEDULES, default=d.schedule)
    p.add_argument("--warmup-epochs", type=float, default=d.warmup_epochs)
    p.add_argument("--label-smoothing", type=float, default=d.label_smoothing)
    p.add_argument("--seed", type=int, default=d.seed)
    p.add_argument("--amp", action=argparse.BooleanOptionalAction, default=None, help="default: on with CUDA")
    p.add_argument("--channels-last", action=argparse.BooleanOptionalAction, default=None)
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument(
        "--threads", type=int, default=0, help="torch CPU threads (0: one fewer than the cores, at least 1, at most 16)"
    )
    p.add_argument("--resize", action="store_true", help="resize in-memory data to the design's Input")
    p.add_argument("--augment", action=argparse.BooleanOptionalAction, default=True)
    p.add_argument("--workers", type=int, default=0, help="data loader processes for image folders")
    p.add_argument("--synthetic-train", type=int, default=d.synthetic_train)
    p.add_argument("--synthetic-val", type=int, default=d.synthetic_val)
    p.add_argument("--val-fraction", type=float, default=d.val_fraction)
    p.add_argument("--resume", default="", help="a last.pt to continue from (--epochs is the total)")
    p.add_argument("--max-steps", type=int, default=0)
    p.add_argument("--log-every", type=int, default=d.log_every)
    p.add_argument("--quiet", action="store_true", help="epoch lines only, no progress line")


def config_from_args(args: argparse.Namespace, design_name: str) -> TrainConfig:
    from .threads import default_cpu_threads

    out = args.out
    if not out:
        stem = "".join(c if c.isalnum() or c in "-_" else "_" for c in design_name)[:40] or "run"
        out = str(Path("runs") / f"{stem}-{datetime.now():%Y%m%d-%H%M%S}")
    threads = args.threads or default_cpu_threads()
    return TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
        momentum=args.momentum, nesterov=args.nesterov, weight_decay=args.weight_decay, schedule=args.schedule,
        warmup_epochs=args.warmup_epochs, label_smoothing=args.label_smoothing, seed=args.seed, device=args.device,
        amp=args.amp, channels_last=args.channels_last, compile=args.compile, num_threads=threads, out_dir=out,
        data=args.data, synthetic_train=args.synthetic_train, synthetic_val=args.synthetic_val,
        val_fraction=args.val_fraction, resize=args.resize, augment=args.augment, data_workers=args.workers,
        log_every=args.log_every, max_steps=args.max_steps, resume=args.resume,
    )  # fmt: skip


def _fmt_time(s: float) -> str:
    s = int(max(0, s))
    return f"{s // 3600}:{s // 60 % 60:02d}:{s % 60:02d}" if s >= 3600 else f"{s // 60}:{s % 60:02d}"


def run(doc: Any, args: argparse.Namespace, config: TrainConfig | None = None) -> int:
    """Train ``doc`` as ``config`` (by default: the parsed ``args``) says; returns the exit code."""
    from .loop import RunControl, train
    from .records import EpochRecord, ErrorRecord, RunFinished, RunStarted, StatusRecord, StepRecord

    cfg = config if config is not None else config_from_args(args, doc.name)
    control = RunControl()
    interrupted = False

    def on_sigint(signum: int, frame: Any) -> None:
        nonlocal interrupted
        if interrupted:
            raise KeyboardInterrupt
        interrupted = True
        print("\nstopping after this batch (Ctrl-C again to abort)", file=sys.stderr)
        control.stop()

    tty = sys.stderr.isatty() and not args.quiet
    previous = signal.signal(signal.SIGINT, on_sigint)
    code, error = EXIT_OK, None
    try:
        for rec in train(doc, cfg, control=control):
            if isinstance(rec, RunStarted):
                print(
                    f"training {rec.design!r}: {rec.params:,} params, {rec.macs:,} MACs; {rec.device}, {rec.precision}; "
                    f"{rec.train_size} train / {rec.val_size} val images ({', '.join(rec.class_names[:4])}"
                    f"{', ...' if len(rec.class_names) > 4 else ''}); {rec.total_steps} steps; out {rec.out_dir}",
                    flush=True,
                )
            elif isinstance(rec, StepRecord) and tty:
                width = 24
                done = int(rec.progress * width)
                aux = "".join(f" {k} {v:.3f}" for k, v in rec.aux_losses.items())
                sys.stderr.write(
                    f"\r[{'#' * done}{'.' * (width - done)}] {rec.progress:5.1%} epoch {rec.epoch} step {rec.step} "
                    f"loss {rec.loss:.4f} (main {rec.main_loss:.4f}{aux}) acc {rec.accuracy:.1%} lr {rec.lr:.3g} "
                    f"{rec.images_per_s:.0f} img/s ETA {_fmt_time(rec.eta_s)}  "
                )
                sys.stderr.flush()
            elif isinstance(rec, EpochRecord):
                if tty:
                    sys.stderr.write("\r\033[K")
                # Each aux head's validation accuracy, named so that it reads as an aux head's.
                aux = "".join(
                    f"{k if 'aux' in k.lower() else k + ' (aux)'} {v:.1%}  " for k, v in rec.aux_accuracy.items()
                )
                print(
                    f"epoch {rec.epoch:3d}/{cfg.epochs}  train loss {rec.train_loss:.4f} acc {rec.train_accuracy:6.1%}  "
                    f"val loss {rec.val_loss:.4f} acc {rec.val_accuracy:6.1%}{' *' if rec.is_best else '  '}  "
                    + aux
                    + f"lr {rec.lr:.3g}  {rec.images_per_s:.0f} img/s  {_fmt_time(rec.elapsed_s)}",
                    flush=True,
                )
            elif isinstance(rec, StatusRecord) and rec.message:
                print(f"note: {rec.message}", file=sys.stderr)
            elif isinstance(rec, ErrorRecord):
                error = rec
                if tty:
                    sys.stderr.write("\n")
                print(f"error: {rec.message}", file=sys.stderr)
                if rec.kind == "exception" and rec.details:
                    print(rec.details, file=sys.stderr)
            elif isinstance(rec, RunFinished):
                repeated = error is not None and rec.message == error.message  # already printed as error:
                text = "" if repeated else f": {rec.message}"
                print(f"{rec.status}{text} ({_fmt_time(rec.elapsed_s)})")
                if rec.last_checkpoint:
                    print(f"checkpoints: {rec.last_checkpoint}, {rec.best_checkpoint}; metrics: {rec.out_dir}")
                    results = Path(rec.out_dir) / "confusion.json"
                    if results.is_file():
                        worst = results.with_name("worst.png")
                        print(f"results: {results}" + (f", {worst.name}" if worst.is_file() else ""))
                if rec.status == "stopped":
                    code = EXIT_INTERRUPTED
    except KeyboardInterrupt:
        print("\naborted", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        signal.signal(signal.SIGINT, previous)
    if error is not None:
        return EXIT_BAD_INPUT if error.kind in ("design", "data", "config") else EXIT_RUN_FAILED
    return code
