"""Training throughput when another process is busy: images/s quiet vs loaded, and their ratio.

Usage::

    .venv/bin/python benchmarks/training_contention.py [--seconds 6] [--threads default,1,2]
                                                        [--policies designer,unset] [--loads quiet,loaded] [--rounds 1]

Each measurement is a fresh child process (OpenMP reads its wait policy once, when torch
loads) that trains the mini_inception example on the synthetic data with the app's loop
(:func:`designer.training.train`, batch 128, SGD) for ``--seconds`` after a warm-up, and
prints the images per second. "loaded" runs the same child while one competing process
spins in pure Python (a neighbour busy on one core). Thread counts: ``default`` is what the
app and the CLI choose (:func:`designer.training.threads.default_cpu_threads`), or a number.
Policies: ``designer`` imports designer first, as the app, the CLI and train.py do (it sets
``OMP_WAIT_POLICY=PASSIVE`` unless the environment says otherwise); ``unset`` loads torch
before designer, so OpenMP keeps its own default (the behaviour before that setting);
``active`` sets ``OMP_WAIT_POLICY=ACTIVE``; ``spin:N`` keeps OpenMP's default policy with
``GOMP_SPINCOUNT=N`` (libgomp spins N times before it sleeps). The target is loaded / quiet >= 0.5.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WARM_STEPS = 3


def child(threads: str, policy: str, seconds: float, batch: int) -> None:
    """Train for ``seconds`` after a warm-up; print ``{"ips": ..., "threads": ...}`` as JSON."""
    sys.path.insert(0, str(ROOT))
    if policy == "unset" or policy.startswith("spin:"):
        os.environ.pop("OMP_WAIT_POLICY", None)
        if policy.startswith("spin:"):  # libgomp's own default wait, spinning this many times before it sleeps
            os.environ["GOMP_SPINCOUNT"] = policy.split(":", 1)[1]
        import torch  # noqa: F401 - OpenMP initialises here, before designer could set the policy
    elif policy == "active":
        os.environ["OMP_WAIT_POLICY"] = "ACTIVE"
    seen = os.environ.get("OMP_WAIT_POLICY", "")  # what OpenMP read if torch is loaded already
    import designer  # noqa: F401 - sets OMP_WAIT_POLICY=PASSIVE unless it is set

    seen = seen if policy == "unset" or policy.startswith("spin:") else os.environ.get("OMP_WAIT_POLICY", "")
    import torch

    from designer.examples import build
    from designer.training import RunControl, StepRecord, TrainConfig, train
    from designer.training.data import synthetic
    from designer.training.threads import default_cpu_threads

    n = default_cpu_threads() if threads == "default" else int(threads)
    doc = build("mini_inception")
    source = synthetic(train=10_000, val=256)
    cfg = TrainConfig(
        epochs=1, batch_size=batch, lr=0.05, schedule="constant", device="cpu", num_threads=n, log_every=1,
        out_dir="",
    )  # fmt: skip
    control = RunControl()
    t0 = None
    images = 0
    for rec in train(doc, cfg, source=source, control=control):
        if isinstance(rec, StepRecord):
            if rec.step == WARM_STEPS:
                t0 = time.perf_counter()
            elif t0 is not None:
                images += batch
                if time.perf_counter() - t0 >= seconds:
                    control.stop()
    elapsed = time.perf_counter() - t0 if t0 is not None else float("nan")
    print(json.dumps({"ips": images / elapsed, "threads": torch.get_num_threads(), "policy": seen}))


def spinner() -> subprocess.Popen:
    """A neighbour that keeps one core busy in pure Python."""
    return subprocess.Popen([sys.executable, "-c", "while True: pass"])


def measure(threads: str, policy: str, loaded: bool, seconds: float, batch: int) -> dict:
    env = {**os.environ}
    env.pop("OMP_WAIT_POLICY", None)
    env.pop("OMP_NUM_THREADS", None)
    env.pop("GOMP_SPINCOUNT", None)
    busy = spinner() if loaded else None
    try:
        cmd = [sys.executable, __file__, "--child", threads, "--policy", policy, "--seconds", str(seconds)]
        cmd += ["--batch-size", str(batch)]
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    finally:
        if busy is not None:
            busy.kill()
            busy.wait()
    if proc.returncode != 0:
        raise SystemExit(f"child failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", default="", help=argparse.SUPPRESS)
    ap.add_argument("--policy", default="designer", help=argparse.SUPPRESS)
    ap.add_argument("--threads", default="default,1,2", help="comma-separated: default or a number")
    ap.add_argument("--policies", default="designer", help="comma-separated: designer, unset, active, spin:N")
    ap.add_argument("--seconds", type=float, default=6.0, help="timed training per measurement")
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--loads", default="quiet,loaded", help="quiet, loaded or both")
    ap.add_argument("--rounds", type=int, default=1, help="repeat every measurement and take medians")
    args = ap.parse_args()
    if args.child:
        child(args.child, args.policy, args.seconds, args.batch_size)
        return 0
    print(f"cores usable: {len(os.sched_getaffinity(0)) if hasattr(os, 'sched_getaffinity') else os.cpu_count()}; "
          f"load average before: {os.getloadavg()[0]:.2f}", flush=True)  # fmt: skip
    loads = args.loads.split(",")
    combos = [(p, t) for p in args.policies.split(",") for t in args.threads.split(",")]
    results: dict[tuple[str, str, str], list[float]] = {}
    threads_used: dict[tuple[str, str], int] = {}
    # Rounds outermost: every setting is measured once per round, so that what other processes
    # do to the machine meanwhile falls on all of them alike.
    for r in range(args.rounds):
        for policy, threads in combos:
            for load in loads:
                m = measure(threads, policy, load == "loaded", args.seconds, args.batch_size)
                results.setdefault((policy, threads, load), []).append(m["ips"])
                threads_used[policy, threads] = m["threads"]
        if args.rounds > 1:
            print(f"round {r + 1} done (load average {os.getloadavg()[0]:.2f})", flush=True)
    worst = float("inf")
    for policy, threads in combos:
        n = threads_used[policy, threads]
        label = f"{threads} ({n})" if threads == "default" else threads
        med = {load: statistics.median(results[policy, threads, load]) for load in loads}
        best = {load: max(results[policy, threads, load]) for load in loads}
        line = f"policy {policy:8s} threads {label:12s}" + "".join(
            f" {k} {v:7.1f} img/s (best {best[k]:6.1f}) " for k, v in med.items()
        )
        if len(med) == 2:
            ratio = med["loaded"] / med["quiet"]
            line += f"  ratio {ratio:.2f}"
            if policy == "designer" and threads == "default":
                worst = min(worst, ratio)
        print(line, flush=True)
    if worst != float("inf"):
        print(f"default settings: loaded / quiet = {worst:.2f} (target >= 0.5: {'met' if worst >= 0.5 else 'NOT met'})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
