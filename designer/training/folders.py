"""Image folders: one sub-folder per class, read with Pillow, resized to the design's Input.

Layouts: ``ROOT/<class>/*.png`` (split into train and val with the run's seed), or
``ROOT/train/<class>/...`` with ``ROOT/val/<class>/...``. Images that cannot be read are
skipped and reported in :attr:`DataSource.notes`, never fatal.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset, RandomSampler, SequentialSampler

from .data import DataError, DataSource

__all__ = ["IMAGE_SUFFIXES", "ImageFolderSource", "image_folder"]

IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm")
MEAN, STD = 0.5, 0.25


def _classes(root: Path) -> list[str]:
    return sorted(p.name for p in root.iterdir() if p.is_dir() and not p.name.startswith("."))


def _files(root: Path, classes: list[str]) -> list[tuple[str, int]]:
    items = []
    for label, name in enumerate(classes):
        for f in sorted((root / name).rglob("*")):
            if f.suffix.lower() in IMAGE_SUFFIXES and f.is_file():
                items.append((str(f), label))
    return items


def _empty(root: Path, classes: list[str], items: list[tuple[str, int]]) -> list[str]:
    """The class folders under ``root`` that hold no image."""
    have = {label for _, label in items}
    return [str(root / name) for label, name in enumerate(classes) if label not in have]


def _no_images(folders: list[str]) -> str:
    some = ", ".join(IMAGE_SUFFIXES[:4])
    if len(folders) == 1:
        return (
            f"the class folder {folders[0]} has no images ({some}, ...): "
            "add its images, or remove the folder if it is not a class"
        )
    return (
        f"the class folders {', '.join(folders)} have no images ({some}, ...): "
        "add their images, or remove the folders that are not classes"
    )


class _Images(Dataset):
    def __init__(self, items: list[tuple[str, int]], shape: tuple[int, int, int], augment: bool):
        self.items, self.shape, self.augment = items, shape, augment
        self.mode = {1: "L", 3: "RGB"}[shape[0]]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> tuple[Any, int, str, str]:
        from PIL import Image

        path, label = self.items[i]
        c, h, w = self.shape
        try:
            with Image.open(path) as im:
                im = im.convert(self.mode).resize((w, h), Image.BILINEAR)
                data = torch.frombuffer(bytearray(im.tobytes()), dtype=torch.uint8)
        except Exception as exc:  # noqa: BLE001 - any unreadable image is skipped and reported
            return None, label, f"{path} ({type(exc).__name__}: {exc})", path
        x = data.view(h, w, c).permute(2, 0, 1).float().div_(255.0).sub_(MEAN).div_(STD)
        if self.augment:
            if random.random() < 0.5:
                x = x.flip(-1)
            pad = max(1, min(h, w) // 8)
            x = torch.nn.functional.pad(x.unsqueeze(0), (pad, pad, pad, pad), mode="reflect").squeeze(0)
            top, left = random.randint(0, 2 * pad), random.randint(0, 2 * pad)
            x = x[:, top : top + h, left : left + w]
        return x, label, "", path


def _collate(batch: list[tuple[Any, int, str, str]]) -> tuple[torch.Tensor, torch.Tensor, list[str], list[str]]:
    """The images that could be read, their labels, the messages for those that could not,
    and the files of those that could."""
    good = [(x, y, path) for x, y, _, path in batch if x is not None]
    bad = [msg for x, _, msg, _ in batch if x is None]
    if not good:
        return torch.empty(0), torch.empty(0, dtype=torch.long), bad, []
    return torch.stack([x for x, _, _ in good]), torch.tensor([y for _, y, _ in good]), bad, [p for *_, p in good]


class ImageFolderSource(DataSource):
    def __init__(
        self,
        name: str,
        train: list[tuple[str, int]],
        val: list[tuple[str, int]],
        classes: list[str],
        shape: tuple[int, int, int],
        augment: bool,
        workers: int,
    ):
        self.name = name
        self.class_names = tuple(classes)
        self.input_shape = shape
        self.train_set, self.val_set = _Images(train, shape, augment), _Images(val, shape, False)
        self.train_size, self.val_size = len(train), len(val)
        self.workers = workers
        self.notes = []
        self.mean, self.std = MEAN, STD
        self._reported: set[str] = set()
        #: The files of the validation images the last validation pass gave, in order.
        self._val_read: list[str] = []

    def _loader(self, ds: Dataset, batch_size: int, sampler: Any, drop_last: bool) -> DataLoader:
        return DataLoader(
            ds,
            batch_size=batch_size,
            sampler=sampler,
            num_workers=self.workers,
            collate_fn=_collate,
            drop_last=drop_last,
            persistent_workers=False,
        )

    def _iterate(
        self, loader: DataLoader, read: list[str] | None = None
    ) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for x, y, bad, paths in loader:
            for msg in bad:
                if msg not in self._reported:
                    self._reported.add(msg)
                    self.notes.append(f"skipped an unreadable image: {msg}")
            if read is not None:
                read.extend(paths)
            if len(y):
                yield x, y

    def train_batches(self, batch_size: int, epoch: int, seed: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        g = torch.Generator().manual_seed(seed * 100_003 + epoch)
        random.seed(seed * 100_003 + epoch)
        bs = min(batch_size, self.train_size)
        loader = self._loader(self.train_set, bs, RandomSampler(self.train_set, generator=g), self.train_size > bs)
        yield from self._iterate(loader)

    def val_batches(self, batch_size: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        self._val_read = []
        loader = self._loader(self.val_set, batch_size, SequentialSampler(self.val_set), False)
        yield from self._iterate(loader, self._val_read)

    def val_name(self, index: int) -> str:
        return self._val_read[index] if 0 <= index < len(self._val_read) else ""


def image_folder(
    root: Path, input_shape: tuple[int, int, int], *, seed: int, val_fraction: float, augment: bool, workers: int
) -> ImageFolderSource:
    """Open an image folder as a source with images resized to ``input_shape`` (C must be 1 or 3)."""
    c = input_shape[0]
    if c not in (1, 3):
        raise DataError(
            f"image folders give 1-channel (grey) or 3-channel (RGB) images, but the Input has {c} channels: "
            "set the Input's channels to 3 (or 1)"
        )
    notes: list[str] = []
    if (root / "train").is_dir() and (root / "val").is_dir():
        classes = _classes(root / "train")
        train, val = _files(root / "train", classes), _files(root / "val", classes)
        # An empty class folder is a class that cannot be learned: named as such, before the
        # class count (which it would make disagree with the design's heads) is looked at.
        empty = _empty(root / "train", classes, train)
        if empty and train:
            raise DataError(_no_images(empty))
        missing = sorted(set(classes) - set(_classes(root / "val")))
        if missing:
            raise DataError(f"{root / 'val'} lacks the class folders {', '.join(missing)}")
        notes += [f"{f} has no images: that class is not validated" for f in _empty(root / "val", classes, val)]
    else:
        classes = _classes(root)
        items = _files(root, classes)
        empty = _empty(root, classes, items)
        if empty and items:
            raise DataError(_no_images(empty))
        by_class: dict[int, list[tuple[str, int]]] = {}
        for it in items:
            by_class.setdefault(it[1], []).append(it)
        rng = random.Random(seed)
        train, val = [], []
        for group in by_class.values():
            rng.shuffle(group)
            k = max(1, round(len(group) * val_fraction)) if len(group) > 1 else 0
            val += group[:k]
            train += group[k:]
    if len(classes) < 2:
        raise DataError(f"{root} needs at least two class sub-folders (one per class), found {len(classes)}")
    if not train:
        raise DataError(f"{root} has no images ({', '.join(IMAGE_SUFFIXES)}) in its class folders")
    if not val:
        raise DataError(f"{root} has too few images for a validation split")
    source = ImageFolderSource(root.name or str(root), train, val, classes, tuple(input_shape), augment, workers)
    source.notes.extend(notes)
    return source
