"""The training loop: records, aux-loss weighting, stop, NaN, resume, checkpoints, reproducibility."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest
import torch
from train_helpers import tiny_design

from designer.compiler.build import DesignOutputs, compile_model
from designer.training import (
    EpochRecord,
    ErrorRecord,
    RunControl,
    RunFinished,
    RunStarted,
    StepRecord,
    TrainConfig,
    lr_at,
    total_loss,
    train,
)
from designer.training.checkpoint import continue_run, load_checkpoint
from designer.training.data import TensorSource


def run(doc, cfg, source, control=None):
    return list(train(doc, cfg, source=source, control=control))


def test_a_run_yields_started_steps_epochs_and_finished(tiny, cfg, small_source):
    recs = run(tiny, cfg, small_source)
    assert isinstance(recs[0], RunStarted) and isinstance(recs[-1], RunFinished)
    steps = [r for r in recs if isinstance(r, StepRecord)]
    epochs = [r for r in recs if isinstance(r, EpochRecord)]
    assert [s.step for s in steps] == [1, 2, 3, 4]  # 128 images, batch 32
    assert len(epochs) == 1 and 0.0 <= epochs[0].val_accuracy <= 1.0
    assert recs[-1].status == "completed" and recs[-1].steps == 4
    assert recs[0].aux_names == ("aux1",) and recs[0].aux_weights == (0.3,)
    assert all(s.device_memory is None and s.images_per_s > 0 for s in steps)
    for rec in recs:  # plain data only: everything converts to JSON
        json.dumps(dataclasses.asdict(rec))


def test_total_loss_is_main_plus_weighted_aux_losses():
    torch.manual_seed(0)
    y = torch.randint(0, 10, (8,))
    logits, a1, a2 = (torch.randn(8, 10) for _ in range(3))
    total, main, parts = total_loss(DesignOutputs(logits, (a1, a2)), y, (0.3, 0.3))
    ce = torch.nn.functional.cross_entropy
    assert torch.allclose(main, ce(logits, y))
    assert torch.allclose(parts[0], ce(a1, y)) and torch.allclose(parts[1], ce(a2, y))
    assert torch.allclose(total, ce(logits, y) + 0.3 * ce(a1, y) + 0.3 * ce(a2, y))
    total_eval, _, none = total_loss(logits, y, ())
    assert none == [] and torch.allclose(total_eval, main)


def test_step_records_add_up_with_the_designs_aux_weights(cfg, small_source):
    doc = tiny_design(aux=2)
    doc.set_param(doc.find("aux2").id, "loss_weight", 0.5)
    model = compile_model(doc)
    assert model.aux_weights == (0.3, 0.5)
    for rec in run(doc, cfg, small_source):
        if isinstance(rec, StepRecord):
            want = rec.main_loss + 0.3 * rec.aux_losses["aux1"] + 0.5 * rec.aux_losses["aux2"]
            assert rec.loss == pytest.approx(want, rel=1e-5)


def test_stop_takes_effect_within_one_batch(tiny, cfg, small_source):
    control = RunControl()
    recs = []
    for rec in train(tiny, dataclasses.replace(cfg, epochs=3), source=small_source, control=control):
        recs.append(rec)
        if isinstance(rec, StepRecord) and rec.step == 2:
            control.stop()
    steps = [r.step for r in recs if isinstance(r, StepRecord)]
    assert steps == [1, 2]
    assert recs[-1].status == "stopped" and recs[-1].steps == 2


def test_nan_loss_stops_the_run_naming_the_step_and_a_lower_lr(tiny, cfg, small_source):
    class Poisoned(TensorSource):
        def train_batches(self, batch_size, epoch, seed):
            for i, (x, y) in enumerate(super().train_batches(batch_size, epoch, seed)):
                yield (x * float("nan") if i == 2 else x), y

    src = Poisoned("poisoned", small_source.x_train, small_source.y_train, small_source.x_val, small_source.y_val,
                   small_source.class_names)  # fmt: skip
    recs = run(tiny, cfg, src)
    err = next(r for r in recs if isinstance(r, ErrorRecord))
    assert err.kind == "nan" and err.step == 3
    assert "step 3" in err.message and "lower learning rate" in err.message
    assert recs[-1].status == "failed" and recs[-1].message == err.message
    info = json.loads((Path(cfg.out_dir) / "run.json").read_text())
    assert info["status"] == "failed" and "step 3" in info["message"]


def test_an_exception_becomes_an_error_record(tiny, cfg, small_source):
    class Broken(TensorSource):
        def val_batches(self, batch_size):
            raise OSError("disk on fire")
            yield  # pragma: no cover

    src = Broken("broken", small_source.x_train, small_source.y_train, small_source.x_val, small_source.y_val,
                 small_source.class_names)  # fmt: skip
    recs = run(tiny, cfg, src)
    err = next(r for r in recs if isinstance(r, ErrorRecord))
    assert err.kind == "exception" and "disk on fire" in err.message and "Traceback" in err.details
    assert recs[-1].status == "failed"


def test_checkpoints_load_with_weights_only_and_into_a_fresh_model(tiny, cfg, small_source):
    recs = run(tiny, cfg, small_source)
    fin = recs[-1]
    for path in (fin.last_checkpoint, fin.best_checkpoint):
        data = torch.load(path, map_location="cpu", weights_only=True)
        assert data["epoch"] == 1 and data["config"]["batch_size"] == 32
        model = compile_model(tiny)
        model.load_state_dict(data["model"])
        assert "state" in data["optimizer"]
    out = Path(cfg.out_dir)
    rows = list(csv.DictReader((out / "metrics.csv").open()))
    assert len(rows) == 1 and float(rows[0]["val_accuracy"]) == pytest.approx(fin.final_val_accuracy)
    assert len(list(csv.DictReader((out / "steps.csv").open()))) == 4
    info = json.loads((out / "run.json").read_text())
    assert info["status"] == "completed" and info["params"] > 0 and len(info["epochs"]) == 1


def straight_and_stopped(doc, cfg, source, tmp_path):
    """A 2-epoch run in tmp/a, and the same run stopped after its first epoch in tmp/b."""
    straight = dataclasses.replace(cfg, epochs=2, out_dir=str(tmp_path / "a"))
    run(doc, straight, source)
    control, part = RunControl(), dataclasses.replace(straight, out_dir=str(tmp_path / "b"))
    for rec in train(doc, part, source=source, control=control):
        if isinstance(rec, EpochRecord):
            control.stop()
    assert rec.status == "stopped"
    return straight, part


def test_resume_continues_exactly_where_the_run_left_off(tiny, cfg, small_source, tmp_path):
    # stop a 2-epoch run after its first epoch, then resume it from last.pt
    straight, part = straight_and_stopped(tiny, cfg, small_source, tmp_path)
    ck = load_checkpoint(tmp_path / "b" / "last.pt")
    assert ck["epoch"] == 1
    resumed_cfg = dataclasses.replace(part, resume=str(tmp_path / "b" / "last.pt"))
    recs = run(tiny, resumed_cfg, small_source)
    assert recs[0].start_epoch == 1
    assert [r.epoch for r in recs if isinstance(r, EpochRecord)] == [2]
    a = load_checkpoint(tmp_path / "a" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "b" / "last.pt")["model"]
    for key in a:
        assert torch.equal(a[key], b[key]), key
    info = json.loads((tmp_path / "b" / "run.json").read_text())
    assert [e["epoch"] for e in info["epochs"]] == [1, 2]


def test_same_seed_same_run_on_cpu(tiny, cfg, small_source, tmp_path):
    a = [r.loss for r in run(tiny, dataclasses.replace(cfg, out_dir=""), small_source) if isinstance(r, StepRecord)]
    b = [r.loss for r in run(tiny, dataclasses.replace(cfg, out_dir=""), small_source) if isinstance(r, StepRecord)]
    assert a == b


def test_input_shape_mismatch_is_refused_with_a_fix(cfg, small_source):
    recs = run(tiny_design(size=28), cfg, small_source)
    err = next(r for r in recs if isinstance(r, ErrorRecord))
    assert err.kind == "data"
    assert "3 x 32 x 32" in err.message and "3 x 28 x 28" in err.message
    assert "set the Input to 3 x 32 x 32, or resize the data" in err.message
    recs = run(tiny_design(classes=5), cfg, small_source)
    err = next(r for r in recs if isinstance(r, ErrorRecord))
    assert "10 classes" in err.message and "set its classes to 10" in err.message


def test_resize_option_adapts_in_memory_data(cfg):
    c = dataclasses.replace(cfg, resize=True, synthetic_train=64, synthetic_val=32, out_dir="")
    recs = list(train(tiny_design(size=24), c))
    assert recs[-1].status == "completed", recs[-1].message


def test_design_errors_and_bad_config_become_error_records(cfg, small_source):
    doc = tiny_design()
    doc.remove_node(doc.find("conv2").id)
    err = next(r for r in run(doc, cfg, small_source) if isinstance(r, ErrorRecord))
    assert err.kind == "design"
    err = next(
        r for r in run(tiny_design(), dataclasses.replace(cfg, lr=-1), small_source) if isinstance(r, ErrorRecord)
    )
    assert err.kind == "config" and "learning rate" in err.message


@pytest.mark.parametrize("schedule", ["cosine", "step", "onecycle", "constant"])
def test_schedules_stay_positive_and_bounded(schedule):
    c = TrainConfig(lr=0.1, schedule=schedule, warmup_epochs=1, epochs=4)
    lrs = [lr_at(s, 400, 100, c) for s in range(400)]
    assert all(0 < v <= 0.1 + 1e-12 for v in lrs)
    assert max(lrs) == pytest.approx(0.1, rel=1e-2)


def test_out_of_memory_suggests_a_smaller_batch(tiny, cfg, small_source):
    class Hungry(TensorSource):
        def train_batches(self, batch_size, epoch, seed):
            raise torch.cuda.OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
            yield  # pragma: no cover

    src = Hungry("hungry", small_source.x_train, small_source.y_train, small_source.x_val, small_source.y_val,
                 small_source.class_names)  # fmt: skip
    err = next(r for r in run(tiny, cfg, src) if isinstance(r, ErrorRecord))
    assert err.kind == "oom" and "smaller batch size, e.g. 16" in err.message


def test_a_stopped_run_is_continued_from_its_folder_alone(tiny, cfg, small_source, tmp_path):
    straight, _ = straight_and_stopped(tiny, cfg, small_source, tmp_path)
    with pytest.raises(ValueError, match="has trained 1 epochs already: continue it to more than 1 in total"):
        continue_run(tmp_path / "b", 1)
    doc, resumed = continue_run(tmp_path / "b", 2)
    assert doc.to_dict() == tiny.to_dict(), "the design comes back from the run's design.json"
    assert (resumed.epochs, resumed.out_dir, resumed.lr) == (2, str(tmp_path / "b"), straight.lr)
    assert resumed.resume == str(tmp_path / "b" / "last.pt")
    recs = run(doc, resumed, small_source)
    assert [r.epoch for r in recs if isinstance(r, EpochRecord)] == [2]
    a = load_checkpoint(tmp_path / "a" / "last.pt")["model"]
    b = load_checkpoint(tmp_path / "b" / "last.pt")["model"]
    assert all(torch.equal(a[k], b[k]) for k in a), "continuing equals the uninterrupted run"


def test_continuing_says_what_is_missing(tmp_path):
    with pytest.raises(ValueError, match="not a readable training run"):
        continue_run(tmp_path, 3)
    (tmp_path / "run.json").write_text('{"epochs": [], "config": {}}')
    with pytest.raises(ValueError, match="saved no checkpoint"):
        continue_run(tmp_path, 3)
    (tmp_path / "last.pt").write_bytes(b"")
    with pytest.raises(ValueError, match="did not keep its design"):
        continue_run(tmp_path, 3)
    (tmp_path / "design.json").write_text('{"format": "nope"}')
    with pytest.raises(ValueError, match=f"run {tmp_path.name}: "):
        continue_run(tmp_path, 3)
