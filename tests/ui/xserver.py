"""A real X server for tests that run the app as a person would: Xvfb (+ openbox), xdotool, import.

``XServer.start()`` starts ``Xvfb -displayfd`` on a free display number, and a window manager
(openbox) when one is installed, since maximizing a window needs one. ``App`` runs the app in a
subprocess on that display with the xcb platform and its own settings, data and autosave
folders, and drives it with xdotool. Nothing here imports Qt: the app under test is a separate
process, and what is asserted is what a person (or the X server) can see.
"""

from __future__ import annotations

import os
import re
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

SCREEN = (1600, 1000)
#: Tools the real-window tests need; the first missing one is the skip reason.
TOOLS = ("Xvfb", "xdotool", "xwininfo", "xprop", "import")
TITLE = "Inception Designer"


class XServerUnavailable(RuntimeError):
    """Why the real-window tests cannot run here (missing tool, Xvfb failed to start)."""


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


class XServer:
    """Xvfb on a free display (``-displayfd``), plus openbox where installed."""

    def __init__(self, workdir: Path, size: tuple[int, int] = SCREEN):
        self.workdir = Path(workdir)
        self.size = size
        self.display: str | None = None
        self.wm: str | None = None
        self._procs: list[subprocess.Popen] = []

    # ------------------------------------------------------------ lifecycle
    def start(self, timeout: float = 20.0) -> XServer:
        missing = missing_tools()
        if missing:
            raise XServerUnavailable(f"{', '.join(missing)} not installed (bash .ci/setup installs them as root)")
        self.workdir.mkdir(parents=True, exist_ok=True)
        read_fd, write_fd = os.pipe()
        w, h = self.size
        log = open(self.workdir / "xvfb.log", "wb")  # noqa: SIM115 - closed with the process
        try:
            xvfb = subprocess.Popen(
                ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", f"{w}x{h}x24", "-nolisten", "tcp", "-noreset"],
                pass_fds=(write_fd,),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        finally:
            os.close(write_fd)
            log.close()
        self._procs.append(xvfb)
        number = b""
        deadline = time.monotonic() + timeout
        try:
            while not number.endswith(b"\n"):
                left = deadline - time.monotonic()
                if left <= 0 or xvfb.poll() is not None:
                    break
                ready, _, _ = select.select([read_fd], [], [], left)
                if not ready:
                    break
                chunk = os.read(read_fd, 16)
                if not chunk:
                    break
                number += chunk
        finally:
            os.close(read_fd)
        if not number.strip().isdigit():
            tail = (self.workdir / "xvfb.log").read_text(errors="replace")[-400:].strip()
            self.stop()
            why = tail or f"no display number within {timeout:.0f} s"
            raise XServerUnavailable(f"Xvfb did not start: {why}")
        self.display = ":" + number.strip().decode()
        if shutil.which("openbox"):
            self._start_openbox()
        return self

    def _start_openbox(self, timeout: float = 10.0) -> None:
        env = self.env(XDG_CONFIG_HOME=str(self.workdir / "wm-config"), XDG_CACHE_HOME=str(self.workdir / "wm-cache"))
        with open(self.workdir / "openbox.log", "wb") as log:
            wm = subprocess.Popen(
                ["openbox", "--sm-disable"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._procs.append(wm)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and wm.poll() is None:
            out = self.run("xprop", "-root", "_NET_SUPPORTING_WM_CHECK", check=False)
            if "window id" in out:
                self.wm = "openbox"
                return
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)
        self._procs.clear()

    # -------------------------------------------------------------- helpers
    def env(self, **extra: str) -> dict[str, str]:
        env = dict(os.environ)
        env["DISPLAY"] = self.display or ""
        env.pop("WAYLAND_DISPLAY", None)
        env.update(extra)
        return env

    def run(self, *args: str | int, check: bool = True, timeout: float = 20.0) -> str:
        """Run an X client (xdotool, xprop, xwininfo, import) on this display; its stdout."""
        proc = subprocess.run(
            [str(a) for a in args], env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )
        if check and proc.returncode != 0:
            raise RuntimeError(f"{' '.join(map(str, args))} failed ({proc.returncode}): {proc.stderr.strip()}")
        return proc.stdout

    def xdo(self, *args: str | int, check: bool = True) -> str:
        return self.run("xdotool", *args, check=check)

    def screenshot(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self.run("import", "-window", "root", str(path), timeout=30)
        return path

    # ----------------------------------------------------- person-like input
    def click(self, x: float, y: float, button: int = 1, repeat: int = 1) -> None:
        self.xdo("mousemove", "--sync", int(x), int(y))
        time.sleep(0.05)
        self.xdo("click", "--repeat", repeat, "--delay", 90, button)

    def drag(self, start: tuple[float, float], end: tuple[float, float], steps: int = 20, pause: float = 0.02) -> None:
        """Press at ``start``, move there in ``steps`` (Qt starts a drag after a few pixels), release."""
        (x0, y0), (x1, y1) = start, end
        self.xdo("mousemove", "--sync", int(x0), int(y0))
        time.sleep(0.1)
        self.xdo("mousedown", 1)
        time.sleep(0.1)
        for i in range(1, steps + 1):
            t = i / steps
            self.xdo("mousemove", int(x0 + (x1 - x0) * t), int(y0 + (y1 - y0) * t))
            time.sleep(pause)
        time.sleep(0.15)
        self.xdo("mousemove", int(x1), int(y1))  # one more event at the target, as a hand settles
        time.sleep(0.15)
        self.xdo("mouseup", 1)
        time.sleep(0.2)

    def key(self, *keys: str) -> None:
        self.xdo("key", "--delay", 60, *keys)

    def type(self, text: str) -> None:
        self.xdo("type", "--delay", 40, text)


class WindowInfo:
    """What xwininfo says about a top-level window: root coordinates of its client area."""

    def __init__(self, text: str):
        def num(label: str) -> int:
            m = re.search(rf"{label}:\s+(-?\d+)", text)
            return int(m.group(1)) if m else 0

        self.x, self.y = num("Absolute upper-left X"), num("Absolute upper-left Y")
        self.width, self.height = num("Width"), num("Height")
        m = re.search(r"Map State:\s+(\w+)", text)
        self.map_state = m.group(1) if m else "?"

    @property
    def viewable(self) -> bool:
        return self.map_state == "IsViewable"

    def at(self, rx: float, ry: float) -> tuple[float, float]:
        """Root coordinates of a point given relative to the client area's top-left corner."""
        return self.x + rx, self.y + ry

    def __repr__(self) -> str:
        return f"<window {self.width}x{self.height}+{self.x}+{self.y} {self.map_state}>"


class App:
    """The app in a subprocess on ``server``'s display, with its own settings under ``home``."""

    def __init__(self, server: XServer, home: Path, *args: str, name: str = "app"):
        self.server = server
        self.home = Path(home)
        self.args = args
        self.name = name
        self.proc: subprocess.Popen | None = None
        self.wid: str | None = None
        self.log_path = self.home / f"{name}.log"
        self.started_at = 0.0

    @property
    def config_dir(self) -> Path:
        return self.home / "config"

    @property
    def settings_file(self) -> Path:
        """Where ``designer.ui.settings.app_settings()`` keeps the layout (QSettings, INI, user scope)."""
        return self.config_dir / "inception-designer" / "Inception Designer.ini"

    def env(self) -> dict[str, str]:
        runtime = self.home / "runtime"
        runtime.mkdir(parents=True, exist_ok=True)
        runtime.chmod(0o700)
        env = self.server.env(
            QT_QPA_PLATFORM="xcb",
            XDG_CONFIG_HOME=str(self.config_dir),
            XDG_DATA_HOME=str(self.home / "data"),
            XDG_CACHE_HOME=str(self.home / "cache"),
            XDG_RUNTIME_DIR=str(runtime),
            INCEPTION_DESIGNER_HOME=str(self.home / "designer"),
            PYTHONFAULTHANDLER="1",
            NO_AT_BRIDGE="1",
        )
        env.pop("QT_QPA_PLATFORMTHEME", None)
        env.pop("DBUS_SESSION_BUS_ADDRESS", None)
        return env

    def start(self) -> App:
        self.home.mkdir(parents=True, exist_ok=True)
        self.wid = None
        with open(self.log_path, "ab") as log:
            log.write(f"--- start {' '.join(self.args)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                [sys.executable, "-X", "faulthandler", "-m", "designer", *self.args],
                env=self.env(),
                cwd=self.home,  # as from a launcher: the checkout is not on sys.path ahead of the install
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self.started_at = time.monotonic()
        return self

    # -------------------------------------------------------------- observing
    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def describe(self) -> str:
        rc = self.returncode
        how = "running" if rc is None else f"exit code {rc}" + (f" ({_signal_name(-rc)})" if rc < 0 else "")
        return f"{self.name}: {how}; its output:\n{self.log()[-4000:]}"

    def wait_window(self, timeout: float = 40.0) -> str | None:
        """The id of the app's visible main window, once mapped; None if the process ends first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self.alive:
                return None
            out = self.server.xdo(
                "search", "--all", "--onlyvisible", "--pid", self.proc.pid, "--name", TITLE, check=False
            ).split()
            if out:
                self.wid = out[-1]
                return self.wid
            time.sleep(0.1)
        raise TimeoutError(f"no window within {timeout:.0f} s\n{self.describe()}")

    def info(self) -> WindowInfo:
        return WindowInfo(self.server.run("xwininfo", "-id", self.wid))

    def title(self) -> str:
        return self.server.xdo("getwindowname", self.wid, check=False).strip()

    def wait_title(self, predicate, timeout: float = 5.0) -> str:
        deadline = time.monotonic() + timeout
        title = self.title()
        while not predicate(title) and time.monotonic() < deadline:
            time.sleep(0.05)
            title = self.title()
        return title

    def net_wm_state(self) -> str:
        return self.server.run("xprop", "-id", self.wid, "_NET_WM_STATE", check=False)

    # --------------------------------------------------------------- acting
    def activate(self, timeout: float = 5.0) -> bool:
        """Bring the window to the front with the keyboard focus; True once X says it has it."""
        deadline = time.monotonic() + timeout
        while True:
            if self.server.wm:
                self.server.run("xdotool", "windowactivate", "--sync", self.wid, check=False, timeout=timeout)
            else:
                self.server.run("xdotool", "windowfocus", "--sync", self.wid, check=False, timeout=timeout)
            time.sleep(0.1)
            if self.server.xdo("getwindowfocus", check=False).strip() == self.wid:
                return True
            if time.monotonic() > deadline:
                return False

    def maximize(self, timeout: float = 5.0) -> bool:
        """Double-click the title bar, as a person would (openbox maximizes on that); True if maximized."""
        if not self.server.wm:
            return False
        info = self.info()
        frame = self.server.run("xprop", "-id", self.wid, "_NET_FRAME_EXTENTS", check=False)
        m = re.search(r"=\s*(\d+),\s*(\d+),\s*(\d+),\s*(\d+)", frame)
        top = int(m.group(3)) if m else 20
        self.server.click(info.x + info.width // 2, info.y - max(top // 2, 1), repeat=2)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if "MAXIMIZED_HORZ" in self.net_wm_state():
                time.sleep(0.3)  # let the app see its new size
                return True
            time.sleep(0.05)
        return False

    def quit(self, timeout: float = 20.0) -> int:
        """Ctrl+Q in the window; the exit code (the process is killed if it does not end)."""
        if self.alive and self.wid:
            if self.activate():
                self.server.key("ctrl+q")  # typed, as a person does (XTEST)
            else:  # the focus went elsewhere: send it to this window, never to another app
                self.server.xdo("key", "--window", self.wid, "ctrl+q", check=False)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise TimeoutError(
                f"{self.name} did not exit within {timeout:.0f} s of Ctrl+Q\n{self.describe()}"
            ) from None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


def keep_shot(path: Path) -> None:
    """Copy a screenshot to $INCEPTION_DESIGNER_SHOTS, if set (to look at it after the run)."""
    where = os.environ.get("INCEPTION_DESIGNER_SHOTS")
    if where:
        Path(where).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(where) / path.name)
