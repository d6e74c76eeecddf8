"""Validation results from the pass that runs anyway: confusion matrix, per-class and aux-head
accuracy, the worst images (worst.png, confusion.json, metrics.csv columns)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import torch
import torch.nn.functional as F
from train_helpers import tiny_design

from designer.compiler.build import compile_model
from designer.training.data import synthetic
from designer.training.device import setup_device
from designer.training.loop import evaluate, train
from designer.training.records import EpochRecord, RunFinished
from designer.training.results import CONFUSION_FILE, WORST_FILE, grid_size, load_results, to_display


def _run(doc, cfg, source) -> tuple[EpochRecord, RunFinished]:
    recs = list(train(doc, cfg, source=source))
    fin = recs[-1]
    assert isinstance(fin, RunFinished) and fin.status == "completed", recs
    return [r for r in recs if isinstance(r, EpochRecord)][-1], fin


def test_the_epoch_record_carries_the_confusion_matrix_per_class_and_aux_accuracy(tiny, cfg, small_source):
    rec, _ = _run(tiny, cfg, small_source)
    m = rec.confusion
    k = len(small_source.class_names)
    assert len(m) == k and all(len(row) == k for row in m)
    total = sum(map(sum, m))
    assert total == small_source.val_size == 64
    assert sum(m[i][i] for i in range(k)) / total == pytest.approx(rec.val_accuracy, abs=1e-12)
    for i, row in enumerate(m):  # each row counts the images of its true class
        assert sum(row) == int((small_source.y_val == i).sum())
        want = row[i] / sum(row) if sum(row) else None
        assert rec.class_accuracy[i] == (pytest.approx(want) if want is not None else None)
    assert list(rec.aux_accuracy) == ["aux1"] and 0 <= rec.aux_accuracy["aux1"] <= 1
    assert len(rec.worst) == 16
    losses = [w["loss"] for w in rec.worst]
    assert losses == sorted(losses, reverse=True)
    assert len({w["index"] for w in rec.worst}) == 16 and all(0 <= w["index"] < 64 for w in rec.worst)
    for w in rec.worst:
        assert int(small_source.y_val[w["index"]]) == w["true"]
        assert 1 / k - 1e-6 <= w["confidence"] <= 1 and w["file"] == ""


def test_the_figures_match_an_independent_evaluation_of_the_saved_model(tiny, cfg, small_source):
    rec, fin = _run(tiny, cfg, small_source)
    model = compile_model(tiny)
    model.load_state_dict(torch.load(fin.last_checkpoint, map_location="cpu", weights_only=True)["model"])
    model.eval()
    captured = {}
    conv1 = model.get_submodule(model.node_paths[tiny.find("conv1").id])
    conv1.register_forward_hook(lambda mod, inp, out: captured.update(x=out))
    aux = model.get_submodule(model.node_paths[tiny.find("aux1").id])
    x = small_source._prepare(small_source.x_val)
    y = small_source.y_val
    with torch.no_grad():
        logits = model(x)
        aux_logits = aux(captured["x"])  # the aux head on what feeds it, in eval mode
    pred = logits.argmax(1)
    k = logits.shape[1]
    assert torch.bincount(y * k + pred, minlength=k * k).view(k, k).tolist() == [list(r) for r in rec.confusion]
    assert rec.aux_accuracy["aux1"] == pytest.approx((aux_logits.argmax(1) == y).float().mean().item())
    losses = F.cross_entropy(logits, y, reduction="none")
    top = losses.topk(16)
    assert [w["loss"] for w in rec.worst] == pytest.approx(top.values.tolist(), rel=1e-5)
    for w in rec.worst:
        assert w["predicted"] == int(pred[w["index"]])
        assert w["confidence"] == pytest.approx(logits[w["index"]].softmax(0).max().item(), rel=1e-5)


def test_the_run_folder_holds_worst_png_confusion_json_and_per_class_metrics(tiny, cfg, small_source):
    from PIL import Image

    rec, _ = _run(tiny, cfg, small_source)
    out = Path(cfg.out_dir)
    assert rec.worst_image == str(out / WORST_FILE)
    with Image.open(out / WORST_FILE) as im:
        assert im.format == "PNG" and im.mode == "RGB"
        assert im.size == grid_size(16, 32, 32) == (526, 622)
    data = json.loads((out / CONFUSION_FILE).read_text())
    assert data["confusion"] == [list(r) for r in rec.confusion] and data["classes"] == list(small_source.class_names)
    assert data["aux_accuracy"] == rec.aux_accuracy and data["val_accuracy"] == rec.val_accuracy
    assert data["class_accuracy"] == list(rec.class_accuracy) and data["worst_image"] == WORST_FILE
    assert [w["index"] for w in data["worst"]] == [w["index"] for w in rec.worst]
    assert data["worst"][0]["true_name"] == small_source.class_names[rec.worst[0]["true"]]
    assert load_results(out)["worst_image"] == str(out / WORST_FILE)
    (row,) = csv.DictReader((out / "metrics.csv").open())
    assert float(row["val_accuracy.aux.aux1"]) == pytest.approx(rec.aux_accuracy["aux1"])
    for name, acc in zip(small_source.class_names, rec.class_accuracy, strict=True):
        assert float(row[f"val_accuracy.class.{name}"]) == pytest.approx(acc)
    (epoch,) = json.loads((out / "run.json").read_text())["epochs"]
    assert "confusion" not in epoch, "the K x K matrix lives in confusion.json, not in every epoch of run.json"
    assert epoch["class_accuracy"] == pytest.approx(list(rec.class_accuracy)) and len(epoch["worst"]) == 16


def test_without_aux_heads_and_with_fewer_images_than_sixteen(cfg, tmp_path):
    from PIL import Image

    source = synthetic(train=64, val=10)
    rec, _ = _run(tiny_design(aux=0), cfg, source)
    assert rec.aux_accuracy == {} and sum(map(sum, rec.confusion)) == 10
    assert len(rec.worst) == 10 and sorted(w["index"] for w in rec.worst) == list(range(10))
    with Image.open(rec.worst_image) as im:
        assert im.size == grid_size(10, 32, 32)
    # No run folder: nothing written, the record still complete.
    import dataclasses

    rec2, _ = _run(tiny_design(aux=0), dataclasses.replace(cfg, out_dir=""), source)
    assert rec2.worst_image == "" and len(rec2.worst) == 10


def test_validating_the_aux_heads_leaves_every_layer_in_eval_mode(tiny, small_source):
    model = compile_model(tiny, seed=0)
    model.train()
    seen = []
    for m in model.modules():
        if m is not model:
            m.register_forward_pre_hook(lambda mod, inp: seen.append(mod.training))
    res = evaluate(model, small_source, setup_device("cpu", None, None), 32, aux_names=model.aux_names)
    assert seen and not any(seen), "BatchNorm and dropout ran in eval mode"
    assert not any(m.training for m in model.modules())
    assert set(res["aux_accuracy"]) == {"aux1"} and res["count"] == 64


def test_the_pictures_are_the_validation_images():
    source = synthetic(train=16, val=8)
    shown = to_display(source._prepare(source.x_val), source.mean, source.std)
    assert shown.dtype == torch.uint8 and torch.equal(shown, source.x_val.permute(0, 2, 3, 1))


def test_image_folder_worst_images_name_their_files(tmp_path, cfg):
    from PIL import Image

    from designer.training.data import open_dataset

    root = tmp_path / "data"
    for split, n in (("train", 4), ("val", 3)):
        for k, colour in enumerate(("red", "blue")):
            folder = root / split / f"class_{k}"
            folder.mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (20, 20), colour).save(folder / f"{i}.png")
    # Read first and skipped: the files of the images after it must not shift by one.
    (root / "val" / "class_0" / "0_broken.png").write_bytes(b"not an image")
    source = open_dataset(str(root), input_shape=(3, 16, 16), augment=False)
    rec, _ = _run(tiny_design(aux=0, size=16, classes=2), cfg, source)
    files = sorted(w["file"] for w in rec.worst)
    assert files == sorted(str(p) for p in root.glob("val/*/[0-9].png")), files
    for w in rec.worst:  # the file is the image the entry describes: its folder is the true class
        assert Path(w["file"]).parent.name == f"class_{w['true']}"
