"""The Training dock: runs in a worker thread, records reach the GUI thread, stop, pause, faults."""

from __future__ import annotations

import json
import sys
import threading
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "training"))
from train_helpers import tiny_design  # noqa: E402

from designer.training.data import TensorSource, synthetic  # noqa: E402
from designer.training.records import ErrorRecord, RunFinished, StatusRecord, StepRecord  # noqa: E402


@pytest.fixture
def host(qtbot):
    """A Training dock on its own (no main window): a Session, a fake save, the status messages."""
    from designer.ui.session import Session
    from designer.ui.training_panel import TrainingDock

    class Host:
        def __init__(self, doc):
            self.session = Session(doc)
            self.saves = 0
            self.allow_save = True
            self.status: list[tuple[str, int]] = []
            self.dock = TrainingDock()
            self.dock.set_session(self.session)
            self.dock.save_for_run = self.save_for_run
            self.dock.message.connect(lambda text, ms: self.status.append((text, ms)))

        @property
        def document(self):
            return self.session.doc

        def open(self, doc) -> None:
            """Another design is opened in the window."""
            self.session = Session(doc)
            self.dock.set_session(self.session)

        def save_for_run(self) -> bool:
            self.saves += 1
            return self.allow_save

    def make(doc=None, source=None, tmp=None, **overrides):
        w = Host(doc or tiny_design())
        qtbot.addWidget(w.dock)
        w.dock.runs_dir_override = tmp
        w.dock.source_override = source
        w.dock.config_overrides = {"num_threads": 1, "device": "cpu", **overrides}
        w.dock.batch.setValue(32)
        w.dock.epochs.setValue(1)
        return w

    return make


def test_a_two_batch_run_through_the_worker_thread(host, qtbot, tmp_path):
    w = host(source=synthetic(train=64, val=32), tmp=tmp_path / "runs", log_every=1)
    dock = w.dock
    in_gui_thread = []
    dock.runner.record.connect(lambda rec: in_gui_thread.append(threading.current_thread() is threading.main_thread()))
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        assert dock.start()
        assert not dock.start_button.isEnabled() and dock.stop_button.isEnabled()
    steps = [r for r in dock.records if isinstance(r, StepRecord)]
    assert [s.step for s in steps] == [1, 2]
    fin = dock.records[-1]
    assert isinstance(fin, RunFinished) and fin.status == "completed", fin
    assert in_gui_thread and all(in_gui_thread)
    assert w.saves == 1 and dock.start_button.isEnabled() and dock.export_button.isEnabled()
    assert any(text.startswith("Training completed") for text, _ in w.status), w.status
    assert dock.plots.point_count("loss") == 2 and dock.plots.point_count("aux:aux1") == 2
    assert dock.plots.point_count("val_acc") == 1
    assert dock.history.rowCount() == 1 and dock.history.item(0, 2).text() == "completed"
    out = dock.export_weights(tmp_path / "w.pt")
    state = torch.load(out, weights_only=True)
    from designer.compiler.build import compile_model

    compile_model(tiny_design()).load_state_dict(state)


class _Counting(TensorSource):
    """Counts the batches the loop has taken (read from the GUI thread)."""

    taken = 0

    def train_batches(self, batch_size, epoch, seed):
        for batch in super().train_batches(batch_size, epoch, seed):
            type(self).taken += 1
            yield batch


def _counting(n: int) -> _Counting:
    s = synthetic(train=n, val=32)
    _Counting.taken = 0
    return _Counting("counting", s.x_train, s.y_train, s.x_val, s.y_val, s.class_names)


def test_stop_ends_the_run_within_one_batch(host, qtbot, tmp_path):
    w = host(source=_counting(32 * 40), tmp=tmp_path, log_every=1)
    dock = w.dock
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        dock.start()
        qtbot.waitUntil(lambda: any(isinstance(r, StepRecord) for r in dock.records), timeout=30_000)
        taken_at_stop = _Counting.taken
        dock.stop_button.click()
    fin = dock.records[-1]
    assert fin.status == "stopped"
    assert fin.steps <= taken_at_stop  # the batch in flight finishes, no further one starts
    assert _Counting.taken <= taken_at_stop + 1


