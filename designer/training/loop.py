"""The training loop, as a generator of plain records.

``for rec in train(doc, config): ...`` yields :class:`RunStarted`, then
:class:`StepRecord` every ``log_every`` steps and an :class:`EpochRecord` after each
epoch's validation, and always ends with :class:`RunFinished`. The UI, the CLI and the
tests consume the same generator. Faults never escape as exceptions: a NaN loss, an
out-of-memory error, bad data or a design with errors become an :class:`ErrorRecord`
followed by ``RunFinished(status="failed")``.

Loss: cross-entropy (optional label smoothing) on the main head plus, in training, each
aux head's loss times its weight (``model.aux_weights``; GoogLeNet:
``L = L_main + 0.3 L_aux1 + 0.3 L_aux2``). Validation uses the main head in eval mode.
On the CPU a run is reproducible for a seed; a resumed run continues exactly.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import traceback
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

from .branches import BranchMeter, branch_advice, concat_branches
from .checkpoint import DESIGN_FILE, RunLog, atomic_write_text, epoch_entry, load_checkpoint, save_checkpoint
from .data import DataError, DataSource, check_compatible, open_dataset
from .device import ConfigError, DeviceSetup, device_memory, setup_device
from .optim import NonFiniteLoss, lr_at, make_optimizer, total_loss
from .records import EpochRecord, ErrorRecord, Record, RunFinished, RunStarted, StatusRecord, StepRecord, TrainConfig
from .results import WORST_COUNT, ValidationTally, to_display, write_results
from .tensorboard import TensorBoardLog

__all__ = ["RunControl", "NonFiniteLoss", "train", "total_loss", "lr_at", "evaluate"]


class RunControl:
    """Stop and pause, set from any thread, checked by the loop before every batch."""

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._go = threading.Event()
        self._go.set()

    def stop(self) -> None:
        self._stop.set()
        self._go.set()

    def pause(self) -> None:
        self._go.clear()

    def resume(self) -> None:
        self._go.set()

    @property
    def stop_requested(self) -> bool:
        return self._stop.is_set()

    @property
    def paused(self) -> bool:
        return not self._go.is_set()

    def wait_while_paused(self) -> None:
        while not self._go.wait(0.1):
            pass


def evaluate(
    model: torch.nn.Module,
    source: DataSource,
    setup: DeviceSetup,
    batch_size: int,
    control: RunControl | None = None,
    *,
    aux_names: Sequence[str] = (),
    worst: int = WORST_COUNT,
) -> dict[str, Any] | None:
    """Validate in eval mode (None when stopped): the main head's loss and accuracy, and from
    the same pass the confusion matrix, per-class accuracy, each aux head's accuracy and the
    ``worst`` highest-loss images (see :class:`.results.ValidationTally` for the keys).

    With ``aux_names`` (the model's aux heads), the model's top module alone is put in
    training mode, which makes it return the aux logits too, while every layer (BatchNorm,
    dropout) stays in eval mode: the aux heads are validated as the main head is.
    """
    model.eval()
    core = getattr(model, "_orig_mod", model)  # under torch.compile, the compiled module
    with_aux = bool(aux_names) and bool(getattr(core, "aux_names", ()))
    tally = ValidationTally(source.num_classes, len(aux_names) if with_aux else 0, setup.device, worst)
    core.training = with_aux
    try:
        with torch.inference_mode(), setup.autocast():
            for x, y in source.val_batches(batch_size):
                if control is not None and control.stop_requested:
                    return None
                x, y = _to_device(x, y, setup)
                out = model(x)
                logits, aux = (out, ()) if isinstance(out, Tensor) else (out[0], tuple(out[1]))
                tally.add(logits, aux, x, y)
    finally:
        core.training = False
    return tally.finish(aux_names if with_aux else ())


def _to_device(x: Tensor, y: Tensor, setup: DeviceSetup) -> tuple[Tensor, Tensor]:
    if setup.pin_memory:
        x, y = x.pin_memory(), y.pin_memory()
    x = x.to(setup.device, non_blocking=True)
    if setup.channels_last:
        x = x.contiguous(memory_format=torch.channels_last)
    return x, y.to(setup.device, non_blocking=True)


def _heads(doc: Any) -> tuple[str, dict[str, int]]:
    from ..graph.validate import validate

    rep = validate(doc)
    heads: dict[str, int] = {}
    input_name = "input"
    for nid in rep.order:
        node = doc.nodes[nid]
        shape = rep.shapes.get(nid)
        if node.type.role == "input":
            input_name = node.name
        elif (node.type.role == "aux" or nid == rep.output_id) and shape is not None and len(shape) == 1:
            heads[node.name] = int(shape[0])
    return input_name, heads


def train(
    doc: Any, config: TrainConfig, *, source: DataSource | None = None, control: RunControl | None = None
) -> Iterator[Record]:
    """Train the design ``doc`` (a GraphDocument) as ``config`` says, yielding records.

    Parameters
    ----------
    source : DataSource, optional
        The data; by default opened from ``config.data``.
    control : RunControl, optional
        Stop / pause from another thread; checked before every batch.
    """
    control = control or RunControl()
    state: dict[str, Any] = {"t0": time.perf_counter(), "step": 0, "epochs": 0, "best": None, "final": None}
    try:
        yield from _run(doc, config, source, control, state)
    except Exception as exc:  # noqa: BLE001 - every fault becomes a record
        err = _classify(exc, config, state)
        yield err
        log: RunLog | None = state.get("log")
        if log is not None:
            log.finish(status="failed", message=err.message, finished_at=datetime.now().isoformat(timespec="seconds"))
        yield _finished(state, "failed", err.message)
    finally:
        state.pop("tb", TensorBoardLog("")).close()
        if state.get("meter") is not None:
            state["meter"].close()


def _classify(exc: Exception, cfg: TrainConfig, state: dict[str, Any]) -> ErrorRecord:
    from ..compiler.plan import CompileError

    step = state.get("step")
    if isinstance(exc, NonFiniteLoss):
        return ErrorRecord("nan", str(exc), exc.step)
    if isinstance(exc, torch.cuda.OutOfMemoryError) or "out of memory" in str(exc).lower():
        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        smaller = max(1, cfg.batch_size // 2)
        return ErrorRecord(
            "oom",
            f"the device ran out of memory at batch size {cfg.batch_size} (step {step}): "
            f"try a smaller batch size, e.g. {smaller}",
            step,
            str(exc),
        )
    if isinstance(exc, CompileError):
        return ErrorRecord("design", str(exc))
    if isinstance(exc, DataError):
        return ErrorRecord("data", str(exc))
    if isinstance(exc, ConfigError):
        return ErrorRecord("config", str(exc))
    return ErrorRecord("exception", f"{type(exc).__name__}: {exc}", step, traceback.format_exc())


def _finished(state: dict[str, Any], status: str, message: str) -> RunFinished:
    out = state.get("out_dir", "")
    return RunFinished(
        status,
        message,
        state["epochs"],
        state["step"],
        state["final"],
        state["best"],
        time.perf_counter() - state["t0"],
        out,
        str(Path(out) / "last.pt") if out and state.get("saved") else "",
        str(Path(out) / "best.pt") if out and state.get("best_saved") else "",
    )


def _run(
    doc: Any, cfg: TrainConfig, source: DataSource | None, control: RunControl, state: dict[str, Any]
) -> Iterator[Record]:
    from ..compiler.build import compile_model
    from ..graph.cost import compute_costs

    problems = cfg.check()
    if problems:
        raise ConfigError("; ".join(problems))
    if cfg.num_threads > 0:
        torch.set_num_threads(cfg.num_threads)
    setup = setup_device(cfg.device, cfg.amp, cfg.channels_last)
    model = compile_model(doc, seed=cfg.seed)
    input_name, heads = _heads(doc)
    if source is None:
        source = open_dataset(
            cfg.data,
            input_shape=model.input_shape,
            seed=cfg.seed,
            val_fraction=cfg.val_fraction,
            synthetic_train=cfg.synthetic_train,
            synthetic_val=cfg.synthetic_val,
            resize=cfg.resize,
            augment=cfg.augment,
            workers=cfg.data_workers,
        )
    check_compatible(source, model.input_shape, heads, input_name)
    costs = compute_costs(doc).inference
    model.to(setup.device, memory_format=torch.channels_last if setup.channels_last else torch.preserve_format)
    optimizer = make_optimizer(model, cfg)
    scaler = torch.amp.GradScaler(setup.device.type, enabled=setup.use_scaler)
    start_epoch, step, best, history = 0, 0, None, []
    if cfg.resume:
        ck = load_checkpoint(cfg.resume)
        model.load_state_dict(ck["model"])
        optimizer.load_state_dict(ck["optimizer"])
        if setup.use_scaler and ck.get("scaler"):
            scaler.load_state_dict(ck["scaler"])
        start_epoch, step, best = int(ck["epoch"]), int(ck["step"]), ck.get("best_val_accuracy")
        history = list(ck.get("history", []))
    state.update(step=step, epochs=start_epoch, best=best, out_dir=cfg.out_dir)
    # The meter's hooks (a gradient hook on each concat output) split a torch.compile'd graph
    # and make it recompile until it falls back to eager code: 0.37x the compiled throughput,
    # measured. With compile the shares are not measured, and the run says so.
    measure = cfg.branch_every > 0 and not cfg.compile
    meter = BranchMeter(doc, model, cfg.branch_every) if measure else None
    if meter is not None and not meter:
        meter = None
    compile_note = (
        "branch shares are not measured with torch.compile (their hooks would break the compiled graph); "
        "train without compile to see them"
        if cfg.compile and cfg.branch_every > 0 and concat_branches(doc, model)
        else ""
    )
    state["meter"] = meter
    runner = torch.compile(model) if cfg.compile else model
    spe = source.steps_per_epoch(cfg.batch_size)
    total = cfg.epochs * spe if not cfg.max_steps else min(cfg.epochs * spe, cfg.max_steps)
    # A run is known by its folder (the Runs list, run.json and `train RUN_DIR` all name it so).
    run_id = Path(cfg.out_dir).name if cfg.out_dir else datetime.now().strftime("%Y%m%d-%H%M%S")
    started = RunStarted(
        run_id, doc.name, setup.describe(), setup.precision, costs.params, costs.macs, source.train_size,
        source.val_size, spe, total, start_epoch, tuple(source.class_names), tuple(model.aux_names),
        tuple(model.aux_weights), cfg.out_dir, cfg.to_dict(),
    )  # fmt: skip
    if cfg.out_dir:
        info = {k: v for k, v in dataclasses.asdict(started).items() if k != "config"}
        info.update(config=cfg.to_dict(), started_at=datetime.now().isoformat(timespec="seconds"), epochs=history)
        state["log"] = RunLog(cfg.out_dir, info, resume_step=step if cfg.resume else None)
        state["tb"] = TensorBoardLog(cfg.out_dir)  # a no-op without the tensorboard package
        design = Path(cfg.out_dir) / DESIGN_FILE
        if not (cfg.resume and design.is_file()):  # the design trained, so the run can be continued
            from ..io.project import dumps

            atomic_write_text(design, dumps(doc))
    yield started
    seen_notes = 0

    def new_notes() -> Iterator[StatusRecord]:
        """The source's notes not yet reported (e.g. unreadable images met since the last call)."""
        nonlocal seen_notes
        notes, seen_notes = source.notes[seen_notes:], len(source.notes)
        for note in notes:
            if "log" in state:
                state["log"].add_note(note)
            yield StatusRecord("note", note)

    yield from new_notes()
    if compile_note:
        if "log" in state:
            state["log"].add_note(compile_note)
        yield StatusRecord("note", compile_note)

    def checkpoint(name: str, epochs_done: int) -> None:
        save_checkpoint(
            Path(cfg.out_dir) / name,
            {
                "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict() if setup.use_scaler else {}, "epoch": epochs_done, "step": step,
                "best_val_accuracy": best, "config": cfg.to_dict(), "design": doc.to_dict(),
                "input_shape": list(model.input_shape), "class_names": list(source.class_names),
                "aux_names": list(model.aux_names), "history": history,
            },
        )  # fmt: skip

    t_train, steps_run, stopped = 0.0, 0, False
    for epoch in range(start_epoch, cfg.epochs):
        torch.manual_seed(cfg.seed * 1000 + epoch)  # dropout: the same per epoch, also after a resume
        model.train()
        ep_loss = torch.zeros((), device=setup.device)
        ep_correct = torch.zeros((), device=setup.device, dtype=torch.long)
        ep_n, ep_time = 0, 0.0
        win = _Window(len(model.aux_names), setup.device)
        tick = time.perf_counter()
        for i, (x, y) in enumerate(source.train_batches(cfg.batch_size, epoch, cfg.seed)):
            if control.stop_requested:
                stopped = True
                break
            if control.paused:
                ep_time += time.perf_counter() - tick
                yield StatusRecord("paused")
                control.wait_while_paused()
                if control.stop_requested:
                    stopped = True
                    break
                yield StatusRecord("resumed")
                tick = time.perf_counter()
            x, y = _to_device(x, y, setup)
            lr = lr_at(step, total, spe, cfg)
            for group in optimizer.param_groups:
                group["lr"] = lr
            if meter is not None:
                meter.step()
            with setup.autocast():
                out = runner(x)
            loss, main, parts = total_loss(out, y, model.aux_weights, cfg.label_smoothing)
            if not torch.isfinite(loss):
                raise NonFiniteLoss(step + 1, epoch, lr, loss.item())
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            step += 1
            steps_run += 1
            state["step"] = step
            logits = out if isinstance(out, Tensor) else out[0]
            correct = (logits.detach().argmax(1) == y).sum()
            win.add(loss.detach(), main.detach(), [p.detach() for p in parts], correct, len(y))
            ep_loss += loss.detach() * len(y)
            ep_correct += correct
            ep_n += len(y)
            last = i == spe - 1 or (cfg.max_steps and step >= cfg.max_steps)
            now = time.perf_counter()
            due = cfg.log_interval_s > 0 and now - tick >= cfg.log_interval_s
            if step % max(1, cfg.log_every) == 0 or last or due:
                dt, tick = now - tick, now
                t_train += dt
                ep_time += dt
                rec = win.record(step, epoch, lr, dt, t_train, steps_run, total - step, model.aux_names, setup, state)
                if "log" in state:
                    state["log"].add_step(rec)
                    state["tb"].add_step(rec)
                yield rec
            if cfg.max_steps and step >= cfg.max_steps:
                break
        yield from new_notes()
        if stopped:
            break
        if meter is not None:
            meter.pause()
        branches = meter.epoch() if meter is not None else {}
        result = evaluate(runner, source, setup, max(cfg.batch_size, 256), control, aux_names=model.aux_names)
        # What validation met (an unreadable validation image) is told now, with this epoch,
        # not after the next one (which a one-epoch run never has).
        yield from new_notes()
        if result is None:
            stopped = True
            break
        val_loss, val_acc = result["loss"], result["accuracy"]
        is_best = best is None or val_acc > best
        best = val_acc if is_best else best
        worst = tuple(dict(w, file=source.val_name(w["index"])) for w in result["worst"])
        rec = EpochRecord(
            epoch + 1, step, ep_loss.item() / max(1, ep_n), ep_correct.item() / max(1, ep_n), val_loss, val_acc,
            lr, ep_n / max(ep_time, 1e-9), time.perf_counter() - state["t0"], is_best,
            tuple(result["class_accuracy"]), result["aux_accuracy"], tuple(tuple(r) for r in result["confusion"]),
            worst, "", branches, branch_advice(branches),
        )  # fmt: skip
        if cfg.out_dir:
            images = result["worst_images"]
            shown = to_display(images, source.mean, source.std) if images is not None else None
            rec = write_results(cfg.out_dir, rec, source.class_names, model.aux_names, shown)
        history.append(epoch_entry(rec))
        state.update(epochs=epoch + 1, best=best, final=val_acc)
        if cfg.out_dir:
            checkpoint("last.pt", epoch + 1)
            state["saved"] = True
            if is_best:
                checkpoint("best.pt", epoch + 1)
                state["best_saved"] = True
            state["log"].add_epoch(rec)
            state["tb"].add_epoch(rec)
        yield rec
        if cfg.max_steps and step >= cfg.max_steps:
            break
    status = "stopped" if stopped else "completed"
    if stopped:
        message = f"stopped by the user at step {step}"
    else:
        acc = state["final"]
        message = f"finished {state['epochs']} epoch{'s' * (state['epochs'] != 1)}" + (
            f", validation accuracy {acc:.1%}" if acc is not None else ""
        )
    if "log" in state:
        state["log"].finish(
            status=status,
            message=message,
            final_val_accuracy=state["final"],
            best_val_accuracy=best,
            steps=step,
            elapsed_s=time.perf_counter() - state["t0"],
            finished_at=datetime.now().isoformat(timespec="seconds"),
        )
    yield _finished(state, status, message)


class _Window:
    """Sums over the steps since the last record, kept on the device (one sync per record)."""

    def __init__(self, n_aux: int, device: torch.device):
        self.n_aux, self.device = n_aux, device
        self.reset()

    def reset(self) -> None:
        z = torch.zeros((), device=self.device)
        self.loss, self.main = z.clone(), z.clone()
        self.aux = torch.zeros(self.n_aux, device=self.device)
        self.correct = torch.zeros((), device=self.device, dtype=torch.long)
        self.steps = self.n = 0

    def add(self, loss: Tensor, main: Tensor, parts: list[Tensor], correct: Tensor, n: int) -> None:
        self.loss += loss
        self.main += main
        if parts:
            self.aux += torch.stack(parts)
        self.correct += correct
        self.steps += 1
        self.n += n

    def record(
        self, step: int, epoch: int, lr: float, dt: float, t_train: float, steps_run: int, left: int,
        aux_names: Sequence[str], setup: DeviceSetup, state: dict[str, Any],
    ) -> StepRecord:  # fmt: skip
        k = max(1, self.steps)
        aux = [v / k for v in self.aux.tolist()]
        rec = StepRecord(
            step=step, epoch=epoch + 1, loss=self.loss.item() / k, main_loss=self.main.item() / k,
            aux_losses=dict(zip(aux_names, aux, strict=True)), accuracy=self.correct.item() / max(1, self.n), lr=lr,
            images_per_s=self.n / max(dt, 1e-9), device_memory=device_memory(setup.device),
            progress=step / max(1, step + left), elapsed_s=time.perf_counter() - state["t0"],
            eta_s=t_train / max(1, steps_run) * max(0, left),
        )  # fmt: skip
        self.reset()
        return rec
