"""Train the mini_inception example on the built-in synthetic data and print the curve.

Usage::

    .venv/bin/python benchmarks/mini_inception_accuracy.py [--epochs 6] [--threads 2] [--baselines]

Prints validation accuracy per epoch, the final accuracy and the wall time. With
``--baselines`` it also trains, with the same loop and settings, a linear model on the
pixels and a tiny plain conv net (two 3x3 convs), to show the data are not trivial.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from designer.examples import build  # noqa: E402
from designer.graph.builder import Builder  # noqa: E402
from designer.graph.document import GraphDocument  # noqa: E402
from designer.training import EpochRecord, ErrorRecord, RunFinished, RunStarted, TrainConfig, train  # noqa: E402


def linear() -> GraphDocument:
    b = Builder("linear (pixels -> classes)")
    x = b.input(channels=3, height=32, width=32)
    b.output(x, num_classes=10, pool="flatten")
    return b.done()


def plain_conv() -> GraphDocument:
    b = Builder("tiny plain conv")
    x = b.input(channels=3, height=32, width=32)
    x = b.conv(x, "conv1", out_channels=16, kernel_size=3, batch_norm=True, bias=False)
    x = b.pool(x, "pool1", kernel_size=2, stride=2)
    x = b.conv(x, "conv2", out_channels=32, kernel_size=3, batch_norm=True, bias=False)
    x = b.pool(x, "pool2", kernel_size=2, stride=2)
    b.output(x, num_classes=10)
    return b.done()


def run(doc: GraphDocument, cfg: TrainConfig) -> tuple[float | None, float]:
    t0 = time.perf_counter()
    final = None
    for rec in train(doc, cfg):
        if isinstance(rec, RunStarted):
            print(f"== {rec.design}: {rec.params:,} params, {rec.macs:,} MACs, {rec.device}, {rec.precision}")
            print(f"   {rec.train_size} train / {rec.val_size} val images, {rec.steps_per_epoch} steps per epoch")
        elif isinstance(rec, EpochRecord):
            print(
                f"   epoch {rec.epoch:2d}  train loss {rec.train_loss:.3f} acc {rec.train_accuracy:6.1%}  "
                f"val loss {rec.val_loss:.3f} acc {rec.val_accuracy:6.1%}  "
                f"{rec.images_per_s:6.0f} img/s  {rec.elapsed_s:6.1f} s",
                flush=True,
            )
        elif isinstance(rec, ErrorRecord):
            print(f"   error: {rec.message}")
        elif isinstance(rec, RunFinished):
            final = rec.final_val_accuracy
    return final, time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--baselines", action="store_true", help="also train a linear model and a tiny plain conv net")
    args = ap.parse_args()
    out = tempfile.mkdtemp(prefix="mini_inception_")
    cfg = TrainConfig(
        epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, num_threads=args.threads, device="cpu", out_dir=out
    )
    acc, secs = run(build("mini_inception"), cfg)
    print(f"mini_inception: final validation accuracy {acc:.1%} in {secs:.0f} s ({args.epochs} epochs, CPU)")
    results = [("mini_inception", acc, secs)]
    if args.baselines:
        for doc in (linear(), plain_conv()):
            cfg.out_dir = tempfile.mkdtemp(prefix="baseline_")
            a, s = run(doc, cfg)
            results.append((doc.name, a, s))
        print()
        for name, a, s in results:
            print(f"{name:30s} val accuracy {a:6.1%}  {s:5.0f} s")
    return 0 if acc is not None and acc >= 0.9 else 1


if __name__ == "__main__":
    raise SystemExit(main())