def test_pause_and_resume(host, qtbot, tmp_path):
    w = host(source=_counting(32 * 20), tmp=tmp_path, log_every=1)
    dock = w.dock
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        dock.start()
        qtbot.waitUntil(lambda: any(isinstance(r, StepRecord) for r in dock.records), timeout=30_000)
        dock.pause_button.click()
        # (paused before the next batch; a batch can take seconds on a busy 2-core machine)
        qtbot.waitUntil(
            lambda: any(isinstance(r, StatusRecord) and r.state == "paused" for r in dock.records), timeout=30_000
        )
        frozen = _Counting.taken
        qtbot.wait(300)
        assert _Counting.taken == frozen and dock.status_label.text() == "Paused"
        dock.pause_button.click()
    assert dock.records[-1].status == "completed"


def test_faults_are_shown_in_the_dock(host, qtbot, tmp_path):
    w = host(doc=tiny_design(size=28), source=synthetic(train=64, val=32), tmp=tmp_path)
    with qtbot.waitSignal(w.dock.runner.finished, timeout=60_000):
        w.dock.start()
    assert any(isinstance(r, ErrorRecord) and r.kind == "data" for r in w.dock.records)
    assert not w.dock.notice.isHidden()
    assert "set the Input to 3 x 32 x 32" in w.dock.notice.text()
    assert any(text.startswith("Training failed") for text, _ in w.status)
    assert w.dock.start_button.isEnabled()


def test_editing_the_design_during_a_run_does_not_touch_it(host, qtbot, tmp_path):
    w = host(source=synthetic(train=128, val=32), tmp=tmp_path, log_every=1)
    with qtbot.waitSignal(w.dock.runner.finished, timeout=60_000):
        w.dock.start()
        w.document.remove_node(w.document.find("conv2").id)  # would not compile any more
    assert w.dock.records[-1].status == "completed"


def test_no_run_when_the_design_is_not_saved(host, tmp_path):
    w = host(source=synthetic(train=64, val=32), tmp=tmp_path)
    w.allow_save = False
    assert not w.dock.start()
    assert not w.dock.runner.running and not w.dock.notice.isHidden()


def test_the_main_window_hosts_the_dock_and_trains_its_design(make_window, qtbot, tmp_path):
    from designer.ui.session import Session
    from designer.ui.training_panel import TrainingDock

    window = make_window(tiny_design())
    dock = window.training_dock
    assert isinstance(dock, TrainingDock)
    assert dock.runs_dir().name == "runs"
    dock.source_override = synthetic(train=64, val=32)
    dock.config_overrides = {"num_threads": 1, "device": "cpu"}
    dock.batch.setValue(32)
    dock.epochs.setValue(1)
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        assert dock.start()
    assert dock.records[-1].status == "completed"
    assert dock.history.rowCount() == 1
    assert window.statusBar().currentMessage().startswith("Training completed")
    window.set_session(Session(tiny_design(size=40)))  # another design: the dock trains that one now
    assert dock.session is window.session


def test_a_run_from_the_runs_tab_is_continued_to_more_epochs(host, qtbot, tmp_path):
    w = host(source=synthetic(train=64, val=32), tmp=tmp_path / "runs", log_every=1)
    dock = w.dock
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        assert dock.start()
    first = dock.records[-1]
    assert isinstance(first, RunFinished) and first.status == "completed"
    assert not dock.continue_button.isEnabled(), "nothing selected under Runs"
    dock.history.selectRow(0)
    assert dock.selected_run() == Path(first.out_dir) and dock.continue_button.isEnabled()
    # Epochs still says 1: the run has that many, so continuing says what to change.
    assert not dock.continue_selected()
    assert "continue it to more than 1 in total" in dock.notice.text()
    dock.epochs.setValue(2)
    w.open(tiny_design(size=40))  # another design is open now; the run keeps its own
    dock.history.selectRow(0)
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        assert dock.continue_selected()
        assert not dock.continue_button.isEnabled(), "one run at a time"
    started = next(r for r in dock.records if type(r).__name__ == "RunStarted")
    assert started.start_epoch == 1 and started.out_dir == first.out_dir
    fin = dock.records[-1]
    assert isinstance(fin, RunFinished) and fin.status == "completed", fin
    assert [e["epoch"] for e in json.loads((Path(fin.out_dir) / "run.json").read_text())["epochs"]] == [1, 2]
    assert dock.history.rowCount() == 1, "the same run, now two epochs long"


