"""Branch shares at every Concat: what each input carries of the activation and the gradient."""

from __future__ import annotations

import csv
import dataclasses
import json
from pathlib import Path

import pytest
import torch
from train_helpers import tiny_design

from designer.compiler.build import compile_model
from designer.graph.builder import Builder
from designer.io.project import load
from designer.training.branches import BranchMeter, branch_advice, concat_branches
from designer.training.loop import train
from designer.training.records import EpochRecord, StatusRecord


def branchy(dead: bool = True):
    """Input -> stem -> three branches (b1 1x1, b3 3x3, dead 1x1 without bias/BN) -> concat -> output."""
    b = Builder("branchy")
    x = b.input(channels=3, height=32, width=32)
    x = b.conv(x, "stem", out_channels=8, kernel_size=3, stride=2, batch_norm=True, bias=False)
    b1 = b.conv(x, "b1", out_channels=8, kernel_size=1)
    b3 = b.conv(x, "b3", out_channels=16, kernel_size=3, padding=1)
    b0 = b.conv(x, "b_dead", out_channels=4, kernel_size=1, batch_norm=False, bias=False)
    y = b.concat([b1, b3, b0], "mix")
    b.output(y, num_classes=10)
    return b.done()


MINI = Path(__file__).resolve().parents[2] / "resources" / "examples" / "mini_inception.json"


@pytest.fixture
def mini_inception():
    return load(MINI)


def measure(doc, model, steps=3, every=1):
    meter = BranchMeter(doc, model, every)
    torch.manual_seed(0)
    model.train()
    for _ in range(steps):
        meter.step()
        out = model(torch.randn(8, 3, 32, 32))
        out = out if isinstance(out, torch.Tensor) else out[0]
        torch.nn.functional.cross_entropy(out, torch.randint(0, 10, (8,))).backward()
    shares = meter.epoch()
    meter.close()
    return shares


def test_a_branch_with_zero_output_has_zero_share_and_the_others_sum_to_one():
    doc = branchy()
    model = compile_model(doc, seed=0)
    [(name, _module, branches)] = concat_branches(doc, model)
    assert (name, branches) == ("mix", ("b1", "b3", "b_dead"))
    with torch.no_grad():
        model.get_submodule(model.node_paths[next(n for n in doc.nodes if doc.nodes[n].name == "b_dead")]).apply(
            lambda m: m.weight.zero_() if isinstance(m, torch.nn.Conv2d) else None
        )
    shares = measure(doc, model)
    rows = shares["mix"]
    assert [r[0] for r in rows] == ["b1", "b3", "b_dead"]
    assert rows[2][1] == 0.0
    assert rows[0][1] > 0 and rows[1][1] > 0
    assert sum(r[1] for r in rows) == pytest.approx(1.0)
    assert sum(r[2] for r in rows) == pytest.approx(1.0)
    assert all(r[2] > 0 for r in rows)  # the classifier reads every channel, dead ones too
    notes = branch_advice(shares)
    assert notes == ("branch 'b_dead' of 'mix' carries 0% of the activation: try it narrower or drop it",)


def test_shares_sum_to_one_per_concat_on_mini_inception(mini_inception):
    model = compile_model(mini_inception, seed=0)
    shares = measure(mini_inception, model, steps=2, every=2)
    assert len(shares) == len(concat_branches(mini_inception, model)) >= 2
    for rows in shares.values():
        assert len(rows) >= 2
        assert sum(r[1] for r in rows) == pytest.approx(1.0)
        assert sum(r[2] for r in rows) == pytest.approx(1.0)


def test_hooks_are_removed_and_unsampled_steps_add_nothing():
    doc = branchy()
    model = compile_model(doc, seed=0)
    meter = BranchMeter(doc, model, every=1)
    model(torch.randn(2, 3, 32, 32))  # no step(): not measured (validation)
    assert meter.epoch() == {}
    meter.close()
    meter.step()
    model(torch.randn(2, 3, 32, 32))
    assert meter.epoch() == {}


def test_a_design_without_concats_has_none(cfg, small_source):
    doc = tiny_design()
    assert concat_branches(doc, compile_model(doc)) == []
    epochs = [r for r in train(doc, cfg, source=small_source) if isinstance(r, EpochRecord)]
    assert epochs and epochs[0].branches == {} and epochs[0].branch_notes == ()


def test_epoch_records_run_json_and_metrics_csv_carry_the_shares(cfg, small_source):
    cfg = dataclasses.replace(cfg, branch_every=1)
    epochs = [r for r in train(branchy(), cfg, source=small_source) if isinstance(r, EpochRecord)]
    rows = epochs[0].branches["mix"]
    assert [r[0] for r in rows] == ["b1", "b3", "b_dead"]
    assert sum(r[1] for r in rows) == pytest.approx(1.0)
    run = json.loads((Path(cfg.out_dir) / "run.json").read_text())
    assert [r[0] for r in run["epochs"][0]["branches"]["mix"]] == ["b1", "b3", "b_dead"]
    assert run["epochs"][0]["branch_notes"] == list(epochs[0].branch_notes)
    with (Path(cfg.out_dir) / "metrics.csv").open() as fh:
        row = next(csv.DictReader(fh))
    assert float(row["branch.mix.b1.activation"]) == pytest.approx(rows[0][1])
    assert float(row["branch.mix.b_dead.gradient"]) == pytest.approx(rows[2][2])


def test_branch_every_zero_measures_nothing(cfg, small_source):
    cfg = dataclasses.replace(cfg, branch_every=0)
    epochs = [r for r in train(branchy(), cfg, source=small_source) if isinstance(r, EpochRecord)]
    assert epochs[0].branches == {}


def test_with_torch_compile_the_shares_are_not_measured_and_the_run_says_why(cfg, small_source, monkeypatch):
    """The meter's gradient hooks split a compiled graph (0.37x the compiled throughput,
    measured with benchmarks/gpu_train.py on CPU): with compile the run skips them and notes it.
    (torch.compile itself is replaced by the identity here: 10-20 s of compiling proves nothing.)"""
    import torch

    compiled = []
    monkeypatch.setattr(torch, "compile", lambda m, **kw: compiled.append(m) or m)
    cfg = dataclasses.replace(cfg, branch_every=1, compile=True)
    records = list(train(branchy(), cfg, source=small_source))
    assert compiled, "the run asked for torch.compile"
    notes = [r.message for r in records if isinstance(r, StatusRecord) and r.state == "note"]
    assert any("not measured with torch.compile" in n for n in notes), notes
    epochs = [r for r in records if isinstance(r, EpochRecord)]
    assert epochs and epochs[0].branches == {}
    run = json.loads((Path(cfg.out_dir) / "run.json").read_text())
    assert any("torch.compile" in n for n in run.get("notes", [])), run.get("notes")
