"""Comparing runs: two or more runs selected under Runs overlay their curves under Curves."""

from __future__ import annotations

import csv
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
from train_helpers import tiny_design  # noqa: E402

from designer.training.data import synthetic  # noqa: E402
from designer.training.loop import train  # noqa: E402
from designer.training.records import EpochRecord, RunFinished, TrainConfig  # noqa: E402

SHOTS = Path("/tmp/overlay")


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    """Two short real runs (3 epochs each, different learning rates) in one runs folder, and
    the records of the second (fed to the dock as its live run)."""
    base = tmp_path_factory.mktemp("runs")
    records = []
    for name, lr in (("tiny-20250101-100000", 0.05), ("tiny-20250101-110000", 0.01)):
        cfg = TrainConfig(
            epochs=3, batch_size=32, lr=lr, log_every=1, num_threads=1, out_dir=str(base / name), device="cpu"
        )
        records = list(train(tiny_design(), cfg, source=synthetic(train=64, val=32, seed=0)))
        assert isinstance(records[-1], RunFinished) and records[-1].status == "completed", records[-1]
    return base, records


def _columns(run_dir: Path) -> dict[str, list[float]]:
    with (run_dir / "metrics.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return {k: [float(r[k]) for r in rows] for k in ("step", "val_loss", "val_accuracy", "train_loss")}


def _xs(curve) -> list[float]:
    x = curve.getData()[0]
    return [] if x is None else list(x)


def _select(dock, rows: list[int]) -> None:
    from PySide6.QtCore import QItemSelectionModel

    model = dock.history.selectionModel()
    flags = QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows
    for r in rows:
        model.select(dock.history.model().index(r, 0), flags)


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_two_selected_runs_overlay_their_curves(two_runs, qtbot, qapp, theme):
    from designer.ui import theme as themes
    from designer.ui.training_panel import TrainingDock

    base, live = two_runs
    before = qapp.palette()
    qapp.setPalette(themes.palette(themes.resolve(theme)))
    try:
        dock = TrainingDock()
        qtbot.addWidget(dock)
        dock.runs_dir_override = base
        dock.show()
        dock.resize(1100, 560)
        for rec in live:  # the live (here: last) run's curves
            dock._on_runner_record(rec)
        dock.plots.flush()
        plots = dock.plots
        live_legend = [plots.legend_text(i) for i in range(4)]
        live_items = {p: list(p.listDataItems()) for p in (plots.loss, plots.acc)}
        dock.refresh_history()
        assert dock.history.rowCount() == 2
        names = [dock.history.item(r, 0).text() for r in range(2)]

        _select(dock, [0, 1])
        assert len(dock.selected_runs()) == 2 and dock.selected_run() is None
        assert not dock.continue_button.isEnabled(), "Continue takes one run"
        curves = plots.overlaid
        assert len(curves) == 6
        for i, name in enumerate(names):
            cols = _columns(base / name)
            assert len(cols["step"]) == 3
            for key in ("val_loss", "val_accuracy", "train_loss"):
                x, y = curves[f"{i}:{key}"].getData()
                assert list(x) == cols["step"], (name, key)
                assert list(y) == pytest.approx(cols[key]), (name, key)
                assert curves[f"{i}:{key}"].isVisible()
            assert f"{name} validation" in plots.legend_text(0) and f"{name} train" in plots.legend_text(0)
            assert plots.legend_text(1)[i] == f"{name} validation"
            assert name in plots.titles[0].text() and name in plots.titles[1].text()
        assert curves["0:val_loss"] in plots.loss.listDataItems()
        assert curves["0:val_accuracy"] in plots.acc.listDataItems()
        # Differently styled: each run its own colour, within a run validation (markers) vs train (dashed).
        pens = {key: c.opts["pen"] for key, c in curves.items()}
        assert pens["0:val_loss"].color() != pens["1:val_loss"].color()
        assert pens["0:val_loss"].style() != pens["0:train_loss"].style()
        assert curves["0:val_loss"].opts["symbol"] and not curves["0:train_loss"].opts["symbol"]
        for items in live_items.values():
            assert not any(item.isVisible() for item in items), "the live curves make way"
        assert plots.legend_text(2) == live_legend[2], "learning rate and speed stay the live run's"
        assert dock.tabs.tabText(dock.tabs.indexOf(dock._curves)) == "Curves (2 runs)"

        dock.tabs.setCurrentWidget(dock._curves)
        qtbot.wait(50)
        # Switching tabs refreshes the Runs list: the selection and the comparison stay.
        assert len(dock.selected_runs()) == 2 and len(plots.overlaid) == 6
        SHOTS.mkdir(parents=True, exist_ok=True)
        image = dock.grab()
        assert image.save(str(SHOTS / f"overlay_{theme}.png"))

        dock.history.clearSelection()
        assert plots.overlaid == {}
        assert [plots.legend_text(i) for i in range(4)] == live_legend
        for plot, items in live_items.items():
            assert list(plot.listDataItems()) == items
        assert all(i.isVisible() for i in plots.loss.listDataItems())
        epochs = [r for r in dock.records if isinstance(r, EpochRecord)]
        assert list(plots._curves["val_acc"].getData()[1]) == pytest.approx([r.val_accuracy for r in epochs])
        assert dock.tabs.tabText(dock.tabs.indexOf(dock._curves)) == "Curves"
        qtbot.wait(20)
        assert dock.grab().save(str(SHOTS / f"restored_{theme}.png"))

        _select(dock, [1])  # one run: its results and folder, the live curves
        assert plots.overlaid == {} and dock.selected_run() == base / names[1]
    finally:
        qapp.setPalette(before)


def test_a_run_without_metrics_is_named_with_no_curve(tmp_path, qtbot):
    from designer.ui.plots import TrainingPlots, read_epoch_metrics

    plots = TrainingPlots()
    qtbot.addWidget(plots)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "metrics.csv").write_text("epoch,step,train_loss,val_loss,val_accuracy\n1,5,2.0,,0.5\n")
    cols = read_epoch_metrics(tmp_path / "a")
    assert cols["step"] == [5.0] and math.isnan(cols["val_loss"][0])
    plots.show_runs([("a", cols), ("empty", read_epoch_metrics(tmp_path / "missing"))])
    assert _xs(plots.overlaid["0:val_loss"]) == []  # the empty cell is no point
    assert list(plots.overlaid["0:val_accuracy"].getData()[1]) == [0.5]
    assert _xs(plots.overlaid["1:val_loss"]) == []
    assert "empty validation" in plots.legend_text(0)
    plots.reset(())  # a new run: the live curves again
    assert plots.overlaid == {} and plots.legend_text(1) == ["train", "validation"]