def _dock_height(dock) -> int:
    """The height the dock gets in the window at first (the bottom area's 250 px, or its minimum)."""
    return max(250, dock.minimumSizeHint().height())


def _feed(dock, aux_names=("aux1",), epochs=3, steps_per_epoch=20) -> None:
    """A short synthetic run's records, as the worker would deliver them."""
    import math

    from designer.training.records import EpochRecord, RunStarted

    total = epochs * steps_per_epoch
    started = RunStarted(
        "r1", "tiny", "cpu (2 threads)", "fp32", 1000, 10_000, 640, 64, steps_per_epoch, total, 0,
        tuple("abcdefghij"), tuple(aux_names), (0.3,) * len(aux_names), "/tmp/runs/r1",
    )  # fmt: skip
    dock._on_runner_record(started)
    for step in range(1, total + 1):
        t = step / total
        loss = 2.3 * math.exp(-3 * t) + 0.1
        acc = 1 - 0.9 * math.exp(-3 * t)
        aux = {n: loss * (1.1 + 0.1 * i) for i, n in enumerate(aux_names)}
        rec = StepRecord(
            step, 1 + (step - 1) // steps_per_epoch, loss + 0.3 * sum(aux.values()), loss, aux, acc,
            0.1 * math.sin(math.pi * t) + 1e-3, 900 + 50 * math.sin(step), None, t, step * 0.1, (total - step) * 0.1,
        )  # fmt: skip
        dock._on_runner_record(rec)
        if step % steps_per_epoch == 0:
            epoch = EpochRecord(
                step // steps_per_epoch, step, loss, acc, loss * 1.1, 1 - math.exp(-3 * t), 0.05, 900.0, step * 0.1,
                True,
            )  # fmt: skip
            dock._on_runner_record(epoch)
    dock.plots.flush()


@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_legends_are_titles_above_the_plots_never_on_the_curves(qtbot, qapp, tmp_path, theme):
    import pyqtgraph as pg

    from designer.ui import theme as themes
    from designer.ui.training_panel import TrainingDock

    before = qapp.palette()
    qapp.setPalette(themes.palette(themes.resolve(theme)))
    try:
        dock = TrainingDock()
        qtbot.addWidget(dock)
        dock.show()
        _feed(dock, aux_names=("aux1", "aux2"))
        dock.resize(1280, _dock_height(dock))
        qtbot.wait(50)
        plots = dock.plots
        for plot in plots.plots:
            assert plot.legend is None, "no legend item inside a plot"
            assert not [i for i in plot.scene().items() if isinstance(i, pg.LegendItem)]
        assert plots.legend_text(0) == ["train (total)", "train (main head)", "validation", "aux1", "aux2"]
        assert plots.legend_text(1) == ["train", "validation"]
        for label, widget in zip(plots.titles, plots.widgets, strict=True):
            assert label.isVisible() and widget.isVisible()
            assert label.geometry().bottom() < widget.geometry().top(), "the title (legend) is above its plot"
            assert label.heightForWidth(label.width()) <= label.height(), "the whole legend is shown"
            assert widget.height() >= 90
        assert "aux2" in plots.titles[0].text() and "validation" in plots.titles[1].text()
        image = dock.grab()
        assert image.save(str(tmp_path / f"training_dock_{theme}.png"))
        assert image.height() == dock.height()
    finally:
        qapp.setPalette(before)


