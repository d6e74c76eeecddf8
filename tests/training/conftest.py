"""Fixtures for the training tests: a tiny design, a small synthetic source, a quick config."""

from __future__ import annotations

import pytest
import torch
from train_helpers import tiny_design

from designer.graph.document import GraphDocument
from designer.training.data import TensorSource, synthetic
from designer.training.records import TrainConfig


@pytest.fixture
def tiny() -> GraphDocument:
    return tiny_design()


@pytest.fixture
def small_source() -> TensorSource:
    return synthetic(train=128, val=64, seed=0)


@pytest.fixture
def cfg(tmp_path) -> TrainConfig:
    return TrainConfig(
        epochs=1, batch_size=32, lr=0.05, log_every=1, num_threads=1, out_dir=str(tmp_path / "run"), device="cpu"
    )


@pytest.fixture(autouse=True)
def _one_thread():
    before = torch.get_num_threads()
    yield
    torch.set_num_threads(before)
