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
    from PySide6.QtWidgets import QMainWindow

    from designer.ui.training_panel import TrainingDock

    class Host(QMainWindow):
        def __init__(self, doc):
            super().__init__()
            self.document = doc
            self.saves = 0
            self.allow_save = True
            self.dock = TrainingDock(self)

        def save_for_run(self) -> bool:
            self.saves += 1
            return self.allow_save

    def make(doc=None, source=None, tmp=None, **overrides):
        w = Host(doc or tiny_design())
        qtbot.addWidget(w)
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
        qtbot.waitUntil(lambda: any(isinstance(r, StatusRecord) and r.state == "paused" for r in dock.records))
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
    assert not w.dock.message.isHidden()
    assert "set the Input to 3 x 32 x 32" in w.dock.message.text()
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
    assert not w.dock.runner.running and not w.dock.message.isHidden()


def test_the_main_window_hosts_the_dock_and_trains_its_design(make_window, qtbot, tmp_path):
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
    assert "continue it to more than 1 in total" in dock.message.text()
    dock.epochs.setValue(2)
    w.document = tiny_design(size=40)  # the open design changed since; the run keeps its own
    with qtbot.waitSignal(dock.runner.finished, timeout=60_000):
        assert dock.continue_selected()
        assert not dock.continue_button.isEnabled(), "one run at a time"
    started = next(r for r in dock.records if type(r).__name__ == "RunStarted")
    assert started.start_epoch == 1 and started.out_dir == first.out_dir
    fin = dock.records[-1]
    assert isinstance(fin, RunFinished) and fin.status == "completed", fin
    assert [e["epoch"] for e in json.loads((Path(fin.out_dir) / "run.json").read_text())["epochs"]] == [1, 2]
    assert dock.history.rowCount() == 1, "the same run, now two epochs long"
