"""Datasets: synthetic determinism, MNIST IDX and CIFAR-10 files, image folders with a corrupt file."""

from __future__ import annotations

import gzip
import struct
import subprocess
import sys

import pytest
import torch

from designer.training.data import DataError, check_compatible, open_dataset, synthetic
from designer.training.synthetic import SYNTHETIC_CLASSES, make_synthetic


def test_synthetic_is_deterministic_balanced_and_seed_dependent():
    x1, y1 = make_synthetic(200, seed=3)
    x2, y2 = make_synthetic(200, seed=3)
    x3, _ = make_synthetic(200, seed=4)
    assert x1.dtype == torch.uint8 and x1.shape == (200, 3, 32, 32)
    assert torch.equal(x1, x2) and torch.equal(y1, y2) and not torch.equal(x1, x3)
    assert torch.bincount(y1, minlength=10).tolist() == [20] * 10
    assert len(SYNTHETIC_CLASSES) == 10
    # colour carries no class information: the mean colour is about the same for every class
    x, y = make_synthetic(2000, seed=5)
    means = torch.stack([x[y == k].float().mean() for k in range(10)])
    assert (means.max() - means.min()) < 12


def test_in_memory_batches_are_normalised_and_shuffled_per_epoch():
    src = synthetic(train=96, val=40, seed=0)
    (xa, ya), (_, yb) = next(src.train_batches(32, 0, 0)), next(src.train_batches(32, 1, 0))
    assert xa.dtype == torch.float32 and xa.shape == (32, 3, 32, 32) and -2.5 < xa.mean() < 2.5
    assert not torch.equal(ya, yb)
    assert torch.equal(ya, next(src.train_batches(32, 0, 0))[1])
    assert sum(len(y) for _, y in src.val_batches(16)) == 40


def _idx(path, arr: torch.Tensor) -> None:
    header = struct.pack(">BBBB", 0, 0, 8, arr.ndim) + struct.pack(f">{arr.ndim}I", *arr.shape)
    with gzip.open(path, "wb") as fh:
        fh.write(header + arr.numpy().tobytes())


def test_mnist_idx_files(tmp_path):
    g = torch.Generator().manual_seed(0)
    for prefix, n in (("train", 50), ("t10k", 20)):
        _idx(
            tmp_path / f"{prefix}-images-idx3-ubyte.gz",
            torch.randint(0, 256, (n, 28, 28), generator=g, dtype=torch.uint8),
        )
        _idx(tmp_path / f"{prefix}-labels-idx1-ubyte.gz", torch.arange(n, dtype=torch.uint8) % 10)
    src = open_dataset(str(tmp_path))
    assert src.name == "MNIST" and src.input_shape == (1, 28, 28) and (src.train_size, src.val_size) == (50, 20)
    with pytest.raises(DataError, match="set the Input's channels to 1"):
        check_compatible(src, (3, 32, 32), {"classifier": 10})
    resized = open_dataset(str(tmp_path), input_shape=(1, 32, 32), resize=True)
    assert next(resized.train_batches(8, 0, 0))[0].shape == (8, 1, 32, 32)
    (tmp_path / "t10k-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match="lacks t10k-labels"):
        open_dataset(str(tmp_path))


def test_cifar10_binary_batches(tmp_path):
    g = torch.Generator().manual_seed(0)
    for name, n in (("data_batch_1.bin", 30), ("test_batch.bin", 10)):
        rows = torch.randint(0, 256, (n, 3073), generator=g, dtype=torch.uint8)
        rows[:, 0] = torch.arange(n) % 10
        (tmp_path / name).write_bytes(rows.numpy().tobytes())
    src = open_dataset(str(tmp_path))
    assert src.name == "CIFAR-10" and src.input_shape == (3, 32, 32) and src.class_names[0] == "airplane"
    x, y = next(src.train_batches(10, 0, 0))
    assert x.shape == (10, 3, 32, 32) and y.max() < 10
    check_compatible(src, (3, 32, 32), {"classifier": 10})


def test_image_folder_resizes_splits_and_reports_corrupt_images(tmp_path):
    from PIL import Image

    for k, colour in enumerate(("red", "blue")):
        folder = tmp_path / f"class_{k}"
        folder.mkdir()
        for i in range(5):
            Image.new("RGB", (40 + i, 30), colour).save(folder / f"{i}.png")
    (tmp_path / "class_0" / "broken.png").write_bytes(b"not an image")
    src = open_dataset(str(tmp_path), input_shape=(3, 24, 24), val_fraction=0.2)
    assert src.class_names == ("class_0", "class_1") and src.input_shape == (3, 24, 24)
    assert src.train_size + src.val_size == 11
    seen = sum(len(y) for e in range(2) for _, y in src.train_batches(4, e, 0))
    seen += sum(len(y) for _, y in src.val_batches(4))
    assert seen >= 2 * 8
    assert len(src.notes) == 1 and "broken.png" in src.notes[0]
    with pytest.raises(DataError, match="channels"):
        open_dataset(str(tmp_path), input_shape=(4, 24, 24))


def test_missing_or_empty_folders_are_data_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        open_dataset(str(tmp_path / "nope"), input_shape=(3, 32, 32))
    (tmp_path / "only").mkdir()
    with pytest.raises(DataError, match="at least two class"):
        open_dataset(str(tmp_path), input_shape=(3, 32, 32))


def test_training_core_never_imports_qt():
    code = (
        "import sys, designer.training, designer.training.loop, designer.training.script, "
        "designer.training.cli_train, designer.training.folders\n"
        "assert not any(m.startswith(('PySide6', 'pyqtgraph')) for m in sys.modules), 'Qt imported'"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
