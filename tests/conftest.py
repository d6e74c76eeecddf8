"""Test set-up shared by every test directory."""

from __future__ import annotations

import os

# Qt must not look for a display: without this (and without a display) the qapp fixture aborts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# torch on a small machine: passive OpenMP waiting keeps a busy GUI thread from stalling steps.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
