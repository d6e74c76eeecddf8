"""How many CPU threads a training run uses by default (no torch here: the app and the CLI
choose it before torch loads).

Two things keep a CPU run fast when another process is busy too. OpenMP's passive wait
(``OMP_WAIT_POLICY=PASSIVE``, set by ``designer/__init__.py`` before torch loads): threads
that finish their share of an op sleep instead of spinning, so they do not take the cores
the neighbour and their own slower siblings need. And the thread count: every op is split
evenly between the threads and waits for the slowest, so a thread that shares its core with
a neighbour sets the pace of all of them (see ``benchmarks/training_contention.py``).
"""

from __future__ import annotations

import math
import os
from pathlib import Path

__all__ = ["usable_cores", "default_cpu_threads"]


def _cgroup_cpu_limit() -> float | None:
    """The CPU quota of this process's cgroup (v2 ``cpu.max``, v1 ``cfs_quota``), in cores."""
    try:
        quota, period = Path("/sys/fs/cgroup/cpu.max").read_text().split()[:2]
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us").read_text())
        period = int(Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us").read_text())
        return quota / period if quota > 0 and period > 0 else None
    except (OSError, ValueError):
        return None


def usable_cores() -> int:
    """The cores this process may run on: its CPU affinity, capped by a cgroup quota."""
    try:
        n = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        n = os.cpu_count() or 1
    limit = _cgroup_cpu_limit()
    if limit is not None:
        n = min(n, math.ceil(limit))
    return max(1, n)


def default_cpu_threads(cores: int | None = None) -> int:
    """The default torch CPU threads for a run on ``cores`` usable cores (default: this machine's).

    One core fewer than there are (at least one, at most 16): the core left free takes the
    app's GUI thread and whatever else runs, so a busy neighbour does not share a core with
    one of the threads (which would set the pace of all of them). Measured on a 2-core
    machine (``benchmarks/training_contention.py``): with the passive wait, two threads
    trained no faster than one even when nothing else ran, and slower once a neighbour
    was busy; one thread held its speed with the neighbour.
    """
    n = usable_cores() if cores is None else max(1, int(cores))
    return max(1, min(16, n - 1))
