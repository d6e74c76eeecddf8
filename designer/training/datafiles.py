"""Readers for the classic dataset files on disk: MNIST IDX and CIFAR-10 binary batches.

Nothing is downloaded: point the trainer at a folder that holds the files
(``train-images-idx3-ubyte[.gz]`` and friends, or ``data_batch_1.bin`` ... ``test_batch.bin``).
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import torch

from .data import DataError

__all__ = ["find_mnist", "load_mnist", "read_idx", "find_cifar10", "load_cifar10"]

_MNIST = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
_CIFAR_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")


def _find(folder: Path, stem: str) -> Path | None:
    for sub in (folder, folder / "raw", folder / "MNIST" / "raw"):
        for cand in (sub / stem, sub / f"{stem}.gz", sub / stem.replace("-idx", ".idx")):
            if cand.is_file():
                return cand
    return None


def find_mnist(folder: Path) -> list[Path] | None:
    """The four MNIST files in ``folder`` (or its ``raw/``), or None when it is not MNIST."""
    files = [_find(folder, s) for s in _MNIST]
    if files[0] is None:
        return None
    missing = [s for s, f in zip(_MNIST, files, strict=True) if f is None]
    if missing:
        raise DataError(f"{folder} looks like MNIST but lacks {', '.join(missing)}")
    return files  # type: ignore[return-value]


def read_idx(path: Path) -> torch.Tensor:
    """Read one IDX file (unsigned bytes) as a uint8 tensor."""
    opener = gzip.open if path.suffix == ".gz" else open
    try:
        with opener(path, "rb") as fh:
            data = fh.read()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc}") from None
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] != 0x08:
        raise DataError(f"{path} is not an IDX file of unsigned bytes")
    ndim = data[3]
    dims = struct.unpack(f">{ndim}I", data[4 : 4 + 4 * ndim])
    body = data[4 + 4 * ndim :]
    count = 1
    for d in dims:
        count *= d
    if len(body) != count:
        raise DataError(f"{path} is truncated: expected {count} bytes of data, found {len(body)}")
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def load_mnist(files: list[Path]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    xt, yt, xv, yv = (read_idx(f) for f in files)
    for x, y, f in ((xt, yt, files[0]), (xv, yv, files[2])):
        if x.ndim != 3 or y.ndim != 1 or len(x) != len(y):
            raise DataError(f"{f}: images and labels do not match ({tuple(x.shape)} vs {tuple(y.shape)})")
    return xt.unsqueeze(1), yt.long(), xv.unsqueeze(1), yv.long()


def find_cifar10(folder: Path) -> Path | None:
    for sub in (folder, folder / "cifar-10-batches-bin"):
        if (sub / "data_batch_1.bin").is_file() or (sub / "data_batch_1").is_file():
            return sub
    return None


def _cifar_file(folder: Path, stem: str) -> Path:
    for cand in (folder / f"{stem}.bin", folder / stem):
        if cand.is_file():
            return cand
    raise DataError(f"{folder} looks like CIFAR-10 but lacks {stem}.bin")


def _read_cifar(path: Path) -> tuple[torch.Tensor, torch.Tensor]:
    raw = path.read_bytes()
    rec = 1 + 3 * 32 * 32
    if len(raw) % rec:
        raise DataError(f"{path} is not a CIFAR-10 binary batch (size {len(raw)} is not a multiple of {rec})")
    t = torch.frombuffer(bytearray(raw), dtype=torch.uint8).reshape(-1, rec)
    return t[:, 1:].reshape(-1, 3, 32, 32).clone(), t[:, 0].long()


def load_cifar10(folder: Path) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor, tuple[str, ...]]:
    """The five training batches that exist (at least ``data_batch_1``) and ``test_batch``."""
    parts = []
    for i in range(1, 6):
        try:
            parts.append(_read_cifar(_cifar_file(folder, f"data_batch_{i}")))
        except DataError:
            if i == 1:
                raise
    xv, yv = _read_cifar(_cifar_file(folder, "test_batch"))
    names = _CIFAR_NAMES
    meta = folder / "batches.meta.txt"
    if meta.is_file():
        lines = [ln.strip() for ln in meta.read_text(encoding="utf-8", errors="replace").splitlines() if ln.strip()]
        if len(lines) == 10:
            names = tuple(lines)
    return torch.cat([p[0] for p in parts]), torch.cat([p[1] for p in parts]), xv, yv, names
