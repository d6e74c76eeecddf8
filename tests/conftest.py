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


# ------------------------------------------------------------ real-window tests (tests/ui/xserver.py)
def pytest_configure(config):
    config.addinivalue_line(
        "markers", "xserver: runs the real app under Xvfb with the xcb platform (skipped without Xvfb/xdotool)"
    )


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """One visible line when the real-window tests did not run, and why (their skip reason)."""
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if "xserver" in getattr(r, "keywords", {})]
    if not skipped:
        return
    reasons = []
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
        reason = reason.removeprefix("Skipped: ").removeprefix("real-window tests skipped: ")
        if reason not in reasons:
            reasons.append(reason)
    terminalreporter.write_line(
        f"real-window tests (xserver) NOT RUN: {len(skipped)} skipped: {'; '.join(reasons)}", yellow=True, bold=True
    )
