"""Test set-up shared by every test directory."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile

# Qt must not look for a display: without this (and without a display) the qapp fixture aborts.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# torch on a small machine: passive OpenMP waiting keeps a busy GUI thread from stalling steps.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Settings and autosaves of every process the tests start (the app in subprocesses too) go to
# a temporary folder: tests never read or overwrite the user's window layout or recent files.
_SANDBOX = tempfile.mkdtemp(prefix="inception-designer-tests-")
os.environ["XDG_CONFIG_HOME"] = os.path.join(_SANDBOX, "config")
os.environ["INCEPTION_DESIGNER_HOME"] = os.path.join(_SANDBOX, "home")
atexit.register(shutil.rmtree, _SANDBOX, ignore_errors=True)
