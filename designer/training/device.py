"""Device choice and the settings that follow from it (precision, memory format, pinned memory).

``auto`` picks CUDA, then Apple's MPS, then the CPU. On CUDA the defaults are mixed
precision (bf16 where the GPU supports it, else fp16 with a gradient scaler),
channels-last memory format, ``cudnn.benchmark`` and pinned host memory. The CUDA path
is written to be correct by construction; the project's CI has no GPU.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

import torch

__all__ = ["ConfigError", "DeviceSetup", "pick_device", "setup_device", "device_memory"]


class ConfigError(ValueError):
    """The training settings cannot be used (e.g. CUDA asked for but not available)."""


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def pick_device(name: str) -> torch.device:
    """Resolve ``auto``/``cpu``/``cuda``/``mps`` (or ``cuda:1``) to an available device."""
    name = (name or "auto").strip().lower()
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if _mps_available():
            return torch.device("mps")
        return torch.device("cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise ConfigError("CUDA was asked for but this PyTorch sees no CUDA GPU: choose device 'auto' or 'cpu'")
    if name == "mps" and not _mps_available():
        raise ConfigError("MPS was asked for but is not available here: choose device 'auto' or 'cpu'")
    try:
        return torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}: choose auto, cpu, cuda or mps") from None


@dataclass
class DeviceSetup:
    device: torch.device
    amp_dtype: torch.dtype | None
    use_scaler: bool
    channels_last: bool
    pin_memory: bool

    @property
    def precision(self) -> str:
        if self.amp_dtype is None:
            return "fp32"
        name = {torch.bfloat16: "bf16", torch.float16: "fp16"}[self.amp_dtype]
        return f"{name} mixed" + (" + grad scaler" if self.use_scaler else "")

    def autocast(self) -> Any:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(device_type=self.device.type, dtype=self.amp_dtype)

    def describe(self) -> str:
        if self.device.type == "cuda":
            idx = self.device.index if self.device.index is not None else torch.cuda.current_device()
            return f"cuda:{idx} ({torch.cuda.get_device_name(idx)})"
        if self.device.type == "cpu":
            n = torch.get_num_threads()
            return f"cpu ({n} thread{'s' * (n != 1)})"
        return str(self.device)


def setup_device(name: str, amp: bool | None, channels_last: bool | None) -> DeviceSetup:
    """Choose the device and, for ``None`` options, the defaults that suit it."""
    device = pick_device(name)
    cuda = device.type == "cuda"
    dtype: torch.dtype | None = None
    scaler = False
    if amp if amp is not None else cuda:
        if cuda:
            dtype = torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
            scaler = dtype == torch.float16
        elif device.type == "mps":
            dtype = torch.float16
        else:
            dtype = torch.bfloat16
    if cuda:
        torch.backends.cudnn.benchmark = True
    return DeviceSetup(device, dtype, scaler, bool(channels_last if channels_last is not None else cuda), cuda)


def device_memory(device: torch.device) -> int | None:
    """Peak bytes allocated on the device (``None`` on the CPU)."""
    if device.type == "cuda":
        return int(torch.cuda.max_memory_allocated(device))
    if device.type == "mps":
        with contextlib.suppress(Exception):
            return int(torch.mps.current_allocated_memory())
    return None
