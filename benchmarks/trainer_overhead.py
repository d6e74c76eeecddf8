"""The app's training loop vs a bare PyTorch loop: images per second on the same model and data.

Usage::

    .venv/bin/python benchmarks/trainer_overhead.py [--rounds 5] [--steps 30] [--threads 2]

Both loops train the mini_inception example on the same in-memory synthetic batches
(batch 128, SGD with Nesterov momentum, main + 0.3 aux loss). The trainer is
:func:`designer.training.train` with the app's logging (a record every 10 steps) and
all its per-step work (schedule, NaN check, metric sums); the bare loop is the textbook
five lines. The two alternate in one process, each timed over ``--steps`` steps after a
warm-up; the script prints the medians and their ratio (the target is >= 0.95).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from designer.compiler.build import compile_model  # noqa: E402
from designer.examples import build  # noqa: E402
from designer.training import RunFinished, StepRecord, TrainConfig, train  # noqa: E402
from designer.training.data import synthetic  # noqa: E402

WARM = 10


def trainer(doc, source, steps: int, bs: int, threads: int) -> float:
    cfg = TrainConfig(
        epochs=1, batch_size=bs, lr=0.05, schedule="constant", device="cpu", num_threads=threads,
        log_every=10, max_steps=WARM + steps, out_dir="",
    )  # fmt: skip
    marks: dict[int, float] = {}
    for rec in train(doc, cfg, source=source):
        if isinstance(rec, StepRecord):
            marks[rec.step] = time.perf_counter()
        elif isinstance(rec, RunFinished) and rec.status != "completed":
            raise SystemExit(f"trainer failed: {rec.message}")
    return steps * bs / (marks[WARM + steps] - marks[WARM])


def bare(doc, source, steps: int, bs: int, threads: int) -> float:
    torch.set_num_threads(threads)
    model = compile_model(doc, seed=0)
    model.train()
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True, weight_decay=5e-4)
    t0 = 0.0
    for i, (x, y) in enumerate(source.train_batches(bs, 0, 0)):
        if i == WARM:
            t0 = time.perf_counter()
        if i == WARM + steps:
            break
        out = model(x)
        loss = F.cross_entropy(out.logits, y)
        for w, a in zip(model.aux_weights, out.aux_logits, strict=True):
            loss = loss + w * F.cross_entropy(a, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return steps * bs / (time.perf_counter() - t0)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    doc = build("mini_inception")
    source = synthetic(train=max(10_000, (WARM + args.steps + 1) * args.batch_size), val=256)
    a, b = [], []
    for r in range(args.rounds):
        order = (trainer, bare) if r % 2 == 0 else (bare, trainer)
        for fn in order:
            ips = fn(doc, source, args.steps, args.batch_size, args.threads)
            (a if fn is trainer else b).append(ips)
        print(f"round {r + 1}: trainer {a[-1]:7.1f} img/s   bare loop {b[-1]:7.1f} img/s", flush=True)
    ta, tb = statistics.median(a), statistics.median(b)
    ratios = [x / y for x, y in zip(a, b, strict=True)]
    print(f"median: trainer {ta:.1f} img/s, bare loop {tb:.1f} img/s, ratio {ta / tb:.3f}")
    print(f"per-round ratios: {', '.join(f'{r:.3f}' for r in ratios)} (median {statistics.median(ratios):.3f})")
    return 0 if ta / tb >= 0.95 else 1


if __name__ == "__main__":
    raise SystemExit(main())
