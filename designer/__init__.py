"""Inception Designer: design Inception-style CNNs as a node graph."""

import os as _os

# OpenMP threads that finish their share of a torch op sleep instead of spinning: a spinning
# pool on a small machine makes a training run several times slower as soon as another
# process is busy (benchmarks/training_contention.py).
# Set here, before anything can load torch (every entry point imports this package first);
# OpenMP reads it once, when torch loads. An explicit setting in the environment wins.
_os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