def test_the_run_folder_is_shown_and_opens(host, qtbot, tmp_path, monkeypatch):
    from PySide6.QtGui import QDesktopServices

    opened = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url) or True)
    w = host(source=synthetic(train=64, val=32), tmp=tmp_path / "runs")
    dock = w.dock
    dock.show()
    assert not dock.open_folder_button.isEnabled() and not dock.open_run_folder()
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        assert dock.start()
        out = dock.run_folder
        assert out is not None and out.parent == tmp_path / "runs"
        assert dock.folder_label.text() == str(out), "shown as the run starts"
    fin = dock.records[-1]
    assert Path(fin.out_dir) == out and dock.folder_label.text() == str(out)
    assert dock.folder_label.isReadOnly() and dock.folder_label.isVisible(), "shown, selectable, not editable"
    dock.open_folder_button.click()
    assert [u.toLocalFile() for u in opened] == [str(out)]
    # The run id is the folder's name, and the Runs list says where each run is.
    assert json.loads((out / "run.json").read_text())["run_id"] == out.name
    assert dock.history.item(0, 0).text() == out.name
    assert str(out) in dock.history.item(0, 3).toolTip()
    dock._show_run_folder(None)
    dock.history.selectRow(0)
    assert dock.folder_label.text() == str(out), "the selected run's folder"


def test_an_unreadable_validation_image_is_shown_in_a_one_epoch_run(host, qtbot, tmp_path):
    from PIL import Image

    from designer.training.data import open_dataset

    for split, n in (("train", 4), ("val", 1)):
        for k in range(10):
            folder = tmp_path / "data" / split / f"c{k}"
            folder.mkdir(parents=True)
            for i in range(n):
                Image.new("RGB", (32, 32), (20 * k, 40 * i, 90)).save(folder / f"{i}.png")
    (tmp_path / "data" / "val" / "c4" / "broken.png").write_bytes(b"not an image")
    source = open_dataset(str(tmp_path / "data"), input_shape=(3, 32, 32))
    w = host(source=source, tmp=tmp_path / "runs")
    with qtbot.waitSignal(w.dock.runner.finished, timeout=60_000):
        assert w.dock.start()
    assert w.dock.records[-1].status == "completed"
    assert not w.dock.notice.isHidden() and "broken.png" in w.dock.notice.text()
    assert "broken.png" in w.dock.history.item(0, 0).toolTip()


