"""Datasets for training: the built-in synthetic set, image folders, MNIST and CIFAR-10 files.

Every source gives batches of ``(images, labels)``: float32 ``N x C x H x W`` normalised
images and int64 labels, on the CPU. In-memory sources (synthetic, MNIST, CIFAR-10)
shuffle with a generator seeded from the run's seed and the epoch, so a run is
reproducible and a resumed run sees the same order as an uninterrupted one.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import torch
import torch.nn.functional as F

from .synthetic import SYNTHETIC_CLASSES, make_synthetic

__all__ = ["DataError", "DataSource", "TensorSource", "open_dataset", "check_compatible", "fmt_chw"]

Batch = tuple[torch.Tensor, torch.Tensor]


class DataError(ValueError):
    """The data cannot be used: unreadable, empty, or not matching the design."""


def fmt_chw(shape: tuple[int, ...]) -> str:
    return " x ".join(str(v) for v in shape)


class DataSource:
    """A training and a validation split, with the facts a run needs."""

    name: str = "data"
    input_shape: tuple[int, int, int] = (3, 32, 32)
    class_names: tuple[str, ...] = ()
    #: Notes for the user (e.g. images that could not be read and were skipped).
    notes: list[str]

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    def __len__(self) -> int:
        return self.train_size

    train_size: int = 0
    val_size: int = 0
    #: How the images were normalised (``(x / 255 - mean) / std``), to show them as pictures.
    mean: float = 0.5
    std: float = 0.25

    def val_name(self, index: int) -> str:
        """The file of the validation image at ``index`` (its place in the last validation
        pass), or "" where the data has no files."""
        return ""

    def train_batches(self, batch_size: int, epoch: int, seed: int) -> Iterator[Batch]:  # pragma: no cover
        raise NotImplementedError

    def val_batches(self, batch_size: int) -> Iterator[Batch]:  # pragma: no cover
        raise NotImplementedError

    def steps_per_epoch(self, batch_size: int) -> int:
        """Optimizer steps per epoch (the last partial batch is dropped when there is more than one)."""
        return max(1, self.train_size // batch_size)


class TensorSource(DataSource):
    """Data held in memory as ``uint8`` tensors, normalised batch by batch.

    Parameters
    ----------
    size : tuple of int, optional
        Resize every batch to ``H x W`` (bilinear) when the design's Input differs.
    augment : bool
        Random horizontal flips in training (off for the synthetic set, whose classes
        are flip-invariant anyway but which needs no augmentation).
    """

    def __init__(
        self,
        name: str,
        x_train: torch.Tensor,
        y_train: torch.Tensor,
        x_val: torch.Tensor,
        y_val: torch.Tensor,
        class_names: tuple[str, ...],
        mean: float = 0.5,
        std: float = 0.25,
        size: tuple[int, int] | None = None,
        augment: bool = False,
    ):
        self.name = name
        self.x_train, self.y_train, self.x_val, self.y_val = x_train, y_train, x_val, y_val
        self.class_names = tuple(class_names)
        self.mean, self.std = mean, std
        self.size = tuple(size) if size is not None and tuple(size) != tuple(x_train.shape[2:]) else None
        c = int(x_train.shape[1])
        self.input_shape = (c, *(self.size or tuple(int(v) for v in x_train.shape[2:])))  # type: ignore[assignment]
        self.augment = augment
        self.train_size, self.val_size = len(y_train), len(y_val)
        self.notes = []

    def _prepare(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float().div_(255.0).sub_(self.mean).div_(self.std)
        if self.size is not None:
            x = F.interpolate(x, size=self.size, mode="bilinear", align_corners=False, antialias=True)
        return x

    def train_batches(self, batch_size: int, epoch: int, seed: int) -> Iterator[Batch]:
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        perm = torch.randperm(self.train_size, generator=g)
        bs = min(batch_size, self.train_size)
        for i in range(self.steps_per_epoch(batch_size)):
            idx = perm[i * bs : (i + 1) * bs]
            x = self._prepare(self.x_train[idx])
            if self.augment:
                flip = torch.rand(len(idx), generator=g) < 0.5
                x[flip] = x[flip].flip(-1)
            yield x, self.y_train[idx]

    def val_batches(self, batch_size: int) -> Iterator[Batch]:
        for i in range(0, self.val_size, batch_size):
            yield self._prepare(self.x_val[i : i + batch_size]), self.y_val[i : i + batch_size]


_SYNTH_CACHE: dict[tuple[int, int, int], tuple[torch.Tensor, torch.Tensor]] = {}


def synthetic(train: int = 10_000, val: int = 2_000, seed: int = 0, size: int = 32) -> TensorSource:
    """The built-in dataset (see :mod:`designer.training.synthetic`); generated once per process."""

    def get(n: int, s: int) -> tuple[torch.Tensor, torch.Tensor]:
        key = (n, s, size)
        if key not in _SYNTH_CACHE:
            if len(_SYNTH_CACHE) > 4:
                _SYNTH_CACHE.clear()
            _SYNTH_CACHE[key] = make_synthetic(n, s, size)
        return _SYNTH_CACHE[key]

    xt, yt = get(train, 2 * seed)
    xv, yv = get(val, 2 * seed + 1)
    return TensorSource("synthetic", xt, yt, xv, yv, SYNTHETIC_CLASSES, augment=False)


def open_dataset(
    spec: str,
    *,
    input_shape: tuple[int, int, int] | None = None,
    seed: int = 0,
    val_fraction: float = 0.1,
    synthetic_train: int = 10_000,
    synthetic_val: int = 2_000,
    resize: bool = False,
    augment: bool = True,
    workers: int = 0,
) -> DataSource:
    """Open ``"synthetic"`` or a folder (image folders, MNIST IDX files, CIFAR-10 batches).

    ``input_shape`` is the design's Input (C, H, W): image folders are always resized to
    it; in-memory datasets only when ``resize`` is true (otherwise
    :func:`check_compatible` reports the mismatch). Raises :class:`DataError`.
    """
    size = tuple(input_shape[1:]) if (resize and input_shape) else None
    if spec.strip().lower() in ("synthetic", "", "builtin"):
        src = synthetic(synthetic_train, synthetic_val, seed)
        if size is not None and size != src.input_shape[1:]:
            src = TensorSource(src.name, src.x_train, src.y_train, src.x_val, src.y_val, src.class_names, size=size)
        return src
    path = Path(spec).expanduser()
    if not path.exists():
        raise DataError(f"the data folder {str(path)!r} does not exist")
    if not path.is_dir():
        raise DataError(f"{str(path)!r} is not a folder (give a folder of images, MNIST or CIFAR-10 files)")
    from . import datafiles

    found = datafiles.find_mnist(path)
    if found is not None:
        xt, yt, xv, yv = datafiles.load_mnist(found)
        return TensorSource(
            "MNIST", xt, yt, xv, yv, tuple(str(i) for i in range(10)), 0.1307, 0.3081, size, augment=False
        )
    found = datafiles.find_cifar10(path)
    if found is not None:
        xt, yt, xv, yv, names = datafiles.load_cifar10(found)
        return TensorSource("CIFAR-10", xt, yt, xv, yv, names, 0.47, 0.25, size, augment=augment)
    from .folders import image_folder

    if input_shape is None:
        raise DataError("an image folder needs the design's input shape to resize to")
    return image_folder(path, input_shape, seed=seed, val_fraction=val_fraction, augment=augment, workers=workers)


def check_compatible(
    source: DataSource, input_shape: tuple[int, ...], heads: dict[str, int], input_name: str = "input"
) -> None:
    """Refuse a design whose Input or class count does not fit the data, saying how to fix it.

    Parameters
    ----------
    heads : dict
        Classifier name -> number of classes it predicts (the Output and each aux head).
    """
    if tuple(input_shape) != tuple(source.input_shape):
        want, have = fmt_chw(tuple(input_shape)), fmt_chw(tuple(source.input_shape))
        if len(input_shape) == 3 and input_shape[0] != source.input_shape[0]:
            hint = f"set the Input's channels to {source.input_shape[0]}"
        else:
            hint = f"set the Input to {have}, or resize the data (the 'Resize to the Input' option, --resize)"
        raise DataError(f"the {source.name} data are {have} images but the Input {input_name!r} expects {want}: {hint}")
    for name, n in heads.items():
        if n != source.num_classes:
            raise DataError(
                f"the {source.name} data have {source.num_classes} classes but {name!r} predicts {n}: "
                f"set its classes to {source.num_classes}"
            )


def default_workers() -> int:
    return min(4, max(0, (os.cpu_count() or 1) - 2))