# --------------------------------------------------------------------------- results
@pytest.mark.parametrize("theme", ["dark", "light"])
def test_the_results_view_fills_in_after_a_run(host, qtbot, qapp, tmp_path, theme):
    from PySide6.QtCore import QPoint

    from designer.training.results import grid_size
    from designer.ui import theme as themes

    before = qapp.palette()
    qapp.setPalette(themes.palette(themes.resolve(theme)))
    try:
        w = host(source=synthetic(train=64, val=40), tmp=tmp_path / "runs")
        dock = w.dock
        dock.show()
        dock.resize(1400, 700)
        dock.tabs.setCurrentWidget(dock.results_tab)
        view = dock.results
        assert view.matrix.isHidden() and "after a run's first epoch" in view.heads_label.text()
        with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
            assert dock.start()
        epoch = next(r for r in dock.records if type(r).__name__ == "EpochRecord")
        qtbot.wait(50)
        m = view.matrix
        assert m.isVisible() and sum(map(sum, m.matrix)) == 40
        assert m.matrix == [list(r) for r in epoch.confusion]
        assert m.class_names == list(dock.started.class_names)
        text = view.heads_label.text()
        assert f"{epoch.val_accuracy:.1%}" in text and f"aux1 <b>{epoch.aux_accuracy['aux1']:.1%}</b>" in text
        assert "main head" in text
        assert view.worst.isVisible() and view.worst.pixmap.size().toTuple() == grid_size(16, 32, 32)
        assert view.worst.size() == view.worst.pixmap.size(), "wide enough: the picture at its own size"
        # Nothing overlaps: the heads line above, the matrix and the picture side by side.
        heads, matrix = view.heads_label.geometry(), m.geometry()
        picture = view.worst.geometry().united(view.worst_caption.geometry())
        assert heads.bottom() < matrix.top() and heads.bottom() < picture.top()
        assert not matrix.intersects(picture) and matrix.right() < picture.left()
        assert m.size() == m.sizeHint(), "the whole matrix is shown"
        # A cell's tooltip says what it counts.
        r, c = 0, 1
        assert m.cell_at(m.cell_rect(r, c).center()) == (r, c) and m.cell_at(QPoint(0, 0)) is None
        assert m.cell_text(r, c).startswith(f"{m.class_names[0]} classified as {m.class_names[1]}: ")
        image = dock.grab()
        assert image.save(str(tmp_path / f"results_{theme}.png"))
        # Narrow: the picture goes under the matrix, scaled no smaller than the view allows.
        dock.resize(700, 500)
        qtbot.wait(50)
        matrix, picture = m.geometry(), view.worst.geometry()
        assert matrix.bottom() < picture.top() and view.worst.width() >= 0.7 * view.worst.pixmap.width() - 1
        # The run's folder keeps the same results: selecting the run under Runs shows them.
        view.show_results(None)
        dock.refresh_history()
        dock.history.selectRow(0)
        assert m.matrix == [list(r) for r in epoch.confusion] and not view.worst.pixmap.isNull()
        assert "<b>Epoch 1</b> of run " in view.heads_label.text()
    finally:
        qapp.setPalette(before)


def test_a_run_without_results_says_so(host, tmp_path):
    w = host(tmp=tmp_path / "runs")
    run_dir = tmp_path / "runs" / "old"
    run_dir.mkdir(parents=True)
    assert not w.dock.show_run_results(run_dir)
    assert "has no results" in w.dock.results.heads_label.text() and w.dock.results.matrix.isHidden()


def test_the_branches_tab_shows_each_concats_shares_after_an_epoch(host, qtbot, tmp_path):
    """mini_inception, one epoch of a few batches: a stacked bar per Concat, drawn offscreen."""
    from designer.io.project import load
    from designer.training.records import EpochRecord

    doc = load(Path(__file__).resolve().parents[2] / "resources" / "examples" / "mini_inception.json")
    w = host(doc=doc, source=synthetic(train=96, val=32), tmp=tmp_path / "runs", log_every=1)
    dock = w.dock
    with qtbot.waitSignal(dock.runner.finished, timeout=120_000):
        assert dock.start()
    [epoch] = [r for r in dock.records if isinstance(r, EpochRecord)]
    assert len(epoch.branches) >= 2
    dock.tabs.setCurrentWidget(dock.branches_tab)
    view = dock.branches
    assert list(view.branches) == list(epoch.branches)
    for rows in view.branches.values():
        assert sum(r[1] for r in rows) == pytest.approx(1.0)
    # A low-share branch is pointed out in the view as in the record.
    low = {"inception_x": (("b1x1", 0.6, 0.5), ("b3_5x5", 0.02, 0.1), ("pool_proj", 0.38, 0.4))}
    from designer.training.branches import branch_advice

    notes = branch_advice(low)
    assert notes == ("branch 'b3_5x5' of 'inception_x' carries 2% of the activation: try it narrower or drop it",)
    out = Path("/tmp/branches")
    out.mkdir(exist_ok=True)
    dock.resize(900, 520)
    dock.show()
    qtbot.wait(50)
    assert dock.grab().save(str(out / "branches_mini_inception.png"))
    view.set_branches({**epoch.branches, **low}, epoch.branch_notes + notes, "epoch 1 + a made-up low branch")
    qtbot.wait(50)
    assert view.notes[-1] == notes[0]
    assert dock.grab().save(str(out / "branches_low_share.png"))
